import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { KINTONE_ERRORS, KintoneEmulator, type KintoneEmulatorOptions, type KintoneErrorName } from './kintone.ts'

const TOKEN = 'tok-manage-1-2'
const VIEW_TOKEN = 'tok-view-3'
const GUEST_TOKEN = 'tok-guest-7'
const OTHER_TOKEN = 'tok-manage-4'
const DEPLOY = '/k/v1/preview/app/deploy.json'
const GUEST_DEPLOY = '/k/guest/5/v1/preview/app/deploy.json'
const DEPLOY_MS = 100
const REQUEST_ID = /^[A-Za-z0-9]{20}$/

const OPTIONS: KintoneEmulatorOptions = {
  apiTokens: {
    [TOKEN]: { apps: [1, 2], appManagement: true },
    [VIEW_TOKEN]: { apps: [3], appManagement: false },
    [GUEST_TOKEN]: { apps: [7], appManagement: true },
    [OTHER_TOKEN]: { apps: [4], appManagement: true },
  },
  users: { alice: 'p@ss:word' },
  oauthTokens: ['oauth-good'],
  deployMs: DEPLOY_MS,
  guestSpaces: { 5: [7] },
}

let emu: KintoneEmulator

beforeEach(async () => {
  emu = new KintoneEmulator(OPTIONS)
  for (const app of [1, 2, 3, 4]) emu.addApp(app)
  emu.addApp(7) // placed in guest space 5 by the options
  emu.addApp(8, { guestSpace: 6, revision: 10 })
  await emu.start()
})

afterEach(async () => {
  await emu.close()
})

interface CallOptions {
  body?: unknown
  raw?: string
  headers?: Record<string, string>
  /** Default: X-Cybozu-API-Token: TOKEN. null sends no auth header. */
  token?: string | null
}

function call(method: string, path: string, options: CallOptions = {}): Promise<Response> {
  const headers = new Headers(options.headers)
  const token = options.token === undefined ? TOKEN : options.token
  if (token !== null) headers.set('x-cybozu-api-token', token)
  let body: string | undefined = options.raw
  if (options.body !== undefined) body = JSON.stringify(options.body)
  if (body !== undefined && !headers.has('content-type')) headers.set('content-type', 'application/json')
  return fetch(`${emu.origin}${path}`, { method, headers, body })
}

const deploy = (body: unknown, options: CallOptions = {}, path = DEPLOY) => call('POST', path, { ...options, body })
const status = (apps: (number | string)[], options: CallOptions = {}, path = DEPLOY) =>
  call('GET', `${path}?${apps.map((a, i) => `apps%5B${i}%5D=${a}`).join('&')}`, options)

interface ErrorBody {
  code: string
  id: string
  message: string
  errors?: Record<string, { messages: string[] }>
}

async function expectError(res: Response, name: KintoneErrorName): Promise<ErrorBody> {
  const spec = KINTONE_ERRORS[name]
  expect(res.status).toBe(spec.status)
  expect(res.headers.get('content-type')).toMatch(/^application\/json/)
  const body = (await res.json()) as ErrorBody
  expect(body.code).toBe(spec.code)
  expect(body.id).toMatch(REQUEST_ID)
  expect(typeof body.message).toBe('string')
  expect(body.message.length).toBeGreaterThan(0)
  const keys = Object.keys(body).sort()
  if (name === 'validation') {
    expect(keys).toEqual(['code', 'errors', 'id', 'message'])
    expect(Object.keys(body.errors!).length).toBeGreaterThan(0)
  } else {
    expect(keys).toEqual(['code', 'id', 'message'])
  }
  return body
}

async function statuses(apps: number[], options: CallOptions = {}, path = DEPLOY): Promise<Record<string, string>> {
  const res = await status(apps, options, path)
  expect(res.status).toBe(200)
  const body = (await res.json()) as { apps: { app: unknown; status: string }[] }
  const out: Record<string, string> = {}
  for (const entry of body.apps) {
    expect(typeof entry.app).toBe('string')
    out[entry.app as string] = entry.status
  }
  return out
}

