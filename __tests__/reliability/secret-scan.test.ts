/**
 * Reliability: a secret scan across the four providers. The committed dist/index.js runs, with step
 * debug logging on, against the emulators on 127.0.0.1 with every kind of credential the action
 * takes, and each run goes through findLeaks: no credential, nor a value derived from one, may show
 * in stdout (the runner-consumed `::add-mask::` lines excepted), stderr, an output, the job summary,
 * the resource file or the GITHUB_ENV/GITHUB_STATE files.
 *
 * For each kind of credential: a success, a rejection (a wrong credential: 401, or kintone's 400 for
 * an unknown API token), an answer that echoes the credential that was sent back in the provider's
 * error message (as some APIs and gateways do), and a dry run. Every run also records a GitHub
 * Deployment (`github-environment`) with the default `github-token`, so that token is in play too.
 *
 * SPEC "Secrets": every credential input, every token derived from one (IAM token, Basic header
 * value) and the values of `container_env_vars` that could be credentials (here: under DB_PASSWORD
 * and API_SECRET; issue 13) are registered with core.setSecret before anything is logged; outputs
 * and the resource file never carry a credential.
 */
import { randomUUID } from 'node:crypto'
import { afterAll, beforeAll, describe, it } from 'vitest'
import { AieevEmulator } from '../emulators/aieev.ts'
import type { Emulator, RecordedRequest, Reply } from '../emulators/base.ts'
import { GitHubEmulator } from '../emulators/github.ts'
import { RtsEmulator, type RtsEmulatorOptions } from '../emulators/huaweicloud-rts.ts'
import { KintoneEmulator } from '../emulators/kintone.ts'
import { QoderEmulator } from '../emulators/qoder.ts'
import { cleanupRuns, FAKE_GITHUB_TOKEN, findLeaks, runAction, type ActionRun } from '../helpers/run-action.ts'

const b64 = (text: string) => Buffer.from(text).toString('base64')
/** How a value looks inside JSON text (outputs such as `results` are JSON). */
const jsonEscaped = (text: string) => JSON.stringify(text).slice(1, -1)

// Every credential is fake, distinct, and no one is part of another.
const QODER = { pat: 'pt-scan-qoder-pat-7f3a9c0e1b2d', wrong: 'pt-scan-qoder-revoked-55aa01' }
const KINTONE = {
  tokens: ['kScanTokenAppsOneTwo0123456789ab', 'kScanTokenAppThree9876543210zyxw'],
  wrongToken: 'kScanTokenUnknown0000000000000000',
  user: 'release-bot',
  // A quote and a backslash: its JSON-escaped form differs from it.
  password: 'horse"battery\\staple-4242',
  wrongPassword: 'kintone-scan-not-the-password',
  oauth: 'oauth-scan-access-token-1a2b3c4d5e',
  wrongOauth: 'oauth-scan-expired-token-9z8y7x6w',
  basicUser: 'siteuser',
  basicPassword: 'site-pass-scan-31415',
}
const BASIC = `${KINTONE.basicUser}:${KINTONE.basicPassword}`
const HUAWEI = {
  project: '0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e',
  ak: 'HPUASCANACCESSKEY001',
  sk: 'scan/secret+key=0123456789abcdef',
  wrongSk: 'scan-wrong-secret-key-000000',
  tempAk: 'HSTASCANTEMPORARY002',
  tempSk: 'scan-temporary-secret-key-0002',
  securityToken: 'gQpjbi1ub3J0aC00-scan-security-token-value',
  wrongSecurityToken: 'gQpjbi1ub3J0aC00-scan-stale-security-token',
  iamToken: 'MIIZscan-static-iam-token-value-0001',
  wrongIamToken: 'MIIZscan-expired-iam-token-value-0002',
  user: 'deployer',
  domain: 'acme-corp',
  password: 'S3cret!"pass\\scan-hw',
  wrongPassword: 'huawei-scan-wrong-password-1',
}
const AIEEV = {
  key: 'aieev-scan-key-0123456789',
  wrongKey: 'aieev-scan-revoked-key-0000',
  env: ['scan-db-password-value-1', 'sk_live_scan_abcdefghijkl'],
}

