/**
 * Reliability: the fault matrix. Every provider × every fault, injected on the provider's one write
 * (Qoder POST, kintone deploy POST, RTS PUT, Aieev PATCH) — or on the read before it for the
 * "3xx on the read" column — driven in-process through the real pipeline (`runTarget`) over real
 * HTTP against a fresh loopback emulator per case (harness.ts). The expected outcome of each cell
 * is written down in EXPECTED below: either the write is applied exactly once and the step
 * succeeds, or the step fails within its deadline, without a second write, with a message that
 * names the provider, the target, the HTTP status (where there is one) and what to do.
 *
 * Every case also checks: nothing hangs (a guard aborts a case that outlives its deadline), no
 * write is applied twice, no credential shows in a log line, message or resource, and the foreign
 * origin of the redirect cases (`startCatcher()`) receives nothing.
 *
 * A small subset then runs through the committed dist/index.js in a real process (runAction), to
 * show the same there, with findLeaks over everything the runner would see.
 *
 * The one-line summary (`fault matrix: N cases, …`) is printed in afterAll for the README.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { RunStatus } from '../../src/errors.js'
import type { ProviderName } from '../../src/settings.js'
import { startCatcher } from '../emulators/base.ts'
import { cleanupRuns, findLeaks, runAction } from '../helpers/run-action.ts'
import {
  ANSWER_FAULTS,
  CREDENTIALS,
  FAULT_IDS,
  HANG_ALWAYS_TIMEOUT_MS,
  HANG_REQUEST_TIMEOUT_MS,
  PROVIDER_NAMES,
  namesProviderAndTarget,
  pool,
  runCase,
  setupProvider,
  summaryLine,
  tally,
  withinDeadline,
  type CaseResult,
  type FaultId,
} from './harness.ts'

// ---------------------------------------------------------------------------------------------
// The expectation table

/** The step succeeds and the write is applied exactly once; `how` says by which road. */
interface AppliedOnce {
  outcome: 'applied once'
  how: string
  /** kintone and RTS have no idempotency key: a lost answer must be followed by a read before any resend. */
  readsBeforeResend?: boolean
}

/** The step fails within its deadline, with no second write, and a message with these pieces. */
interface Fails {
  outcome: 'fails'
  /** The run status (either of several when both are defensible). */
  status: RunStatus | RunStatus[]
  /** The HTTP status the message must name (`HTTP 401`), where the fault has one. */
  http?: number
  /** What happened and what to do: each must appear in the message. */
  pieces: (string | RegExp)[]
  /** Exactly this many write requests (401/403/404 and a redirected write: one, never retried). */
  writes?: number
}

type Expected = AppliedOnce | Fails

/** "What to do", where src/ has no specific advice yet: the message must tell the user what to check or do. */
const WHAT_TO_DO = /\b(check|raise|run (it )?again|try again|create|use|fix|wait|start it)\b/i

const once = (how: string, readsBeforeResend = false): AppliedOnce => ({
  outcome: 'applied once',
  how,
  readsBeforeResend,
})
const fails = (status: Fails['status'], http: number | undefined, pieces: Fails['pieces'], writes?: number): Fails => ({
  outcome: 'fails',
  status,
  http,
  pieces,
  writes,
})

/** Shared by every provider: the client's own answers. */
const COMMON = {
  '429 Retry-After seconds': once(
    'retried after exactly the Retry-After (1 s); without an idempotency key, after a read',
  ),
  '429 Retry-After date': once('retried no earlier than the HTTP date (1–2 s ahead)'),
  '429 no Retry-After': once('retried with backoff (zero here: random() = 0)'),
  '503': once(
    'retried; without an idempotency key, after a read shows it was not applied (a 503 may come after the write)',
  ),
  'connection refused': fails('failed', undefined, [
    'the connection was refused',
    'gave up after 5 retries',
    WHAT_TO_DO,
  ]),
  '3xx other origin (write)': fails('failed', 307, ['writes are never redirected', "Check 'base-url'"], 1),
  '3xx other origin (read)': fails(
    'failed',
    302,
    ['another origin', 'does not send credentials there', "Check 'base-url'"],
    0,
  ),
} satisfies Partial<Record<FaultId, Expected>>

