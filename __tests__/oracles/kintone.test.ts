/**
 * Oracle: kintone's official client (@kintone/rest-api-client) and deploy-patch, given the same
 * site, credentials and apps, must put the same requests on the wire for the deploy
 * (`POST …/preview/app/deploy.json`) and the status read (`GET …/preview/app/deploy.json?apps[0]=…`,
 * or `POST` + `X-HTTP-Method-Override: GET` once the URL passes 4096 characters). Both talk to one
 * capturing loopback server; the action runs in process (src/deploy.ts) over real HTTP.
 *
 * Compared: method, path, query string and body, byte for byte, and every header but those in
 * NOT_COMPARED below, by name and value: so the auth headers (`X-Cybozu-API-Token`,
 * `X-Cybozu-Authorization`, `Authorization` for OAuth or a site's Basic authentication),
 * `X-HTTP-Method-Override` and `Content-Type`, and no header one side sends and the other does not.
 *
 * Last, emulator fidelity: the official client deploys and reads the status through our kintone
 * emulator (__tests__/emulators/kintone.ts), both forms of the status read.
 */
import { KintoneRestAPIClient } from '@kintone/rest-api-client'
import type { IncomingHttpHeaders } from 'node:http'
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { KintoneEmulator } from '../emulators/kintone.ts'
import { startTinyServer, type TinyRequest, type TinyServer } from '../helpers/tiny-server.ts'
import { runInProcess } from './in-process.ts'

/** The official client takes plain HTTP only for `localhost`; both sides use the same base URL. */
const localhost = (origin: string) => `http://localhost:${new URL(origin).port}`

const DEPLOY_PATH = /^\/k\/(?:guest\/\d+\/)?v1\/preview\/app\/deploy\.json$/

/** The apps a status read names: `apps[i]` in the query, or `apps` in the body of the override form. */
function appsOf(request: TinyRequest): string[] {
  const url = new URL(request.url, 'http://x')
  const fromQuery = [...url.searchParams].filter(([name]) => /^apps\[\d+\]$/.test(name)).map(([, value]) => value)
  if (fromQuery.length > 0) return fromQuery
  const body = request.body ? (JSON.parse(request.body) as { apps?: unknown[] }) : {}
  return (body.apps ?? []).map((app) => String(app))
}

const isStatusRead = (r: TinyRequest) => r.method === 'GET' || r.headers['x-http-method-override'] === 'GET'

/** Answers as kintone does: `{}` to a deploy, every named app SUCCESS to a status read; 404 elsewhere. */
let server: TinyServer
beforeAll(async () => {
  server = await startTinyServer((req, res) => {
    const path = new URL(req.url, 'http://x').pathname
    res.setHeader('content-type', 'application/json; charset=utf-8')
    if (!DEPLOY_PATH.test(path)) {
      res.statusCode = 404
      res.end('{"code":"CB_NO02","id":"x","message":"not found"}')
    } else if (isStatusRead(req)) {
      res.end(JSON.stringify({ apps: appsOf(req).map((app) => ({ app, status: 'SUCCESS' })) }))
    } else {
      res.end('{}')
    }
  })
})
afterAll(() => server.close())
beforeEach(() => {
  server.requests.length = 0
})

/**
 * Headers that legitimately differ: `user-agent` (each names itself), `accept` and `accept-encoding`
 * (axios asks for `application/json, text/plain, *\/*` and gzip/br; the action asks for JSON and reads
 * it either way), `content-length` (follows from the body, compared byte for byte), `host` and
 * `connection` (transport).
 */
const NOT_COMPARED = new Set(['user-agent', 'accept', 'accept-encoding', 'content-length', 'host', 'connection'])

/** What both must agree on, from one captured request: every other header, by name and value. */
function onTheWire(request: TinyRequest) {
  const url = new URL(request.url, 'http://x')
  const headers = Object.fromEntries(
    Object.keys(request.headers)
      .filter((name) => !NOT_COMPARED.has(name))
      .sort()
      .map((name) => [name, headerText(request.headers, name)]),
  )
  return { method: request.method, path: url.pathname, query: url.search, body: request.body, headers }
}