async function waitUntilSettled(app: number): Promise<void> {
  const deadline = Date.now() + 2000
  while (emu.deployStatus(app) === 'PROCESSING') {
    if (Date.now() > deadline) throw new Error('deploy never settled')
    await new Promise((resolve) => setTimeout(resolve, 10))
  }
}

const b64 = (text: string) => Buffer.from(text, 'utf8').toString('base64')

describe('server', () => {
  it('listens on 127.0.0.1 and records requests', async () => {
    expect(emu.origin).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/)
    await deploy({ apps: [{ app: 1 }] })
    const [recorded] = emu.requestsTo('POST', DEPLOY)
    expect(recorded?.headers['x-cybozu-api-token']).toBe(TOKEN)
    expect(JSON.parse(recorded!.body)).toEqual({ apps: [{ app: 1 }] })
  })

  it('unknown paths get a non-JSON 404; PUT on deploy.json is a kintone 405', async () => {
    const res = await call('GET', '/k/v1/nope.json')
    expect(res.status).toBe(404)
    expect(res.headers.get('content-type')).toMatch(/^text\/html/)
    await expectError(await call('PUT', DEPLOY, { body: { apps: [{ app: 1 }] } }), 'methodNotAllowed')
    expect(emu.deploysApplied()).toBe(0)
  })
})