/** Every credential of the scan and every value derived from one, by name (dynamic ones are added per run). */
const CREDENTIALS: Record<string, string> = {
  'Qoder PAT': QODER.pat,
  'Qoder PAT (rejected)': QODER.wrong,
  'kintone API token 1': KINTONE.tokens[0]!,
  'kintone API token 2': KINTONE.tokens[1]!,
  'kintone API token (rejected)': KINTONE.wrongToken,
  'kintone password': KINTONE.password,
  'kintone password, JSON-escaped': jsonEscaped(KINTONE.password),
  'kintone X-Cybozu-Authorization': b64(`${KINTONE.user}:${KINTONE.password}`),
  'kintone password (rejected)': KINTONE.wrongPassword,
  'kintone X-Cybozu-Authorization (rejected)': b64(`${KINTONE.user}:${KINTONE.wrongPassword}`),
  'kintone OAuth token': KINTONE.oauth,
  'kintone OAuth token (rejected)': KINTONE.wrongOauth,
  'kintone basic-auth': BASIC,
  'kintone basic-auth, base64': b64(BASIC),
  'kintone basic-auth password half': KINTONE.basicPassword,
  'Huawei secret key': HUAWEI.sk,
  'Huawei secret key (rejected)': HUAWEI.wrongSk,
  'Huawei temporary secret key': HUAWEI.tempSk,
  'Huawei security token': HUAWEI.securityToken,
  'Huawei security token (rejected)': HUAWEI.wrongSecurityToken,
  'Huawei IAM token': HUAWEI.iamToken,
  'Huawei IAM token (rejected)': HUAWEI.wrongIamToken,
  'Huawei password': HUAWEI.password,
  'Huawei password, JSON-escaped': jsonEscaped(HUAWEI.password),
  'Huawei password (rejected)': HUAWEI.wrongPassword,
  'Aieev API key': AIEEV.key,
  'Aieev API key (rejected)': AIEEV.wrongKey,
  'Aieev env var value 1': AIEEV.env[0]!,
  'Aieev env var value 2': AIEEV.env[1]!,
  'github-token': FAKE_GITHUB_TOKEN,
}
/** Found per run: the token IAM issues for a password login, and the env var value the endpoint already had. */
const DYNAMIC_KINDS = ['Huawei IAM-issued token', 'Aieev env var value already on the endpoint']

let github: GitHubEmulator
beforeAll(async () => {
  github = new GitHubEmulator({ tokens: [FAKE_GITHUB_TOKEN] })
  await github.start()
})
const tally = { runs: 0, leaks: 0, failed: [] as string[] }
afterAll(async () => {
  await github?.close()
  await cleanupRuns()
  const credentials = Object.keys(CREDENTIALS).length + DYNAMIC_KINDS.length
  console.log(
    `secret scan: ${tally.runs} runs, ${credentials} credentials, ${tally.leaks} leaks${tally.failed.length > 0 ? ` (in: ${tally.failed.join('; ')})` : ''}`,
  )
})

/** An RTS emulator that can answer a request itself, from what the request carried (to echo a token it was sent). */
class EchoingRtsEmulator extends RtsEmulator {
  echo: ((req: RecordedRequest) => Reply | undefined) | undefined
  protected override handle(req: RecordedRequest): Reply {
    return this.echo?.(req) ?? super.handle(req)
  }
}

interface Setup {
  emu: Emulator
  inputs: Record<string, string>
  /** Credentials only known once the run is over (an IAM-issued token, an env var value the endpoint had). */
  dynamic(): string[]
}

interface Echo {
  name: string
  /** Arranges a provider answer that echoes a credential; returns the HTTP status the run then reports. */
  arrange(setup: Setup): string
}

interface Kind {
  provider: string
  name: string
  start(): Promise<Setup>
  /** Input overrides that replace the credential with one the provider refuses, and the HTTP status then reported. */
  wrong: Record<string, string>
  rejectedHttpStatus?: string
  echoes: Echo[]
  /** Derived values the action must mask in a successful run (Basic header value, IAM token, env values…). */
  derived(setup: Setup): string[]
  /** Something that must have gone over the wire in a successful run: the credential was really in play. */
  onWire(setup: Setup): string
}

