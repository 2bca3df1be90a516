import { describe, expect, it } from 'vitest'
import { Deadline } from '../../src/deadline.js'
import { CancelledError, DeployFailedError, TimeoutError } from '../../src/errors.js'
import {
  POLL_CAP_MS,
  POLL_GROWTH,
  pollDelayMs,
  readGapMs,
  waitFor,
  type PollResult,
  type WaitOptions,
} from '../../src/wait.js'

/** A poll that answers from a script of results (the last one repeats), recording when each read happened. */
function scripted<T>(results: PollResult<T>[]): { poll: () => Promise<PollResult<T>>; readTimes: number[] } {
  const readTimes: number[] = []
  return {
    readTimes,
    poll: async () => {
      readTimes.push(Date.now())
      return results[Math.min(readTimes.length - 1, results.length - 1)]!
    },
  }
}

const pending = (providerStatus: string): PollResult<string> => ({ state: 'pending', providerStatus })
const done = (providerStatus: string, value: string): PollResult<string> => ({ state: 'done', providerStatus, value })

function options(overrides: Partial<WaitOptions> = {}): WaitOptions {
  return {
    firstDelayMs: 10,
    deadline: new Deadline(10_000),
    signal: new AbortController().signal,
    what: 'waiting for the deploy of app 42',
    ...overrides,
  }
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => {
      throw new Error('expected the wait to fail')
    },
    (error: unknown) => error,
  )
}

describe('pollDelayMs', () => {
  it('starts at the first delay', () => {
    expect(pollDelayMs(1_000, 0)).toBe(1_000)
    expect(pollDelayMs(250, 0)).toBe(250)
  })

  it('grows by POLL_GROWTH each read', () => {
    expect(pollDelayMs(1_000, 1)).toBe(1_250)
    expect(pollDelayMs(1_000, 2)).toBe(1_563)
    expect(pollDelayMs(1_000, 3)).toBe(1_953)
    for (let n = 1; n < 6; n++) expect(pollDelayMs(1_000, n) / pollDelayMs(1_000, n - 1)).toBeCloseTo(POLL_GROWTH, 2)
  })

  it('uses a growth factor and cap as documented (about 1.25–1.5, about 5 s, leaving room for the read within the 5 s detection budget)', () => {
    expect(POLL_GROWTH).toBeGreaterThanOrEqual(1.25)
    expect(POLL_GROWTH).toBeLessThanOrEqual(1.5)
    expect(POLL_CAP_MS).toBe(4_500)
  })

  it('never passes the cap, and reaches it', () => {
    const schedule = Array.from({ length: 40 }, (_, n) => pollDelayMs(1_000, n))
    expect(Math.max(...schedule)).toBe(POLL_CAP_MS)
    expect(schedule.at(-1)).toBe(POLL_CAP_MS)
    expect(pollDelayMs(1_000, 7)).toBe(POLL_CAP_MS)
    expect(pollDelayMs(1_000, 6)).toBeLessThan(POLL_CAP_MS)
  })

  it('never shrinks', () => {
    for (const first of [100, 1_000, 3_000, 5_000]) {
      const schedule = Array.from({ length: 30 }, (_, n) => pollDelayMs(first, n))
      for (let n = 1; n < schedule.length; n++) expect(schedule[n]).toBeGreaterThanOrEqual(schedule[n - 1]!)
    }
  })

  it('keeps a first delay above the cap as it is', () => {
    expect(pollDelayMs(10_000, 0)).toBe(10_000)
    expect(pollDelayMs(10_000, 5)).toBe(10_000)
  })

  it('reaches the cap quickly from a short first delay', () => {
    const reads = Array.from({ length: 30 }, (_, n) => pollDelayMs(100, n)).findIndex((ms) => ms === POLL_CAP_MS)
    expect(reads).toBe(18)
  })
})

describe('readGapMs', () => {
  it('looks early at half the interval, then keeps the regular schedule', () => {
    expect([0, 1, 2, 3].map((k) => readGapMs(1_000, k))).toEqual([500, 500, 1_250, 1_563])
    for (let k = 2; k < 20; k++) expect(readGapMs(1_000, k)).toBe(pollDelayMs(1_000, k - 1))
  })
})