describe('auth', () => {
  it('no auth header → 401 CB_AU01', async () => {
    await expectError(await deploy({ apps: [{ app: 1 }] }, { token: null }), 'noAuth')
    await expectError(await status([1], { token: null }), 'noAuth')
    expect(emu.deploysApplied()).toBe(0)
  })

  it('API token: comma-separated or repeated header', async () => {
    expect(await statuses([1, 4], { token: `${TOKEN}, ${OTHER_TOKEN}` })).toEqual({ 1: 'SUCCESS', 4: 'SUCCESS' })
    const headers = new Headers()
    headers.append('x-cybozu-api-token', TOKEN)
    headers.append('x-cybozu-api-token', OTHER_TOKEN)
    const res = await fetch(`${emu.origin}${DEPLOY}?apps[0]=1&apps[1]=4`, { headers })
    expect(res.status).toBe(200)
  })

  it('unknown API token → 400 GAIA_IA02 (also when mixed with a valid one)', async () => {
    await expectError(await status([1], { token: 'nope' }), 'badApiToken')
    await expectError(await status([1], { token: `${TOKEN},nope` }), 'badApiToken')
  })

  it('9 tokens are accepted, 10 are an error', async () => {
    const extra: Record<string, { apps: number[]; appManagement: boolean }> = {}
    for (let i = 0; i < 10; i++) extra[`t${i}`] = { apps: [100 + i], appManagement: true }
    const many = new KintoneEmulator({ apiTokens: { ...extra }, deployMs: DEPLOY_MS })
    many.addApp(100)
    await many.start()
    try {
      const get = (count: number) =>
        fetch(`${many.origin}${DEPLOY}?apps[0]=100`, {
          headers: { 'x-cybozu-api-token': Object.keys(extra).slice(0, count).join(',') },
        })
      expect((await get(9)).status).toBe(200)
      const res = await get(10)
      expect(res.status).toBe(KINTONE_ERRORS.tooManyApiTokens.status)
      expect(((await res.json()) as ErrorBody).code).toBe(KINTONE_ERRORS.tooManyApiTokens.code)
    } finally {
      await many.close()
    }
  })

  it('two tokens for the same app → 400 GAIA_DA03', async () => {
    const dup = new KintoneEmulator({
      apiTokens: { a: { apps: [1], appManagement: true }, b: { apps: [1], appManagement: true } },
    })
    dup.addApp(1)
    await dup.start()
    try {
      const res = await fetch(`${dup.origin}${DEPLOY}?apps[0]=1`, { headers: { 'x-cybozu-api-token': 'a,b' } })
      expect(res.status).toBe(400)
      expect(((await res.json()) as ErrorBody).code).toBe('GAIA_DA03')
    } finally {
      await dup.close()
    }
  })

  it('token without App Management, or not for the app → 403 GAIA_NO01; nothing deployed', async () => {
    await expectError(await deploy({ apps: [{ app: 3 }] }, { token: VIEW_TOKEN }), 'tokenNoPermission')
    await expectError(await status([3], { token: VIEW_TOKEN }), 'tokenNoPermission')
    await expectError(await deploy({ apps: [{ app: 1 }, { app: 4 }] }), 'tokenNoPermission')
    expect(emu.deploysApplied()).toBe(0)
    expect(emu.deployStatus(1)).toBeUndefined()
  })

  it('password: base64(login:password) without a "Basic " prefix', async () => {
    const good = { 'x-cybozu-authorization': b64('alice:p@ss:word') }
    expect((await deploy({ apps: [{ app: 1 }] }, { token: null, headers: good })).status).toBe(200)
    await expectError(
      await status([1], { token: null, headers: { 'x-cybozu-authorization': b64('alice:wrong') } }),
      'badPassword',
    )
    await expectError(
      await status([1], { token: null, headers: { 'x-cybozu-authorization': b64('bob:p@ss:word') } }),
      'badPassword',
    )
    await expectError(
      await status([1], { token: null, headers: { 'x-cybozu-authorization': `Basic ${b64('alice:p@ss:word')}` } }),
      'badPassword',
    )
    await expectError(
      await status([1], { token: null, headers: { 'x-cybozu-authorization': 'not base64!' } }),
      'badPassword',
    )
  })

  it('password auth takes precedence over an invalid API token', async () => {
    const res = await status([1], { token: 'nope', headers: { 'x-cybozu-authorization': b64('alice:p@ss:word') } })
    expect(res.status).toBe(200)
  })

  it('OAuth bearer: good token works, unknown → 401 CB_OA01 with WWW-Authenticate', async () => {
    expect(await statuses([1, 2, 3], { token: null, headers: { authorization: 'Bearer oauth-good' } })).toEqual({
      1: 'SUCCESS',
      2: 'SUCCESS',
      3: 'SUCCESS',
    })
    expect(
      (await deploy({ apps: [{ app: 3 }] }, { token: null, headers: { authorization: 'Bearer oauth-good' } })).status,
    ).toBe(200)
    const res = await status([1], { token: null, headers: { authorization: 'Bearer oauth-bad' } })
    expect(res.headers.get('www-authenticate')).toMatch(/^Bearer/)
    await expectError(res, 'badOAuthToken')
  })

  it('an Authorization: Basic header alone is not kintone auth', async () => {
    await expectError(await status([1], { token: null, headers: { authorization: `Basic ${b64('u:p')}` } }), 'noAuth')
  })
})

describe('Basic-auth protected site', () => {
  let site: KintoneEmulator
  beforeEach(async () => {
    site = new KintoneEmulator({ ...OPTIONS, basicAuth: 'gate:keeper' })
    site.addApp(1)
    await site.start()
  })
  afterEach(async () => {
    await site.close()
  })

  const get = (headers: Record<string, string>) => fetch(`${site.origin}${DEPLOY}?apps[0]=1`, { headers })

  it('Basic + API token or password works', async () => {
    expect((await get({ authorization: `Basic ${b64('gate:keeper')}`, 'x-cybozu-api-token': TOKEN })).status).toBe(200)
    expect(
      (await get({ authorization: `Basic ${b64('gate:keeper')}`, 'x-cybozu-authorization': b64('alice:p@ss:word') }))
        .status,
    ).toBe(200)
  })

  it('missing or wrong Basic → 401 HTML with WWW-Authenticate: Basic, before kintone auth', async () => {
    const attempts: Record<string, string>[] = [
      { 'x-cybozu-api-token': TOKEN },
      { authorization: `Basic ${b64('gate:wrong')}`, 'x-cybozu-api-token': TOKEN },
    ]
    for (const headers of attempts) {
      const res = await get(headers)
      expect(res.status).toBe(401)
      expect(res.headers.get('www-authenticate')).toMatch(/^Basic /)
      expect(res.headers.get('content-type')).toMatch(/^text\/html/)
    }
  })

  it('OAuth cannot be combined with Basic (one Authorization header)', async () => {
    expect((await get({ authorization: 'Bearer oauth-good' })).status).toBe(401)
  })

  it('Basic passes but kintone auth is wrong → kintone error body', async () => {
    const res = await get({ authorization: `Basic ${b64('gate:keeper')}`, 'x-cybozu-api-token': 'nope' })
    await expectError(res, 'badApiToken')
  })
})

