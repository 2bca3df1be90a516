import { createHmac } from 'node:crypto'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import {
  canonicalParts,
  canonicalQueryString,
  canonicalRequest,
  canonicalUri,
  EMPTY_BODY_SHA256,
  joinCanonical,
  REASON,
  sdkDate,
  sha256Hex,
  sign,
  stringToSign,
  verifySignature,
  type CanonicalParts,
  type SignableRequest,
} from './huaweicloud-sign-reference.ts'
import { RtsEmulator, type SoftwareDeployment } from './huaweicloud-rts.ts'

const PROJECT = '95d02433133a4c0a87ba6967474a2ad3'
const AK = 'HPUAEXAMPLEAK0000001'
const SK = 'example/secret+key=0001'
const TEMP_AK = 'HSTAEXAMPLETEMP00002'
const TEMP_SK = 'temporary-secret-0002'
const SECURITY_TOKEN = 'gQpjbi1ub3J0aC00jD4Ej-example-security-token'
const TOKEN = 'MIIZstatic-test-token'
const USER = { domain: 'acme-corp', name: 'deployer', password: 'S3cret!pass' }
const SETTLE_MS = 60
const LOCK_AFTER = 3
const ZONELESS_MICROS = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}$/
const Z_SECONDS = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/
const REQUEST_ID = /^req-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/

// ---------------------------------------------------------------------------------------------
// Reference signer

