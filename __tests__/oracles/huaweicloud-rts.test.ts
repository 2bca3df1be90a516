/**
 * Oracle: Huawei's own signer (`AKSKSigner` of @huaweicloud/huaweicloud-sdk-core, the reference
 * implementation providers.md names) re-signs what the action sends, and the `Authorization`
 * header must come out byte for byte the same. Our signer (src/providers/huaweicloud-sign.ts) and the
 * emulator's reference signer were written by the same hands; the SDK was not.
 *
 * - the requests the action really sends (PUT and GET, with and without a security token), captured
 *   by the RTS emulator from an in-process run, re-signed by the SDK;
 * - a fast-check property: generated paths, queries (repeated names, reserved and non-ASCII
 *   characters), header values and bodies, signed by both at a fixed date;
 * - a `base-url` path prefix that already holds `%` escapes: signed as the SDK signs it (the path as
 *   sent, each `%` encoded again), the choice README's Huawei section states.
 *
 * The IAM password login (`POST /v3/auth/tokens`) is not signed (the password is the credential), so
 * it has no Authorization to compare.
 */
import { AKSKSigner } from '@huaweicloud/huaweicloud-sdk-core/auth/AKSKSigner.js'
import type { IHttpRequest } from '@huaweicloud/huaweicloud-sdk-core/http/IHttpRequest.js'
import { BasicCredentials } from '@huaweicloud/huaweicloud-sdk-core'
import fc from 'fast-check'
import { afterEach, describe, expect, it } from 'vitest'
import { authorization, sdkDate } from '../../src/providers/huaweicloud-sign.ts'
import { RtsEmulator } from '../emulators/huaweicloud-rts.ts'
import { parseAuthorization } from '../emulators/huaweicloud-sign-reference.ts'
import type { RecordedRequest } from '../emulators/base.ts'
import { startTinyServer, type TinyServer } from '../helpers/tiny-server.ts'
import { runInProcess } from './in-process.ts'

const AK = 'HPUAORACLEACCESSKEY01'
const SK = 'oracle/secret+key=0123456789'
const TEMP_AK = 'HSTORACLETEMPACCESSKEY'
const TEMP_SK = 'oracle-temporary-secret-key'
const SECURITY_TOKEN = 'gQpjbi1ub3J0aC00gQ+oracle/temporary=token=='
const FIXED_DATE = sdkDate(new Date('2026-12-03T15:04:05Z'))

interface Signable {
  method: string
  url: URL
  /** Header names as they go on the wire (any case); every one of them is signed. */
  headers: Record<string, string>
  body: string
}

/** The SDK's header names: it finds the date under `X-Sdk-Date` exactly, and lower-cases every name it signs. */
function sdkHeaders(headers: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {}
  for (const [name, value] of Object.entries(headers))
    out[name.toLowerCase() === 'x-sdk-date' ? 'X-Sdk-Date' : name.toLowerCase()] = value
  return out
}

/** The SDK's query: an object of names to a value or, for a repeated name, the list of values (as HcClient builds it). */
function sdkQuery(url: URL): Record<string, string | string[]> {
  const query: Record<string, string | string[]> = {}
  for (const [name, value] of url.searchParams) {
    const known = query[name]
    query[name] = known === undefined ? value : Array.isArray(known) ? [...known, value] : [known, value]
  }
  return query
}

/** The `Authorization` AKSKSigner.sign computes for the request (it signs every header it is given, plus host). */
function sdkAuthorization(request: Signable, ak: string, sk: string): string {
  // The SDK hashes JSON.stringify(data): give it the parsed body, and make sure that is the same bytes.
  const data = request.body === '' ? undefined : (JSON.parse(request.body) as unknown)
  if (data !== undefined) expect(JSON.stringify(data)).toBe(request.body)
  const sdkRequest: IHttpRequest = {
    method: request.method,
    endpoint: `${request.url.origin}${request.url.pathname}`,
    queryParams: sdkQuery(request.url),
    headers: sdkHeaders(request.headers),
    data,
  }
  const signed: Record<string, string> = AKSKSigner.sign(sdkRequest, new BasicCredentials().withAk(ak).withSk(sk))
  return signed.Authorization!
}

/** Our signer's `Authorization` for the same request, signing every header present. */
function ourAuthorization(request: Signable, ak: string, sk: string): string {
  return authorization(request, ak, sk, Object.keys(request.headers))
}

/** A request the emulator recorded, reduced to what its Authorization signed (the names it lists). */
function asSigned(recorded: RecordedRequest, origin: string): { request: Signable; sent: string; names: string[] } {
  const sent = String(recorded.headers.authorization)
  const parsed = parseAuthorization(sent)
  if ('error' in parsed) throw new Error(`the action sent a malformed Authorization: ${sent}`)
  const names = parsed.signedHeaders.split(';')
  const headers: Record<string, string> = {}
  for (const name of names) headers[name] = String(recorded.headers[name])
  return {
    request: {
      method: recorded.method,
      url: new URL(recorded.url.pathname + recorded.url.search, origin),
      headers,
      body: recorded.body,
    },
    sent,
    names,
  }
}