describe('guest spaces', () => {
  it('guest app through its own space path works', async () => {
    const res = await deploy({ apps: [{ app: 7 }] }, { token: GUEST_TOKEN }, GUEST_DEPLOY)
    expect(res.status).toBe(200)
    expect(await statuses([7], { token: GUEST_TOKEN }, GUEST_DEPLOY)).toEqual({ 7: 'PROCESSING' })
  })

  it('guest app through /k/v1/ → 400 GAIA_IL23', async () => {
    await expectError(await deploy({ apps: [{ app: 7 }] }, { token: GUEST_TOKEN }), 'guestSpacePathRequired')
    await expectError(await status([7], { token: GUEST_TOKEN }), 'guestSpacePathRequired')
    expect(emu.deploysApplied()).toBe(0)
  })

  it('app in another guest space, or a normal app through a guest path → 404 GAIA_AP01', async () => {
    const auth = { token: null, headers: { 'x-cybozu-authorization': b64('alice:p@ss:word') } }
    const wrong = await expectError(await deploy({ apps: [{ app: 8 }] }, auth, GUEST_DEPLOY), 'appNotFound')
    expect(wrong.message).toContain('8')
    await expectError(await status([1], {}, GUEST_DEPLOY), 'appNotFound')
    expect(await statuses([8], auth, '/k/guest/6/v1/preview/app/deploy.json')).toEqual({ 8: 'SUCCESS' })
  })
})