function headerText(headers: IncomingHttpHeaders, name: string): string | undefined {
  const value = headers[name]
  return Array.isArray(value) ? value.join(', ') : value
}

interface Credentials {
  /** The official client's options for these credentials. */
  client: Partial<ConstructorParameters<typeof KintoneRestAPIClient>[0]>
  /** The same credentials as deploy-patch inputs. */
  inputs: Record<string, string>
}

const TOKEN_A = 'OracleKintoneApiTokenA0123456789abcdef'
const TOKEN_B = 'OracleKintoneApiTokenB0123456789abcdef'
const MODES: [string, Credentials][] = [
  ['one API token', { client: { auth: { apiToken: TOKEN_A } }, inputs: { token: TOKEN_A } }],
  [
    'several API tokens',
    { client: { auth: { apiToken: [TOKEN_A, TOKEN_B] } }, inputs: { token: `${TOKEN_A},${TOKEN_B}` } },
  ],
  [
    'password',
    {
      client: { auth: { username: 'oracle@example.com', password: 'pässword:with colon' } },
      inputs: { username: 'oracle@example.com', password: 'pässword:with colon' },
    },
  ],
  [
    'Basic authentication in front of the site + API token',
    {
      client: { auth: { apiToken: TOKEN_A }, basicAuth: { username: 'gate', password: 'gate-pass' } },
      inputs: { token: TOKEN_A, 'basic-auth': 'gate:gate-pass' },
    },
  ],
  [
    'OAuth access token',
    {
      client: { auth: { oAuthToken: 'oracle-oauth-access-token' } },
      inputs: { 'oauth-token': 'oracle-oauth-access-token' },
    },
  ],
]

/** The official client's deploy and one status read of `apps`, against the capturing server. */
async function officialClient(credentials: Credentials, apps: number[], guestSpaceId?: number): Promise<TinyRequest[]> {
  const client = new KintoneRestAPIClient({
    baseUrl: localhost(server.origin),
    ...credentials.client,
    ...(guestSpaceId !== undefined ? { guestSpaceId } : {}),
  })
  const from = server.requests.length
  await client.app.deployApp({ apps: apps.map((app) => ({ app })) })
  await client.app.getDeployStatus({ apps })
  return server.requests.slice(from)
}

/** deploy-patch's run with the same credentials and apps, against the capturing server. */
async function deployPatch(credentials: Credentials, apps: number[], guestSpaceId?: number): Promise<TinyRequest[]> {
  const from = server.requests.length
  const run = await runInProcess({
    provider: 'kintone',
    'base-url': localhost(server.origin),
    target: apps.join(','),
    payload: '{}',
    timeout: '20s',
    ...(guestSpaceId !== undefined ? { 'guest-space-id': String(guestSpaceId) } : {}),
    ...credentials.inputs,
  })
  expect(run.problems, run.log.join('\n')).toEqual([])
  expect(run.outcomes.map((o) => o.status)).toEqual(['succeeded'])
  return server.requests.slice(from)
}

/** The deploy and the first status read among captured requests. */
function deployAndRead(requests: TinyRequest[]): { deploy: TinyRequest; read: TinyRequest } {
  const deploy = requests.find((r) => r.method === 'POST' && !isStatusRead(r))
  const read = requests.find(isStatusRead)
  if (!deploy || !read)
    throw new Error(`no deploy or no status read among ${requests.map((r) => `${r.method} ${r.url}`).join(', ')}`)
  return { deploy, read }
}

async function expectSameRequests(credentials: Credentials, apps: number[], guestSpaceId?: number) {
  const theirs = deployAndRead(await officialClient(credentials, apps, guestSpaceId))
  const ours = deployAndRead(await deployPatch(credentials, apps, guestSpaceId))
  expect(onTheWire(ours.deploy)).toEqual(onTheWire(theirs.deploy))
  expect(onTheWire(ours.read)).toEqual(onTheWire(theirs.read))
  return { theirs, ours }
}

