/**
 * Fault-matrix harness: one provider × one fault, driven IN-PROCESS through `deploy()` (src/deploy.ts,
 * the run src/main.ts runs: settings → provider → payload → checks → runTarget) over real HTTP
 * against a fresh loopback emulator, but with small clocks:
 * zero backoff (`random: () => 0`), a 50 ms poll interval, short emulator async times, and a
 * 300 ms per-request timeout for the hang cases. Each case gets its own emulator (and catcher),
 * so cases run concurrently without sharing state.
 *
 * A case never throws and never hangs: a guard aborts it and marks it `hung` if it outlives its
 * deadline by more than GUARD_SLACK_MS. The counters (`matrixCounts`) feed the one-line summary.
 */
import { createServer } from 'node:net'
import { randomUUID } from 'node:crypto'
import { deploy } from '../../src/deploy.js'
import { recordingLog } from '../helpers/recording-log.ts'
import type { Outcome } from '../../src/outcome.js'
import { Secrets } from '../../src/secrets.js'
import type { ProviderName } from '../../src/settings.js'
import { startCatcher, type Emulator, type Fault, type FaultRule, type RecordedRequest } from '../emulators/base.ts'
import { AieevEmulator } from '../emulators/aieev.ts'
import { RtsEmulator } from '../emulators/huaweicloud-rts.ts'
import { FAKE_CREDENTIALS, seededAieev, seededKintone, seededQoder, seededRts } from '../emulators/seeded.ts'

// ---------------------------------------------------------------------------------------------
// Clocks

/** Per-request timeout for the hang cases: a hung attempt is given up after this. */
export const HANG_REQUEST_TIMEOUT_MS = 300
/** Per-request timeout for every other case (never reached on loopback). */
export const NORMAL_REQUEST_TIMEOUT_MS = 5_000
/** The step's `timeout` for most cases. */
export const CASE_TIMEOUT_MS = 10_000
/** The step's `timeout` when every attempt hangs: the deadline, not the retry count, ends it. */
export const HANG_ALWAYS_TIMEOUT_MS = 1_500
/** How long past its deadline a case may run before the guard calls it hung. */
export const GUARD_SLACK_MS = 3_000
/** Poll interval (below the 100 ms the `poll-interval` input accepts, so set on Settings directly). */
export const POLL_INTERVAL_MS = 50
/** Emulator async times (RTS agent run, Aieev start). */
export const ASYNC_MS = 150
/**
 * kintone's deploy time. The status read right after a deploy sees PROCESSING whatever the time
 * (`deployReads: 1`): on a loaded CI machine that read once came 2 s after the lost answer, the
 * deploy had finished, and a finished deploy reads like one never sent, so it was sent again.
 */
export const KINTONE_DEPLOY_MS = 500
/** Body cap for the in-process client, so an "oversize" answer is 128 KB, not 16 MB. */
export const BODY_CAP_BYTES = 64 * 1024
export const OVERSIZE_BYTES = 128 * 1024

// ---------------------------------------------------------------------------------------------
// Providers: emulator, credentials, payload, and how to count the one write

/** The seeded emulators' fixed fake credentials (__tests__/emulators/seeded.ts), and a secret of Aieev's payload. */
export const CREDENTIALS = {
  qoder: FAKE_CREDENTIALS.qoder,
  kintone: FAKE_CREDENTIALS.kintone,
  rtsAk: FAKE_CREDENTIALS.rtsAccessKey,
  rtsSk: FAKE_CREDENTIALS.rtsSecretKey,
  aieev: FAKE_CREDENTIALS.aieev,
  aieevEnvSecret: 'sk_live_fault_matrix_env_value',
} as const

export interface ProviderSetup {
  emu: Emulator
  target: string
  inputs: Record<string, string>
  payload: Record<string, unknown>
  /** Secrets that must never show in a log line, message or resource. */
  secrets: string[]
  /** The write request (the one the faults hit): method and pathname. */
  write: { method: string; path: RegExp }
  /** The read request of the resource (for the redirect-on-read case). */
  read: { method: string; path: RegExp }
  /** How many writes the emulator really applied. */
  applied(): number
  /** Write requests on the wire. */
  writes(): RecordedRequest[]
  /** A well-formed answer to the write, but about another resource (a hostile or misrouted 2xx). */
  otherAnswer: string
  /** The provider's error body, answered with a 200. */
  errorEnvelope: string
}