describe('deploy lifecycle', () => {
  it('deploy → {} → PROCESSING → SUCCESS, app ids come back as strings', async () => {
    const res = await deploy({ apps: [{ app: 1, revision: 2 }, { app: '2' }], revert: false })
    expect(res.status).toBe(200)
    expect(await res.json()).toEqual({})
    expect(emu.deploysApplied()).toBe(1)
    const body = await (await status([1, 2])).json()
    expect(body).toEqual({
      apps: [
        { app: '1', status: 'PROCESSING' },
        { app: '2', status: 'PROCESSING' },
      ],
    })
    expect(emu.deployedRevision(1)).toBeUndefined()
    await waitUntilSettled(1)
    expect(await statuses([1, 2])).toEqual({ 1: 'SUCCESS', 2: 'SUCCESS' })
    expect(emu.deployStatus(2)).toBe('SUCCESS')
    expect(emu.deployedRevision(1)).toBe(2)
  })

  it('stays PROCESSING for about deployMs', async () => {
    const started = Date.now()
    await deploy({ apps: [{ app: 1 }] })
    await waitUntilSettled(1)
    expect(Date.now() - started).toBeGreaterThanOrEqual(DEPLOY_MS - 5)
  })

  it('failNextDeploy: FAIL for that app, CANCEL for the rest, nothing goes live; only once', async () => {
    emu.failNextDeploy(2)
    expect((await deploy({ apps: [{ app: 1 }, { app: 2 }] })).status).toBe(200)
    await waitUntilSettled(1)
    expect(await statuses([1, 2])).toEqual({ 1: 'CANCEL', 2: 'FAIL' })
    expect(emu.deployedRevision(1)).toBeUndefined()
    expect(emu.deployedRevision(2)).toBeUndefined()
    expect((await deploy({ apps: [{ app: 1 }, { app: 2 }] })).status).toBe(200)
    await waitUntilSettled(1)
    expect(await statuses([1, 2])).toEqual({ 1: 'SUCCESS', 2: 'SUCCESS' })
  })

  it('revision: match, mismatch → 409 GAIA_CO02 (nothing started), -1 and "-1" skip the check', async () => {
    emu.editPreview(1) // now 3
    const conflict = await expectError(await deploy({ apps: [{ app: 1, revision: 2 }] }), 'revisionConflict')
    expect(conflict.message).toContain('3')
    expect(emu.deploysApplied()).toBe(0)
    expect(emu.deployStatus(1)).toBeUndefined()
    expect((await deploy({ apps: [{ app: 1, revision: '3' }] })).status).toBe(200)
    await waitUntilSettled(1)
    expect(emu.deployedRevision(1)).toBe(3)
    emu.editPreview(1)
    expect((await deploy({ apps: [{ app: 1, revision: -1 }] })).status).toBe(200)
    await waitUntilSettled(1)
    emu.editPreview(1)
    expect((await deploy({ apps: [{ app: 1, revision: '-1' }] })).status).toBe(200)
    await waitUntilSettled(1)
    expect(emu.deployedRevision(1)).toBe(5)
  })

  it('deploying while any of the apps is PROCESSING → 409 error; after SUCCESS it is allowed again', async () => {
    expect((await deploy({ apps: [{ app: 1 }] })).status).toBe(200)
    await expectError(await deploy({ apps: [{ app: 2 }, { app: 1 }] }), 'deployInProgress')
    expect(emu.deploysApplied()).toBe(1)
    expect(emu.deployStatus(2)).toBeUndefined()
    await waitUntilSettled(1)
    expect((await deploy({ apps: [{ app: 1 }] })).status).toBe(200)
    expect(emu.deploysApplied()).toBe(2)
  })

  it('revert: preview goes back to live, production unchanged, still PROCESSING → SUCCESS', async () => {
    expect(emu.previewRevision(1)).toBe(2)
    expect((await deploy({ apps: [{ app: 1 }], revert: 'true' })).status).toBe(200)
    expect(emu.deployStatus(1)).toBe('PROCESSING')
    await waitUntilSettled(1)
    expect(emu.deployStatus(1)).toBe('SUCCESS')
    expect(emu.previewRevision(1)).toBe(1)
    expect(emu.deployedRevision(1)).toBe(1)
  })

  it('deployMs 0 finishes immediately', async () => {
    const fast = new KintoneEmulator({ ...OPTIONS, deployMs: 0 })
    fast.addApp(1)
    await fast.start()
    try {
      const res = await fetch(`${fast.origin}${DEPLOY}`, {
        method: 'POST',
        headers: { 'x-cybozu-api-token': TOKEN, 'content-type': 'application/json' },
        body: '{"apps":[{"app":1}]}',
      })
      expect(res.status).toBe(200)
      expect(fast.deployStatus(1)).toBe('SUCCESS')
    } finally {
      await fast.close()
    }
  })

  it('deployReads: the first status read after a deploy sees PROCESSING whatever the time; the next is SUCCESS', async () => {
    const fast = new KintoneEmulator({ ...OPTIONS, deployMs: 0, deployReads: 1 })
    fast.addApp(1)
    fast.addApp(2)
    await fast.start()
    try {
      const read = async (app: number) => {
        const res = await fetch(`${fast.origin}${DEPLOY}?apps%5B0%5D=${app}`, {
          headers: { 'x-cybozu-api-token': TOKEN },
        })
        return ((await res.json()) as { apps: { status: string }[] }).apps[0]!.status
      }
      const res = await fetch(`${fast.origin}${DEPLOY}`, {
        method: 'POST',
        headers: { 'x-cybozu-api-token': TOKEN, 'content-type': 'application/json' },
        body: '{"apps":[{"app":1}]}',
      })
      expect(res.status).toBe(200)
      expect(await read(2)).toBe('SUCCESS') // a read of other apps does not count
      expect(fast.deployStatus(1)).toBe('PROCESSING') // nor does the test's own look
      expect(await read(1)).toBe('PROCESSING')
      expect(await read(1)).toBe('SUCCESS')
      expect(fast.deployedRevision(1)).toBe(2)
    } finally {
      await fast.close()
    }
  })
})