describe('kintone: deploy-patch sends what the official client sends', () => {
  it.each(MODES)('%s: the deploy and the status read', async (_name, credentials) => {
    await expectSameRequests(credentials, [8, 9, 10])
  })

  it('in a guest space (/k/guest/{space}/v1/…)', async () => {
    const { ours } = await expectSameRequests(MODES[0]![1], [21, 22], 7)
    expect(new URL(ours.read.url, 'http://x').pathname).toBe('/k/guest/7/v1/preview/app/deploy.json')
  })

  it('300 apps: the status read goes as POST with X-HTTP-Method-Override: GET, the apps in the body', async () => {
    const apps = Array.from({ length: 300 }, (_, i) => 1000 + i)
    const { ours } = await expectSameRequests(MODES[0]![1], apps)
    expect(ours.read.method).toBe('POST')
  })

  // The switch is on the whole URL's length (origin included): 4096 characters still go as GET, 4097 not.
  it.each([
    [4096, 'GET'],
    [4097, 'POST'],
  ])(
    'a status-read URL of exactly %i characters goes as %s, as the official client sends it',
    async (length, method) => {
      const apps = appsForUrlLength(`${localhost(server.origin)}/k/v1/preview/app/deploy.json`, length)
      const { theirs, ours } = await expectSameRequests(MODES[0]![1], apps)
      expect([theirs.read.method, ours.read.method]).toEqual([method, method])
      if (method === 'GET') expect(`${localhost(server.origin)}${ours.read.url}`.length).toBe(length)
    },
  )
})

/**
 * Distinct app ids whose status-read URL (`{base}?apps%5B0%5D=…&…`) is exactly `length` characters:
 * as many 5-digit ids as fit, then ids turned 6-digit one by one to add the last characters.
 */
function appsForUrlLength(base: string, length: number): number[] {
  const urlLength = (apps: number[]) =>
    `${base}?${apps.map((app, i) => `${encodeURIComponent(`apps[${i}]`)}=${app}`).join('&')}`.length
  const apps: number[] = []
  while (urlLength([...apps, 10_000 + apps.length]) <= length) apps.push(10_000 + apps.length)
  for (let i = 0; urlLength(apps) < length; i++) apps[i] = 100_000 + i
  if (urlLength(apps) !== length) throw new Error(`cannot build a URL of ${length} characters`)
  return apps
}

describe('kintone emulator fidelity: the official client works against it', () => {
  let emulator: KintoneEmulator
  afterEach(() => emulator.close())

  it.each([
    ['a short status read (GET)', [8, 9, 10]],
    ['300 apps (POST + X-HTTP-Method-Override)', Array.from({ length: 300 }, (_, i) => 1000 + i)],
  ])('%s: deploys, reads PROCESSING then SUCCESS', async (_name, apps) => {
    emulator = new KintoneEmulator({ apiTokens: { [TOKEN_A]: { apps, appManagement: true } }, deployMs: 100 })
    await emulator.start()
    for (const app of apps) emulator.addApp(app, { revision: 3 })
    const client = new KintoneRestAPIClient({ baseUrl: localhost(emulator.origin), auth: { apiToken: TOKEN_A } })

    await expect(client.app.deployApp({ apps: apps.map((app) => ({ app, revision: 3 })) })).resolves.toEqual({})
    const first = await client.app.getDeployStatus({ apps })
    expect(first.apps.map((a) => a.app)).toEqual(apps.map(String))
    expect(new Set(first.apps.map((a) => a.status))).toEqual(new Set(['PROCESSING']))
    await new Promise((resolve) => setTimeout(resolve, 250))
    const done = await client.app.getDeployStatus({ apps })
    expect(new Set(done.apps.map((a) => a.status))).toEqual(new Set(['SUCCESS']))
    expect(emulator.deploysApplied()).toBe(1)
  })

  it('a stale revision is refused with the error the client surfaces (KintoneRestAPIError)', async () => {
    emulator = new KintoneEmulator({ apiTokens: { [TOKEN_A]: { apps: [8], appManagement: true } } })
    await emulator.start()
    emulator.addApp(8, { revision: 5 })
    const client = new KintoneRestAPIClient({ baseUrl: localhost(emulator.origin), auth: { apiToken: TOKEN_A } })
    await expect(client.app.deployApp({ apps: [{ app: 8, revision: 4 }] })).rejects.toMatchObject({
      name: 'KintoneRestAPIError',
      status: 409,
    })
  })
})
