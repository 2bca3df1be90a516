/**
 * Helpers more than one provider uses: the API base URL, bearer authorization, and the guarded
 * write for APIs without an idempotency key.
 */
import { RETRYABLE_STATUSES, type OutgoingRequest } from '../http/client.js'
import { ApiError, mayHaveApplied } from '../errors.js'
import { sleep } from '../deadline.js'
import { formatMs } from '../format.js'
import type { ProviderContext } from './provider.js'

/** `base` (an origin, maybe with a path) joined with the API's path prefix, unless it already ends with it. */
export function apiBase(base: URL, prefix: string): URL {
  const path = base.pathname.replace(/\/+$/, '')
  return new URL(base.origin + (path.endsWith(prefix) ? path : path + prefix))
}

/** The authorize hook of APIs that take `Authorization: Bearer <token input>`; the header value is a secret. */
export function bearerAuth(ctx: Omit<ProviderContext, 'client'>): Promise<(request: OutgoingRequest) => void> {
  const header = ctx.secret(`Bearer ${ctx.settings.credentials.token}`)
  return Promise.resolve((request) => {
    request.headers.authorization = header
  })
}

/**
 * Send a write that has no idempotency key, and never twice blindly: when its outcome is unknown
 * (a lost answer, a 408/429/5xx after sending, an unreadable 2xx), `applied()` reads the resource
 * and returns what it found if the write took effect (or throws when that cannot be told); only
 * when it did not is the write sent again, after the wait the server asked for (or a backoff),
 * at most `max-retries` times and never past the step's deadline.
 */
export async function writeOnce<W, S>(
  ctx: ProviderContext,
  write: () => Promise<W>,
  applied: () => Promise<S | undefined>,
  words: { applied: string | ((state: S) => string); notApplied: string },
): Promise<{ response: W } | { state: S }> {
  for (let round = 0; ; round++) {
    try {
      return { response: await write() }
    } catch (error) {
      if (!mayHaveApplied(error)) throw error
      ctx.log.warning(`${(error as Error).message} Reading the state before sending it again.`)
      const state = await applied()
      if (state !== undefined) {
        ctx.log.info(typeof words.applied === 'string' ? words.applied : words.applied(state))
        return { state }
      }
      // A status that is never retried (501, 505 …): it was not applied, and sending it again gets the same answer.
      if (error instanceof ApiError && !RETRYABLE_STATUSES.has(error.httpStatus)) throw error
      const maxRetries = ctx.settings.maxRetries
      if (round >= maxRetries) {
        ;(error as Error).message =
          `${(error as Error).message.replace(/\.$/, '')} (it had not been applied; gave up after ${maxRetries} ${maxRetries === 1 ? 'retry' : 'retries'}).`
        throw error
      }
      const retryAfterMs = error instanceof ApiError ? error.retryAfterMs : undefined
      const waitMs = retryAfterMs ?? ctx.client.backoffMs(round)
      if (waitMs >= ctx.deadline.remainingMs()) {
        ;(error as Error).message =
          `${(error as Error).message.replace(/\.$/, '')} (it had not been applied; no retry: the step's timeout leaves ${formatMs(ctx.deadline.remainingMs())}).`
        throw error
      }
      ctx.log.info(
        `${words.notApplied}${waitMs > 0 ? ` Waiting ${formatMs(waitMs)}${retryAfterMs !== undefined ? ' (Retry-After)' : ''} first.` : ''}`,
      )
      await sleep(waitMs, ctx.signal)
    }
  }
}