describe('validation', () => {
  it('unknown app → 404 GAIA_AP01', async () => {
    const body = await expectError(await deploy({ apps: [{ app: 99 }] }), 'appNotFound')
    expect(body.message).toContain('99')
    await expectError(await status([99]), 'appNotFound')
  })

  it('duplicate apps → CB_VA01 with a per-field entry', async () => {
    const body = await expectError(await deploy({ apps: [{ app: 1 }, { app: '1' }] }), 'validation')
    expect(Object.keys(body.errors!)).toEqual(['apps[1].app'])
    expect(body.errors!['apps[1].app']!.messages.length).toBe(1)
  })

  it('more than 300 apps → CB_VA01 on deploy and status; exactly 300 passes validation', async () => {
    const many = Array.from({ length: 301 }, (_, i) => ({ app: i + 1 }))
    const body = await expectError(await deploy({ apps: many }), 'validation')
    expect(body.errors).toHaveProperty('apps')
    const ids = Array.from({ length: 301 }, (_, i) => i + 1)
    await expectError(
      await call('POST', DEPLOY, { headers: { 'x-http-method-override': 'GET' }, body: { apps: ids } }),
      'validation',
    )
    // 300 is within the limit: the next problem is the unknown app 5.
    await expectError(await deploy({ apps: many.slice(0, 300) }), 'appNotFound')
  })

  it('bad ids, missing app, bad revision and revert → CB_VA01 listing each field', async () => {
    const body = await expectError(
      await deploy({
        apps: [{ app: 'abc' }, {}, { app: 0 }, { app: 1.5 }, { app: 2, revision: 'x' }],
        revert: 'maybe',
      }),
      'validation',
    )
    expect(Object.keys(body.errors!).sort()).toEqual([
      'apps[0].app',
      'apps[1].app',
      'apps[2].app',
      'apps[3].app',
      'apps[4].revision',
      'revert',
    ])
    await expectError(await deploy({ apps: [] }), 'validation')
    await expectError(await deploy({ apps: 'all' }), 'validation')
    await expectError(await deploy({}), 'validation')
    const statusBody = await expectError(await status(['x']), 'validation')
    expect(Object.keys(statusBody.errors!)).toEqual(['apps[0]'])
    await expectError(await call('GET', DEPLOY), 'validation')
    expect(emu.deploysApplied()).toBe(0)
  })

  it('invalid JSON → 400 CB_IJ01; a body without JSON Content-Type is not read (→ CB_VA01)', async () => {
    await expectError(await call('POST', DEPLOY, { raw: '{"apps":[' }), 'invalidJson')
    await expectError(
      await call('POST', DEPLOY, { raw: '{"apps":[{"app":1}]}', headers: { 'content-type': 'text/plain' } }),
      'validation',
    )
    expect(emu.deploysApplied()).toBe(0)
  })
})

