/**
 * The poll loop for asynchronous deploys. After an early look at half of `poll-interval`, reads
 * come at `poll-interval` and then at gaps growing by POLL_GROWTH up to POLL_CAP_MS, so a short
 * deploy is noticed within about half a second and a long one costs few requests. Every wait ends: at a terminal state, at the
 * deadline (TimeoutError with the last status) or on cancellation (CancelledError, within 2 s).
 */
import { cancelled, sleep, type Deadline } from './deadline.js'
import { TimeoutError } from './errors.js'
import { formatMs } from './format.js'

export const POLL_GROWTH = 1.25
/**
 * About 5 s (SPEC), and half a second under it: a deploy that ends just after a read is seen at
 * the next one, so the longest delay is this gap plus that read and the step's end, which must
 * stay within the 5 s detection budget.
 */
export const POLL_CAP_MS = 4_500
/** How long before the limit the last-chance read is made, leaving it time to answer. */
export const LAST_READ_LEAD_MS = 1_000

/** One status read's verdict. */
export type PollResult<T> =
  { state: 'pending'; providerStatus: string; value?: T } | { state: 'done'; providerStatus: string; value: T }

export interface WaitOptions {
  firstDelayMs: number
  deadline: Deadline
  signal: AbortSignal
  /** Words for the timeout message: 'waiting for the deploy of apps 1, 2'. */
  what: string
  /** Called after each read, for logs. */
  onPoll?: (providerStatus: string, reads: number) => void
  /** An extra bound for this wait only (Aieev's health_check_timeout plus a margin). */
  maxWaitMs?: number
}

/**
 * The gap before read `k` of a wait: one early look at half the poll interval (a deploy shorter
 * than a second is then seen within half a second), then the regular schedule from the interval on.
 */
export function readGapMs(firstDelayMs: number, k: number): number {
  const half = Math.round(firstDelayMs / 2)
  if (k === 0) return half
  if (k === 1) return firstDelayMs - half
  return pollDelayMs(firstDelayMs, k - 1)
}

/** The gap before read number `n` (0-based) of the regular schedule, after a first gap of `firstDelayMs`. */
export function pollDelayMs(firstDelayMs: number, n: number): number {
  return Math.min(Math.max(firstDelayMs, POLL_CAP_MS), Math.round(firstDelayMs * POLL_GROWTH ** n))
}

/**
 * Poll until `poll` says done. A poll that decides the deploy failed throws (DeployFailedError);
 * that ends the wait too. Returns the final value and how many reads it took.
 */
export async function waitFor<T>(
  poll: () => Promise<PollResult<T>>,
  options: WaitOptions,
): Promise<{ value: T; providerStatus: string; reads: number }> {
  const { deadline, signal } = options
  const startedAt = Date.now()
  const ownLimitLeft = () => (options.maxWaitMs === undefined ? Infinity : options.maxWaitMs - (Date.now() - startedAt))
  let last: string | undefined
  // Which limit ended the wait is the one nearer now, not the one a clock read finds at zero (timers fire a little early).
  const timedOut = () =>
    ownLimitLeft() < deadline.remainingMs()
      ? new TimeoutError(
          `Gave up ${options.what} after ${formatMs(options.maxWaitMs!)}, the most this wait may take.${last ? ` The last status was ${last}.` : ''}`,
          last,
        )
      : deadline.error(options.what, last)
  for (let reads = 0; ; reads++) {
    const budgetMs = Math.min(deadline.remainingMs(), ownLimitLeft())
    if (budgetMs <= 0) throw timedOut()
    const gapMs = readGapMs(options.firstDelayMs, reads)
    // When the next gap would run past the limit, read one last time just before it instead.
    const lastChance = gapMs >= budgetMs && budgetMs > LAST_READ_LEAD_MS
    const sleepMs = lastChance ? budgetMs - LAST_READ_LEAD_MS : Math.min(gapMs, budgetMs)
    await sleep(sleepMs, signal).catch((error: unknown) => {
      throw signal.aborted ? cancelled(signal, last) : error
    })
    // A sleep cut short by the limit ran to it (timers may fire a millisecond early).
    if ((gapMs >= budgetMs && !lastChance) || deadline.expired() || ownLimitLeft() <= 0) throw timedOut()
    let result: PollResult<T>
    try {
      result = await poll()
    } catch (error) {
      if (signal.aborted) throw cancelled(signal, last)
      if (error instanceof TimeoutError) throw timedOut()
      throw error
    }
    last = result.providerStatus
    options.onPoll?.(last, reads + 1)
    if (result.state === 'done') return { value: result.value, providerStatus: last, reads: reads + 1 }
    if (lastChance) throw timedOut()
  }
}
