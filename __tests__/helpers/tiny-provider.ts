/**
 * A fifth provider, as small as the interface allows: "notes" on a loopback API where
 * `GET /v1/notes/{id}` reads a note and `PATCH /v1/notes/{id}` merges the payload into it, the
 * answer being the final note. It is one file, like every provider in src/providers/, and uses the
 * shared helpers as they do; __tests__/fifth-provider.test.ts adds it with one registry entry.
 */
import type { ErrorDetails } from '../../src/http/client.js'
import type { Provider } from '../../src/providers/provider.js'
import { apiBase, bearerAuth } from '../../src/providers/shared.js'

/** A note as the API returns it. */
interface Note {
  id: string
  text: string
  state: string
}

const isNote = (value: unknown): value is Note =>
  typeof value === 'object' && value !== null && typeof (value as Note).id === 'string'

export const notes: Provider = {
  name: 'notes',
  volatile: [],

  baseUrl: (settings) => apiBase(settings.baseUrl!, '/v1'),

  checkInputs(settings) {
    const missing = (input: string, what: string) => ({
      path: [],
      input,
      message: `Input '${input}' is required for notes: ${what}.`,
    })
    return [
      ...(settings.credentials.token ? [] : [missing('token', 'an API key')]),
      ...(settings.baseUrl ? [] : [missing('base-url', "the notes API's address")]),
    ]
  },

  checkTarget: (target) => (/^n-[0-9]+$/.test(target) ? undefined : `'${target}' is not a note id such as n-1.`),

  validate: (payload) =>
    Object.keys(payload)
      .filter((key) => key !== 'text')
      .map((key) => ({ path: [key], message: 'notes have only a text; remove it.' })),

  authorize: bearerAuth,

  parseError: (_status, body): ErrorDetails => {
    const message = typeof body === 'object' && body !== null ? (body as { error?: unknown }).error : undefined
    return { type: '', message: typeof message === 'string' ? message : '' }
  },

  advise: (error, target) => (error.httpStatus === 404 ? `No note ${target}: check 'target'.` : undefined),

  async read(ctx, target) {
    const response = await ctx.client.request({
      method: 'GET',
      path: `/notes/${encodeURIComponent(target)}`,
      replay: 'safe',
      what: 'read the note',
      expect: (json) => (isNote(json) ? undefined : 'not a note'),
    })
    return response.json
  },

  async update(ctx, target, payload) {
    const response = await ctx.client.request({
      method: 'PATCH',
      path: `/notes/${encodeURIComponent(target)}`,
      body: payload,
      // A merge of the same fields twice leaves the same note.
      replay: 'safe',
      what: 'update the note',
      expect: (json) => (isNote(json) ? undefined : 'not a note'),
    })
    return {
      resource: response.json,
      providerStatus: (response.json as Note).state,
      httpStatus: response.status,
      requestId: response.requestId,
      pending: false,
    }
  },

  preview: (before, payload) => ({ ...(before as Note), ...payload }),

  describeRequest: (ctx, target, payload) => ({
    method: 'PATCH',
    url: ctx.client.url(`/notes/${encodeURIComponent(target)}`).href,
    headers: { authorization: 'Bearer ***', 'content-type': 'application/json' },
    body: payload,
  }),

  statusOf: (resource) => (isNote(resource) ? resource.state : undefined),
}