export const PROVIDER_NAMES: readonly ProviderName[] = ['qoder', 'kintone', 'huaweicloud-rts', 'aieev']

/** A fresh seeded emulator (__tests__/emulators/seeded.ts) with one resource, and the inputs that update it. */
export async function setupProvider(name: ProviderName): Promise<ProviderSetup> {
  switch (name) {
    case 'qoder': {
      const { emulator: emu, inputs } = await seededQoder()
      const dep = emu.stored(inputs.target!)!
      const path = new RegExp(`^/api/v1/cloud/deployments/${dep.id}$`)
      return {
        emu,
        target: dep.id,
        inputs,
        payload: { name: 'nightly-report-v2', metadata: { release: 'v2.0.0' } },
        secrets: [CREDENTIALS.qoder],
        write: { method: 'POST', path },
        read: { method: 'GET', path },
        applied: () => emu.appliedUpdates(dep.id),
        writes: () => emu.requestsTo('POST', path),
        otherAnswer: JSON.stringify({ ...dep, id: `dep_${'0'.repeat(32)}` }),
        errorEnvelope: '{"type":"error","error":{"type":"api_error","message":"Internal error"}}',
      }
    }
    case 'kintone': {
      const { emulator: emu, inputs } = await seededKintone({
        apps: { 1: 5 },
        asyncMs: KINTONE_DEPLOY_MS,
        deployReads: 1,
      })
      const path = /^\/k\/v1\/preview\/app\/deploy\.json$/
      return {
        emu,
        target: inputs.target!,
        inputs,
        payload: {},
        secrets: [CREDENTIALS.kintone],
        write: { method: 'POST', path },
        read: { method: 'GET', path },
        applied: () => emu.deploysApplied(),
        writes: () => emu.requestsTo('POST', path).filter((r) => !r.headers['x-http-method-override']),
        otherAnswer: JSON.stringify({ apps: [{ app: '2', status: 'PROCESSING' }] }),
        errorEnvelope: '{"code":"CB_IJ01","id":"1505999166-897850006","message":"Internal error"}',
      }
    }
    case 'huaweicloud-rts': {
      const { emulator: emu, inputs } = await seededRts({ asyncMs: ASYNC_MS })
      const dep = emu.stored(inputs.target!)!
      const path = new RegExp(`^/v1/${emu.projectId}/software_deployments/${dep.id}$`)
      return {
        emu,
        target: dep.id,
        inputs,
        // IN_PROGRESS: the agent runs the new config, so the async wait is exercised too.
        payload: {
          config_id: randomUUID(),
          status: 'IN_PROGRESS',
          action: 'UPDATE',
          input_values: { release: 'v2.0.0' },
        },
        secrets: [CREDENTIALS.rtsSk],
        write: { method: 'PUT', path },
        read: { method: 'GET', path },
        applied: () => emu.appliedUpdates(dep.id),
        writes: () => emu.requestsTo('PUT', path),
        otherAnswer: JSON.stringify({ software_deployment: { ...dep, id: randomUUID(), status: 'COMPLETE' } }),
        errorEnvelope: '{"error_code":"RTS.0001","error_msg":"Internal error","request_id":"x"}',
      }
    }
    case 'aieev': {
      const { emulator: emu, inputs } = await seededAieev({ asyncMs: ASYNC_MS })
      const endpoint = emu.stored(inputs.target!)!
      const path = new RegExp(`^/external/api/v1/endpoints/${endpoint.endpoint_id}$`)
      return {
        emu,
        target: endpoint.endpoint_id,
        inputs,
        payload: {
          container_port: 9090,
          container_env_vars: [{ key: 'API_SECRET', value: CREDENTIALS.aieevEnvSecret }],
        },
        secrets: [CREDENTIALS.aieev, CREDENTIALS.aieevEnvSecret],
        write: { method: 'PATCH', path },
        read: { method: 'GET', path },
        applied: () => emu.appliedPatches(endpoint.endpoint_id),
        writes: () => emu.requestsTo('PATCH', path),
        otherAnswer: JSON.stringify({ ...endpoint, endpoint_id: randomUUID() }),
        errorEnvelope: '{"detail":"Internal error"}',
      }
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Faults

/**
 * The faults on a write's answer: applied, then answered as if not (a gateway after an upstream
 * reset), or with a 2xx that is not the resource; and a 2xx that is not the resource with the
 * write NOT applied, which must never read as success.
 */
export const ANSWER_FAULTS = [
  '503 after applied, Retry-After 0',
  '429 after applied, Retry-After 0',
  '408 after applied',
  '500 after applied',
  '204 after applied',
  'empty 200 after applied',
  'null 200 after applied',
  'error envelope 200 after applied',
  'another resource 200 after applied',
  '204 not applied',
  'empty 200 not applied',
  'error envelope 200 not applied',
  'another resource 200 not applied',
] as const

export const FAULT_IDS = [
  '429 Retry-After seconds',
  '429 Retry-After date',
  '429 no Retry-After',
  '500',
  '502',
  '503',
  '504',
  'connection refused',
  'reset before applied',
  'reset after applied',
  'hang once',
  'hang always',
  'malformed JSON 200',
  'truncated body',
  'oversize body',
  '3xx other origin (write)',
  '3xx other origin (read)',
  '401',
  '403',
  '404',
  ...ANSWER_FAULTS,
] as const
export type FaultId = (typeof FAULT_IDS)[number]

/** What a case arranges before the run: fault rules, the step's timeout, the per-request timeout. */
interface Arrangement {
  rules: FaultRule[]
  timeoutMs: number
  requestTimeoutMs: number
  /** Points the client at an origin where nothing listens. */
  refused?: boolean
  /** A foreign origin for redirects. */
  catcher?: Awaited<ReturnType<typeof startCatcher>>
  /** Retry-After as an HTTP date: the instant it names. */
  retryAtMs?: number
}

async function arrange(fault: FaultId, setup: ProviderSetup): Promise<Arrangement> {
  const onWrite = (f: Fault, times = 1): FaultRule => ({
    method: setup.write.method,
    path: setup.write.path,
    times,
    fault: f,
  })
  const plain = { timeoutMs: CASE_TIMEOUT_MS, requestTimeoutMs: NORMAL_REQUEST_TIMEOUT_MS }
  switch (fault) {
    case '429 Retry-After seconds':
      return { ...plain, rules: [onWrite({ kind: 'status', status: 429, retryAfter: '1' })] }
    case '429 Retry-After date': {
      // An HTTP date has whole seconds: the next whole second plus one, so 1–2 s ahead.
      const retryAtMs = Math.ceil(Date.now() / 1000) * 1000 + 1000
      return {
        ...plain,
        retryAtMs,
        rules: [onWrite({ kind: 'status', status: 429, retryAfter: new Date(retryAtMs).toUTCString() })],
      }
    }
    case '429 no Retry-After':
      return { ...plain, rules: [onWrite({ kind: 'status', status: 429 })] }
    case '500':
    case '502':
    case '503':
    case '504':
    case '401':
    case '403':
    case '404':
      return { ...plain, rules: [onWrite({ kind: 'status', status: Number(fault) })] }
    case 'connection refused':
      return { ...plain, rules: [], refused: true }
    case '503 after applied, Retry-After 0':
      return { ...plain, rules: [onWrite({ kind: 'status-after', status: 503, retryAfter: '0' })] }
    case '429 after applied, Retry-After 0':
      return { ...plain, rules: [onWrite({ kind: 'status-after', status: 429, retryAfter: '0' })] }
    case '408 after applied':
      return { ...plain, rules: [onWrite({ kind: 'status-after', status: 408 })] }
    case '500 after applied':
      return { ...plain, rules: [onWrite({ kind: 'status-after', status: 500 })] }
    case '204 after applied':
      return { ...plain, rules: [onWrite({ kind: 'reply-after', status: 204 })] }
    case 'empty 200 after applied':
      return { ...plain, rules: [onWrite({ kind: 'reply-after', status: 200, contentType: 'application/json' })] }
    case 'null 200 after applied':
      return {
        ...plain,
        rules: [onWrite({ kind: 'reply-after', status: 200, body: 'null', contentType: 'application/json' })],
      }
    case 'error envelope 200 after applied':
      return {
        ...plain,
        rules: [
          onWrite({ kind: 'reply-after', status: 200, body: setup.errorEnvelope, contentType: 'application/json' }),
        ],
      }
    case '204 not applied':
      return { ...plain, rules: [onWrite({ kind: 'status', status: 204, body: '' })] }
    case 'empty 200 not applied':
      return { ...plain, rules: [onWrite({ kind: 'status', status: 200, body: '', contentType: 'application/json' })] }
    case 'error envelope 200 not applied':
      return { ...plain, rules: [onWrite({ kind: 'status', status: 200, body: setup.errorEnvelope })] }
    case 'another resource 200 not applied':
      return { ...plain, rules: [onWrite({ kind: 'status', status: 200, body: setup.otherAnswer })] }
    case 'another resource 200 after applied':
      return {
        ...plain,
        rules: [
          onWrite({ kind: 'reply-after', status: 200, body: setup.otherAnswer, contentType: 'application/json' }),
        ],
      }
    case 'reset before applied':
      return { ...plain, rules: [onWrite({ kind: 'reset-before' })] }
    case 'reset after applied':
      return { ...plain, rules: [onWrite({ kind: 'reset-after' })] }
    case 'hang once':
      return {
        timeoutMs: CASE_TIMEOUT_MS,
        requestTimeoutMs: HANG_REQUEST_TIMEOUT_MS,
        rules: [onWrite({ kind: 'hang' })],
      }
    case 'hang always':
      return {
        timeoutMs: HANG_ALWAYS_TIMEOUT_MS,
        requestTimeoutMs: HANG_REQUEST_TIMEOUT_MS,
        rules: [onWrite({ kind: 'hang' }, Infinity)],
      }
    case 'malformed JSON 200':
      return { ...plain, rules: [onWrite({ kind: 'malformed-json' })] }
    case 'truncated body':
      return { ...plain, rules: [onWrite({ kind: 'truncated' })] }
    case 'oversize body':
      return { ...plain, rules: [onWrite({ kind: 'oversize', bytes: OVERSIZE_BYTES })] }
    case '3xx other origin (write)': {
      const catcher = await startCatcher()
      return {
        ...plain,
        catcher,
        rules: [onWrite({ kind: 'redirect', location: `${catcher.origin}/elsewhere`, status: 307 })],
      }
    }
    case '3xx other origin (read)': {
      const catcher = await startCatcher()
      return {
        ...plain,
        catcher,
        rules: [
          {
            method: setup.read.method,
            path: setup.read.path,
            times: 1,
            fault: { kind: 'redirect', location: `${catcher.origin}/elsewhere`, status: 302 },
          },
        ],
      }
    }
  }
}

/** An origin on 127.0.0.1 where nothing listens: a port just bound and released. */
async function deadOrigin(): Promise<string> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const address = server.address()
  await new Promise<void>((resolve) => server.close(() => resolve()))
  if (address === null || typeof address === 'string') throw new Error('deadOrigin: no port')
  return `http://127.0.0.1:${address.port}`
}

// ---------------------------------------------------------------------------------------------
// One case

export interface CaseResult {
  provider: ProviderName
  fault: FaultId
  target: string
  outcome?: Outcome
  /** Set when the harness itself failed (a bug in the test, not in src/). */
  harnessError?: string
  durationMs: number
  timeoutMs: number
  hung: boolean
  applied: number
  writes: RecordedRequest[]
  /** Every request the emulator saw. */
  requests: RecordedRequest[]
  /** Requests the foreign origin received (redirect cases). */
  catcherRequests: RecordedRequest[]
  catcherOrigin?: string
  retryAtMs?: number
  /** Every log line the run wrote (unredacted, as the providers and client produced them). */
  logLines: string[]
  /** Places a credential showed (log lines, the outcome's message and resource). */
  leaks: string[]
  /** Aieev: how many start calls were applied. */
  starts?: number
}

/** The known-good payload of the rollback cases: Aieev's documented GET has no settings to put back. */
export const ROLLBACK_PAYLOAD = { container_port: 8080, container_env_vars: [{ key: 'API_SECRET', value: 'old' }] }

/**
 * One case: the fault on the provider's write. With `rollback` (aieev, huaweicloud-rts), the update
 * goes through cleanly and its new settings fail on the server; the fault then hits the rollback's
 * write instead (armed when the failing start or agent run begins), under `on-failure: rollback`.
 */
export async function runCase(
  providerName: ProviderName,
  fault: FaultId,
  options: { rollback?: boolean } = {},
): Promise<CaseResult> {
  const setup = await setupProvider(providerName)
  const started = Date.now()
  const result: CaseResult = {
    provider: providerName,
    fault,
    target: setup.target,
    durationMs: 0,
    timeoutMs: CASE_TIMEOUT_MS,
    hung: false,
    applied: 0,
    writes: [],
    requests: [],
    catcherRequests: [],
    logLines: [],
    leaks: [],
  }
  let arrangement: Arrangement | undefined
  const controller = new AbortController()
  try {
    arrangement = await arrange(fault, setup)
    result.timeoutMs = arrangement.timeoutMs
    result.retryAtMs = arrangement.retryAtMs
    result.catcherOrigin = arrangement.catcher?.origin
    const arm = () => {
      for (const rule of arrangement!.rules) setup.emu.inject(rule)
    }
    if (!options.rollback) arm()
    else if (setup.emu instanceof AieevEmulator) {
      // The new settings (port 9090) crash: the start fails, and the fault waits for the rollback's PATCH.
      let armed = false
      setup.emu.failStartsWhen(setup.target, (e) => {
        if (e.container_port !== setup.payload.container_port) return undefined
        if (!armed) arm()
        armed = true
        return 'DEPLOY_FAILED'
      })
    } else if (setup.emu instanceof RtsEmulator) {
      let armed = false
      setup.emu.failRunsWhen(setup.target, (d) => {
        if (d.config_id !== setup.payload.config_id) return false
        if (!armed) arm()
        armed = true
        return true
      })
    } else throw new Error(`${providerName} has no rollback`)
    // The rollback has a deadline of its own, as long as the step's: the case may take both.
    if (options.rollback) result.timeoutMs = 2 * arrangement.timeoutMs
    const baseUrl = arrangement.refused ? await deadOrigin() : setup.emu.origin

    const inputs: Record<string, string> = {
      ...setup.inputs,
      target: setup.target,
      'base-url': baseUrl,
      payload: JSON.stringify(setup.payload),
      timeout: `${arrangement.timeoutMs}ms`,
      'poll-interval': '100ms',
      ...(options.rollback
        ? {
            'on-failure': 'rollback',
            'rollback-timeout': `${arrangement.timeoutMs}ms`,
            ...(providerName === 'aieev' ? { 'rollback-payload': JSON.stringify(ROLLBACK_PAYLOAD) } : {}),
          }
        : {}),
    }
    const lines = result.logLines
    const log = recordingLog(lines)
    // The run src/main.ts runs (src/deploy.ts), with the case's inputs, a log kept unredacted (so a
    // credential that reaches it counts as a leak) and the small clocks above.
    const running = deploy({
      readInput: (name) => inputs[name] ?? '',
      env: { GITHUB_WORKSPACE: process.cwd(), RUNNER_TEMP: process.cwd() },
      secrets: new Secrets(() => {}),
      signal: controller.signal,
      log: () => log,
      settings: { pollIntervalMs: POLL_INTERVAL_MS },
      client: { requestTimeoutMs: arrangement.requestTimeoutMs, maxBodyBytes: BODY_CAP_BYTES, random: () => 0 },
    })

    let guard: NodeJS.Timeout | undefined
    const guarded = new Promise<'hung'>((resolve) => {
      guard = setTimeout(() => resolve('hung'), result.timeoutMs + GUARD_SLACK_MS)
    })
    try {
      const settled = await Promise.race([running, guarded])
      if (settled === 'hung') {
        result.hung = true
        controller.abort() // let the run end, so nothing outlives the case
      } else {
        const { problems, error, outcomes } = settled.report
        if (problems.length > 0)
          throw new Error(`the case's own inputs are invalid: ${problems.map((p) => p.message).join('; ')}`)
        if (outcomes.length !== 1) throw new Error(`the case ran ${outcomes.length} targets: ${error?.message}`)
        result.outcome = outcomes[0]
      }
    } finally {
      clearTimeout(guard)
    }
  } catch (error) {
    result.harnessError = error instanceof Error ? (error.stack ?? error.message) : String(error)
  } finally {
    result.durationMs = Date.now() - started
    result.applied = setup.applied()
    result.writes = setup.writes()
    result.requests = [...setup.emu.requests]
    if (setup.emu instanceof AieevEmulator) result.starts = setup.emu.starts(setup.target)
    if (arrangement?.catcher) {
      result.catcherRequests = [...arrangement.catcher.requests]
      await arrangement.catcher.close()
    }
    await setup.emu.close()
  }
  result.leaks = findInProcessLeaks(result, setup.secrets)
  return result
}

/** Every place a credential shows: log lines, the outcome's error message, notes and resource. */
function findInProcessLeaks(result: CaseResult, secrets: string[]): string[] {
  const places: [string, string][] = result.logLines.map((line, i) => [`log line ${i + 1}`, line])
  if (result.outcome) {
    places.push(['error message', result.outcome.error?.message ?? ''])
    places.push(['notes', result.outcome.notes.join('\n')])
    places.push(['resource', JSON.stringify(result.outcome.resource ?? null)])
    places.push(['changes', JSON.stringify(result.outcome.changes)])
  }
  const leaks: string[] = []
  for (const [where, text] of places) {
    secrets.forEach((secret, i) => {
      if (text.includes(secret)) leaks.push(`${where} has secret #${i + 1}`)
    })
  }
  return leaks
}

// ---------------------------------------------------------------------------------------------
// Counting

export interface MatrixCounts {
  cases: number
  /** Succeeded with the write applied exactly once. */
  survived: number
  /** Failed without a second write, within the deadline, with a message naming the provider, the target, the HTTP status and what to do. */
  refusedCleanly: number
  /** Failed without a second write and within the deadline, but the message misses a piece (the HTTP status, or what to do). */
  refusedIncomplete: number
  wroteTwice: number
  hung: number
  /** A credential in a log line, message or resource, or any request at the foreign origin. */
  leaked: number
  /** Anything else: past the deadline, a failure not naming provider and target, a harness error. */
  other: number
}

export const matrixCounts: MatrixCounts = {
  cases: 0,
  survived: 0,
  refusedCleanly: 0,
  refusedIncomplete: 0,
  wroteTwice: 0,
  hung: 0,
  leaked: 0,
  other: 0,
}

/**
 * Count one case. `messageGaps` lists what the failure message misses against the expectation
 * table (empty when complete, or when the case succeeded).
 */
export function tally(result: CaseResult, messageGaps: readonly string[]): void {
  matrixCounts.cases += 1
  if (result.leaks.length > 0 || result.catcherRequests.length > 0) matrixCounts.leaked += 1
  const outcome = result.outcome
  if (result.hung) matrixCounts.hung += 1
  else if (result.applied > 1) matrixCounts.wroteTwice += 1
  else if (!outcome) matrixCounts.other += 1
  else if (outcome.status === 'succeeded') {
    if (result.applied === 1) matrixCounts.survived += 1
    else matrixCounts.other += 1
  } else if (!withinDeadline(result) || !namesProviderAndTarget(result)) matrixCounts.other += 1
  else if (messageGaps.length > 0) matrixCounts.refusedIncomplete += 1
  else matrixCounts.refusedCleanly += 1
}

export function namesProviderAndTarget(result: CaseResult): boolean {
  return (result.outcome?.error?.message ?? '').startsWith(`${result.provider} ${result.target}: `)
}

/** Ended no later than its deadline, plus a little for the last answer to be handled. */
export function withinDeadline(result: CaseResult): boolean {
  return result.durationMs <= result.timeoutMs + 500
}

/** `fault matrix: 80 cases, 45 survived with the write applied once, 35 refused cleanly, 0 wrote twice, 0 hung, 0 leaked` */
export function summaryLine(counts: MatrixCounts = matrixCounts): string {
  const incomplete =
    counts.refusedIncomplete > 0 ? `, ${counts.refusedIncomplete} refused with an incomplete message` : ''
  const other = counts.other > 0 ? `, ${counts.other} otherwise` : ''
  return `fault matrix: ${counts.cases} cases, ${counts.survived} survived with the write applied once, ${counts.refusedCleanly} refused cleanly${incomplete}, ${counts.wroteTwice} wrote twice, ${counts.hung} hung, ${counts.leaked} leaked${other}`
}

/** Run `work` over `items`, at most `limit` at a time. */
export async function pool<T, R>(items: readonly T[], limit: number, work: (item: T) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length)
  let next = 0
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const index = next++
      results[index] = await work(items[index]!)
    }
  }
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker))
  return results
}