let emulator: RtsEmulator | undefined
afterEach(async () => {
  await emulator?.close()
  emulator = undefined
})

describe('Huawei AK/SK: the requests the action sends, re-signed by the official SDK', () => {
  it.each([
    ['permanent AK/SK', AK, SK, undefined],
    ['temporary AK/SK with a security token', TEMP_AK, TEMP_SK, SECURITY_TOKEN],
  ] as const)('%s: PUT and GET carry the Authorization AKSKSigner computes', async (_name, ak, sk, securityToken) => {
    emulator = new RtsEmulator({ keys: { [ak]: { sk, ...(securityToken ? { securityToken } : {}) } }, settleMs: 100 })
    await emulator.start()
    const deployment = emulator.seed({})
    const run = await runInProcess({
      provider: 'huaweicloud-rts',
      'base-url': emulator.origin,
      target: deployment.id,
      'access-key': ak,
      'secret-key': sk,
      ...(securityToken ? { 'security-token': securityToken } : {}),
      region: emulator.region,
      'project-id': emulator.projectId,
      payload: JSON.stringify({
        config_id: '7d1f3c2a-0b5e-4f6a-9c8d-1e2f3a4b5c6d',
        status: 'IN_PROGRESS',
        input_values: { release: 'v2 ü/ok' },
      }),
      timeout: '20s',
    })
    expect(run.problems, run.log.join('\n')).toEqual([])
    expect(run.outcomes.map((o) => o.status)).toEqual(['succeeded'])

    const path = `/v1/${emulator.projectId}/software_deployments/${deployment.id}`
    const puts = emulator.requestsTo('PUT', path)
    const gets = emulator.requestsTo('GET', path)
    expect(puts.length).toBe(1)
    expect(gets.length).toBeGreaterThan(0)
    for (const recorded of [...puts, ...gets]) {
      const { request, sent, names } = asSigned(recorded, emulator.origin)
      // Every header the SDK itself would sign for this call: host, the date, the project and, with a
      // temporary key, its token; content-type when there is a body.
      expect(names).toEqual(
        [
          recorded.body ? 'content-type' : '',
          'host',
          'x-project-id',
          'x-sdk-date',
          securityToken ? 'x-security-token' : '',
        ].filter(Boolean),
      )
      expect(sent).toBe(sdkAuthorization(request, ak, sk))
    }
  })
})

describe('Huawei AK/SK: a base-url path prefix holding % escapes, on the wire', () => {
  let gateway: TinyServer | undefined
  afterEach(async () => {
    await gateway?.close()
    gateway = undefined
  })

  it('the PUT and GET under /rts%20gw/api%2Fv1 carry the Authorization AKSKSigner computes for the path as sent', async () => {
    const id = '06e87bcc-33a2-4bce-aebd-533e698282d3'
    const project = '95d02433133a4c0a87ba6967474a2ad3'
    const prefix = '/rts%20gw/api%2Fv1'
    // A gateway that keeps one software deployment: a PUT merges its body in, a GET answers it.
    const stored: Record<string, unknown> = {
      id,
      config_id: '5b8c0f9e-1d2a-4c3b-8e7f-6a5b4c3d2e1f',
      server_id: 'a8b6c4d2-e0f1-4a3b-9c8d-7e6f5a4b3c2d',
      action: 'CREATE',
      status: 'COMPLETE',
      status_reason: 'Outputs received',
      input_values: {},
      output_values: {},
      creation_time: '2026-12-03T10:00:00Z',
      updated_time: '2026-12-03T10:00:00Z',
    }
    gateway = await startTinyServer((req, res) => {
      if (req.method === 'PUT') Object.assign(stored, JSON.parse(req.body) as object)
      res.setHeader('content-type', 'application/json')
      res.end(JSON.stringify({ software_deployment: stored }))
    })
    const run = await runInProcess({
      provider: 'huaweicloud-rts',
      'base-url': `${gateway.origin}${prefix}`,
      target: id,
      'access-key': AK,
      'secret-key': SK,
      region: 'cn-north-4',
      'project-id': project,
      payload: JSON.stringify({ status: 'COMPLETE', input_values: { release: 'v2' } }),
      timeout: '20s',
    })
    expect(run.problems, run.log.join('\n')).toEqual([])
    expect(run.outcomes.map((o) => o.status)).toEqual(['succeeded'])
    const sent = gateway.requests
    expect(sent.map((r) => `${r.method} ${r.url}`)).toContain(`PUT ${prefix}/v1/${project}/software_deployments/${id}`)
    for (const recorded of sent) {
      const url = new URL(recorded.url, gateway.origin)
      const { request, sent: authorizationSent } = asSigned(
        { ...recorded, path: url.pathname, url, headers: recorded.headers },
        gateway.origin,
      )
      expect(authorizationSent).toBe(sdkAuthorization(request, AK, SK))
    }
  })
})

// ---------------------------------------------------------------------------------------------
// Our signer against the SDK's, on generated requests

