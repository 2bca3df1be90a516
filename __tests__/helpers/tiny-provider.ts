/**
 * A fifth provider, as small as the interface allows: "notes" on a loopback API where
 * `GET /v1/notes/{id}` reads a note and `PATCH /v1/notes/{id}` merges the payload into it, the
 * answer being the final note. It is one file, like every provider in src/providers/, and uses the
 * shared helpers as they do; __tests__/fifth-provider.test.ts adds it with one registry entry.
 */
import type { Provider, ProviderContext } from '../../src/providers/provider.js'
import {
  apiBase,
  bearerAuth,
  checkTargets,
  fieldChanges,
  noSecrets,
  required,
  unitPerTarget,
} from '../../src/providers/shared.js'

/** A note as the API returns it. */
interface Note {
  id: string
  text: string
  state: string
}

const isNote = (value: unknown): value is Note =>
  typeof value === 'object' && value !== null && 'id' in value && typeof value.id === 'string'

/** The note `id` as read, or as merged with `payload` when one is given, and the answer's status and request id. */
async function note(ctx: ProviderContext, id: string, payload?: object) {
  const response = await ctx.client.request({
    method: payload ? 'PATCH' : 'GET',
    path: `/notes/${encodeURIComponent(id)}`,
    body: payload,
    // A merge of the same fields twice leaves the same note.
    replay: 'safe',
    what: payload ? 'update the note' : 'read the note',
    expect: (json) => (isNote(json) ? undefined : 'not a note'),
  })
  if (!isNote(response.json)) throw new Error('not a note') // `expect` refused it already
  return { note: response.json, httpStatus: response.status, requestId: response.requestId }
}

export const notes: Provider<Note> = {
  name: 'notes',

  check: (settings, payload) => [
    ...required('notes', 'token', settings.credentials.token, 'an API key.'),
    ...required('notes', 'base-url', settings.baseUrl, "the notes API's address."),
    ...checkTargets('notes', settings.targets, (target) =>
      /^n-[0-9]+$/.test(target) ? undefined : `'${target}' is not a note id such as n-1.`,
    ),
    ...Object.keys(payload ?? {})
      .filter((key) => key !== 'text')
      .map((key) => ({ path: [key], message: 'notes have only a text; remove it.' })),
  ],
  units: (settings) => unitPerTarget(settings),
  secrets: noSecrets,

  connect: (ctx) =>
    Promise.resolve({
      baseUrl: apiBase(ctx.settings.baseUrl!, '/v1'),
      authorize: bearerAuth(ctx),
      parseError: (_status, body) => ({
        type: '',
        message:
          typeof body === 'object' && body !== null && 'error' in body && typeof body.error === 'string'
            ? body.error
            : '',
      }),
    }),

  read: async (ctx, { id }) => (await note(ctx, id)).note,
  plan: (ctx, { id }, before, payload) => ({
    request: {
      method: 'PATCH',
      url: ctx.client.url(`/notes/${encodeURIComponent(id)}`).href,
      headers: { authorization: 'Bearer ***', 'content-type': 'application/json' },
      body: payload,
    },
    after: { ...before, ...payload },
  }),
  async update(ctx, { id }, payload) {
    const { note: after, ...answer } = await note(ctx, id, payload)
    return { resource: after, providerStatus: after.state, pending: false, ...answer }
  },

  changes: (before, after) => fieldChanges(before, after, []),
  view: (resource) => ({ status: resource.state, notes: [] }),
  advise: (error, unit) => (error.httpStatus === 404 ? `No note ${unit?.id}: check 'target'.` : undefined),
}
