/**
 * The provider-agnostic steps between a valid payload and an Outcome: check everything before
 * sending, then for each target read → update (or preview, in a dry run) → wait → diff.
 */
import { diff, valueAt } from './diff.js'
import {
  ApiError,
  CancelledError,
  DeployFailedError,
  mayHaveApplied,
  TimeoutError,
  type LocatedProblem,
  type Problem,
} from './errors.js'
import { describeFailure, type Phase } from './failure.js'
import { locateProblem, type Payload } from './payload.js'
import type { RequestSpec } from './http/client.js'
import type { Provider, ProviderContext } from './providers/provider.js'
import type { Outcome } from './outcome.js'
import type { Settings } from './settings.js'
import { redactValue } from './secrets.js'
import { waitFor } from './wait.js'

/** Every problem with the inputs, the targets and the payload, located in the payload file. Pure. */
export function checkBeforeSending(provider: Provider, settings: Settings, payload: Payload): LocatedProblem[] {
  return [
    ...checkInputs(provider, settings),
    ...provider.validate(payload.value, settings).map((p: Problem) => locateProblem(payload, p)),
  ]
}

/** Every problem with the inputs the provider needs and the targets, each naming its input; needs no payload. Pure. */
export function checkInputs(provider: Provider, settings: Settings): LocatedProblem[] {
  const problems: LocatedProblem[] = provider.checkInputs(settings)
  // Ids are compared as the provider compares them: one resource listed twice would be written twice.
  const seen = new Map<string, string>()
  for (const target of settings.targets) {
    const problem = provider.checkTarget(target)
    if (problem) {
      problems.push({ path: [], input: 'target', message: `Invalid input 'target': ${problem}` })
      continue
    }
    const id = provider.canonicalTarget?.(target) ?? target
    const earlier = seen.get(id)
    if (earlier === undefined) seen.set(id, target)
    else
      problems.push({
        path: [],
        input: 'target',
        message: `Invalid input 'target': '${target}' and '${earlier}' are the same ${provider.name} resource (its ids ignore letter case); list it once.`,
      })
  }
  return problems
}

/** The units of work: one per target, unless the provider groups them (kintone deploys all its apps in one call). */
export function unitsOf(provider: Provider, targets: readonly string[], payload: Payload): string[] {
  // Each target in the provider's canonical spelling (RTS: a lower-case UUID), as the API names it.
  return (
    provider.units?.(targets, payload.value) ?? targets.map((target) => provider.canonicalTarget?.(target) ?? target)
  )
}