describe('reference signer (SDK-HMAC-SHA256)', () => {
  // Worked by hand from the published algorithm; the hex digests were computed outside this code
  // with `printf … | openssl dgst -sha256` and `openssl dgst -sha256 -hmac <SK>`.
  const vector: SignableRequest = {
    method: 'PUT',
    // Sent path: the id "dep:1 ü" as a client puts it on the wire (":" legal in a path, space and ü escaped).
    path: `/v1/${PROJECT}/software_deployments/dep:1%20%C3%BC`,
    // Unsorted; "+" is a space; "%2F" a slash; "tag" repeated; "flag" has no value.
    query: '?server_id=ec14c864&tag=b%2Fc&tag=a+b&flag',
    headers: {
      Host: 'rts.cn-north-4.myhuaweicloud.com',
      'X-Sdk-Date': '20240315T080910Z',
      'Content-Type': '  application/json ', // trimmed in the canonical form
      'X-Project-Id': PROJECT,
    },
    body: '{"status":"IN_PROGRESS"}',
  }
  const signed = ['content-type', 'host', 'x-project-id', 'x-sdk-date']
  const bodyHash = '0a707761c7dc9ffaa237f4483ec7c618287a6efc8880c67677939e46bdbf22ee' // sha256('{"status":"IN_PROGRESS"}')
  const expectedCanonical = [
    'PUT',
    `/v1/${PROJECT}/software_deployments/dep%3A1%2520%25C3%25BC/`, // each segment encoded as sent (a "%" again), trailing "/"
    'flag=&server_id=ec14c864&tag=a%20b&tag=b%2Fc', // names sorted, values sorted, RFC 3986
    'content-type:application/json',
    'host:rts.cn-north-4.myhuaweicloud.com',
    `x-project-id:${PROJECT}`,
    'x-sdk-date:20240315T080910Z',
    '', // CanonicalHeaders ends with "\n"
    'content-type;host;x-project-id;x-sdk-date',
    bodyHash,
  ].join('\n')
  const expectedStringToSign = [
    'SDK-HMAC-SHA256',
    '20240315T080910Z',
    'fddd8e5eb6ec4aaf78443910f4a58391cda0cb69b0eb97b338d6126ddeeca315', // sha256(canonical request)
  ].join('\n')
  const expectedSignature = 'c0aaf71677f17064aa482583901a23d58a5f03f802c916438f1b71559ce28c90' // HMAC-SHA256(SK, string to sign)

  it('reproduces the hand-worked vector: canonical request, string to sign, signature', () => {
    expect(sha256Hex(vector.body!)).toBe(bodyHash)
    expect(canonicalRequest(vector, signed)).toBe(expectedCanonical)
    expect(stringToSign('20240315T080910Z', expectedCanonical)).toBe(expectedStringToSign)
    expect(sign(vector, AK, SK)).toBe(
      `SDK-HMAC-SHA256 Access=${AK}, SignedHeaders=content-type;host;x-project-id;x-sdk-date, Signature=${expectedSignature}`,
    )
    const at = new Date('2024-03-15T08:09:10Z')
    expect(
      verifySignature(
        { ...vector, headers: { ...vector.headers, Authorization: sign(vector, AK, SK) } },
        { [AK]: SK },
        at,
      ),
    ).toEqual({ ok: true, ak: AK })
  })

  it('reproduces a second vector: GET, no query, empty body', () => {
    const get: SignableRequest = {
      method: 'GET',
      path: `/v1/${PROJECT}/software_deployments/3d5ec2a8-7004-43b6-a7f6-542bdbe9d434`,
      headers: { host: 'rts.cn-north-4.myhuaweicloud.com', 'x-sdk-date': '20240315T080910Z' },
    }
    expect(canonicalRequest(get, ['host', 'x-sdk-date'])).toBe(
      [
        'GET',
        `/v1/${PROJECT}/software_deployments/3d5ec2a8-7004-43b6-a7f6-542bdbe9d434/`,
        '',
        'host:rts.cn-north-4.myhuaweicloud.com',
        'x-sdk-date:20240315T080910Z',
        '',
        'host;x-sdk-date',
        EMPTY_BODY_SHA256,
      ].join('\n'),
    )
    // sha256(canonical) = d189fa69ff9a18487f254a51fd995e979175b4c5e8c7203f81e628dd88fba514
    expect(sign(get, AK, SK)).toMatch(/Signature=c8b6135f764c1a4cf30c6db165e9c7665ec93199e8212569c68152023f5ce6a3$/)
  })

  it('canonical URI and query rules', () => {
    expect(canonicalUri('')).toBe('/')
    expect(canonicalUri('/')).toBe('/')
    expect(canonicalUri('/a/b/')).toBe('/a/b/')
    expect(canonicalUri('/a%7eb/c%2Fd/e*f')).toBe('/a%257eb/c%252Fd/e%2Af/') // encoded as sent, not decoded (as the SDK)
    expect(canonicalQueryString('')).toBe('')
    expect(canonicalQueryString('?b=2&a=1&a=0&B=3')).toBe('B=3&a=0&a=1&b=2') // byte order: upper case first
    expect(canonicalQueryString(new URLSearchParams([['q', 'a b~*']]))).toBe('q=a%20b~%2A')
    expect(canonicalQueryString('k=%e2%9c%93')).toBe('k=%E2%9C%93')
  })

  it('honours X-Sdk-Content-Sha256 instead of hashing the body', () => {
    const req: SignableRequest = {
      method: 'PUT',
      path: '/x',
      headers: { host: 'h', 'x-sdk-date': '20240315T080910Z', 'x-sdk-content-sha256': 'UNSIGNED-PAYLOAD' },
      body: 'whatever',
    }
    expect(canonicalParts(req, ['host', 'x-sdk-date']).payloadHash).toBe('UNSIGNED-PAYLOAD')
  })

  describe('verifier rejections', () => {
    const now = new Date('2024-03-15T08:09:10Z')
    const base: SignableRequest = {
      method: 'GET',
      path: '/v1/p/x',
      headers: { host: 'h', 'x-sdk-date': sdkDate(now), 'x-project-id': 'p' },
    }
    const withAuth = (req: SignableRequest, authorization: string): SignableRequest => ({
      ...req,
      headers: { ...req.headers, authorization },
    })

    it.each([
      ['no Authorization header', base, REASON.missingAuthorization],
      [
        'another algorithm',
        withAuth(base, 'SDK-HMAC-SHA1 Access=a, SignedHeaders=host, Signature=00'),
        REASON.unsupportedAlgorithm,
      ],
      ['a part missing', withAuth(base, `SDK-HMAC-SHA256 Access=${AK}, Signature=00`), REASON.malformedAuthorization],
      ['unknown AK', withAuth(base, sign(base, 'NOPE', SK)), REASON.unknownAccessKey],
      ['host not signed', withAuth(base, sign(base, AK, SK, ['x-project-id', 'x-sdk-date'])), REASON.hostNotSigned],
      ['x-sdk-date not signed', withAuth(base, sign(base, AK, SK, ['host', 'x-project-id'])), REASON.dateNotSigned],
      [
        'unsorted SignedHeaders',
        withAuth(base, sign(base, AK, SK, ['x-sdk-date', 'host'])),
        REASON.malformedSignedHeaders,
      ],
      [
        'upper-case SignedHeaders',
        withAuth(base, sign(base, AK, SK, ['Host', 'x-sdk-date'])),
        REASON.malformedSignedHeaders,
      ],
    ])('%s', (_name, req, reason) => {
      expect(verifySignature(req, { [AK]: SK }, now)).toMatchObject({ ok: false, reason })
    })

    it('a signed header the request does not carry', () => {
      const signedWithExtra = sign({ ...base, headers: { ...base.headers, 'x-extra': '1' } }, AK, SK)
      expect(verifySignature(withAuth(base, signedWithExtra), { [AK]: SK }, now)).toMatchObject({
        ok: false,
        reason: `${REASON.signedHeaderMissing}: x-extra`,
      })
    })

    it.each(['2024-03-15T08:09:10Z', '20240315T080910', '20241315T080910Z', '20240230T080910Z', '20240315T250910Z'])(
      'malformed X-Sdk-Date %s',
      (date) => {
        const req = { ...base, headers: { ...base.headers, 'x-sdk-date': date } }
        expect(verifySignature(withAuth(req, sign(req, AK, SK)), { [AK]: SK }, now)).toMatchObject({
          ok: false,
          reason: REASON.malformedDate,
        })
      },
    )

    it('skew: 15 minutes either way is accepted, beyond is "signature expired"', () => {
      const at = (offsetMs: number) => {
        const req = { ...base, headers: { ...base.headers, 'x-sdk-date': sdkDate(new Date(now.getTime() + offsetMs)) } }
        return verifySignature(withAuth(req, sign(req, AK, SK)), { [AK]: SK }, now)
      }
      expect(at(-15 * 60_000).ok).toBe(true)
      expect(at(15 * 60_000).ok).toBe(true)
      expect(at(-15 * 60_000 - 1000)).toMatchObject({ ok: false, reason: REASON.expired })
      expect(at(15 * 60_000 + 1000)).toMatchObject({ ok: false, reason: REASON.expired })
    })
  })
})