/** Providers whose write carries (or is treated as carrying) a replay-safe request: retried as it is. */
const REPLAYED = (key: string) => ({
  '500': once(`retried ${key}`),
  '502': once(`retried ${key}`),
  '504': once(`retried ${key}`),
  'reset before applied': once(`retried ${key}`),
  'hang once': once(`the ${HANG_REQUEST_TIMEOUT_MS} ms attempt is given up and retried ${key}`),
  'malformed JSON 200': once(`retried ${key}`),
  'truncated body': once(`retried ${key}`),
  // Retrying would only replay the same oversized answer: fail, saying the update may have been applied.
  'oversize body': fails('failed', 200, ['more than 64 KB', WHAT_TO_DO]),
  'hang always': fails('timed-out', undefined, [
    `The step's timeout (${HANG_ALWAYS_TIMEOUT_MS / 1000}s) passed`,
    "Raise 'timeout'",
  ]),
})

/** Providers without an idempotency key: a write whose outcome is unknown is followed by a read. */
const READ_FIRST = (read: string) => ({
  '500': once(`500 may come after the write: ${read}, then sent once more`, true),
  '502': once(`502 may come after the write: ${read}, then sent once more`, true),
  '504': once(`504 may come after the write: ${read}, then sent once more`, true),
  'reset before applied': once(`${read} shows it was not applied: sent once more`, true),
  'reset after applied': once(`${read} shows it was applied: not sent again`, true),
  'hang once': once(`the ${HANG_REQUEST_TIMEOUT_MS} ms attempt is given up; ${read}, then sent once more`, true),
  'truncated body': once(`${read} shows it was not applied: sent once more`, true),
  // A 2xx whose body cannot be used: the write may have gone through, so it is read before any resend.
  'malformed JSON 200': once(`an unreadable 200 may mean applied: ${read}, then sent once more`, true),
  'oversize body': once(`an unreadable 200 may mean applied: ${read}, then sent once more`, true),
  // Every attempt hangs; each resend comes only after a read showed the write not applied (checked
  // below), up to max-retries: the step ends within the deadline. (Was exactly 2 writes when a
  // lost write was resent at most once; issue 12 bounds the resends by max-retries instead.)
  'hang always': fails(['failed', 'timed-out'], undefined, [/no answer within 300ms|timeout/, WHAT_TO_DO]),
  // Issue 12: any 408/429/5xx or an unusable 2xx after a write without a key means "maybe applied".
  '503 after applied, Retry-After 0': once(
    `503 may come after the write: ${read} shows it was applied: not sent again`,
    true,
  ),
  '429 after applied, Retry-After 0': once(
    `429 may come after the write: ${read} shows it was applied: not sent again`,
    true,
  ),
  '408 after applied': once(`408 may come after the write: ${read} shows it was applied: not sent again`, true),
  '500 after applied': once(`500 may come after the write: ${read} shows it was applied: not sent again`, true),
  '204 after applied': once(
    `a 2xx that is not the resource may mean applied: ${read} shows it was: not sent again`,
    true,
  ),
  'empty 200 after applied': once(
    `a 2xx that is not the resource may mean applied: ${read} shows it was: not sent again`,
    true,
  ),
  'null 200 after applied': once(
    `a 2xx that is not the resource may mean applied: ${read} shows it was: not sent again`,
    true,
  ),
  'error envelope 200 after applied': once(
    `a 2xx that is not the resource may mean applied: ${read} shows it was: not sent again`,
    true,
  ),
  'another resource 200 after applied': once(
    `a 2xx about another resource may mean applied: ${read} shows it was: not sent again`,
    true,
  ),
  '204 not applied': once(
    `a 2xx that is not the resource is no success: ${read} shows it was not applied: sent once more`,
    true,
  ),
  'empty 200 not applied': once(
    `a 2xx that is not the resource is no success: ${read} shows it was not applied: sent once more`,
    true,
  ),
  'error envelope 200 not applied': once(
    `a 2xx that is not the resource is no success: ${read} shows it was not applied: sent once more`,
    true,
  ),
  'another resource 200 not applied': once(
    `a 2xx about another resource is no success: ${read} shows it was not applied: sent once more`,
    true,
  ),
})

/** Qoder: the write carries one Idempotency-Key, so an answer that is not the deployment is retried and replayed. */
const QODER_AFTER_APPLIED = Object.fromEntries(
  ANSWER_FAULTS.map((fault) => [
    fault,
    once('never read as success: retried with the same Idempotency-Key, Qoder replays the first answer'),
  ]),
) as Record<(typeof ANSWER_FAULTS)[number], AppliedOnce>