const errorBody = (body: unknown) => ({
  kind: 'status' as const,
  body: JSON.stringify(body),
  contentType: 'application/json',
})

function kintoneKind(
  name: string,
  credential: Record<string, string>,
  opts: {
    basic: boolean
    wrong: Record<string, string>
    rejectedHttpStatus: string
    echo: Echo
    derived: string[]
    onWire: string
  },
): Kind {
  return {
    provider: 'kintone',
    name,
    async start() {
      const emu = new KintoneEmulator({
        apiTokens: {
          [KINTONE.tokens[0]!]: { apps: [1, 2], appManagement: true },
          [KINTONE.tokens[1]!]: { apps: [3], appManagement: true },
        },
        users: { [KINTONE.user]: KINTONE.password },
        oauthTokens: [KINTONE.oauth],
        basicAuth: opts.basic ? BASIC : undefined,
        deployMs: 150,
      })
      await emu.start()
      for (const app of [1, 2, 3]) emu.addApp(app, { revision: 5 })
      const inputs = {
        provider: 'kintone',
        target: '1,2,3',
        'base-url': emu.origin,
        'poll-interval': '100ms',
        ...credential,
        ...(opts.basic ? { 'basic-auth': BASIC } : {}),
      }
      return { emu, inputs, dynamic: () => [] }
    },
    wrong: opts.wrong,
    rejectedHttpStatus: opts.rejectedHttpStatus,
    echoes: [opts.echo],
    derived: () => opts.derived,
    onWire: () => opts.onWire,
  }
}

const kintoneDeploy = '/k/v1/preview/app/deploy.json'
const kintoneEcho = (status: number, code: string, message: string): Echo => ({
  name: `${status} ${code} quoting the credential`,
  arrange(setup) {
    setup.emu.inject({
      method: 'POST',
      path: kintoneDeploy,
      fault: { ...errorBody({ code, id: 'ScanEchoRequestId0001', message }), status },
    })
    return String(status)
  },
})

function rtsKind(
  name: string,
  credential: Record<string, string>,
  opts: {
    wrong: Record<string, string>
    rejectedHttpStatus?: string
    echoes: Echo[]
    derived: (emu: RtsEmulator) => string[]
    onWire: (emu: RtsEmulator) => string
    iamLogin?: boolean
  },
): Kind {
  return {
    provider: 'huaweicloud-rts',
    name,
    async start() {
      const options: RtsEmulatorOptions = {
        projectId: HUAWEI.project,
        tokens: [HUAWEI.iamToken],
        keys: {
          [HUAWEI.ak]: { sk: HUAWEI.sk },
          [HUAWEI.tempAk]: { sk: HUAWEI.tempSk, securityToken: HUAWEI.securityToken },
        },
        users: [{ domain: HUAWEI.domain, name: HUAWEI.user, password: HUAWEI.password }],
        settleMs: 150,
      }
      const emu = new EchoingRtsEmulator(options)
      await emu.start()
      const dep = emu.seed()
      const payload = {
        config_id: randomUUID(),
        status: 'IN_PROGRESS',
        action: 'UPDATE',
        input_values: { release: 'v2.0.0' },
      }
      const inputs = {
        provider: 'huaweicloud-rts',
        payload: JSON.stringify(payload),
        target: dep.id,
        region: 'cn-north-4',
        'project-id': HUAWEI.project,
        'base-url': emu.origin,
        'poll-interval': '100ms',
        ...(opts.iamLogin ? { 'auth-url': emu.origin } : {}),
        ...credential,
      }
      return { emu, inputs, dynamic: () => [...emu.issuedTokens] }
    },
    wrong: opts.wrong,
    rejectedHttpStatus: opts.rejectedHttpStatus,
    echoes: opts.echoes,
    derived: (setup) => opts.derived(setup.emu as RtsEmulator),
    onWire: (setup) => opts.onWire(setup.emu as RtsEmulator),
  }
}

