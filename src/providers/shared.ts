/**
 * Helpers more than one provider uses: the input and target checks, the defaults of `units`,
 * `secrets` and `changes`, the API base URL, bearer authorization, the guarded write for APIs
 * without an idempotency key and its "did the stamp move" read-back.
 */
import { RETRYABLE_STATUSES, type OutgoingRequest } from '../http/client.js'
import { ApiError, DeployPatchError, mayHaveApplied, withEnding, type Problem } from '../errors.js'
import { sleep } from '../deadline.js'
import { diff, isPlainObject, valueAt, type Change } from '../diff.js'
import { formatMs } from '../format.js'
import type { Settings } from '../settings.js'
import type { ConnectContext, PayloadSecret, ProviderContext, Unit } from './provider.js'

/** The problem of an input `provider` requires, when it is not `present`: "Input 'token' is required for qoder: …". */
export function required(provider: string, input: string, present: unknown, what: string): Problem[] {
  return present ? [] : [{ path: [], input, message: `Input '${input}' is required for ${provider}: ${what}` }]
}

/** `required` for the provider's only credential input, tagged so a dry run without it validates offline. */
export function requiredCredential(provider: string, input: string, present: unknown, what: string): Problem[] {
  return required(provider, input, present, what).map((problem) => ({ ...problem, missingCredential: true }))
}

/**
 * The problems of the 'target' input: each id not of the provider's shape (`shape` says why), and
 * one resource listed twice, ids compared as the provider compares them (`canonical`), as it would
 * be written twice.
 */
export function checkTargets(
  provider: string,
  targets: readonly string[],
  shape: (target: string) => string | undefined,
  canonical: (target: string) => string = (target) => target,
): Problem[] {
  const problems: Problem[] = []
  const seen = new Map<string, string>()
  for (const target of targets) {
    const problem = shape(target)
    if (problem) {
      problems.push({ path: [], input: 'target', message: `Invalid input 'target': ${problem}` })
      continue
    }
    const id = canonical(target)
    const earlier = seen.get(id)
    if (earlier === undefined) seen.set(id, target)
    else
      problems.push({
        path: [],
        input: 'target',
        message: `Invalid input 'target': '${target}' and '${earlier}' are the same ${provider} resource (its ids ignore letter case); list it once.`,
      })
  }
  return problems
}

/** The refusal of `on-failure: rollback` by a provider whose failures leave nothing to undo (`why` says so). */
export function refuseRollback(provider: string, settings: Settings, why: string): Problem[] {
  return settings.onFailure === 'rollback'
    ? [
        {
          path: [],
          input: 'on-failure',
          message: `Input 'on-failure' cannot be 'rollback' for ${provider}: ${why} Use 'on-failure: report'.`,
        },
      ]
    : []
}

/** One unit per target, each id as the provider spells it (`canonical`: RTS's lower-case UUID). */
export function unitPerTarget(settings: Settings, canonical: (target: string) => string = (target) => target): Unit[] {
  return settings.targets.map((target) => {
    const id = canonical(target)
    return { id, members: [id] }
  })
}

/** No value of the payload is a secret (the `secrets` of a provider whose payloads hold none). */
export function noSecrets(): PayloadSecret[] {
  return []
}

/**
 * The field diff between two states, paths in `volatile` left out (`[*]` matches any index): the
 * `changes` of a provider whose resource is its fields. Changes are found on the real values and
 * shown from `hide`'s copies, so a changed secret counts but never shows.
 */
export function fieldChanges(
  before: unknown,
  after: unknown,
  volatile: readonly string[],
  hide?: (value: unknown) => unknown,
): Change[] {
  const changes = diff(before, after, volatile)
  if (!hide) return changes
  const [shownBefore, shownAfter] = [hide(before), hide(after)]
  return changes.map((c) => ({
    ...c,
    before: valueAt(shownBefore, c.segments),
    after: valueAt(shownAfter, c.segments),
  }))
}

/** An answer's JSON object, once the request's `expect` has made sure it is one (a DeployPatchError otherwise). */
export function objectOf(json: unknown): Record<string, unknown> {
  if (isPlainObject(json)) return json
  throw new DeployPatchError('The answer is not a JSON object.', 'invalid-response')
}

/** Whether a write moved the resource's `stamp` (updated_at, updated_time): `now` has one, and not the one `before` had. */
export function stampMoved(now: Record<string, unknown>, before: Record<string, unknown>, stamp: string): boolean {
  return typeof now[stamp] === 'string' && now[stamp] !== before[stamp]
}

/** `base` (an origin, maybe with a path) joined with the API's path prefix, unless it already ends with it. */
export function apiBase(base: URL, prefix: string): URL {
  const path = base.pathname.replace(/\/+$/, '')
  return new URL(base.origin + (path.endsWith(prefix) ? path : path + prefix))
}

/** The authorize hook of APIs that take `Authorization: Bearer <token input>`; the header value is a secret. */
export function bearerAuth(ctx: ConnectContext): (request: OutgoingRequest) => void {
  const header = ctx.secret(`Bearer ${ctx.settings.credentials.token}`)
  return (request) => {
    request.headers.authorization = header
  }
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
      ctx.log.warning(`${error.message} Reading the state before sending it again.`)
      const state = await applied()
      if (state !== undefined) {
        ctx.log.info(typeof words.applied === 'string' ? words.applied : words.applied(state))
        return { state }
      }
      // A status that is never retried (501, 505 …): it was not applied, and sending it again gets the same answer.
      if (error instanceof ApiError && !RETRYABLE_STATUSES.has(error.httpStatus)) throw error
      const maxRetries = ctx.settings.maxRetries
      if (round >= maxRetries)
        throw withEnding(
          error,
          `(it had not been applied; gave up after ${maxRetries} ${maxRetries === 1 ? 'retry' : 'retries'})`,
        )
      const retryAfterMs = error instanceof ApiError ? error.retryAfterMs : undefined
      const waitMs = retryAfterMs ?? ctx.client.backoffMs(round)
      if (waitMs >= ctx.deadline.remainingMs())
        throw withEnding(
          error,
          `(it had not been applied; no retry: ${ctx.deadline.name} leaves ${formatMs(ctx.deadline.remainingMs())})`,
        )
      ctx.log.info(
        `${words.notApplied}${waitMs > 0 ? ` Waiting ${formatMs(waitMs)}${retryAfterMs !== undefined ? ' (Retry-After)' : ''} first.` : ''}`,
      )
      await sleep(waitMs, ctx.signal)
    }
  }
}