const EXPECTED: Record<ProviderName, Record<FaultId, Expected>> = {
  qoder: {
    ...COMMON,
    ...REPLAYED('with the same Idempotency-Key'),
    ...QODER_AFTER_APPLIED,
    'reset after applied': once('retried with the same Idempotency-Key: Qoder replays the first answer'),
    '401': fails('failed', 401, ['authentication_error', 'Create a new personal access token'], 1),
    '403': fails('failed', 403, ['permission_error', 'use a token of the account that owns the deployment'], 1),
    '404': fails('failed', 404, ['not_found_error', "check 'target', and 'region'"], 1),
  },
  kintone: {
    ...COMMON,
    ...READ_FIRST('the deploy status is read'),
    '401': fails('failed', 401, ['CB_AU01', 'kintone refused the credentials: check'], 1),
    '403': fails('failed', 403, ['GAIA_NO01', 'App Management permission'], 1),
    '404': fails('failed', 404, ['GAIA_AP01', 'Check the app ids 1'], 1),
  },
  'huaweicloud-rts': {
    ...COMMON,
    ...READ_FIRST('the deployment is read (updated_time)'),
    '401': fails('failed', 401, ["check 'access-key' and 'secret-key'", 'It was not retried'], 1),
    '403': fails('failed', 403, ["check 'project-id'"], 1),
    '404': fails('failed', 404, ["check 'target', 'project-id' and 'region'"], 1),
  },
  aieev: {
    ...COMMON,
    // Aieev has no idempotency key: a PATCH whose answer was lost is followed by a read (updated_at).
    ...READ_FIRST('the endpoint is read (updated_at)'),
    '401': fails('failed', 401, ["create a new one in the project's API keys menu"], 1),
    '403': fails('failed', 403, ['use a key of the project that owns it'], 1),
    '404': fails('failed', 404, ["check 'target' (the endpoint id)"], 1),
  },
}

// ---------------------------------------------------------------------------------------------
// Running the matrix

const CONCURRENCY = 8
const results = new Map<string, CaseResult>()
const key = (provider: ProviderName, fault: FaultId) => `${provider} × ${fault}`
let matrixMs = 0

beforeAll(async () => {
  const started = Date.now()
  const cells = PROVIDER_NAMES.flatMap((provider) => FAULT_IDS.map((fault) => ({ provider, fault })))
  await pool(cells, CONCURRENCY, async ({ provider, fault }) => {
    const result = await runCase(provider, fault)
    results.set(key(provider, fault), result)
    tally(result, messageGaps(result, EXPECTED[provider][fault]))
  })
  matrixMs = Date.now() - started
}, 60_000)

afterAll(async () => {
  await cleanupRuns()
  console.log(`${summaryLine()} (in-process matrix: ${(matrixMs / 1000).toFixed(1)} s)`)
})

/** What a failure message misses against its expectation: provider and target, HTTP status, each piece. */
function messageGaps(result: CaseResult, expected: Expected): string[] {
  if (expected.outcome !== 'fails' || !result.outcome || result.outcome.status === 'succeeded') return []
  const message = result.outcome.error?.message ?? ''
  const gaps: string[] = []
  if (!namesProviderAndTarget(result)) gaps.push(`provider and target ('${result.provider} ${result.target}: ')`)
  if (expected.http !== undefined && !message.includes(`HTTP ${expected.http}`))
    gaps.push(`the HTTP status (HTTP ${expected.http})`)
  for (const piece of expected.pieces) {
    if (typeof piece === 'string' ? !message.includes(piece) : !piece.test(message))
      gaps.push(piece === WHAT_TO_DO ? 'what to do' : String(piece))
  }
  return gaps
}

/** Whether a read of the resource (GET, or kintone's POST-as-GET) came between requests `from` and `to`. */
function readBetween(result: CaseResult, from: number, to: number): boolean {
  return result.requests
    .slice(from + 1, to)
    .some((r) => r.method === 'GET' || r.headers['x-http-method-override'] === 'GET')
}

function describeResult(result: CaseResult): string {
  const o = result.outcome
  return [
    `${result.provider} × ${result.fault}: ${o ? o.status : result.hung ? 'HUNG' : 'no outcome'} in ${result.durationMs} ms, applied ${result.applied}, ${result.writes.length} write request(s)`,
    o?.error ? `message: ${o.error.message}` : '',
    result.harnessError ? `harness error: ${result.harnessError}` : '',
    `requests: ${result.requests.map((r) => `${r.method} ${r.path}`).join(', ')}`,
    `log:\n  ${result.logLines.join('\n  ')}`,
  ]
    .filter(Boolean)
    .join('\n')
}