const huaweiEcho = (what: string, credential: (req: RecordedRequest) => string | undefined): Echo => ({
  name: `401 APIGW.0301 quoting the ${what}`,
  arrange(setup) {
    const emu = setup.emu as EchoingRtsEmulator
    emu.echo = (req) => {
      if (req.method !== 'PUT') return undefined
      const message = `Incorrect IAM authentication information: ${what} ${credential(req) ?? '(none)'} is expired or invalid`
      return {
        status: 401,
        body: { error_code: 'APIGW.0301', error_msg: message, request_id: 'scan0echo0request0id00000000000a' },
      }
    }
    return '401'
  },
})
const header = (req: RecordedRequest, name: string) => {
  const value = req.headers[name]
  return Array.isArray(value) ? value[0] : value
}

const KINDS: Kind[] = [
  {
    provider: 'qoder',
    name: 'PAT',
    async start() {
      const emu = new QoderEmulator({ tokens: [QODER.pat] })
      await emu.start()
      const dep = emu.seed({ name: 'nightly-report', metadata: { owner: 'ops' } })
      return {
        emu,
        inputs: {
          provider: 'qoder',
          payload: '{"name": "nightly-report-v2", "metadata": {"owner": "platform"}}',
          target: dep.id,
          token: QODER.pat,
          'base-url': emu.origin,
        },
        dynamic: () => [],
      }
    },
    wrong: { token: QODER.wrong },
    rejectedHttpStatus: '401',
    echoes: [
      {
        name: '401 quoting the PAT',
        arrange(setup) {
          setup.emu.inject({
            method: 'POST',
            fault: {
              ...errorBody({
                type: 'error',
                error: { type: 'authentication_error', message: `The token ${QODER.pat} has been revoked.` },
              }),
              status: 401,
            },
          })
          return '401'
        },
      },
    ],
    derived: () => [`Bearer ${QODER.pat}`],
    onWire: () => `Bearer ${QODER.pat}`,
  },
  kintoneKind(
    'API tokens (two) + basic-auth',
    { token: KINTONE.tokens.join(',') },
    {
      basic: true,
      wrong: { token: KINTONE.wrongToken },
      rejectedHttpStatus: '400',
      echo: kintoneEcho(
        400,
        'GAIA_IA02',
        `The specified API token (${KINTONE.tokens[1]}) does not match the API token generated via an app.`,
      ),
      derived: [`Basic ${b64(BASIC)}`, KINTONE.basicPassword],
      onWire: KINTONE.tokens.join(','),
    },
  ),
  kintoneKind(
    'password + basic-auth',
    { username: KINTONE.user, password: KINTONE.password },
    {
      basic: true,
      wrong: { password: KINTONE.wrongPassword },
      rejectedHttpStatus: '401',
      echo: kintoneEcho(
        401,
        'CB_WA01',
        `Password authentication failed (X-Cybozu-Authorization: ${b64(`${KINTONE.user}:${KINTONE.password}`)}).`,
      ),
      derived: [b64(`${KINTONE.user}:${KINTONE.password}`), `Basic ${b64(BASIC)}`],
      onWire: b64(`${KINTONE.user}:${KINTONE.password}`),
    },
  ),
  kintoneKind(
    'OAuth token',
    { 'oauth-token': KINTONE.oauth },
    {
      basic: false,
      wrong: { 'oauth-token': KINTONE.wrongOauth },
      rejectedHttpStatus: '401',
      echo: kintoneEcho(
        401,
        'CB_OA01',
        `Cannot access protected resource: the access token ${KINTONE.oauth} has expired.`,
      ),
      derived: [`Bearer ${KINTONE.oauth}`],
      onWire: `Bearer ${KINTONE.oauth}`,
    },
  ),
  rtsKind(
    'AK/SK',
    { 'access-key': HUAWEI.ak, 'secret-key': HUAWEI.sk },
    {
      wrong: { 'secret-key': HUAWEI.wrongSk },
      rejectedHttpStatus: '401',
      echoes: [], // the secret key never goes over the wire: there is nothing a server could echo
      derived: () => [],
      onWire: () => `Access=${HUAWEI.ak}`,
    },
  ),
  rtsKind(
    'temporary AK/SK + security token',
    { 'access-key': HUAWEI.tempAk, 'secret-key': HUAWEI.tempSk, 'security-token': HUAWEI.securityToken },
    {
      wrong: { 'security-token': HUAWEI.wrongSecurityToken },
      rejectedHttpStatus: '401',
      echoes: [huaweiEcho('security token', (req) => header(req, 'x-security-token'))],
      derived: () => [],
      onWire: () => HUAWEI.securityToken,
    },
  ),
  rtsKind(
    'IAM token',
    { token: HUAWEI.iamToken },
    {
      wrong: { token: HUAWEI.wrongIamToken },
      rejectedHttpStatus: '401',
      echoes: [huaweiEcho('token', (req) => header(req, 'x-auth-token'))],
      derived: () => [],
      onWire: () => HUAWEI.iamToken,
    },
  ),
  rtsKind(
    'password login (IAM-issued token)',
    { username: HUAWEI.user, password: HUAWEI.password, domain: HUAWEI.domain },
    {
      iamLogin: true,
      wrong: { password: HUAWEI.wrongPassword },
      // IAM refuses the login before any RTS request: there is no update request, so no http-status.
      echoes: [huaweiEcho('token', (req) => header(req, 'x-auth-token'))],
      derived: (emu) => [...emu.issuedTokens],
      onWire: (emu) => emu.issuedTokens[0] ?? 'an IAM-issued token',
    },
  ),
  {
    provider: 'aieev',
    name: 'API key + env var values',
    async start() {
      const emu = new AieevEmulator({ keys: [AIEEV.key], startMs: 150, getIncludesSettings: true })
      await emu.start()
      const endpoint = emu.seed()
      const payload = {
        container_port: 9090,
        container_env_vars: [
          { key: 'DB_PASSWORD', value: AIEEV.env[0] },
          { key: 'API_SECRET', value: AIEEV.env[1] },
        ],
      }
      const existing = (endpoint.container_env_vars ?? []).map((v) => v.value).filter((v) => v.length >= 8)
      return {
        emu,
        inputs: {
          provider: 'aieev',
          payload: JSON.stringify(payload),
          target: endpoint.endpoint_id,
          token: AIEEV.key,
          'base-url': emu.origin,
          'poll-interval': '100ms',
        },
        dynamic: () => existing,
      }
    },
    wrong: { token: AIEEV.wrongKey },
    rejectedHttpStatus: '401',
    echoes: [
      {
        name: '401 quoting the API key',
        arrange(setup) {
          setup.emu.inject({
            method: 'PATCH',
            fault: { ...errorBody({ detail: `Invalid API key: ${AIEEV.key}` }), status: 401 },
          })
          return '401'
        },
      },
      {
        name: '422 quoting an env var value (FastAPI/Pydantic `input`)',
        arrange(setup) {
          const detail = [
            {
              type: 'string_too_long',
              loc: ['body', 'container_env_vars', 1, 'value'],
              msg: `String should have at most 16 characters, got ${AIEEV.env[1]}`,
              input: AIEEV.env[1],
              ctx: { max_length: 16 },
            },
          ]
          setup.emu.inject({ method: 'PATCH', fault: { ...errorBody({ detail }), status: 422 } })
          return '422'
        },
      },
    ],
    derived: () => [...AIEEV.env],
    onWire: () => `Bearer ${AIEEV.key}`,
  },
]