// ---------------------------------------------------------------------------------------------
// Emulator

let emu: RtsEmulator
let dep: SoftwareDeployment

beforeEach(async () => {
  emu = new RtsEmulator({
    tokens: [TOKEN],
    keys: { [AK]: { sk: SK }, [TEMP_AK]: { sk: TEMP_SK, securityToken: SECURITY_TOKEN } },
    users: [USER],
    settleMs: SETTLE_MS,
    lockAfterFailures: LOCK_AFTER,
  })
  await emu.start()
  dep = emu.seed()
})

afterEach(async () => {
  await emu.close()
})

const depPath = (id: string = dep.id) => `/v1/${PROJECT}/software_deployments/${encodeURIComponent(id)}`

interface SignedCall {
  body?: string
  ak?: string
  sk?: string
  /** Extra headers, sent and signed. */
  headers?: Record<string, string>
  /** X-Sdk-Date to send; default now. */
  date?: string
  /** Date put in the string to sign; default the sent X-Sdk-Date. */
  signDate?: string
  /** Change the canonical request before signing: a buggy client. */
  mutate?: (parts: CanonicalParts, sent: { path: string; query: string }) => CanonicalParts
  /** SignedHeaders to announce in Authorization (default: the list actually signed). */
  announce?: string
}

/** A request signed by the reference signer (optionally with one canonical part altered). */
async function signedFetch(method: string, pathAndQuery: string, call: SignedCall = {}): Promise<Response> {
  const url = new URL(emu.origin + pathAndQuery)
  const headers: Record<string, string> = {
    host: url.host,
    'x-sdk-date': call.date ?? sdkDate(new Date()),
    'x-project-id': PROJECT,
    ...(call.body === undefined ? {} : { 'content-type': 'application/json' }),
    ...call.headers,
  }
  const req: SignableRequest = { method, path: url.pathname, query: url.search, headers, body: call.body ?? '' }
  const signedList = Object.keys(headers).sort()
  let parts = canonicalParts(req, signedList)
  if (call.mutate) parts = call.mutate(parts, { path: url.pathname, query: url.search.slice(1) })
  const signature = createHmac('sha256', call.sk ?? SK)
    .update(stringToSign(call.signDate ?? headers['x-sdk-date']!, joinCanonical(parts)))
    .digest('hex')
  const authorization = `SDK-HMAC-SHA256 Access=${call.ak ?? AK}, SignedHeaders=${call.announce ?? signedList.join(';')}, Signature=${signature}`
  const { host: _host, ...sent } = headers // fetch sends Host itself, with exactly url.host
  return fetch(url, { method, headers: { ...sent, authorization }, body: call.body })
}

function tokenFetch(method: string, path: string, token: string | null, body?: unknown): Promise<Response> {
  const headers: Record<string, string> = {}
  if (token !== null) headers['x-auth-token'] = token
  if (body !== undefined) headers['content-type'] = 'application/json'
  return fetch(emu.origin + path, {
    method,
    headers,
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  })
}

const put = (body: unknown, id?: string) => tokenFetch('PUT', depPath(id), TOKEN, body)
const get = (id?: string) => tokenFetch('GET', depPath(id), TOKEN)

async function deploymentOf(res: Response): Promise<SoftwareDeployment> {
  expect(res.status).toBe(200)
  const json = (await res.json()) as { software_deployment: SoftwareDeployment }
  expect(Object.keys(json)).toEqual(['software_deployment'])
  return json.software_deployment
}