describe('fault matrix (in-process, real HTTP)', () => {
  for (const provider of PROVIDER_NAMES) {
    describe(provider, () => {
      for (const fault of FAULT_IDS) {
        const expected = EXPECTED[provider][fault]
        const title =
          expected.outcome === 'applied once'
            ? `${fault} → applied once (${expected.how})`
            : `${fault} → fails${expected.http ? ` with HTTP ${expected.http}` : ''}, saying what to do`
        it(title, () => {
          const result = results.get(key(provider, fault))!
          const context = describeResult(result)
          expect(result.harnessError, context).toBeUndefined()
          // Never hangs, never outlives the deadline, never writes twice, never leaks.
          expect(result.hung, context).toBe(false)
          expect(withinDeadline(result), context).toBe(true)
          expect(result.leaks, context).toEqual([])
          expect(result.catcherRequests, `the foreign origin received a request\n${context}`).toEqual([])
          expect(result.applied, `the write was applied ${result.applied} times\n${context}`).toBeLessThanOrEqual(1)
          if (result.starts !== undefined) expect(result.starts, context).toBeLessThanOrEqual(1)
          // Without an idempotency key, every resend follows a read that showed the write not applied.
          if (provider !== 'qoder') {
            for (let i = 1; i < result.writes.length; i++) {
              expect(
                readBetween(
                  result,
                  result.requests.indexOf(result.writes[i - 1]!),
                  result.requests.indexOf(result.writes[i]!),
                ),
                `write ${i + 1} was sent without a read before it\n${context}`,
              ).toBe(true)
            }
          }

          const outcome = result.outcome!
          if (expected.outcome === 'applied once') {
            expect(outcome.status, context).toBe('succeeded')
            expect(outcome.error, context).toBeUndefined()
            expect(result.applied, context).toBe(1)
            checkHow(result, fault, expected, context)
          } else {
            const statuses = Array.isArray(expected.status) ? expected.status : [expected.status]
            expect(statuses, context).toContain(outcome.status)
            expect(messageGaps(result, expected), `the message misses pieces\n${context}`).toEqual([])
            if (expected.writes !== undefined) expect(result.writes, context).toHaveLength(expected.writes)
            if (['401', '403', '404'].includes(fault)) {
              expect(outcome.httpStatus, context).toBe(Number(fault))
              expect(
                result.logLines.some((line) => /Retry \d+ of/.test(line)),
                `a ${fault} was retried\n${context}`,
              ).toBe(false)
            }
          }
        })
      }
    })
  }
})

/** The road to "applied once": timing of retries, and a read before any resend where there is no key. */
function checkHow(result: CaseResult, fault: FaultId, expected: AppliedOnce, context: string): void {
  const [first, second] = result.writes
  if (fault === '429 Retry-After seconds') {
    expect(second!.at - first!.at, `Retry-After: 1 was not honoured\n${context}`).toBeGreaterThanOrEqual(990)
  }
  if (fault === '429 Retry-After date') {
    expect(second!.at, `the retry came before the Retry-After date\n${context}`).toBeGreaterThanOrEqual(
      result.retryAtMs! - 15,
    )
  }
  if (fault === '429 no Retry-After') {
    expect(second!.at - first!.at, context).toBeLessThan(900)
  }
  if (expected.readsBeforeResend) {
    const firstIndex = result.requests.indexOf(first!)
    const secondIndex = second ? result.requests.indexOf(second) : result.requests.length
    expect(
      readBetween(result, firstIndex, secondIndex),
      `no read between the lost write and ${second ? 'its resend' : 'the wait'}\n${context}`,
    ).toBe(true)
  }
}

// ---------------------------------------------------------------------------------------------
// Faults on the rollback's write (on-failure: rollback, issue 16)

/**
 * The faults whose outcome the rollback's write cannot know at once (a lost or unusable answer,
 * before or after the write took effect) and the retried statuses: each must end with the
 * rollback applied exactly once, every resend after a read, and the resource serving again.
 */
const ROLLBACK_FAULTS = [
  '429 Retry-After seconds',
  '503',
  '500',
  '502',
  '504',
  'reset before applied',
  'reset after applied',
  'hang once',
  'truncated body',
  'malformed JSON 200',
  'oversize body',
  ...ANSWER_FAULTS,
] as const satisfies readonly FaultId[]
const ROLLBACK_PROVIDERS = ['huaweicloud-rts', 'aieev'] as const satisfies readonly ProviderName[]
const rollbackResults = new Map<string, CaseResult>()

