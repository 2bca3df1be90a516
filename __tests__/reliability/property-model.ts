/**
 * The model behind the property-based fault test: what a generated case is (a Scenario), how it is
 * set up for one provider (emulator with the ground truth + hostile proxy in front + inputs), and
 * the invariants checked after every run. See docs/reliability-properties.md.
 */
import { randomBytes, randomUUID } from 'node:crypto'
import { mkdir, readdir, readFile, symlink, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import fc from 'fast-check'
import { AieevEmulator } from '../emulators/aieev.ts'
import type { Emulator } from '../emulators/base.ts'
import { RtsEmulator } from '../emulators/huaweicloud-rts.ts'
import { KintoneEmulator } from '../emulators/kintone.ts'
import { QoderEmulator } from '../emulators/qoder.ts'
import { CREDENTIAL_INPUTS, type ActionRun } from '../helpers/run-action.ts'
import {
  HostileProxy,
  NONCE,
  type BodyKind,
  type ProxyTarget,
  type Role,
  type Step,
  type TextForm,
} from './hostile-proxy.ts'

export type Provider = 'qoder' | 'kintone' | 'huaweicloud-rts' | 'aieev'
export const PROVIDERS: Provider[] = ['qoder', 'kintone', 'huaweicloud-rts', 'aieev']

/** One generated case. Printed as the counter-example when an invariant breaks. */
export interface Scenario {
  provider: Provider
  /** Where the hostile proxy listens: the action's base-url host. */
  host: '127.0.0.1' | '::1'
  /** What the proxy does to the requests, in order of their role. */
  steps: Step[]
  /** Credential kind (provider-specific; `rts-wrong-sk` is a secret key the gateway refuses). */
  auth: string
  /** A key such as `constructor` added to qoder metadata / RTS input_values. */
  protoKey: string | null
  /** Where the payload file is, relative to the allowed roots. */
  payloadAt: 'workspace' | 'runner-temp' | 'dotdot-out' | 'absolute-out' | 'symlink-out'
  /** Send SIGTERM this long after the start. */
  sigtermAfterMs: number | null
  /** Rare, expensive input shapes. */
  special: 'none' | 'large-yaml' | 'many-targets' | 'dup-case-target' | 'eight-targets'
  /** Aieev `restart`. */
  restart: boolean
}

// ---------------------------------------------------------------------------------------------
// Clocks

export const TIMEOUT_MS = 10_000
export const LARGE_TIMEOUT_MS = 5_000
export const DEADLINE_MARGIN_MS = 5_000
export const SIGNAL_MARGIN_MS = 3_000
/** Async part of each emulator (kintone deploy, RTS agent run, Aieev start). */
export const ASYNC_MS = 800
export const GITHUB_LIMIT_BYTES = 1024 * 1024

// ---------------------------------------------------------------------------------------------
// Credentials: fake, distinct, and none is part of another.

const C = {
  qoder: 'pt-prop-qoder-pat-4c1e9a7b2d',
  kintoneToken: 'kPropTokenAppOne0123456789abcd',
  kintoneUser: 'prop-bot',
  kintonePassword: 'prop"batt\\ery-staple-7319',
  rtsAk: 'HPUAPROPACCESSKEY001',
  rtsSk: 'prop/secret+key=0a1b2c3d4e5f',
  rtsWrongSk: 'prop-wrong/secret+key=99zz88yy',
  rtsToken: 'MIIZprop-static-iam-token-value-01',
  rtsUser: { domain: 'acme-prop', name: 'deployer', password: 'Prop!"Pass\\word-hw-55' },
  aieev: 'aieev-prop-key-0a9b8c7d6e5f',
} as const
const RTS_PROJECT = '0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e'
/** Only the test reads the ground truth with it, straight from the emulator (never through the proxy). */
const RTS_ORACLE_TOKEN = 'MIIZprop-oracle-token-test-only'

// ---------------------------------------------------------------------------------------------
// Generators

const PROTO_KEYS = ['constructor', 'toString', 'valueOf', 'hasOwnProperty', '__proto__']

const textForm: fc.Arbitrary<TextForm> = fc.constantFrom<TextForm>(
  'none',
  'raw',
  'base64-userpass',
  'base64-embedded',
  'url',
  'json-escaped',
  'cut200',
  'cut300',
)
const retryAfter = fc.constantFrom<'none' | '0' | '1' | 'date'>('none', '0', '1', 'date')

function stepArb(roles: Role[]): fc.Arbitrary<Step> {
  const bodies: BodyKind[] = [
    'empty',
    'no-content',
    'null',
    'no-status',
    'error-envelope',
    'other-id',
    'hostile-status',
    'no-timestamps',
    'array',
    'number',
    'string',
  ]
  const times = fc.oneof(
    { withCrossShrink: true },
    { weight: 3, arbitrary: fc.constant(1) },
    { weight: 1, arbitrary: fc.constantFrom(2, 50) },
  )
  // The write and the polls after it are where the promises break: they get most of the steps.
  const role = fc.oneof(
    ...roles.map((r) => ({ weight: r === 'write' ? 4 : r === 'poll' ? 2 : 1, arbitrary: fc.constant(r) })),
  )
  return fc
    .tuple(role, times)
    .chain(([on, n]) => stepKindArb(on, bodies).map((step): Step => (n === 1 ? step : { ...step, times: n })))
}

function stepKindArb(role: Role, bodies: BodyKind[]): fc.Arbitrary<Step> {
  const on = fc.constant(role)
  return fc.oneof(
    { weight: 1, arbitrary: fc.record({ on, kind: fc.constant('pass' as const) }) },
    {
      weight: 5,
      arbitrary: fc.record({
        on,
        kind: fc.constant('status' as const),
        status: fc.oneof(
          { weight: 3, arbitrary: fc.constantFrom(503, 429, 408, 500) },
          { weight: 1, arbitrary: fc.constantFrom(502, 504, 409, 401, 400, 404) },
        ),
        retryAfter,
        phase: fc.constantFrom<'before' | 'after'>('before', 'after'),
        text: textForm,
        inject: fc.boolean(),
      }),
    },
    {
      weight: 5,
      arbitrary: fc.record({
        on,
        kind: fc.constant('body' as const),
        body: fc.constantFrom(...bodies),
        phase: fc.constantFrom<'after' | 'instead'>('after', 'instead'),
        text: textForm,
        inject: fc.boolean(),
      }),
    },
    {
      weight: 1,
      arbitrary: fc.record({ on, kind: fc.constant('truncate' as const), at: fc.integer({ min: 0, max: 40 }) }),
    },
    {
      weight: 1,
      arbitrary: fc.record({
        on,
        kind: fc.constant('reset' as const),
        phase: fc.constantFrom<'before' | 'after'>('before', 'after'),
      }),
    },
    {
      weight: 1,
      arbitrary: fc.record({ on, kind: fc.constant('delay' as const), ms: fc.integer({ min: 0, max: 1500 }) }),
    },
    { weight: 1, arbitrary: fc.record({ on, kind: fc.constant('gzip' as const) }) },
    { weight: 1, arbitrary: fc.record({ on, kind: fc.constant('bom' as const) }) },
  )
}

const ROLES: Record<Provider, Role[]> = {
  qoder: ['write', 'read', 'poll'],
  kintone: ['write', 'read', 'poll'],
  'huaweicloud-rts': ['write', 'read', 'poll', 'login'],
  aieev: ['write', 'read', 'poll', 'start'],
}
const AUTHS: Record<Provider, string[]> = {
  qoder: ['pat'],
  kintone: ['api-token', 'password'],
  'huaweicloud-rts': ['aksk', 'rts-wrong-sk', 'iam-token', 'password'],
  aieev: ['api-key'],
}
const SPECIALS: Record<Provider, Scenario['special'][]> = {
  qoder: ['large-yaml', 'many-targets'],
  kintone: [],
  'huaweicloud-rts': ['dup-case-target', 'eight-targets'],
  aieev: [],
}

/** Every case of one provider; most are single-target runs with 0–4 hostile steps. */
export function scenarioArb(provider: Provider): fc.Arbitrary<Scenario> {
  const specials = SPECIALS[provider]
  return fc.record({
    provider: fc.constant(provider),
    host: fc.oneof(
      { withCrossShrink: true },
      { weight: 3, arbitrary: fc.constant('127.0.0.1' as const) },
      { weight: 1, arbitrary: fc.constant('::1' as const) },
    ),
    steps: fc.array(stepArb(ROLES[provider]), { minLength: 0, maxLength: 4 }),
    auth: fc.constantFrom(...AUTHS[provider]),
    protoKey: fc.oneof(
      { withCrossShrink: true },
      { weight: 3, arbitrary: fc.constant(null) },
      {
        weight: 1,
        arbitrary: fc.constantFrom(...(provider === 'huaweicloud-rts' ? [...PROTO_KEYS, 'input_values'] : PROTO_KEYS)),
      },
    ),
    payloadAt: fc.oneof(
      { withCrossShrink: true },
      { weight: 6, arbitrary: fc.constant('workspace' as const) },
      {
        weight: 1,
        arbitrary: fc.constantFrom(
          'runner-temp' as const,
          'dotdot-out' as const,
          'absolute-out' as const,
          'symlink-out' as const,
        ),
      },
    ),
    sigtermAfterMs: fc.oneof(
      { withCrossShrink: true },
      { weight: 7, arbitrary: fc.constant(null) },
      { weight: 1, arbitrary: fc.constantFrom(300, 900, 1500) },
    ),
    special:
      specials.length === 0
        ? fc.constant('none' as const)
        : fc.oneof(
            { withCrossShrink: true },
            { weight: 8, arbitrary: fc.constant('none' as const) },
            { weight: 1, arbitrary: fc.constantFrom(...specials) },
          ),
    restart: provider === 'aieev' ? fc.boolean() : fc.constant(true),
  })
}

/** A case in which nothing hostile happens: it must end `succeeded` with exit 0. */
export function isBenign(sc: Scenario): boolean {
  return (
    sc.steps.every((s) => s.kind === 'pass' || s.kind === 'delay') &&
    sc.sigtermAfterMs === null &&
    sc.special === 'none' &&
    sc.auth !== 'rts-wrong-sk' &&
    (sc.payloadAt === 'workspace' || sc.payloadAt === 'runner-temp')
  )
}

const isOutside = (sc: Scenario): boolean =>
  sc.payloadAt === 'dotdot-out' || sc.payloadAt === 'absolute-out' || sc.payloadAt === 'symlink-out'

// ---------------------------------------------------------------------------------------------
// Setup: emulator (ground truth), proxy, inputs, payload

export interface Prepared {
  emu: Emulator
  proxy: HostileProxy
  inputs: Record<string, string>
  payloadName: string
  payloadText: string
  timeoutMs: number
  /** Every credential of the run (raw strings; their forms are derived by credentialForms). */
  credentials(): string[]
  /** Ground truth after the run, per target deployment/endpoint/app. */
  truth(): Promise<{ target: string; applied: number; ok: boolean; detail: string }[]>
  close(): Promise<void>
}

export async function prepare(sc: Scenario): Promise<Prepared> {
  const extra: Record<string, string> = {}
  let emu: Emulator
  let target: Omit<ProxyTarget, 'upstream'>
  let inputs: Record<string, string>
  let payload: Record<string, unknown>
  let echo: { secrets: string[]; userPass?: string }
  let credentials: () => string[]
  let truth: Prepared['truth']
  const protoValue = (base: Record<string, unknown>): Record<string, unknown> => {
    if (sc.protoKey === null) return base
    const out = { ...base }
    Object.defineProperty(out, sc.protoKey, { value: 'a', enumerable: true, configurable: true, writable: true })
    return out
  }

  switch (sc.provider) {
    case 'qoder': {
      const q = new QoderEmulator({ tokens: [C.qoder] })
      emu = q
      await q.start()
      const dep = q.seed({ name: 'nightly-report' })
      const other = q.seed({ name: 'someone-else' })
      let targets = dep.id
      if (sc.special === 'many-targets') {
        const ids = [dep.id]
        for (let i = 1; i < 3000; i++) ids.push(`dep_${randomBytes(16).toString('hex')}`)
        targets = ids.join('\n')
      }
      let metadata: Record<string, unknown> = { release: 'v2.0.0' }
      if (sc.special === 'large-yaml') {
        metadata = {}
        for (let i = 0; i < 40_000; i++) metadata[`key_${i}`] = `value-${i}`
      }
      payload = { name: 'nightly-report-v2', metadata: protoValue(metadata) }
      inputs = { provider: 'qoder', token: C.qoder, target: targets }
      target = {
        roleOf: (method) => (method === 'POST' ? 'write' : 'read'),
        errorEnvelope: (message) => JSON.stringify({ type: 'error', error: { type: 'api_error', message } }),
        otherId: other.id,
      }
      echo = { secrets: [C.qoder] }
      credentials = () => [C.qoder]
      truth = async () => {
        const stored = q.stored(dep.id)
        const applied = q.appliedUpdates(dep.id)
        return [
          {
            target: dep.id,
            applied,
            ok: applied >= 1 && stored?.name === 'nightly-report-v2',
            detail: `appliedUpdates=${applied}, name=${stored?.name}`,
          },
        ]
      }
      break
    }
    case 'kintone': {
      const k = new KintoneEmulator({
        apiTokens: { [C.kintoneToken]: { apps: [1], appManagement: true } },
        users: { [C.kintoneUser]: C.kintonePassword },
        deployMs: ASYNC_MS,
        // A read right after a deploy whose answer was lost sees it running, however slow the machine:
        // a finished deploy reads like one never sent (see the kintone emulator's deployReads).
        deployReads: 1,
      })
      emu = k
      await k.start()
      k.addApp(1, { revision: 5 })
      payload = {}
      inputs =
        sc.auth === 'password'
          ? { provider: 'kintone', username: C.kintoneUser, password: C.kintonePassword, target: '1' }
          : { provider: 'kintone', token: C.kintoneToken, target: '1' }
      target = {
        roleOf: (method, p, headers) =>
          method === 'POST' && p.endsWith('/preview/app/deploy.json') && !headers['x-http-method-override']
            ? 'write'
            : 'read',
        errorEnvelope: (message) => JSON.stringify({ code: 'GAIA_IL23', id: 'prop1', message }),
        otherId: '2',
      }
      const userPass = `${C.kintoneUser}:${C.kintonePassword}`
      echo = sc.auth === 'password' ? { secrets: [C.kintonePassword], userPass } : { secrets: [C.kintoneToken] }
      credentials = () =>
        sc.auth === 'password' ? [C.kintonePassword, Buffer.from(userPass).toString('base64')] : [C.kintoneToken]
      truth = async () => {
        const applied = k.deploysApplied()
        const status = k.deployStatus(1)
        return [
          {
            target: '1',
            applied,
            ok: applied >= 1 && status === 'SUCCESS',
            detail: `deploysApplied=${applied}, deploy status=${status}`,
          },
        ]
      }
      break
    }
    case 'huaweicloud-rts': {
      const r = new RtsEmulator({
        projectId: RTS_PROJECT,
        keys: { [C.rtsAk]: { sk: C.rtsSk } },
        tokens: [C.rtsToken, RTS_ORACLE_TOKEN],
        users: [C.rtsUser],
        settleMs: ASYNC_MS,
      })
      emu = r
      await r.start()
      const deps = [r.seed()]
      if (sc.special === 'eight-targets') for (let i = 1; i < 8; i++) deps.push(r.seed())
      const other = r.seed()
      const configId = randomUUID()
      payload = {
        config_id: configId,
        status: 'IN_PROGRESS',
        action: 'UPDATE',
        input_values: protoValue({ release: 'v2.0.0' }),
      }
      // Duplicate-case targets only reach one deployment through a case-insensitive gateway, which
      // the proxy plays; a rewritten path breaks AK/SK signatures, so those cases use an IAM token.
      const auth =
        sc.special === 'dup-case-target' && (sc.auth === 'aksk' || sc.auth === 'rts-wrong-sk') ? 'iam-token' : sc.auth
      const targets =
        sc.special === 'dup-case-target'
          ? `${deps[0]!.id}\n${deps[0]!.id.toUpperCase()}`
          : deps.map((d) => d.id).join('\n')
      const base = { provider: 'huaweicloud-rts', region: 'cn-north-4', 'project-id': RTS_PROJECT, target: targets }
      switch (auth) {
        case 'aksk':
          inputs = { ...base, 'access-key': C.rtsAk, 'secret-key': C.rtsSk }
          break
        case 'rts-wrong-sk':
          inputs = { ...base, 'access-key': C.rtsAk, 'secret-key': C.rtsWrongSk }
          break
        case 'iam-token':
          inputs = { ...base, token: C.rtsToken }
          break
        default:
          inputs = { ...base, username: C.rtsUser.name, password: C.rtsUser.password, domain: C.rtsUser.domain }
          extra.authUrl = 'proxy'
      }
      target = {
        roleOf: (method, p) => (p === '/v3/auth/tokens' ? 'login' : method === 'PUT' ? 'write' : 'read'),
        errorEnvelope: (message) =>
          JSON.stringify({
            code: 400,
            error: { message, traceback: null, type: 'HTTPBadRequest' },
            explanation: 'The server could not comply with the request.',
            title: 'Bad Request',
          }),
        rewritePath:
          sc.special === 'dup-case-target'
            ? (p) =>
                p.replace(/[0-9A-F]{8}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{12}/gi, (id) => id.toLowerCase())
            : undefined,
        otherId: other.id,
      }
      const raw =
        auth === 'aksk'
          ? [C.rtsSk]
          : auth === 'rts-wrong-sk'
            ? [C.rtsWrongSk]
            : auth === 'iam-token'
              ? [C.rtsToken]
              : [C.rtsUser.password]
      echo = { secrets: raw }
      credentials = () => [...raw, ...(auth === 'rts-wrong-sk' ? [C.rtsSk] : []), ...r.issuedTokens]
      truth = async () => {
        const out = []
        for (const dep of deps) {
          // The oracle read settles an IN_PROGRESS run the way any GET does.
          const res = await fetch(`${r.origin}/v1/${RTS_PROJECT}/software_deployments/${dep.id}`, {
            headers: { 'x-auth-token': RTS_ORACLE_TOKEN },
          })
          const body = (await res.json()) as { software_deployment?: { status?: string; config_id?: string } }
          const sd = body.software_deployment
          const applied = r.appliedUpdates(dep.id)
          out.push({
            target: dep.id,
            applied,
            ok: applied >= 1 && sd?.status === 'COMPLETE' && sd.config_id === configId,
            detail: `appliedUpdates=${applied}, status=${sd?.status}, config_id ${sd?.config_id === configId ? 'new' : 'old'}`,
          })
        }
        return out
      }
      break
    }
    case 'aieev': {
      const a = new AieevEmulator({ keys: [C.aieev], startMs: ASYNC_MS })
      emu = a
      await a.start()
      const ep = a.seed()
      const other = a.seed()
      payload = { container_port: 9090 }
      inputs = { provider: 'aieev', token: C.aieev, target: ep.endpoint_id, restart: String(sc.restart) }
      target = {
        roleOf: (method, p) =>
          method === 'PATCH' ? 'write' : method === 'POST' && /\/(start|stop|scale)$/.test(p) ? 'start' : 'read',
        errorEnvelope: (message) => JSON.stringify({ detail: message }),
        otherId: other.endpoint_id,
      }
      echo = { secrets: [C.aieev] }
      credentials = () => [C.aieev]
      truth = async () => {
        const stored = a.stored(ep.endpoint_id)
        const applied = a.appliedPatches(ep.endpoint_id)
        const running = stored?.status === 'RUNNING' && stored.is_active
        return [
          {
            target: ep.endpoint_id,
            applied,
            ok: applied >= 1 && stored?.container_port === 9090 && (!sc.restart || running),
            detail: `appliedPatches=${applied}, container_port=${stored?.container_port}, status=${stored?.status}, is_active=${stored?.is_active}`,
          },
        ]
      }
      break
    }
  }

  const proxy = new HostileProxy({ ...target, upstream: emu.origin }, sc.steps, echo)
  const origin = await proxy.start(sc.host)
  inputs['base-url'] = origin
  if (extra.authUrl) inputs['auth-url'] = origin
  const timeoutMs = sc.special === 'large-yaml' ? LARGE_TIMEOUT_MS : TIMEOUT_MS
  Object.assign(inputs, { 'poll-interval': '100ms', 'max-retries': '2', timeout: `${timeoutMs / 1000}s` })
  const large = sc.special === 'large-yaml'
  const payloadName = large ? 'payload.yaml' : 'payload.json'
  const payloadText = large ? toYaml(payload) : JSON.stringify(payload)
  return {
    emu,
    proxy,
    inputs,
    payloadName,
    payloadText,
    timeoutMs,
    credentials,
    truth,
    close: async () => {
      await proxy.close()
      await emu.close()
    },
  }
}

/** Flat YAML for the large case (string values, two levels). */
function toYaml(value: Record<string, unknown>): string {
  const lines: string[] = []
  for (const [key, v] of Object.entries(value)) {
    if (v !== null && typeof v === 'object') {
      lines.push(`${key}:`)
      for (const [k2, v2] of Object.entries(v)) lines.push(`  ${k2}: ${JSON.stringify(v2)}`)
    } else {
      lines.push(`${key}: ${JSON.stringify(v)}`)
    }
  }
  return lines.join('\n') + '\n'
}

/** Directories created outside the run's workspace (remove them after the test). */
export const outsideDirs: string[] = []

/**
 * Places the payload file as the scenario says and returns the `payload-file` input.
 * Outside files live in a directory next to the run's root, so `../` paths reach them.
 */
export async function placePayload(
  sc: Scenario,
  p: Prepared,
  dirs: { workspace: string; runnerTemp: string },
): Promise<Record<string, string>> {
  const outsideDir = path.join(os.tmpdir(), `deploy-patch-prop-outside-${randomUUID()}`)
  if (isOutside(sc)) outsideDirs.push(outsideDir)
  const write = async (file: string): Promise<void> => {
    await mkdir(path.dirname(file), { recursive: true })
    await writeFile(file, p.payloadText)
  }
  switch (sc.payloadAt) {
    case 'workspace':
      await write(path.join(dirs.workspace, 'deploy', p.payloadName))
      return { 'payload-file': `deploy/${p.payloadName}` }
    case 'runner-temp': {
      const file = path.join(dirs.runnerTemp, 'generated', p.payloadName)
      await write(file)
      return { 'payload-file': file }
    }
    case 'dotdot-out': {
      const file = path.join(outsideDir, p.payloadName)
      await write(file)
      return { 'payload-file': path.relative(dirs.workspace, file) }
    }
    case 'absolute-out': {
      const file = path.join(outsideDir, p.payloadName)
      await write(file)
      return { 'payload-file': file }
    }
    case 'symlink-out': {
      const file = path.join(outsideDir, p.payloadName)
      await write(file)
      await mkdir(path.join(dirs.workspace, 'deploy'), { recursive: true })
      await symlink(file, path.join(dirs.workspace, 'deploy', p.payloadName))
      return { 'payload-file': `deploy/${p.payloadName}` }
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Invariants

/** Every form a credential can be echoed in, each at least 8 characters long. */
export function credentialForms(secret: string): string[] {
  const forms = new Set<string>([
    secret,
    encodeURIComponent(secret),
    JSON.stringify(secret).slice(1, -1),
    secret.slice(0, 8),
  ])
  const bytes = Buffer.from(secret)
  for (let shift = 0; shift < 3; shift++) {
    const encoded = Buffer.concat([Buffer.alloc(shift), bytes])
      .toString('base64')
      .replace(/=+$/, '')
    // Characters fixed by the credential's bytes alone, whatever surrounds it.
    const start = Math.ceil((shift * 8) / 6)
    const end = Math.floor(((shift + bytes.length) * 8) / 6)
    forms.add(encoded.slice(start, end))
  }
  return [...forms].filter((f) => f.length >= 8)
}

export interface RunFacts {
  sc: Scenario
  run: ActionRun | undefined
  /** runAction's own error (the child outlived its hard limit). */
  runError?: string
  truth: { target: string; applied: number; ok: boolean; detail: string }[]
  prepared: Prepared
  /** Files the action wrote (path → content), outside the payload we placed. */
  files: Record<string, string>
}

const FAILED_STATUSES = new Set(['failed', 'timed-out', 'cancelled'])

export function checkInvariants(f: RunFacts): string[] {
  const v: string[] = []
  const { sc, run, prepared } = f
  if (!run) return [`[deadline] the step did not end at all: ${f.runError ?? ''}`]
  const o = run.outputs
  const status = o.status ?? ''
  const records = prepared.proxy.records

  // 1. The write applied at most once.
  const how = sc.special === 'dup-case-target' ? 'at-most-once:duplicate-target' : 'at-most-once'
  for (const t of f.truth)
    if (t.applied > 1) v.push(`[${how}] ${t.target}: the write was applied ${t.applied} times (${t.detail})`)

  // 2. succeeded only on ground truth. kintone's deploy answer is documented as `{}`: a made-up `{}`
  // from a proxy that never forwarded the deploy cannot be told from the real one, so it is excused.
  const undetectable =
    sc.provider === 'kintone' &&
    records.some(
      (r) =>
        r.role === 'write' &&
        r.step?.kind === 'body' &&
        r.step.phase === 'instead' &&
        r.status === 200 &&
        r.answer?.trim() === '{}',
    )
  if (status === 'succeeded' && !undetectable) {
    for (const t of f.truth)
      if (!t.ok) v.push(`[false-success] status=succeeded but the ground truth says not done: ${t.target}: ${t.detail}`)
  }

  // 3. Outputs agree with the exit code.
  if (run.signal === null) {
    if (status === '') v.push(`[outputs] exit ${run.code} but no status output`)
    if (status === 'succeeded' && run.code !== 0) v.push(`[outputs] status=succeeded with exit code ${run.code}`)
    if (run.code === 0 && FAILED_STATUSES.has(status)) v.push(`[outputs] exit 0 with status=${status}`)
    const failed = run.code !== 0
    if (failed && (!o['error-type'] || !o['error-message']))
      v.push(
        `[outputs] exit ${run.code} but error-type='${o['error-type'] ?? ''}' error-message='${short(o['error-message'] ?? '')}'`,
      )
    if (!failed && (o['error-type'] || o['error-message']))
      v.push(`[outputs] exit 0 but error-type='${o['error-type']}' error-message='${short(o['error-message'] ?? '')}'`)
  }

  // 4. No credential in any form anywhere.
  // The run's credential inputs (the default github-token too) and the provider's own secrets.
  const given = CREDENTIAL_INPUTS.map((name) => run.inputs[name] ?? '').filter((value) => value.length >= 8)
  const secrets = [...new Set([...prepared.credentials(), ...given])]
  const forms = [...new Set(secrets.flatMap(credentialForms))]
  const places: [string, string][] = [
    [
      'stdout',
      run.stdout
        .split('\n')
        .filter((l) => !l.trimStart().startsWith('::add-mask::'))
        .join('\n'),
    ],
    ['stderr', run.stderr],
    ['summary', run.summary],
    ['GITHUB_ENV', run.githubEnv],
    ['GITHUB_STATE', run.githubState],
    ...Object.entries(o).map(([k, val]): [string, string] => [`output '${k}'`, val]),
    ...Object.entries(f.files).map(([k, val]): [string, string] => [`file ${k}`, val]),
  ]
  // Tagged by the strongest form found, so a leak of only a first few characters (a cut) reads
  // credential:prefix and an encoded one credential:base64 / credential:url / credential:json.
  const leaks = new Set<string>()
  for (const [where, text] of places) {
    for (const secret of secrets) {
      const found = leakForm(secret, text)
      if (!found) continue
      const at = text.indexOf(found.form)
      leaks.add(
        `[credential:${found.kind}] ${where} holds '${found.form.slice(0, 4)}…' (${found.form.length} chars of a ${secret.length}-char credential, ${found.kind}): …${short(text.slice(Math.max(0, at - 40), at))}<here>…`,
      )
    }
  }
  v.push(...[...leaks].slice(0, 4))

  // 5. No server byte starts a workflow command (parsed as the runner reads lines: \n, \r, \r\n).
  // Masking an identity the step was given (access key, user name) is the action's choice, not an injection.
  const maskable = ['access-key', 'username', 'domain']
    .map((name) => run.inputs[name] ?? '')
    .filter((value) => value.length >= 3)
  for (const line of run.stdout.split(/\r\n|\r|\n/)) {
    const t = line.trimStart()
    if (t.startsWith('##[') && t.includes(NONCE))
      v.push(`[command] log line starts a ##[ command with server text: ${short(t)}`)
    if (t.includes('##vso[')) v.push(`[command] ##vso[ command: ${short(t)}`)
    if (!t.startsWith('::')) continue
    const end = t.indexOf('::', 2)
    if (end < 0) continue
    const info = t.slice(2, end)
    const name = info.split(' ')[0] ?? ''
    const message = t.slice(end + 2)
    if (['stop-commands', 'set-output', 'add-path', 'set-env', 'save-state', 'echo'].includes(name))
      v.push(`[command] '${name}' command in stdout: ${short(t)}`)
    else if (info.includes(NONCE) || message.startsWith(NONCE))
      v.push(`[command] server text in a '${name}' command: ${short(t)}`)
    else if (
      name === 'add-mask' &&
      !forms.some((form) => message.includes(form)) &&
      !maskable.some((value) => message.includes(value)) &&
      !derivedFromInput(message, [...Object.values(run.inputs), ...secrets])
    ) {
      v.push(`[command] add-mask of something that is not a credential: '${short(message)}'`)
    }
  }

  // 6. Deadline and signals.
  const limit =
    sc.sigtermAfterMs !== null ? sc.sigtermAfterMs + SIGNAL_MARGIN_MS : prepared.timeoutMs + DEADLINE_MARGIN_MS
  if (run.durationMs > limit)
    v.push(
      `[deadline] the step took ${run.durationMs} ms; limit ${limit} ms (${sc.sigtermAfterMs !== null ? `SIGTERM at ${sc.sigtermAfterMs} ms + ${SIGNAL_MARGIN_MS}` : `timeout ${prepared.timeoutMs} + ${DEADLINE_MARGIN_MS}`})`,
    )

  // 7. A payload file outside the workspace and RUNNER_TEMP is refused before any request.
  if (isOutside(sc)) {
    if (records.length > 0)
      v.push(
        `[payload-file] payload-file ${sc.payloadAt} was read and sent: ${records.length} request(s) (${records
          .map((r) => `${r.method} ${r.role}`)
          .slice(0, 3)
          .join(', ')})`,
      )
    if (run.code === 0 || o['error-type'] !== 'input' || !(o['error-message'] ?? '').includes('payload-file')) {
      v.push(
        `[payload-file] ${sc.payloadAt}: expected exit 1, error-type=input naming payload-file; got exit ${run.code}, error-type='${o['error-type'] ?? ''}', error-message='${short(o['error-message'] ?? '')}'`,
      )
    }
  }

  // 8. GitHub's limits.
  const summaryBytes = Buffer.byteLength(run.summary)
  if (summaryBytes > GITHUB_LIMIT_BYTES)
    v.push(`[limits] job summary is ${summaryBytes} bytes (GitHub refuses over 1 MiB per step)`)
  const outputBytes = Object.values(o).reduce((n, val) => n + Buffer.byteLength(val), 0)
  if (outputBytes > GITHUB_LIMIT_BYTES)
    v.push(`[limits] outputs total ${outputBytes} bytes (GitHub keeps 1 MB per job)`)

  // 9. A refused credential is not sent again and again (at most one more request with it).
  const refused = records.find((r) => r.status === 401 && r.credentials.length > 0)
  if (refused?.answeredAt !== undefined) {
    const again = records.filter(
      (r) => r !== refused && r.at > refused.answeredAt! && r.credentials.some((c) => refused.credentials.includes(c)),
    )
    if (again.length > 1)
      v.push(
        `[refused-credential] ${again.length} more requests carried a credential after the provider refused it with 401 (${again
          .slice(0, 3)
          .map((r) => `${r.method} ${r.path}`)
          .join(', ')}…)`,
      )
  }

  // 10. Liveness: with nothing hostile, the update succeeds.
  if (isBenign(sc) && !(status === 'succeeded' && run.code === 0)) {
    v.push(
      `[liveness] nothing hostile happened, yet exit ${run.code}, status='${status}', error-type='${o['error-type'] ?? ''}', error-message='${short(o['error-message'] ?? '')}'`,
    )
  }
  return v
}

/** The strongest form of a credential present in a text, if any. */
/**
 * Whether an add-mask value is an encoding of (a piece of) an input the step was given: its
 * base64/base64url at any byte alignment (the last character and padding may depend on what
 * follows), or its URL-encoding applied once or twice, in either hex case. Inputs are not server
 * bytes, so masking them is the action's choice, not an injection.
 */
function derivedFromInput(message: string, inputs: string[]): boolean {
  const core = message.replace(/=+$/, '').slice(0, -1)
  if (core.length < 5) return false
  const strict = (v: string) =>
    encodeURIComponent(v).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)
  const steps: ((v: string) => string)[] = [
    encodeURIComponent,
    strict,
    (v) => strict(v).replace(/%20/g, '+'),
    (v) => JSON.stringify(v).slice(1, -1),
    (v) => Buffer.from(v).toString('base64'),
    (v) => v.replace(/^(?:Basic|Bearer) /, ''),
  ]
  // Inputs, and what one or two encodings make of them (a Basic header is base64 of user:password).
  let level = new Set(inputs.filter((v) => v.length >= 3))
  const names = [...level]
  for (const a of names) for (const b of names) level.add(`${a}:${b}`)
  const all = new Set(level)
  for (let depth = 0; depth < 2; depth++) {
    const next = new Set<string>()
    for (const value of level) for (const step of steps) next.add(step(value))
    for (const value of next) all.add(value)
    level = next
  }
  for (const value of all) {
    if (value.includes(message) || value.toLowerCase().includes(message.toLowerCase())) return true
    const bytes = Buffer.from(value)
    for (let k = 0; k < 3; k++)
      for (const enc of ['base64', 'base64url'] as const)
        if (bytes.subarray(k).toString(enc).includes(core)) return true
  }
  return false
}

function leakForm(secret: string, text: string): { kind: string; form: string } | undefined {
  if (secret.length >= 8 && text.includes(secret)) return { kind: 'raw', form: secret }
  const forms = credentialForms(secret)
  const b64 = forms.filter(
    (f) =>
      f !== secret &&
      f !== encodeURIComponent(secret) &&
      f !== JSON.stringify(secret).slice(1, -1) &&
      f !== secret.slice(0, 8),
  )
  for (const f of b64) if (text.includes(f)) return { kind: 'base64', form: f }
  const url = encodeURIComponent(secret)
  if (url !== secret && text.includes(url)) return { kind: 'url', form: url }
  const json = JSON.stringify(secret).slice(1, -1)
  if (json !== secret && text.includes(json)) return { kind: 'json', form: json }
  if (secret.length >= 8 && text.includes(secret.slice(0, 8))) return { kind: 'prefix', form: secret.slice(0, 8) }
  return undefined
}

/** Keeps only the violations whose tag starts with one of FC_ONLY's comma-separated prefixes (all when unset). */
export function selectViolations(violations: string[], only = process.env.FC_ONLY): string[] {
  if (!only) return violations
  const wanted = only
    .split(',')
    .map((t) => t.trim())
    .filter(Boolean)
  return violations.filter((v) => wanted.some((t) => v.startsWith(`[${t}`)))
}

function short(text: string, max = 160): string {
  const flat = JSON.stringify(text).slice(1, -1)
  return flat.length > max ? flat.slice(0, max) + '…' : flat
}

/** Every file under a directory (content as text, capped), skipping the given paths. */
export async function filesUnder(root: string, skip: (file: string) => boolean): Promise<Record<string, string>> {
  const out: Record<string, string> = {}
  const walk = async (dir: string): Promise<void> => {
    let entries
    try {
      entries = await readdir(dir, { withFileTypes: true })
    } catch {
      return
    }
    for (const e of entries) {
      const full = path.join(dir, e.name)
      if (e.isDirectory()) await walk(full)
      else if (e.isFile() && !skip(full))
        out[path.relative(root, full)] = (await readFile(full, 'utf8')).slice(0, 4_000_000)
    }
  }
  await walk(root)
  return out
}

/** One readable block: the case, what the action did, what broke. */
export function describeFailure(f: RunFacts, violations: string[]): string {
  const run = f.run
  const lines = [
    `${violations.length} invariant(s) broken:`,
    ...violations.map((x) => `  - ${x}`),
    `case: ${JSON.stringify(f.sc)}`,
    `requests through the proxy: ${f.prepared.proxy.records
      .map((r) => `${r.method} ${r.role}${r.step ? `[${r.step.kind}]` : ''}→${r.status ?? 'x'}`)
      .slice(0, 12)
      .join(', ')}`,
    `ground truth: ${f.truth
      .map((t) => `${t.target.slice(0, 12)}: ${t.detail}`)
      .slice(0, 3)
      .join('; ')}`,
  ]
  if (run) {
    lines.push(
      `exit ${run.code}${run.signal ? ` (signal ${run.signal})` : ''} after ${run.durationMs} ms; outputs: status=${run.outputs.status ?? ''} provider-status=${run.outputs['provider-status'] ?? ''} changed=${run.outputs.changed ?? ''} error-type=${run.outputs['error-type'] ?? ''}`,
    )
    lines.push(`error-message: ${short(run.outputs['error-message'] ?? '', 300)}`)
    lines.push(`stdout tail: ${short(run.stdout.split('\n').slice(-6).join('\n'), 400)}`)
  }
  return lines.join('\n')
}