type Mode = { mode: 'success' } | { mode: 'rejected' } | { mode: 'echoed'; echo: Echo } | { mode: 'dry-run' }
const CASES = KINDS.flatMap((kind) => {
  const modes: Mode[] = [
    { mode: 'success' },
    { mode: 'rejected' },
    ...kind.echoes.map((echo) => ({ mode: 'echoed' as const, echo })),
    { mode: 'dry-run' },
  ]
  return modes.map((mode) => ({
    kind,
    mode,
    title: `${kind.provider} · ${kind.name} · ${mode.mode === 'echoed' ? `provider answer ${mode.echo.name}` : mode.mode}`,
  }))
})

/** The credential inputs the action was given in this run (as the runner sets them), each of which must be masked. */
const CREDENTIAL_INPUTS = ['token', 'password', 'oauth-token', 'basic-auth', 'secret-key', 'security-token']

// Concurrent: each run has its own emulator; the GitHub emulator is shared and only records.
describe.concurrent('secret scan, debug logging on', () => {
  it.for(CASES)('$title', async ({ kind, mode }, { expect }) => {
    const setup = await kind.start()
    let result: ActionRun
    let expectedHttpStatus: string | undefined
    const inputs: Record<string, string> = { ...setup.inputs, 'github-environment': 'production' }
    if (mode.mode === 'rejected') Object.assign(inputs, kind.wrong)
    if (mode.mode === 'echoed') expectedHttpStatus = mode.echo.arrange(setup)
    if (mode.mode === 'dry-run') inputs['dry-run'] = 'true'
    let dynamic: string[]
    try {
      result = await runAction({
        inputs,
        env: { ACTIONS_STEP_DEBUG: 'true', GITHUB_API_URL: github.apiUrl },
        timeoutMs: 20_000,
      })
      dynamic = setup.dynamic()
    } finally {
      await setup.emu.close()
    }

    // The scan itself.
    const named = { ...CREDENTIALS }
    dynamic.forEach((value, i) => (named[`${DYNAMIC_KINDS[kind.provider === 'aieev' ? 1 : 0]} #${i + 1}`] = value))
    const values = Object.values(named)
    const leaks = findLeaks(result, values).map((leak) =>
      leak.replace(/secret #(\d+)/, (_, n: string) => `${Object.keys(named)[Number(n) - 1]}`),
    )
    tally.runs++
    tally.leaks += leaks.length
    if (leaks.length > 0) tally.failed.push(`${kind.provider} ${kind.name} ${mode.mode}: ${leaks.length}`)
    expect(leaks).toEqual([])

    // The run did what it was meant to, so the scan covered that path.
    const o = result.outputs
    if (mode.mode === 'success') {
      expect(result.code, result.stdout.slice(-2_000)).toBe(0)
      expect(o.status).toBe('succeeded')
      const wire = setup.emu.requests.map((r) => JSON.stringify(r.headers))
      expect(
        wire.some((h) => h.includes(kind.onWire(setup))),
        'the credential went over the wire',
      ).toBe(true)
      for (const value of kind.derived(setup)) {
        expect(
          result.commands.some((c) => c.command === 'add-mask' && c.message === value),
          `derived value masked: ${value.slice(0, 12)}…`,
        ).toBe(true)
      }
    } else if (mode.mode === 'dry-run') {
      expect(result.code, result.stdout.slice(-2_000)).toBe(0)
      expect(o.status).toBe('dry-run')
      expect(result.summary).toContain('Request that would be sent')
    } else {
      expect(result.code).toBe(1)
      expect(o.status).toBe('failed')
      const httpStatus = mode.mode === 'rejected' ? kind.rejectedHttpStatus : expectedHttpStatus
      expect(o['http-status']).toBe(httpStatus)
      expect(o['error-message']).toBeTruthy()
      // An echoed credential is blanked out, the rest of the provider's message kept.
      if (mode.mode === 'echoed') expect(o['error-message']).toContain('***')
    }
    // Debug logging was on, and the GitHub Deployment was recorded with the github-token (a dry run records none).
    expect(result.stdout).toContain('::debug::')
    if (mode.mode === 'dry-run') expect(o['github-deployment-id']).toBeUndefined()
    else expect(o['github-deployment-id']).toMatch(/^\d+$/)
    // Every credential input given is masked before any other line is written.
    const given = [
      ...CREDENTIAL_INPUTS.map((name) => inputs[name]).filter((v): v is string => v !== undefined && v !== ''),
      FAKE_GITHUB_TOKEN,
    ]
    const lines = result.stdout.split('\n')
    const firstOther = lines.findIndex((line) => line !== '' && !line.startsWith('::add-mask::'))
    for (const value of given) {
      const at = lines.indexOf(`::add-mask::${value}`)
      expect(at, `credential input masked: ${value.slice(0, 12)}…`).toBeGreaterThanOrEqual(0)
      expect(at, `masked before anything else is logged: ${value.slice(0, 12)}…`).toBeLessThan(firstOther)
    }
  })
})