describe('fault matrix: faults on the rollback write (in-process, real HTTP)', () => {
  beforeAll(async () => {
    const cells = ROLLBACK_PROVIDERS.flatMap((provider) =>
      [...ROLLBACK_FAULTS, '401' as const].map((fault) => ({ provider, fault })),
    )
    await pool(cells, CONCURRENCY, async ({ provider, fault }) => {
      rollbackResults.set(key(provider, fault), await runCase(provider, fault, { rollback: true }))
    })
  }, 90_000)

  for (const provider of ROLLBACK_PROVIDERS) {
    describe(provider, () => {
      for (const fault of ROLLBACK_FAULTS) {
        it(`${fault} on the rollback write → rolled back once, never twice`, () => {
          const result = rollbackResults.get(key(provider, fault))!
          const context = describeResult(result)
          expect(result.harnessError, context).toBeUndefined()
          expect(result.hung, context).toBe(false)
          expect(withinDeadline(result), context).toBe(true)
          expect(result.leaks, context).toEqual([])
          // The update once, the rollback once: never a third write applied.
          expect(result.applied, `applied ${result.applied} writes\n${context}`).toBe(2)
          if (result.starts !== undefined) expect(result.starts, context).toBe(2)
          for (let i = 1; i < result.writes.length; i++) {
            const [from, to] = [result.writes[i - 1]!, result.writes[i]!].map((w) => result.requests.indexOf(w))
            expect(
              readBetween(result, from!, to!),
              `write ${i + 1} was sent without a read before it\n${context}`,
            ).toBe(true)
          }
          const outcome = result.outcome!
          expect(outcome.status, context).toBe('failed')
          expect(outcome.error?.type, context).toBe('deploy-failed')
          expect(outcome.rolledBack, context).toBe(true)
          expect(outcome.providerStatus, context).toBe(provider === 'aieev' ? 'RUNNING' : 'COMPLETE')
          expect(outcome.error?.message, context).toMatch(/Rolled back: .* again; the release did not happen/)
        })
      }
      it('401 on the rollback write → the rollback fails once, naming both failures and the last state', () => {
        const result = rollbackResults.get(key(provider, '401'))!
        const context = describeResult(result)
        expect(result.harnessError, context).toBeUndefined()
        expect(result.leaks, context).toEqual([])
        expect(result.applied, context).toBe(1)
        expect(result.writes, context).toHaveLength(2)
        const outcome = result.outcome!
        expect(outcome.status, context).toBe('failed')
        expect(outcome.error?.type, context).toBe('deploy-failed')
        expect(outcome.rolledBack, context).toBe(false)
        expect(outcome.error?.message, context).toMatch(/The rollback failed too: .*HTTP 401.*The last known state of/)
      })
    })
  }
})

// ---------------------------------------------------------------------------------------------
// The same in the real process: the committed dist/index.js

describe('fault matrix subset through dist/index.js', () => {
  const DIST_FAULTS = ['reset after applied', '3xx other origin (write)'] as const

  for (const provider of PROVIDER_NAMES) {
    for (const fault of DIST_FAULTS) {
      it.concurrent(`${provider} × ${fault}`, async () => {
        const setup = await setupProvider(provider)
        const catcher = await startCatcher()
        try {
          if (fault === 'reset after applied')
            setup.emu.inject({ method: setup.write.method, path: setup.write.path, fault: { kind: 'reset-after' } })
          else
            setup.emu.inject({
              method: setup.write.method,
              path: setup.write.path,
              fault: { kind: 'redirect', location: `${catcher.origin}/elsewhere`, status: 307 },
            })
          const run = await runAction({
            inputs: {
              ...setup.inputs,
              target: setup.target,
              payload: JSON.stringify(setup.payload),
              'base-url': setup.emu.origin,
              'poll-interval': '100ms',
              timeout: '30s',
            },
            timeoutMs: 45_000,
          })
          const secrets = [...setup.secrets, `Bearer ${CREDENTIALS.qoder}`, `Bearer ${CREDENTIALS.aieev}`]
          expect(findLeaks(run, secrets)).toEqual([])
          expect(catcher.requests).toEqual([])
          const context = `${run.stdout}\n${run.stderr}`
          expect(setup.applied(), `the write was applied ${setup.applied()} times\n${context}`).toBeLessThanOrEqual(1)
          if (fault === 'reset after applied') {
            expect(run.code, context).toBe(0)
            expect(run.outputs.status).toBe('succeeded')
            expect(setup.applied(), context).toBe(1)
          } else {
            expect(run.code, context).toBe(1)
            expect(run.outputs.status).toBe('failed')
            expect(setup.writes()).toHaveLength(1)
            expect(run.outputs['error-type']).toBe('redirect')
            expect(run.outputs['error-message']).toContain(`${provider} ${setup.target}: `)
            expect(run.outputs['error-message']).toContain('HTTP 307')
            expect(run.outputs['error-message']).toContain("Check 'base-url'")
          }
        } finally {
          await catcher.close()
          await setup.emu.close()
        }
      })
    }
  }
})