async function expectGateway401(res: Response, message: string): Promise<void> {
  expect(res.status).toBe(401)
  const json = (await res.json()) as Record<string, unknown>
  expect(json).toEqual({
    error_code: 'APIGW.0301',
    error_msg: `Incorrect IAM authentication information: ${message}`,
    request_id: expect.stringMatching(/^[0-9a-f]{32}$/) as unknown,
  })
  expect(res.headers.get('x-openstack-request-id')).toMatch(REQUEST_ID)
}

async function expectHeatError(res: Response, status: number, type: string, message?: string | RegExp): Promise<void> {
  expect(res.status).toBe(status)
  const json = (await res.json()) as {
    code: number
    title: string
    explanation: string
    error: { type: string; message: string; traceback: null }
  }
  expect(Object.keys(json).sort()).toEqual(['code', 'error', 'explanation', 'title'])
  expect(json.code).toBe(status)
  expect(json.title.length).toBeGreaterThan(0)
  expect(json.explanation.length).toBeGreaterThan(0)
  expect(json.error.type).toBe(type)
  expect(json.error.traceback).toBeNull()
  if (message !== undefined) expect(json.error.message).toMatch(message)
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

describe('AK/SK signatures', () => {
  it('accepts a signed GET and a signed PUT', async () => {
    const got = await deploymentOf(await signedFetch('GET', depPath()))
    expect(got.id).toBe(dep.id)
    const updated = await deploymentOf(
      await signedFetch('PUT', depPath(), { body: JSON.stringify({ action: 'UPDATE', status_reason: 'signed' }) }),
    )
    expect(updated).toMatchObject({ action: 'UPDATE', status_reason: 'signed' })
    expect(emu.appliedUpdates(dep.id)).toBe(1)
    expect(emu.authFailures).toEqual([])
  })

  it('accepts the AK/SK SDK signer output from the reference sign() helper', async () => {
    const url = new URL(emu.origin + depPath())
    const headers = { host: url.host, 'x-sdk-date': sdkDate(new Date()) }
    const authorization = sign({ method: 'GET', path: url.pathname, headers }, AK, SK)
    const res = await fetch(url, { headers: { 'x-sdk-date': headers['x-sdk-date'], authorization } })
    expect(res.status).toBe(200)
  })

  describe('a signature that differs in one canonical part is rejected', () => {
    // A deployment whose id needs encoding, a query needing sorting and encoding, and a JSON body.
    const oddId = 'dep:1 ü'
    const path = () => `/v1/${PROJECT}/software_deployments/dep:1%20%C3%BC?b=2&a=x%20y&a=1&c=d%2Fe`
    const body = JSON.stringify({ status_reason: 'from the table' })

    const rows: [string, SignedCall][] = [
      ['method (signed GET, sent PUT)', { mutate: (p) => ({ ...p, method: 'GET' }) }],
      ['path segment encoding (segment signed as sent)', { mutate: (p, sent) => ({ ...p, uri: `${sent.path}/` }) }],
      ['trailing-slash rule (no "/" appended)', { mutate: (p) => ({ ...p, uri: p.uri.replace(/\/$/, '') }) }],
      ['query order (as sent, unsorted)', { mutate: (p, sent) => ({ ...p, query: sent.query }) }],
      ['query encoding ("+" for a space)', { mutate: (p) => ({ ...p, query: p.query.replace('%20', '+') }) }],
      ['query encoding (lower-case hex)', { mutate: (p) => ({ ...p, query: p.query.replace('%2F', '%2f') }) }],
      [
        'a signed header value',
        {
          mutate: (p) => ({
            ...p,
            headers: p.headers.replace('content-type:application/json', 'content-type:application/json;charset=utf-8'),
          }),
        },
      ],
      [
        'the signed-headers list (signed one list, announced another)',
        { mutate: (p) => ({ ...p, signedHeaders: 'host;x-project-id;x-sdk-date' }) },
      ],
      ['the body hash', { mutate: (p) => ({ ...p, payloadHash: sha256Hex('{}') }) }],
      ['the body hash (empty-body hash for a body)', { mutate: (p) => ({ ...p, payloadHash: EMPTY_BODY_SHA256 }) }],
      ['the date in the string to sign', { signDate: sdkDate(new Date(Date.now() - 1000)) }],
      ['the secret', { sk: `${SK}x` }],
    ]

    it.each(rows)('%s', async (_name, call) => {
      emu.seed({ id: oddId })
      // Control: the same request signed correctly is applied.
      expect((await signedFetch('PUT', path(), { body })).status).toBe(200)
      expect(emu.appliedUpdates(oddId)).toBe(1)

      await expectGateway401(await signedFetch('PUT', path(), { body, ...call }), 'verify aksk signature fail')
      expect(emu.authFailures.at(-1)).toEqual({
        ak: AK,
        reason: REASON.mismatch,
        message: 'verify aksk signature fail',
      })
      expect(emu.appliedUpdates(oddId)).toBe(1)
    })
  })

  it('a body changed after signing is rejected (body hash covers it)', async () => {
    const url = new URL(emu.origin + depPath())
    const headers = { host: url.host, 'x-sdk-date': sdkDate(new Date()), 'content-type': 'application/json' }
    const authorization = sign({ method: 'PUT', path: url.pathname, headers, body: '{"action":"A"}' }, AK, SK)
    const { host: _host, ...sent } = headers
    const res = await fetch(url, { method: 'PUT', headers: { ...sent, authorization }, body: '{"action":"B"}' })
    await expectGateway401(res, 'verify aksk signature fail')
  })

  it('a date outside the 15-minute skew is "signature expired"', async () => {
    const stale = sdkDate(new Date(Date.now() - 16 * 60_000))
    await expectGateway401(
      await signedFetch('GET', depPath(), { date: stale }),
      'calc ak sk signature fail:signature expired',
    )
    const future = sdkDate(new Date(Date.now() + 16 * 60_000))
    await expectGateway401(
      await signedFetch('GET', depPath(), { date: future }),
      'calc ak sk signature fail:signature expired',
    )
  })

  it('an unknown AK: "ak … not exist"', async () => {
    await expectGateway401(
      await signedFetch('GET', depPath(), { ak: 'HPUAUNKNOWN000000000' }),
      'ak HPUAUNKNOWN000000000 not exist',
    )
  })

  it('host and x-sdk-date must be signed', async () => {
    await expectGateway401(
      await signedFetch('GET', depPath(), { announce: 'x-project-id;x-sdk-date' }),
      'verify aksk signature fail',
    )
    expect(emu.authFailures.at(-1)?.reason).toBe(REASON.hostNotSigned)
  })

  it(`locks the AK after more than ${LOCK_AFTER} consecutive failures, even for a correct signature`, async () => {
    for (let i = 0; i <= LOCK_AFTER; i++)
      await expectGateway401(await signedFetch('GET', depPath(), { sk: 'wrong' }), 'verify aksk signature fail')
    await expectGateway401(await signedFetch('GET', depPath()), 'AK access failed to reach the limit,forbidden')
    await expectGateway401(await signedFetch('GET', depPath()), 'AK access failed to reach the limit,forbidden')
    // Another key and token auth are unaffected.
    expect((await tokenFetch('GET', depPath(), TOKEN)).status).toBe(200)
    const temp = await signedFetch('GET', depPath(), {
      ak: TEMP_AK,
      sk: TEMP_SK,
      headers: { 'x-security-token': SECURITY_TOKEN },
    })
    expect(temp.status).toBe(200)
  })

  it('only consecutive failures count: a success resets the counter', async () => {
    for (let i = 0; i < LOCK_AFTER; i++) await signedFetch('GET', depPath(), { sk: 'wrong' })
    expect((await signedFetch('GET', depPath())).status).toBe(200)
    for (let i = 0; i < LOCK_AFTER; i++) await signedFetch('GET', depPath(), { sk: 'wrong' })
    expect((await signedFetch('GET', depPath())).status).toBe(200)
  })

  it('a temporary key needs its X-Security-Token', async () => {
    const temp = { ak: TEMP_AK, sk: TEMP_SK }
    await expectGateway401(await signedFetch('GET', depPath(), temp), `ak ${TEMP_AK} not exist`)
    await expectGateway401(
      await signedFetch('GET', depPath(), { ...temp, headers: { 'x-security-token': 'wrong' } }),
      'verify aksk signature fail',
    )
    expect(
      (await signedFetch('GET', depPath(), { ...temp, headers: { 'x-security-token': SECURITY_TOKEN } })).status,
    ).toBe(200)
  })
})

describe('token auth and IAM', () => {
  it('a configured X-Auth-Token is accepted; none or a bad one is refused', async () => {
    expect((await tokenFetch('GET', depPath(), TOKEN)).status).toBe(200)
    await expectGateway401(await tokenFetch('GET', depPath(), null), 'x-auth-token not found')
    await expectGateway401(await tokenFetch('GET', depPath(), 'MIIZforged'), 'decrypt token fail')
    // A Bearer header is not a Huawei credential.
    await expectGateway401(
      await fetch(emu.origin + depPath(), { headers: { authorization: `Bearer ${TOKEN}` } }),
      'x-auth-token not found',
    )
  })

  const login = (password: string, projectName = 'cn-north-4') =>
    fetch(`${emu.origin}/v3/auth/tokens`, {
      method: 'POST',
      headers: { 'content-type': 'application/json;charset=utf8' },
      body: JSON.stringify({
        auth: {
          identity: {
            methods: ['password'],
            password: { user: { name: USER.name, password, domain: { name: USER.domain } } },
          },
          scope: { project: { name: projectName } },
        },
      }),
    })

  it('password login: 201, token in X-Subject-Token, usable on RTS', async () => {
    const res = await login(USER.password)
    expect(res.status).toBe(201)
    expect(res.headers.get('x-openstack-request-id')).toMatch(REQUEST_ID)
    const token = res.headers.get('x-subject-token')
    expect(token).toMatch(/^MII/)
    expect(emu.issuedTokens).toEqual([token])
    const json = (await res.json()) as {
      token: {
        expires_at: string
        issued_at: string
        methods: string[]
        project: { id: string; name: string }
        user: { name: string }
      }
    }
    expect(json.token.methods).toEqual(['password'])
    expect(json.token.project).toMatchObject({ id: PROJECT, name: 'cn-north-4' })
    expect(json.token.user.name).toBe(USER.name)
    expect(json.token.expires_at).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/)
    expect(Date.parse(json.token.expires_at) - Date.parse(json.token.issued_at)).toBe(24 * 3_600_000)
    expect(JSON.stringify(json)).not.toContain(token!)

    const show = await tokenFetch('GET', depPath(), token)
    expect((await deploymentOf(show)).id).toBe(dep.id)
  })

  it('wrong password: 401 in the Huawei error shape, no token', async () => {
    const res = await login('nope')
    expect(res.status).toBe(401)
    expect(res.headers.get('x-subject-token')).toBeNull()
    expect(await res.json()).toEqual({
      error_code: 'IAM.0001',
      error_msg: 'The username or password is wrong.',
      request_id: expect.stringMatching(/^[0-9a-f]{32}$/) as unknown,
    })
    expect(emu.issuedTokens).toEqual([])
  })

  it('the scope must name the region', async () => {
    const res = await login(USER.password, 'eu-west-0')
    expect(res.status).toBe(400)
    expect(await res.json()).toMatchObject({ error_code: 'IAM.0007' })
  })
})