describe('status read forms', () => {
  it('accepts apps[0]= and apps%5B0%5D= query forms, ordered by index', async () => {
    await deploy({ apps: [{ app: 2 }] })
    const plain = await (await call('GET', `${DEPLOY}?apps[1]=2&apps[0]=1`)).json()
    expect(plain).toEqual({
      apps: [
        { app: '1', status: 'SUCCESS' },
        { app: '2', status: 'PROCESSING' },
      ],
    })
    const encoded = await (await call('GET', `${DEPLOY}?apps%5B0%5D=1&apps%5B1%5D=2`)).json()
    expect(encoded).toEqual(plain)
  })

  it('POST + X-HTTP-Method-Override: GET with a JSON body is a status read', async () => {
    await deploy({ apps: [{ app: 1 }] })
    const res = await call('POST', DEPLOY, { headers: { 'x-http-method-override': 'GET' }, body: { apps: [1, '2'] } })
    expect(res.status).toBe(200)
    expect(await res.json()).toEqual({
      apps: [
        { app: '1', status: 'PROCESSING' },
        { app: '2', status: 'SUCCESS' },
      ],
    })
    expect(emu.deploysApplied()).toBe(1)
  })

  it('the override value is case-sensitive: "get" is ignored, so the POST is a deploy', async () => {
    const res = await call('POST', DEPLOY, {
      headers: { 'x-http-method-override': 'get' },
      body: { apps: [{ app: 1 }] },
    })
    expect(res.status).toBe(200)
    expect(await res.json()).toEqual({})
    expect(emu.deploysApplied()).toBe(1)
  })

  it('the override is ignored on GET', async () => {
    const res = await call('GET', `${DEPLOY}?apps[0]=1`, { headers: { 'x-http-method-override': 'POST' } })
    expect(await res.json()).toEqual({ apps: [{ app: '1', status: 'SUCCESS' }] })
    expect(emu.deploysApplied()).toBe(0)
  })

  it('override to PUT on POST → 405', async () => {
    await expectError(
      await call('POST', DEPLOY, { headers: { 'x-http-method-override': 'PUT' }, body: { apps: [{ app: 1 }] } }),
      'methodNotAllowed',
    )
  })
})

describe('faults', () => {
  it('reset-after on deploy: applied once, status PROCESSING', async () => {
    emu.inject({ method: 'POST', path: DEPLOY, fault: { kind: 'reset-after' } })
    await expect(deploy({ apps: [{ app: 1 }] })).rejects.toThrow()
    expect(emu.deploysApplied()).toBe(1)
    expect(emu.deployStatus(1)).toBe('PROCESSING')
    // A blind retry is rejected while the first deploy runs.
    await expectError(await deploy({ apps: [{ app: 1 }] }), 'deployInProgress')
  })

  it('reset-before: not applied', async () => {
    emu.inject({ method: 'POST', path: DEPLOY, fault: { kind: 'reset-before' } })
    await expect(deploy({ apps: [{ app: 1 }] })).rejects.toThrow()
    expect(emu.deploysApplied()).toBe(0)
    expect(emu.deployStatus(1)).toBeUndefined()
  })

  it('injected 429 and 500 use kintone error bodies; 503 is a non-JSON page', async () => {
    emu.inject({ method: 'POST', fault: { kind: 'status', status: 429 } })
    await expectError(await deploy({ apps: [{ app: 1 }] }), 'tooManyRequests')
    emu.inject({ method: 'GET', fault: { kind: 'status', status: 500 } })
    await expectError(await status([1]), 'internal')
    emu.inject({ fault: { kind: 'status', status: 503, retryAfter: '1' } })
    const res = await status([1])
    expect(res.status).toBe(503)
    expect(res.headers.get('retry-after')).toBe('1')
    expect(res.headers.get('content-type')).toMatch(/^text\/html/)
    expect(emu.deploysApplied()).toBe(0)
  })

  it('delay: the deploy is applied before the late answer', async () => {
    emu.inject({ method: 'POST', fault: { kind: 'delay', ms: 50 } })
    const res = await deploy({ apps: [{ app: 1 }] })
    expect(res.status).toBe(200)
    expect(emu.deploysApplied()).toBe(1)
  })
})

describe('helpers', () => {
  it('editPreview / failNextDeploy reject unknown apps; deployStatus of unknown app is undefined', () => {
    expect(() => emu.editPreview(42)).toThrow(/unknown app/)
    expect(() => emu.failNextDeploy(42)).toThrow(/unknown app/)
    expect(emu.deployStatus(42)).toBeUndefined()
    expect(emu.deployedRevision(42)).toBeUndefined()
  })
})