/** Run one target through the provider; never throws, every failure becomes the Outcome's error. */
export async function runTarget(
  provider: Provider,
  ctx: ProviderContext,
  target: string,
  payload: Payload,
): Promise<Outcome> {
  const started = Date.now()
  const { settings, log } = ctx
  const outcome: Outcome = {
    target,
    status: 'failed',
    changed: false,
    changes: [],
    notes: [],
    durationMs: 0,
    itemLabels: provider.itemLabels,
  }
  // The resource as read before the write: the diff's before side, never this run's outcome.
  let before: unknown
  // The last state seen after the write was sent (its answer, a poll), so a failure can still
  // report each item (kintone: each app) as this run left it.
  let latest: unknown
  // How far the run got: a status or item seen before the write describes an earlier deploy.
  let phase: Phase = 'read'
  // Whether the update sent a write, and whether its last request was one (a refusal of the write itself).
  const writes = { sent: false, last: false }
  try {
    before = await log.group(`Read ${provider.name} ${target}`, () => provider.read(ctx, target))

    // Changes are found on the real values and shown from redacted copies, so a changed secret counts but never shows.
    const show = (value: unknown) => (provider.redact ? provider.redact(value) : value)
    const changesOf = (after: unknown) => {
      const changes = provider.changes?.(before, after, payload.value) ?? diff(before, after, provider.volatile)
      if (!provider.redact) return changes
      const [shownBefore, shownAfter] = [show(before), show(after)]
      return changes.map((c) => ({
        ...c,
        before: valueAt(shownBefore, c.segments),
        after: valueAt(shownAfter, c.segments),
      }))
    }
    if (settings.dryRun) {
      // A dry run's outcome is the live state: what it read is what it reports.
      outcome.providerStatus = provider.statusOf(before)
      const request = provider.describeRequest(ctx, target, payload.value)
      outcome.request = { ...request, body: show(request.body) }
      outcome.changes = changesOf(provider.preview(before, payload.value))
      outcome.items = provider.items?.(before, payload.value)
      outcome.resource = show(before)
      outcome.notes = provider.notes?.(before) ?? []
      outcome.status = 'dry-run'
      log.info(
        `Dry run: ${outcome.changes.length === 0 ? 'no field would change' : `would change ${outcome.changes.map((c) => c.path).join(', ')}`}; nothing was sent.`,
      )
      return outcome
    }

    phase = 'update'
    const update = await log.group(`Update ${provider.name} ${target}`, () =>
      provider.update(watchWrites(ctx, writes), target, payload.value, before),
    )
    phase = 'wait'
    outcome.httpStatus = update.httpStatus
    outcome.requestId = update.requestId
    outcome.providerStatus = update.providerStatus
    outcome.notes.push(...(update.notes ?? []))
    let resource = update.resource
    latest = resource
    if (update.pending && provider.poll) {
      if (settings.wait) {
        const poll = provider.poll.bind(provider)
        const waited = await log.group(`Wait for ${provider.name} ${target}`, () =>
          waitFor(
            async () => {
              const read = await poll(ctx, target, update)
              if (read.value !== undefined) latest = read.value
              return read
            },
            {
              firstDelayMs: settings.pollIntervalMs,
              deadline: ctx.deadline,
              signal: ctx.signal,
              what: `waiting for ${target}`,
              maxWaitMs: update.maxWaitMs,
              onPoll: (status, reads) => {
                outcome.providerStatus = status
                log.info(`Status ${status} (read ${reads}).`)
              },
            },
          ),
        )
        resource = waited.value
        outcome.providerStatus = waited.providerStatus
      } else {
        outcome.notes.push(
          `Not waited for ('wait' is false): the provider reported ${update.providerStatus} and the change may still be in progress.`,
        )
      }
    }
    outcome.resource = show(resource)
    const link = provider.consoleLink?.(target, settings, outcome.resource)
    outcome.consoleUrl = link?.url
    outcome.consoleLabel = link?.label
    outcome.details = provider.details?.(redactValue(outcome.resource, ctx.redact))
    outcome.items = provider.items?.(resource, payload.value)
    outcome.changes = changesOf(resource)
    outcome.changed = outcome.changes.length > 0
    outcome.notes.push(...(provider.notes?.(resource) ?? []))
    outcome.status = 'succeeded'
    log.info(
      `${provider.name} ${target}: ${outcome.changed ? `changed ${outcome.changes.map((c) => c.path).join(', ')}` : 'no field changed'} (status ${outcome.providerStatus ?? 'unknown'}).`,
    )
  } catch (error) {
    fail(outcome, provider, target, settings, error, ctx.client.origin, phase, writes.sent)
    if (error instanceof DeployFailedError && error.resource !== undefined && phase === 'wait') {
      outcome.resource = provider.redact ? provider.redact(error.resource) : error.resource
      outcome.details = provider.details?.(redactValue(outcome.resource, ctx.redact))
      outcome.items = provider.items?.(error.resource, payload.value)
    } else if (latest !== undefined) {
      outcome.items = provider.items?.(latest, payload.value)
    } else if (before !== undefined) {
      // No state was read after the write: each item says so, never the status it had before,
      // which is an earlier deploy's. Not deployed when no write went out or the write itself was
      // refused; unknown when one went out and what became of it was not learnt.
      const refused =
        writes.last && !mayHaveApplied(error) && !(error instanceof CancelledError || error instanceof TimeoutError)
      const unread = writes.sent && !refused ? 'unknown' : 'not deployed'
      outcome.items = provider
        .items?.(before, payload.value)
        .map(({ providerStatus: _earlier, ...item }) => ({ ...item, succeeded: false, unread }))
    }
  } finally {
    outcome.durationMs = Date.now() - started
  }
  return outcome
}

/**
 * The context for `update`, its client noting each write: any request but a read (a POST with
 * X-HTTP-Method-Override: GET, kintone's long status read, is a read).
 */
function watchWrites(ctx: ProviderContext, writes: { sent: boolean; last: boolean }): ProviderContext {
  const client = new Proxy(ctx.client, {
    get(target, name) {
      if (name === 'request') {
        return (spec: RequestSpec) => {
          writes.last = spec.method !== 'GET' && spec.headers?.['x-http-method-override']?.toUpperCase() !== 'GET'
          writes.sent ||= writes.last
          return target.request(spec)
        }
      }
      const value: unknown = Reflect.get(target, name, target)
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value
    },
  })
  return { ...ctx, client }
}

/**
 * Fill an outcome from a failure: the HTTP status and request id of an API error, the last status
 * seen after the write (a status from before it, or from waiting on another deploy, is not this
 * run's), then the status, error type and sentence as failure.ts words them.
 */
function fail(
  outcome: Outcome,
  provider: Provider,
  target: string,
  settings: Settings,
  error: unknown,
  origin: string,
  phase: Phase,
  writeSent: boolean,
): void {
  if (error instanceof ApiError) {
    outcome.httpStatus = error.httpStatus
    outcome.requestId = error.requestId
  }
  if (
    (error instanceof TimeoutError || error instanceof CancelledError || error instanceof DeployFailedError) &&
    error.providerStatus &&
    phase === 'wait'
  ) {
    outcome.providerStatus = error.providerStatus
  }
  const { type, message, status } = describeFailure(error, {
    provider: provider.name,
    target,
    origin,
    phase,
    writeSent,
    providerStatus: outcome.providerStatus,
    advise: (apiError) => provider.advise(apiError, target, settings),
  })
  outcome.status = status
  outcome.error = { type, message }
}

/** Run `work` over `items`, at most `limit` at a time, keeping the input order in the result. */
export async function mapConcurrent<T, R>(
  items: readonly T[],
  limit: number,
  work: (item: T) => Promise<R>,
): Promise<R[]> {
  const results = new Array<R>(items.length)
  let next = 0
  const worker = async () => {
    while (next < items.length) {
      const index = next++
      results[index] = await work(items[index]!)
    }
  }
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker))
  return results
}