describe('GET /v1/{project_id}/software_deployments/{id}', () => {
  it('returns the documented object, with both timestamp forms', async () => {
    const res = await get()
    expect(res.headers.get('content-type')).toBe('application/json')
    const got = await deploymentOf(res)
    expect(Object.keys(got)).toEqual([
      'action',
      'config_id',
      'creation_time',
      'id',
      'input_values',
      'output_values',
      'server_id',
      'status',
      'status_reason',
      'updated_time',
    ])
    expect(got.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/)
    expect(got).toMatchObject({ status: 'COMPLETE', status_reason: 'Outputs received', action: 'CREATE' })
    expect(got.output_values).toMatchObject({ deploy_status_code: 0 })
    expect(got.creation_time).toMatch(Z_SECONDS)
    expect(got.updated_time).toMatch(ZONELESS_MICROS)
    expect(got).toEqual(emu.stored(dep.id))
  })

  it('404 for an unknown deployment, Heat shape', async () => {
    const missing = '00000000-0000-4000-8000-000000000000'
    await expectHeatError(await get(missing), 404, 'NotFound', `Deployment with id ${missing} not found`)
    await expectHeatError(await tokenFetch('GET', `/v1/${PROJECT}/software_deployments`, TOKEN), 404, 'NotFound')
    await expectHeatError(await tokenFetch('DELETE', depPath(), TOKEN), 404, 'NotFound')
  })

  it('403 for another project id in the path or in X-Project-Id', async () => {
    await expectHeatError(
      await tokenFetch('GET', `/v1/${'f'.repeat(32)}/software_deployments/${dep.id}`, TOKEN),
      403,
      'Forbidden',
    )
    const res = await fetch(emu.origin + depPath(), {
      headers: { 'x-auth-token': TOKEN, 'x-project-id': 'f'.repeat(32) },
    })
    await expectHeatError(res, 403, 'Forbidden')
  })

  it('gateway 404 outside the API', async () => {
    const res = await tokenFetch('GET', '/v2/whatever', TOKEN)
    expect(res.status).toBe(404)
    expect(await res.json()).toMatchObject({ error_code: 'APIGW.0101' })
  })
})