describe('waitFor', () => {
  it('makes an early first read at half the first delay, never at once', async () => {
    const { poll, readTimes } = scripted([done('SUCCESS', 'v')])
    const startedAt = Date.now()
    const waiting = waitFor(poll, options({ firstDelayMs: 120 }))
    await new Promise((resolve) => setImmediate(resolve))
    expect(readTimes).toEqual([])
    await waiting
    expect(readTimes).toHaveLength(1)
    // Timers may fire a millisecond early on some platforms.
    expect(readTimes[0]! - startedAt).toBeGreaterThanOrEqual(58)
  })

  it('reads at half the first delay, at the first delay, then on the growing schedule', async () => {
    const { poll, readTimes } = scripted([
      pending('PROCESSING'),
      pending('PROCESSING'),
      pending('PROCESSING'),
      done('SUCCESS', 'v'),
    ])
    const startedAt = Date.now()
    await waitFor(poll, options({ firstDelayMs: 200 }))
    const at = readTimes.map((t) => t - startedAt)
    expect(at).toHaveLength(4)
    expect(at[0]).toBeGreaterThanOrEqual(98) // 100
    expect(at[1]).toBeGreaterThanOrEqual(198) // 200
    expect(at[2]! - at[1]!).toBeGreaterThanOrEqual(248) // 200 × 1.25
    expect(at[3]! - at[2]!).toBeGreaterThanOrEqual(310) // 200 × 1.25²
  })

  it('returns the value, final status and read count once done', async () => {
    const { poll, readTimes } = scripted([
      pending('PROCESSING'),
      pending('PROCESSING'),
      done('SUCCESS', 'final resource'),
    ])
    const seen: [string, number][] = []
    const result = await waitFor(poll, options({ onPoll: (status, reads) => seen.push([status, reads]) }))
    expect(result).toEqual({ value: 'final resource', providerStatus: 'SUCCESS', reads: 3 })
    expect(readTimes).toHaveLength(3)
    expect(seen).toEqual([
      ['PROCESSING', 1],
      ['PROCESSING', 2],
      ['SUCCESS', 3],
    ])
  })

  it('leaves growing gaps between reads', async () => {
    const { poll, readTimes } = scripted([pending('a'), pending('b'), pending('c'), pending('d'), done('e', 'v')])
    const startedAt = Date.now()
    await waitFor(poll, options({ firstDelayMs: 20 }))
    // Each gap is at least its scheduled delay (minus a millisecond of timer slack).
    const gaps = readTimes.map((t, i) => t - (i === 0 ? startedAt : readTimes[i - 1]!))
    gaps.forEach((gap, n) => expect(gap).toBeGreaterThanOrEqual(readGapMs(20, n) - 2))
  })

  it('times out at the deadline with status timed-out and the last provider status', async () => {
    const deadline = new Deadline(300)
    const { poll, readTimes } = scripted([pending('QUEUED'), pending('PROCESSING')])
    const error = await rejection(waitFor(poll, options({ firstDelayMs: 20, deadline })))
    expect(error).toBeInstanceOf(TimeoutError)
    const timeout = error as TimeoutError
    expect(timeout.status).toBe('timed-out')
    expect(timeout.errorType).toBe('timeout')
    expect(timeout.providerStatus).toBe('PROCESSING')
    expect(timeout.message).toContain("The step's timeout (300ms) passed while waiting for the deploy of app 42.")
    expect(timeout.message).toContain('The last status was PROCESSING')
    expect(deadline.expired()).toBe(true)
    expect(readTimes.length).toBeGreaterThan(1)
    // No read is started once the deadline has passed.
    for (const t of readTimes) expect(t).toBeLessThan(deadline.at)
  })

  it('times out without a status when the deadline passes before the first read', async () => {
    const { poll, readTimes } = scripted([done('SUCCESS', 'v')])
    const error = await rejection(waitFor(poll, options({ firstDelayMs: 1_000, deadline: new Deadline(50) })))
    expect(error).toBeInstanceOf(TimeoutError)
    expect((error as TimeoutError).providerStatus).toBeUndefined()
    expect((error as TimeoutError).message).not.toContain('last status')
    expect(readTimes).toEqual([])
  })

  it('throws at once for a deadline that has already passed', async () => {
    const { poll, readTimes } = scripted([done('SUCCESS', 'v')])
    const error = await rejection(waitFor(poll, options({ deadline: new Deadline(0) })))
    expect(error).toBeInstanceOf(TimeoutError)
    expect(readTimes).toEqual([])
  })

  it('ends at its own maxWaitMs, well before the step deadline, saying which limit passed', async () => {
    const deadline = new Deadline(60_000)
    const { poll } = scripted([pending('STARTING')])
    const error = await rejection(waitFor(poll, options({ firstDelayMs: 20, deadline, maxWaitMs: 150 })))
    expect(error).toBeInstanceOf(TimeoutError)
    const timeout = error as TimeoutError
    expect(timeout.status).toBe('timed-out')
    expect(timeout.providerStatus).toBe('STARTING')
    expect(timeout.message).toContain('the most this wait may take')
    expect(deadline.expired()).toBe(false)
  })

  // The step's deadline has not passed here, so the message must not say it has, nor send the user to
  // raise 'timeout' (which would not help): it should name the wait's own limit, e.g. "1.5s".
  it('does not claim the step timeout passed when only its own limit did', async () => {
    const { poll } = scripted([pending('STARTING')])
    const error = await rejection(
      waitFor(poll, options({ firstDelayMs: 20, deadline: new Deadline(600_000), maxWaitMs: 150 })),
    )
    expect(error).toBeInstanceOf(TimeoutError)
    expect((error as TimeoutError).message).not.toContain("The step's timeout (10m) passed")
    expect((error as TimeoutError).message).toContain('150ms')
  })

  it('ends the wait with the error of a poll that throws', async () => {
    let reads = 0
    const failure = new DeployFailedError('The deploy of app 42 failed.', 'FAIL')
    const poll = async (): Promise<PollResult<string>> => {
      reads++
      if (reads === 2) throw failure
      return pending('PROCESSING')
    }
    const error = await rejection(waitFor(poll, options()))
    expect(error).toBe(failure)
    expect(reads).toBe(2)
  })

  it('turns a TimeoutError from inside a poll into the wait’s timeout, with the last status', async () => {
    let reads = 0
    const poll = async (): Promise<PollResult<string>> => {
      reads++
      if (reads === 2) throw new TimeoutError('request timed out')
      return pending('IN_PROGRESS')
    }
    const error = await rejection(waitFor(poll, options()))
    expect(error).toBeInstanceOf(TimeoutError)
    expect((error as TimeoutError).providerStatus).toBe('IN_PROGRESS')
    expect((error as TimeoutError).message).toContain('waiting for the deploy of app 42')
  })

  it('stops on abort with a CancelledError carrying the last status', async () => {
    const controller = new AbortController()
    const { poll, readTimes } = scripted([pending('PROCESSING')])
    // The abort comes 5 ms into the 25 ms gap after the first read, so no second read happens.
    const onPoll = () => void setTimeout(() => controller.abort(), 5)
    const error = await rejection(waitFor(poll, options({ firstDelayMs: 20, signal: controller.signal, onPoll })))
    expect(error).toBeInstanceOf(CancelledError)
    expect((error as CancelledError).status).toBe('cancelled')
    expect((error as CancelledError).errorType).toBe('cancelled')
    expect((error as CancelledError).providerStatus).toBe('PROCESSING')
    expect(readTimes).toHaveLength(1)
  })

  it('stops quickly (well under 2 s) on abort during a long gap', async () => {
    const controller = new AbortController()
    const { poll, readTimes } = scripted([pending('PROCESSING')])
    const startedAt = Date.now()
    setTimeout(() => controller.abort(), 30)
    const error = await rejection(waitFor(poll, options({ firstDelayMs: 5_000, signal: controller.signal })))
    expect(error).toBeInstanceOf(CancelledError)
    expect(readTimes).toEqual([])
    expect(Date.now() - startedAt).toBeLessThan(1_000)
  })

  it('passes on the runner’s CancelledError when no status is known yet', async () => {
    const controller = new AbortController()
    const reason = new CancelledError('The run was cancelled (SIGTERM).')
    controller.abort(reason)
    const { poll, readTimes } = scripted([done('SUCCESS', 'v')])
    const error = await rejection(waitFor(poll, options({ signal: controller.signal })))
    expect(error).toBe(reason)
    expect(readTimes).toEqual([])
  })

  it('reports a cancellation that arrives during a read as cancelled, with the last status', async () => {
    const controller = new AbortController()
    let reads = 0
    const poll = async (): Promise<PollResult<string>> => {
      reads++
      if (reads === 1) return pending('RUNNING')
      controller.abort()
      throw new Error('socket hang up')
    }
    const error = await rejection(waitFor(poll, options({ signal: controller.signal })))
    expect(error).toBeInstanceOf(CancelledError)
    expect((error as CancelledError).providerStatus).toBe('RUNNING')
  })
})

describe('waitFor near the deadline', () => {
  it('reads one last time shortly before the deadline instead of sleeping past the done state', async () => {
    const reads: number[] = []
    const started = Date.now()
    // The first gap (5 s) is longer than the 1.5 s deadline: without a last-chance read this would time out unread.
    const result = await waitFor(
      async () => {
        reads.push(Date.now() - started)
        return { state: 'done' as const, providerStatus: 'SUCCESS', value: 'v' }
      },
      { firstDelayMs: 5_000, deadline: new Deadline(1_500), signal: new AbortController().signal, what: 'waiting' },
    )
    expect(result.value).toBe('v')
    expect(reads).toHaveLength(1)
    expect(reads[0]).toBeGreaterThanOrEqual(400) // about 1.5 s − 1 s lead, not at once
  })
})