/** Characters a path segment or query part is built from: unreserved, reserved, `%`-escapes, non-ASCII (BMP and astral). */
const PIECE = fc.constantFrom(
  'a',
  'Z',
  '0',
  '-',
  '_',
  '.',
  '~',
  ' ',
  '!',
  '$',
  '&',
  '(',
  ')',
  '*',
  '+',
  ',',
  ';',
  '=',
  ':',
  '@',
  '/',
  '?',
  '#',
  '[',
  ']',
  '%',
  '%20',
  '%2F',
  '%41',
  'ü',
  'é',
  '中',
  '😀',
  '\u{e000}',
)
const TEXT = fc.array(PIECE, { minLength: 0, maxLength: 6 }).map((parts) => parts.join(''))

/** A wire path: segments encoded as the WHATWG URL sends them, some already holding `%` escapes. */
const SEGMENT = fc.oneof(
  fc.constantFrom(
    'v1',
    '95d02433133a4c0a87ba6967474a2ad3',
    'software_deployments',
    '06e87bcc-33a2-4bce-aebd-533e698282d3',
  ),
  TEXT.filter((t) => t !== '' && t !== '.' && t !== '..').map((t) => encodeURIComponent(t).replace(/'/g, '%27')),
  fc.constantFrom('gw%2Fv1', 'a%20b', '%E4%B8%AD', 'x:y', 'a@b', 'a!b*c(d)'),
)

const REQUEST = fc.record({
  method: fc.constantFrom('GET', 'PUT', 'POST', 'DELETE'),
  segments: fc.array(SEGMENT, { minLength: 0, maxLength: 5 }),
  trailingSlash: fc.boolean(),
  query: fc.array(fc.tuple(fc.oneof(fc.constantFrom('server_id', 'tag', 'a', 'A', 'a0', 'a:'), TEXT), TEXT), {
    maxLength: 5,
  }),
  headerValue: fc.oneof(TEXT, fc.constantFrom('  padded  ', 'a\tb', 'value, with, commas')),
  securityToken: fc.option(fc.constantFrom(SECURITY_TOKEN, 'tok/+=='), { nil: undefined }),
  // A JSON object, as every body the action sends (the SDK hashes no body for a falsy `data` such as null or 0).
  body: fc.option(fc.dictionary(TEXT, fc.jsonValue({ maxDepth: 2 }), { maxKeys: 4 }), { nil: undefined }),
})

/** The generated request: origin fixed, every header signed. */
function buildRequest(spec: GeneratedSpec): Signable {
  const url = new URL(
    `https://rts.cn-north-4.myhuaweicloud.com/${spec.segments.join('/')}${spec.trailingSlash ? '/' : ''}`,
  )
  for (const [name, value] of spec.query) url.searchParams.append(name, value)
  const headers: Record<string, string> = {
    host: url.host,
    'x-sdk-date': FIXED_DATE,
    'x-project-id': '95d02433133a4c0a87ba6967474a2ad3',
    // Trimmed: HTTP drops a value's outer whitespace on the wire; our signer trims, the SDK signs as given.
    'x-oracle-value': spec.headerValue.trim(),
  }
  if (spec.securityToken !== undefined) headers['x-security-token'] = spec.securityToken
  const body = spec.body === undefined ? '' : JSON.stringify(spec.body)
  if (body !== '') headers['content-type'] = 'application/json'
  return { method: spec.method, url, headers, body }
}
type GeneratedSpec = {
  method: string
  segments: string[]
  trailingSlash: boolean
  query: [string, string][]
  headerValue: string
  securityToken?: string
  body?: unknown
}

describe('Huawei AK/SK: our signer equals the SDK on generated requests', () => {
  it('the same Authorization for any path, query, header value and body (fast-check, seeded)', () => {
    fc.assert(
      fc.property(REQUEST, (spec) => {
        const request = buildRequest(spec)
        expect(ourAuthorization(request, AK, SK)).toBe(sdkAuthorization(request, AK, SK))
      }),
      { seed: 1717, numRuns: 400 },
    )
  })

  it.each([
    [
      'PUT with a JSON body',
      'PUT',
      '/v1/p/software_deployments/06e87bcc-33a2-4bce-aebd-533e698282d3',
      '{"status":"COMPLETE"}',
    ],
    ['GET without a body', 'GET', '/v1/p/software_deployments/06e87bcc-33a2-4bce-aebd-533e698282d3', ''],
    // A base-url prefix that already holds escapes: the SDK signs the path as sent, each `%` encoded again.
    ['a base-url prefix holding % escapes', 'GET', '/gw%2Frts/a%20b/v1/p/software_deployments/x', ''],
  ])('%s', (_name, method, path, body) => {
    for (const securityToken of [undefined, SECURITY_TOKEN]) {
      const request = buildRequest({
        method,
        segments: path.split('/').slice(1),
        trailingSlash: false,
        query: [],
        headerValue: 'x',
        securityToken,
        body: body === '' ? undefined : JSON.parse(body),
      })
      expect(ourAuthorization(request, AK, SK)).toBe(sdkAuthorization(request, AK, SK))
    }
  })
})