describe('PUT semantics (Heat update_software_deployment)', () => {
  it('writes present, truthy fields; ignores empty ones; always bumps updated_time', async () => {
    const before = emu.stored(dep.id)!
    await sleep(2)
    const got = await deploymentOf(
      await put({
        config_id: '',
        input_values: {},
        output_values: {},
        status: '',
        status_reason: '',
        action: null,
        unknown_field: 1,
      }),
    )
    expect({ ...got, updated_time: null }).toEqual({ ...before, updated_time: null })
    expect(got.updated_time).not.toBe(before.updated_time)
    expect(got.updated_time).toMatch(ZONELESS_MICROS)
    expect(emu.appliedUpdates(dep.id)).toBe(1)

    const written = await deploymentOf(
      await put({
        action: 'UPDATE',
        input_values: { release: 'v2' },
        output_values: { result: 'manual' },
        status_reason: 'by hand',
      }),
    )
    expect(written).toMatchObject({
      action: 'UPDATE',
      input_values: { release: 'v2' },
      output_values: { result: 'manual' },
      status_reason: 'by hand',
      status: 'COMPLETE',
      config_id: before.config_id,
    })
    expect(emu.appliedUpdates(dep.id)).toBe(2)
    expect(emu.appliedUpdates()).toBe(2)
  })

  it('IN_PROGRESS with a new config settles to COMPLETE on a later GET', async () => {
    const config = '9a8b7c6d-0000-4000-8000-000000000001'
    const started = await deploymentOf(
      await put({ config_id: config, status: 'IN_PROGRESS', status_reason: 'Deploy data available', action: 'UPDATE' }),
    )
    expect(started).toMatchObject({ status: 'IN_PROGRESS', config_id: config, status_reason: 'Deploy data available' })
    expect((await deploymentOf(await get())).status).toBe('IN_PROGRESS')
    await sleep(SETTLE_MS + 20)
    expect(emu.stored(dep.id)?.status).toBe('IN_PROGRESS') // lazy: nothing happens until the API is read
    const done = await deploymentOf(await get())
    expect(done.status).toBe('COMPLETE')
    expect(done.status_reason).toBe('Outputs received')
    expect(done.output_values).toMatchObject({
      deploy_status_code: 0,
      deploy_stdout: expect.stringContaining(config) as unknown,
      deploy_stderr: expect.any(String) as unknown,
    })
    expect(done.output_values).toHaveProperty('result') // earlier outputs are kept, standard ones overwritten
    expect(emu.appliedUpdates(dep.id)).toBe(1)
  })

  it("failNext: the run ends FAILED with Heat's status_reason and a multi-line stderr", async () => {
    emu.failNext(dep.id, { statusCode: 2 })
    await put({ config_id: 'cfg-2', status: 'IN_PROGRESS' })
    await sleep(SETTLE_MS + 20)
    const failed = await deploymentOf(await get())
    expect(failed.status).toBe('FAILED')
    expect(failed.status_reason).toBe('deploy_status_code : Deployment exited with non-zero status code: 2')
    expect(failed.output_values?.deploy_status_code).toBe(2)
    expect(String(failed.output_values?.deploy_stderr).split('\n').length).toBeGreaterThan(3)

    // Only the next run fails.
    await put({ config_id: 'cfg-3', status: 'IN_PROGRESS' })
    await sleep(SETTLE_MS + 20)
    expect((await deploymentOf(await get())).status).toBe('COMPLETE')
  })

  it('failConfig and failRunsWhen: every run of that config (or that the predicate picks) ends FAILED, others COMPLETE', async () => {
    emu.failConfig('cfg-bad')
    await put({ config_id: 'cfg-bad', status: 'IN_PROGRESS' })
    await sleep(SETTLE_MS + 20)
    expect((await deploymentOf(await get())).status).toBe('FAILED')
    await put({ config_id: 'cfg-good', status: 'IN_PROGRESS' })
    await sleep(SETTLE_MS + 20)
    expect((await deploymentOf(await get())).status).toBe('COMPLETE')
    await put({ config_id: 'cfg-bad', status: 'IN_PROGRESS' })
    await sleep(SETTLE_MS + 20)
    expect((await deploymentOf(await get())).status).toBe('FAILED')

    emu.failRunsWhen(dep.id, (d) => d.input_values?.release === 'v9')
    await put({ config_id: 'cfg-good', input_values: { release: 'v9' }, status: 'IN_PROGRESS' })
    await sleep(SETTLE_MS + 20)
    expect((await deploymentOf(await get())).status).toBe('FAILED')
  })

  it('failNext with a custom stderr', async () => {
    emu.failNext(dep.id, { statusCode: 127, stderr: 'line one\nbash: deploy.sh: command not found\n' })
    await put({ status: 'IN_PROGRESS' })
    await sleep(SETTLE_MS + 20)
    const failed = await deploymentOf(await get())
    expect(failed.output_values).toMatchObject({
      deploy_status_code: 127,
      deploy_stderr: 'line one\nbash: deploy.sh: command not found\n',
    })
  })

  it('status COMPLETE finishes at once (and cancels a pending run)', async () => {
    await put({ status: 'IN_PROGRESS' })
    const done = await deploymentOf(
      await put({ status: 'COMPLETE', status_reason: 'Outputs received', output_values: { deploy_status_code: 0 } }),
    )
    expect(done.status).toBe('COMPLETE')
    await sleep(SETTLE_MS + 20)
    expect((await deploymentOf(await get())).status_reason).toBe('Outputs received')
  })

  it.each([
    ['an invalid status', { status: 'DONE' }],
    ['a lower-case status', { status: 'complete' }],
    ['a non-string config_id', { config_id: 42 }],
    ['a non-object input_values', { input_values: ['a'] }],
  ])('400 for %s, nothing applied', async (_name, body) => {
    await expectHeatError(await put(body), 400, 'HTTPBadRequest')
    expect(emu.appliedUpdates()).toBe(0)
  })

  it.each([
    ['malformed JSON', '{"status":'],
    ['a JSON array', '[]'],
    ['an empty body', ''],
  ])('400 for %s', async (_name, raw) => {
    await expectHeatError(await put(raw), 400, 'HTTPBadRequest', /^Malformed message body/)
  })

  it('404 for PUT to an unknown deployment', async () => {
    await expectHeatError(await put({ status: 'COMPLETE' }, '00000000-0000-4000-8000-000000000000'), 404, 'NotFound')
  })
})

