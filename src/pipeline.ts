/**
 * The provider-agnostic steps between a valid payload and an Outcome: check everything before
 * sending, then for each target read → update (or preview, in a dry run) → wait → diff.
 */
import {
  ApiError,
  CancelledError,
  DeployFailedError,
  mayHaveApplied,
  TimeoutError,
  type LocatedProblem,
} from './errors.js'
import { describeFailure, type Phase } from './failure.js'
import { locateProblem, type Payload, type PayloadObject } from './payload.js'
import type { RequestSpec } from './http/client.js'
import type { Provider, ProviderContext, RestorePlan, Unit, ViewContext } from './providers/provider.js'
import type { Outcome } from './outcome.js'
import type { Settings } from './settings.js'
import { waitFor } from './wait.js'

/** Every problem with the inputs, the targets and the payload, the payload's located in its file. Pure. */
export function checkBeforeSending(provider: Provider, settings: Settings, payload: Payload): LocatedProblem[] {
  return provider.check(settings, payload.value).map((p) => (p.input === undefined ? locateProblem(payload, p) : p))
}

/** Every problem with the inputs the provider needs and the targets, each naming its input; needs no payload. Pure. */
export function checkInputs(provider: Provider, settings: Settings): LocatedProblem[] {
  return provider.check(settings)
}

/**
 * The problems left once a dry run without any credential input drops the "no credential" ones,
 * and why the live diff is skipped (unset: the run goes on as usual). With any credential given,
 * a partial or conflicting set stays an input problem. Pure.
 */
export function offlineDryRun(
  settings: Settings,
  problems: LocatedProblem[],
): { problems: LocatedProblem[]; skipped?: string } {
  const anyCredential = Object.values(settings.credentials).some((value) => value)
  const missing = problems.filter((p) => p.missingCredential)
  if (!settings.dryRun || anyCredential || missing.length === 0) return { problems }
  const why = missing.map((p) => p.message.replace(/\.$/, '')).join('; ')
  return { problems: problems.filter((p) => !p.missingCredential), skipped: `no credentials: ${why}` }
}

/**
 * The outcome of a unit in a dry run without credentials: everything offline passed, nothing was
 * read or sent, so there is no provider status, no resource and no diff, only why.
 */
export function offlineOutcome(unit: Unit, skipped: string, log: ProviderContext['log']): Outcome {
  const liveDiffSkipped = `Live diff skipped (${skipped}); the payload is valid. Nothing was read or sent.`
  log.info(`Dry run of ${unit.id}: ${liveDiffSkipped}`)
  return { target: unit.id, status: 'dry-run', changed: false, changes: [], notes: [], liveDiffSkipped, durationMs: 0 }
}

/** `on-failure: rollback`: rollback.ts, loaded by deploy.ts only then (a lazy chunk), and the known-good payload. */
export interface RollbackSupport {
  module: typeof import('./rollback.js')
  known?: PayloadObject
}

/**
 * Run one unit through the provider; never throws, every failure becomes the Outcome's error.
 * `rollback` is there with `on-failure: rollback`: its module and the known-good payload, if given.
 */
