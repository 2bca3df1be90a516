/**
 * Reliability: a 30-minute deploy, simulated on a fake clock. `waitFor` (src/wait.ts) is driven by
 * vitest's fake timers, with Date mocked (src/deadline.ts's Deadline reads the clock through `now`)
 * and `fakeNodeBuiltins`, without which the `node:timers/promises` setTimeout that `sleep` uses
 * would stay real. The provider stays PROCESSING for 30 minutes; the test checks that the reads
 * keep within the polling budget (SPEC "Waiting": start at `poll-interval`, grow to a cap of about
 * 5 s), that no gap passes the cap, that a 10-minute deadline ends the wait as timed-out at the
 * deadline with the last status, and that with a 31-minute deadline the end is seen within 5 s.
 */
import { afterAll, afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { Deadline } from '../../src/deadline.js'
import { CancelledError, TimeoutError } from '../../src/errors.js'
import { LAST_READ_LEAD_MS, POLL_CAP_MS, waitFor, type PollResult } from '../../src/wait.js'

const SECOND = 1_000
const MINUTE = 60 * SECOND
const DEPLOY_MS = 30 * MINUTE
/** action.yml's default `poll-interval`. */
const POLL_INTERVAL_MS = 1 * SECOND
/** The budget: after the cap, one read per POLL_CAP_MS, so at most this many reads in any minute. */
const READS_PER_MINUTE_BUDGET = MINUTE / POLL_CAP_MS

interface Read {
  /** Milliseconds since the wait started, on the fake clock, when the read was sent and answered. */
  start: number
  end: number
  status: string
}

/**
 * A provider whose deploy is PROCESSING until `doneAtMs` after the wait starts, then SUCCESS. A read
 * sees the state at the moment it is sent; `latencyMs` of simulated time pass before it answers.
 */
function slowDeploy(doneAtMs: number, latencyMs = 0) {
  const startedAt = Date.now()
  const reads: Read[] = []
  const poll = async (): Promise<PollResult<string>> => {
    const start = Date.now() - startedAt
    if (latencyMs > 0) await new Promise((resolve) => setTimeout(resolve, latencyMs))
    const status = start >= doneAtMs ? 'SUCCESS' : 'PROCESSING'
    reads.push({ start, end: Date.now() - startedAt, status })
    return status === 'SUCCESS'
      ? { state: 'done', providerStatus: status, value: 'deployed' }
      : { state: 'pending', providerStatus: status }
  }
  return { poll, reads, startedAt }
}

/** Run `waitFor` to its end on the fake clock; returns how it ended and when (ms since the wait started). */
async function simulate(opts: { doneAtMs: number; deadlineMs: number; latencyMs?: number; abortAtMs?: number }) {
  const deadline = new Deadline(opts.deadlineMs, () => Date.now())
  const controller = new AbortController()
  const deploy = slowDeploy(opts.doneAtMs, opts.latencyMs)
  if (opts.abortAtMs !== undefined)
    setTimeout(() => controller.abort(new CancelledError('The run was cancelled (SIGTERM).')), opts.abortAtMs)
  let endedAt = -1
  const settled = waitFor(deploy.poll, {
    firstDelayMs: POLL_INTERVAL_MS,
    deadline,
    signal: controller.signal,
    what: 'waiting for the deploy of app 1',
  }).then(
    (value) => ({ ok: true as const, value }),
    (error: unknown) => ({ ok: false as const, error }),
  )
  void settled.then(() => (endedAt = Date.now() - deploy.startedAt))
  // Far past every limit: the wait must have ended on its own by then.
  await vi.advanceTimersByTimeAsync(Math.max(opts.deadlineMs, opts.doneAtMs) + 10 * MINUTE)
  const outcome = await settled
  expect(endedAt, 'the wait ended within the simulated time').toBeGreaterThanOrEqual(0)
  return { outcome, reads: deploy.reads, endedAt, deadlineAt: deadline.at - deploy.startedAt }
}

/** Gaps between the starts of consecutive reads (the first from the start of the wait). */
const gapsOf = (reads: Read[]) => reads.map((read, i) => read.start - (i === 0 ? 0 : reads[i - 1]!.start))
/** The most reads sent within any 60 s window that starts at a read at or after `fromMs`. */
function maxReadsPerMinute(reads: Read[], fromMs = 0): number {
  let most = 0
  for (const [i, read] of reads.entries()) {
    if (read.start < fromMs) continue
    most = Math.max(most, reads.slice(i).filter((r) => r.start < read.start + MINUTE).length)
  }
  return most
}

const figures: {
  totalReads?: number
  first30s?: number
  steadyPerMinute?: number
  maxGapMs?: number
  timedOutAt?: string
  detectionMs?: number
} = {}

beforeEach(() => {
  vi.useFakeTimers({ fakeNodeBuiltins: true, now: Date.UTC(2025, 5, 2, 9, 0, 0) })
})
afterEach(() => {
  vi.useRealTimers()
})
afterAll(() => {
  const perMinute = figures.steadyPerMinute?.toFixed(1) ?? '?'
  console.log(
    `long wait: 30 min simulated, ${figures.totalReads ?? '?'} reads (${figures.first30s ?? '?'} in the first 30 s, ${perMinute}/min at steady state), ` +
      `max gap ${((figures.maxGapMs ?? NaN) / SECOND).toFixed(1)} s, ${figures.timedOutAt ?? 'deadline not checked'}, ` +
      `end seen ${((figures.detectionMs ?? NaN) / SECOND).toFixed(1)} s after it happened`,
  )
})

describe('a 30-minute deploy on a fake clock', () => {
  it('fake timers reach the sleep of src/deadline.ts (node:timers/promises), so the simulation is faithful', async () => {
    const realStart = vi.getRealSystemTime()
    const { reads, endedAt } = await simulate({ doneAtMs: 5 * MINUTE, deadlineMs: 10 * MINUTE })
    expect(reads.at(-1)!.status).toBe('SUCCESS')
    expect(endedAt).toBeGreaterThanOrEqual(5 * MINUTE)
    // Five minutes of waiting took (far) less than a second of real time: nothing slept for real.
    expect(vi.getRealSystemTime() - realStart).toBeLessThan(SECOND)
  })

  it('keeps within the polling budget: about 12 reads in the first 30 s, then one per cap (4.5 s), no gap over it', async () => {
    const { outcome, reads, endedAt } = await simulate({ doneAtMs: DEPLOY_MS, deadlineMs: 31 * MINUTE })
    expect(outcome.ok).toBe(true)
    const gaps = gapsOf(reads)
    const first30s = reads.filter((r) => r.start <= 30 * SECOND).length
    const capReachedAt = reads[gaps.findIndex((gap) => gap === POLL_CAP_MS) - 1]!.start
    const steady = reads.filter((r) => r.start >= 10 * MINUTE && r.start < DEPLOY_MS)
    const steadyPerMinute = steady.length / ((DEPLOY_MS - 10 * MINUTE) / MINUTE)
    Object.assign(figures, { totalReads: reads.length, first30s, steadyPerMinute, maxGapMs: Math.max(...gaps) })
    console.log(
      `30-minute deploy, poll-interval 1s: ${reads.length} reads, ${first30s} in the first 30 s, cap of ${POLL_CAP_MS / SECOND} s reached after ${(capReachedAt / SECOND).toFixed(1)} s, ` +
        `${steadyPerMinute.toFixed(2)} reads/min at steady state (budget ${READS_PER_MINUTE_BUDGET}), at most ${maxReadsPerMinute(reads, 30 * SECOND)} in any minute after the first 30 s, ` +
        `${maxReadsPerMinute(reads)} in the busiest minute; gaps ${Math.min(...gaps)}–${Math.max(...gaps)} ms; ended ${((endedAt - DEPLOY_MS) / SECOND).toFixed(2)} s after the deploy finished ` +
        `(a fixed 1 s poller: ${DEPLOY_MS / SECOND + 1} reads)`,
    )

    // The first 30 s: a growing schedule, about a dozen reads (README: 0.5, 1, 2.3, 3.8, … 30 s).
    expect(first30s).toBeGreaterThanOrEqual(10)
    expect(first30s).toBeLessThanOrEqual(13)
    expect(reads[0]!.start).toBeGreaterThanOrEqual(POLL_INTERVAL_MS / 2 - 1) // never a read at once
    // Gaps never shrink, never pass the cap, and reach it within the first half-minute.
    for (let i = 2; i < gaps.length; i++) expect(gaps[i]!).toBeGreaterThanOrEqual(gaps[i - 1]! - 1)
    expect(Math.max(...gaps)).toBeLessThanOrEqual(POLL_CAP_MS)
    expect(capReachedAt).toBeLessThanOrEqual(30 * SECOND)
    // Steady state: one read per cap (4.5 s), 13⅓ a minute, in every minute window once the cap is reached.
    for (const gap of gapsOf(steady).slice(1)) expect(gap).toBe(POLL_CAP_MS)
    // (within one read of the window's length over the cap: 20 minutes is not a whole number of 4.5 s gaps)
    expect(Math.abs(steady.length - (DEPLOY_MS - 10 * MINUTE) / POLL_CAP_MS)).toBeLessThanOrEqual(1)
    expect(maxReadsPerMinute(reads, capReachedAt)).toBeLessThanOrEqual(READS_PER_MINUTE_BUDGET + 1)
    expect(maxReadsPerMinute(reads)).toBeLessThanOrEqual(20) // even the busiest (first) minute: a fixed 1 s poller makes 60
    // The whole 30 minutes: 400 reads at the cap plus the few of the growing start.
    expect(reads.length).toBeGreaterThanOrEqual(DEPLOY_MS / POLL_CAP_MS)
    expect(reads.length).toBeLessThanOrEqual(DEPLOY_MS / POLL_CAP_MS + 12)
  })

  it('with a 10-minute deadline: TimeoutError (timed-out) at the deadline, with the last status, no read after it', async () => {
    const { outcome, reads, endedAt, deadlineAt } = await simulate({ doneAtMs: DEPLOY_MS, deadlineMs: 10 * MINUTE })
    expect(outcome.ok).toBe(false)
    const error = (outcome as { error: unknown }).error
    expect(error).toBeInstanceOf(TimeoutError)
    const timeout = error as TimeoutError
    expect(timeout.status).toBe('timed-out')
    expect(timeout.errorType).toBe('timeout')
    expect(timeout.providerStatus).toBe('PROCESSING')
    expect(timeout.message).toContain("The step's timeout (10m) passed while waiting for the deploy of app 1.")
    expect(timeout.message).toContain('The last status was PROCESSING')
    // It ends at the deadline: never after it, and not sooner than the last-chance read's lead.
    expect(endedAt).toBeLessThanOrEqual(deadlineAt)
    expect(endedAt).toBeGreaterThanOrEqual(deadlineAt - LAST_READ_LEAD_MS)
    for (const read of reads) expect(read.start).toBeLessThan(deadlineAt)
    expect(deadlineAt - reads.at(-1)!.start).toBeLessThanOrEqual(POLL_CAP_MS) // the last status is at most one gap old
    expect(reads.length).toBeLessThanOrEqual((10 * MINUTE) / POLL_CAP_MS + 12)
    figures.timedOutAt =
      endedAt === deadlineAt
        ? `ended at the 10-min deadline (timed-out, ${reads.length} reads)`
        : `ended ${deadlineAt - endedAt} ms before the 10-min deadline (timed-out, ${reads.length} reads)`
    console.log(
      `10-minute deadline: ${reads.length} reads, ended ${endedAt} ms after the start (deadline ${deadlineAt} ms), last read ${deadlineAt - reads.at(-1)!.start} ms before it`,
    )
  })

  it('deadlines that fall between two reads end the wait within the last-read lead of the deadline, never after it', async () => {
    const rows: string[] = []
    for (const offset of [500, 999, 1_001, 2_500, 3_158, 4_999]) {
      const { outcome, reads, endedAt, deadlineAt } = await simulate({
        doneAtMs: DEPLOY_MS,
        deadlineMs: 10 * MINUTE + offset,
      })
      expect(outcome.ok, `offset ${offset}`).toBe(false)
      expect((outcome as { error: unknown }).error, `offset ${offset}`).toBeInstanceOf(TimeoutError)
      expect(((outcome as { error: unknown }).error as TimeoutError).providerStatus).toBe('PROCESSING')
      expect(endedAt, `offset ${offset}`).toBeLessThanOrEqual(deadlineAt)
      expect(endedAt, `offset ${offset}`).toBeGreaterThanOrEqual(deadlineAt - LAST_READ_LEAD_MS)
      for (const read of reads) expect(read.start).toBeLessThan(deadlineAt)
      rows.push(`+${offset} ms: ended ${deadlineAt - endedAt} ms early`)
    }
    console.log(`deadline at 10 min + offset: ${rows.join('; ')}`)
  })

  it('with a 31-minute deadline: returns once the deploy completes at 30 min, seen within 5 s', async () => {
    const { outcome, reads, endedAt } = await simulate({ doneAtMs: DEPLOY_MS, deadlineMs: 31 * MINUTE })
    expect(outcome.ok).toBe(true)
    const { value } = outcome as { value: { value: string; providerStatus: string; reads: number } }
    expect(value).toEqual({ value: 'deployed', providerStatus: 'SUCCESS', reads: reads.length })
    expect(reads.filter((r) => r.status === 'SUCCESS')).toHaveLength(1) // it stops at the first SUCCESS
    const detectionMs = endedAt - DEPLOY_MS
    expect(detectionMs).toBeGreaterThanOrEqual(0)
    expect(detectionMs).toBeLessThanOrEqual(POLL_CAP_MS)
    figures.detectionMs = detectionMs
  })

  it('the end is seen within 5 s wherever it falls between two reads', async () => {
    const delays: number[] = []
    for (const offset of [1, 1_000, 2_500, 4_157, 4_999, 5_000]) {
      const doneAtMs = DEPLOY_MS + offset
      const { outcome, endedAt } = await simulate({ doneAtMs, deadlineMs: 32 * MINUTE })
      expect(outcome.ok, `done at 30 min + ${offset} ms`).toBe(true)
      delays.push(endedAt - doneAtMs)
    }
    for (const delay of delays) {
      expect(delay).toBeGreaterThanOrEqual(0)
      expect(delay).toBeLessThanOrEqual(POLL_CAP_MS)
    }
    console.log(`detection delays for ends at 30 min + 1 ms … 5 s: ${delays.join(', ')} ms`)
  })

  it('with reads that take 300 ms, the waits between them still never pass 5 s and the rate stays within budget', async () => {
    const latencyMs = 300
    const { outcome, reads, endedAt } = await simulate({ doneAtMs: DEPLOY_MS, deadlineMs: 31 * MINUTE, latencyMs })
    expect(outcome.ok).toBe(true)
    const idle = reads.slice(1).map((read, i) => read.start - reads[i]!.end)
    expect(Math.max(...idle)).toBeLessThanOrEqual(POLL_CAP_MS)
    expect(maxReadsPerMinute(reads, 30 * SECOND)).toBeLessThanOrEqual(READS_PER_MINUTE_BUDGET)
    expect(endedAt - DEPLOY_MS).toBeLessThanOrEqual(POLL_CAP_MS + 2 * latencyMs)
    console.log(
      `with ${latencyMs} ms reads: ${reads.length} reads, longest idle gap ${Math.max(...idle)} ms, end seen ${endedAt - DEPLOY_MS} ms after it happened`,
    )
  })

  it('a cancellation at minute 20 ends the wait at once, with the last status', async () => {
    const abortAtMs = 20 * MINUTE + 2_345
    const { outcome, reads, endedAt } = await simulate({ doneAtMs: DEPLOY_MS, deadlineMs: 31 * MINUTE, abortAtMs })
    expect(outcome.ok).toBe(false)
    const error = (outcome as { error: unknown }).error
    expect(error).toBeInstanceOf(CancelledError)
    expect((error as CancelledError).status).toBe('cancelled')
    expect((error as CancelledError).providerStatus).toBe('PROCESSING')
    expect(endedAt).toBe(abortAtMs) // not at the end of the 4.5 s sleep it was in
    expect(reads.every((r) => r.start < abortAtMs)).toBe(true)
  })
})
