/**
 * One deadline for the whole step and the runner's cancellation, shared by every request,
 * retry and wait, so nothing can outlive `timeout` or a SIGINT/SIGTERM.
 */
import { setTimeout as delay } from 'node:timers/promises'
import { CancelledError, TimeoutError } from './errors.js'
import { formatMs } from './format.js'

export class Deadline {
  readonly at: number
  readonly totalMs: number
  /** How a message names this budget ("no retry: the step's timeout leaves 2s"). */
  readonly name: string = "the step's timeout"
  private readonly now: () => number

  constructor(totalMs: number, now: () => number = Date.now) {
    this.now = now
    this.totalMs = totalMs
    this.at = now() + totalMs
  }

  /** Milliseconds left, never negative. */
  remainingMs(): number {
    return Math.max(0, this.at - this.now())
  }

  expired(): boolean {
    return this.remainingMs() === 0
  }

  /** The error for this deadline having passed while doing `what`. */
  error(what: string, providerStatus?: string): TimeoutError {
    const last = providerStatus
      ? ` The last status was ${providerStatus}; the change may still complete at the provider.`
      : ''
    return new TimeoutError(
      `The step's timeout (${formatMs(this.totalMs)}) passed while ${what}.${last} Raise 'timeout' if this provider needs longer.`,
      providerStatus,
    )
  }
}

/** Wait `ms`, or less if `signal` aborts first (then throws CancelledError). */
export async function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  if (signal?.aborted) throw cancelled(signal)
  try {
    await delay(ms, undefined, { signal })
  } catch (error) {
    if (signal?.aborted) throw cancelled(signal)
    throw error
  }
}

/** The CancelledError for an aborted signal (its reason when that already is one). */
export function cancelled(signal: AbortSignal, providerStatus?: string): CancelledError {
  const reason = signal.reason instanceof CancelledError ? signal.reason : undefined
  if (reason && providerStatus === undefined) return reason
  return new CancelledError(reason?.message ?? 'The run was cancelled.', providerStatus)
}

/**
 * An AbortSignal fired by the runner's SIGINT/SIGTERM. The first signal aborts the work so the
 * step can report within 2 s; later ones (^C^C) change nothing: the handlers stay until `dispose`,
 * so no further signal reaches Node's default handler, which would end the process before the
 * outputs are written.
 */
export function cancellationSignal(): { signal: AbortSignal; dispose: () => void } {
  const controller = new AbortController()
  const onSignal = (name: NodeJS.Signals) => {
    if (!controller.signal.aborted) controller.abort(new CancelledError(`The run was cancelled (${name}).`))
  }
  process.on('SIGINT', onSignal)
  process.on('SIGTERM', onSignal)
  return {
    signal: controller.signal,
    dispose: () => {
      process.off('SIGINT', onSignal)
      process.off('SIGTERM', onSignal)
    },
  }
}