export async function runTarget<R>(
  provider: Provider<R>,
  ctx: ProviderContext,
  unit: Unit,
  payload: Payload,
  rollback?: RollbackSupport,
): Promise<Outcome> {
  const started = Date.now()
  const { settings, log } = ctx
  const target = unit.id
  const outcome: Outcome = { target, status: 'failed', changed: false, changes: [], notes: [], durationMs: 0 }
  const at: ViewContext = { unit, settings, payload: payload.value, redact: ctx.redact }
  /** The items of a resource, with the summary's column names. */
  const itemsOf = (resource: R) => {
    const items = provider.view(resource, at).items
    if (items) outcome.itemLabels = items.labels
    return items?.rows
  }
  // The resource as read before the write: the diff's before side, never this run's outcome.
  let before: R | undefined
  // The last state seen after the write was sent (its answer, a poll), so a failure can still
  // report each item (kintone: each app) as this run left it.
  let latest: R | undefined
  // How far the run got: a status or item seen before the write describes an earlier deploy.
  let phase: Phase = 'read'
  // Whether the update sent a write, and whether its last request was one (a refusal of the write itself).
  const writes = { sent: false, last: false }
  // Whether the update said its write was applied before a later step of its own (Aieev's start).
  let applied = false
  // on-failure: rollback — what to put back, planned from the read before any write.
  let restore: Extract<RestorePlan, { body: unknown }> | undefined
  try {
    const read = await log.group(`Read ${provider.name} ${target}`, () => provider.read(ctx, unit))
    before = read
    restore = rollback?.module.planRollback(provider, ctx, unit, read, payload.value, rollback.known)
    if (restore && settings.dryRun) outcome.restored = restore.fields
    else if (restore) outcome.rolledBack = false

    if (settings.dryRun) {
      // A dry run's outcome is the live state: what it read is what it reports.
      const view = provider.view(read, at)
      const plan = provider.plan(ctx, unit, read, payload.value)
      outcome.providerStatus = view.status
      outcome.request = plan.request
      outcome.changes = provider.changes(read, plan.after, payload.value)
      // "Would change": what a drift check (a scheduled dry run) compares with 'true'.
      outcome.changed = outcome.changes.length > 0
      outcome.items = itemsOf(read)
      outcome.resource = view.shown ?? read
      outcome.notes = view.notes
      outcome.status = 'dry-run'
      log.info(
        `Dry run: ${outcome.changes.length === 0 ? 'no field would change' : `would change ${outcome.changes.map((c) => c.path).join(', ')}`}; nothing was sent.`,
      )
      return outcome
    }

    phase = 'update'
    const update = await log.group(`Update ${provider.name} ${target}`, () =>
      provider.update(
        {
          ...watchWrites(ctx, writes),
          applied: (resource) => {
            applied = true
            latest = resource as R
          },
        },
        unit,
        payload.value,
        read,
      ),
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
              const read = await poll(ctx, unit, update)
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
    const view = provider.view(resource, at)
    outcome.resource = view.shown ?? resource
    outcome.consoleUrl = view.link?.url
    outcome.consoleLabel = view.link?.label
    outcome.details = view.details
    outcome.items = itemsOf(resource)
    outcome.changes = provider.changes(read, resource, payload.value)
    outcome.changed = outcome.changes.length > 0
    outcome.notes.push(...view.notes)
    outcome.status = 'succeeded'
    log.info(
      `${provider.name} ${target}: ${outcome.changed ? `changed ${outcome.changes.map((c) => c.path).join(', ')}` : 'no field changed'} (status ${outcome.providerStatus ?? 'unknown'}).`,
    )
  } catch (error) {
    fail(outcome, provider, unit, settings, error, ctx.client.origin, phase, writes.sent)
    if (settings.onFailure === 'rollback' && error instanceof CancelledError && writes.sent && outcome.error)
      // The runner wants the step gone within seconds: no rollback, and the words say what that leaves.
      outcome.error.message += ` It was not rolled back (a cancelled run never is): ${target} may be half-updated; check it at the provider.`
    if (error instanceof DeployFailedError && error.resource !== undefined && phase === 'wait') {
      // The resource a poll of this provider failed with: the provider's own R.
      const failed = error.resource as R
      const view = provider.view(failed, at)
      outcome.resource = view.shown ?? failed
      outcome.details = view.details
      outcome.items = itemsOf(failed)
    } else if (latest !== undefined) {
      outcome.items = itemsOf(latest)
    } else if (before !== undefined) {
      // No state was read after the write: each item says so, never the status it had before,
      // which is an earlier deploy's. Not deployed when no write went out or the write itself was
      // refused; unknown when one went out and what became of it was not learnt.
      const refused =
        writes.last && !mayHaveApplied(error) && !(error instanceof CancelledError || error instanceof TimeoutError)
      const unread = writes.sent && !refused ? 'unknown' : 'not deployed'
      outcome.items = itemsOf(before)?.map(({ providerStatus: _earlier, ...item }) => ({
        ...item,
        succeeded: false,
        unread,
      }))
    }
    // The release failed after its write was applied: in the wait, or in the update's own later step.
    const releaseFailed =
      phase === 'wait' ? rollback?.module.wantsRollback(error) : applied && !(error instanceof CancelledError)
    if (rollback && restore && releaseFailed && !ctx.signal.aborted) {
      const failed = error instanceof DeployFailedError && error.resource !== undefined ? (error.resource as R) : latest
      await rollback.module.rollBack(provider, ctx, unit, restore, failed ?? before!, outcome, at)
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
function fail<R>(
  outcome: Outcome,
  provider: Provider<R>,
  unit: Unit,
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
    target: unit.id,
    origin,
    phase,
    writeSent,
    providerStatus: outcome.providerStatus,
    advise: (apiError) => provider.advise(apiError, unit, settings),
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