describe('errors, request ids and faults', () => {
  it('Huawei error shape when configured', async () => {
    const huawei = new RtsEmulator({ tokens: [TOKEN], errorShape: 'huawei' })
    await huawei.start()
    try {
      const res = await fetch(`${huawei.origin}/v1/${PROJECT}/software_deployments/nope`, {
        headers: { 'x-auth-token': TOKEN },
      })
      expect(res.status).toBe(404)
      const json = (await res.json()) as Record<string, string>
      expect(json).toEqual({
        error_code: 'RTS.404',
        error_msg: 'Deployment with id nope not found',
        request_id: expect.stringMatching(/^[0-9a-f]{32}$/) as unknown,
      })
      expect(res.headers.get('x-openstack-request-id')).toBe(
        `req-${json.request_id!.replace(/^(.{8})(.{4})(.{4})(.{4})(.{12})$/, '$1-$2-$3-$4-$5')}`,
      )
    } finally {
      await huawei.close()
    }
  })

  it('every answer carries a fresh X-Openstack-Request-Id', async () => {
    const answers = [
      await get(),
      await get(),
      await get('missing'),
      await tokenFetch('GET', depPath(), null),
      await put('{'),
    ]
    const ids = answers.map((res) => res.headers.get('x-openstack-request-id'))
    for (const id of ids) expect(id).toMatch(REQUEST_ID)
    expect(new Set(ids).size).toBe(ids.length)
  })

  it('status faults use the business shape and carry a request id', async () => {
    emu.inject({ method: 'GET', fault: { kind: 'status', status: 503 } })
    const res = await get()
    await expectHeatError(res.clone(), 503, 'HTTPServiceUnavailable')
    expect(res.headers.get('x-openstack-request-id')).toMatch(REQUEST_ID)
    emu.inject({ method: 'GET', fault: { kind: 'status', status: 429 } })
    const throttled = await get()
    expect(throttled.status).toBe(429)
    expect(await throttled.json()).toMatchObject({ error_code: 'APIGW.0308' })
  })

  it('reset-after on PUT: applied exactly once, the client sees a dropped connection', async () => {
    emu.inject({ method: 'PUT', fault: { kind: 'reset-after' } })
    await expect(put({ status: 'IN_PROGRESS', config_id: 'cfg-reset' })).rejects.toThrow()
    expect(emu.appliedUpdates(dep.id)).toBe(1)
    expect(emu.stored(dep.id)).toMatchObject({ status: 'IN_PROGRESS', config_id: 'cfg-reset' })
    // The fault was consumed: the retry is answered (and applied a second time).
    expect((await deploymentOf(await put({ status: 'IN_PROGRESS', config_id: 'cfg-reset' }))).status).toBe(
      'IN_PROGRESS',
    )
    expect(emu.appliedUpdates(dep.id)).toBe(2)
    expect(emu.requestsTo('PUT', depPath())).toHaveLength(2)
  })

  it('seed overrides and an IN_PROGRESS seed settling on GET', async () => {
    const seeded = emu.seed({ status: 'IN_PROGRESS', status_reason: 'Deploy data available', action: 'UPDATE' })
    expect((await deploymentOf(await get(seeded.id))).status).toBe('IN_PROGRESS')
    await sleep(SETTLE_MS + 20)
    expect((await deploymentOf(await get(seeded.id))).status).toBe('COMPLETE')
  })

  it('listens on 127.0.0.1 only', () => {
    expect(emu.origin).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/)
  })
})
