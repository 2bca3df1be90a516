/**
 * The provider-agnostic steps between a valid payload and an Outcome: check everything before
 * sending, then for each target read → update (or preview, in a dry run) → wait → diff.
 */
import { diff, valueAt } from './diff.js'
import { ApiError, DeployPatchError, messageOf, mayHaveApplied, NetworkError, ResponseError, type LocatedProblem, type Problem, CancelledError, TimeoutError, DeployFailedError } from './errors.js'
import { locateProblem, type Payload } from './payload.js'
import type { Provider, ProviderContext } from './providers/provider.js'
import type { Outcome } from './report.js'
import type { Settings } from './settings.js'
import { redactValue } from './secrets.js'
import { waitFor } from './wait.js'

/** Every problem with the inputs, the targets and the payload, located in the payload file. Pure. */
export function checkBeforeSending(provider: Provider, settings: Settings, payload: Payload): LocatedProblem[] {
  return [...checkInputs(provider, settings), ...provider.validate(payload.value, settings).map((p: Problem) => locateProblem(payload, p))]
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
    else problems.push({ path: [], input: 'target', message: `Invalid input 'target': '${target}' and '${earlier}' are the same ${provider.name} resource (its ids ignore letter case); list it once.` })
  }
  return problems
}

/** Run one target through the provider; never throws, every failure becomes the Outcome's error. */
/** The units of work: one per target, unless the provider groups them (kintone deploys all its apps in one call). */
export function unitsOf(provider: Provider, targets: readonly string[], payload: Payload): string[] {
  // Each target in the provider's canonical spelling (RTS: a lower-case UUID), as the API names it.
  return provider.units?.(targets, payload.value) ?? targets.map((target) => provider.canonicalTarget?.(target) ?? target)
}

export async function runTarget(provider: Provider, ctx: ProviderContext, target: string, payload: Payload): Promise<Outcome> {
  const started = Date.now()
  const { settings, log } = ctx
  const outcome: Outcome = { target, status: 'failed', changed: false, changes: [], notes: [], durationMs: 0, itemLabels: provider.itemLabels }
  // The last state seen of the resource, so a failure can still report each item (kintone: each app).
  let latest: unknown
  try {
    const before = await log.group(`Read ${provider.name} ${target}`, () => provider.read(ctx, target))
    latest = before
    outcome.providerStatus = provider.statusOf(before)

    // Changes are found on the real values and shown from redacted copies, so a changed secret counts but never shows.
    const show = (value: unknown) => (provider.redact ? provider.redact(value) : value)
    const changesOf = (after: unknown) => {
      const changes = provider.changes?.(before, after, payload.value) ?? diff(before, after, provider.volatile)
      if (!provider.redact) return changes
      const [shownBefore, shownAfter] = [show(before), show(after)]
      return changes.map((c) => ({ ...c, before: valueAt(shownBefore, c.segments), after: valueAt(shownAfter, c.segments) }))
    }
    if (settings.dryRun) {
      const request = provider.describeRequest(ctx, target, payload.value)
      outcome.request = { ...request, body: show(request.body) }
      outcome.changes = changesOf(provider.preview(before, payload.value))
      outcome.items = provider.items?.(before, payload.value)
      outcome.resource = show(before)
      outcome.notes = provider.notes?.(before) ?? []
      outcome.status = 'dry-run'
      log.info(`Dry run: ${outcome.changes.length === 0 ? 'no field would change' : `would change ${outcome.changes.map((c) => c.path).join(', ')}`}; nothing was sent.`)
      return outcome
    }

    const update = await log.group(`Update ${provider.name} ${target}`, () => provider.update(ctx, target, payload.value, before))
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
          waitFor(async () => {
            const read = await poll(ctx, target, update)
            if (read.value !== undefined) latest = read.value
            return read
          }, {
            firstDelayMs: settings.pollIntervalMs,
            deadline: ctx.deadline,
            signal: ctx.signal,
            what: `waiting for ${target}`,
            maxWaitMs: update.maxWaitMs,
            onPoll: (status, reads) => {
              outcome.providerStatus = status
              log.info(`Status ${status} (read ${reads}).`)
            },
          }),
        )
        resource = waited.value
        outcome.providerStatus = waited.providerStatus
      } else {
        outcome.notes.push(`Not waited for ('wait' is false): the provider reported ${update.providerStatus} and the change may still be in progress.`)
      }
    }
    outcome.resource = show(resource)
    outcome.consoleUrl = provider.consoleUrl?.(target, settings, outcome.resource)
    outcome.details = provider.details?.(redactValue(outcome.resource, ctx.redact))
    outcome.items = provider.items?.(resource, payload.value)
    outcome.changes = changesOf(resource)
    outcome.changed = outcome.changes.length > 0
    outcome.notes.push(...(provider.notes?.(resource) ?? []))
    outcome.status = 'succeeded'
    log.info(`${provider.name} ${target}: ${outcome.changed ? `changed ${outcome.changes.map((c) => c.path).join(', ')}` : 'no field changed'} (status ${outcome.providerStatus ?? 'unknown'}).`)
  } catch (error) {
    fail(outcome, provider, target, settings, error, ctx.client.origin)
    if (error instanceof DeployFailedError && error.resource !== undefined) {
      outcome.resource = provider.redact ? provider.redact(error.resource) : error.resource
      outcome.details = provider.details?.(redactValue(outcome.resource, ctx.redact))
      outcome.items = provider.items?.(error.resource, payload.value)
    } else if (latest !== undefined) {
      outcome.items = provider.items?.(latest, payload.value)
    }
  } finally {
    outcome.durationMs = Date.now() - started
  }
  return outcome
}

/** Fill an outcome from a failure: status, error type, the provider's advice, the last known status. */
function fail(outcome: Outcome, provider: Provider, target: string, settings: Settings, error: unknown, origin: string): void {
  if (!(error instanceof DeployPatchError)) {
    outcome.status = 'failed'
    outcome.error = { type: 'internal', message: `${provider.name} ${target}: unexpected error: ${messageOf(error)}. Please report this.` }
    return
  }
  outcome.status = error.status
  if (error instanceof ApiError) {
    outcome.httpStatus = error.httpStatus
    outcome.requestId = error.requestId
  }
  if ((error instanceof TimeoutError || error instanceof CancelledError || error instanceof DeployFailedError) && error.providerStatus) {
    outcome.providerStatus = error.providerStatus
  }
  let message = error.message
  if (error instanceof CancelledError) {
    message += outcome.providerStatus ? ` The last status of ${target} was ${outcome.providerStatus}; the change may still be going on at the provider.` : ''
  }
  const advice = error instanceof ApiError ? provider.advise(error, target, settings) : adviseTransport(error, target, origin)
  outcome.error = { type: error.errorType, message: `${provider.name} ${target}: ${message}${advice ? ` ${advice}` : ''}` }
}

/** What to do about a failure below the API: the network, or an answer that could not be used. */
function adviseTransport(error: DeployPatchError, target: string, origin: string): string | undefined {
  if (mayHaveApplied(error)) return `The update may have been applied: check ${target} at the provider before running again.`
  if (error instanceof NetworkError && error.permanent) return undefined // its message says what to do
  if (error instanceof NetworkError && error.code === 'ETIMEDOUT') return `${origin} did not answer in time: run again later, or raise 'timeout' if it is always slow.`
  if (error instanceof NetworkError) return `Check 'base-url' (${origin}) and that the runner can reach it (HTTPS_PROXY, NO_PROXY), then run again.`
  if (error instanceof ResponseError && error.errorType !== 'redirect') return `The provider's answer could not be read: run again, and check that 'base-url' (${origin}) is the provider's API.`
  return undefined
}

/** Run `work` over `items`, at most `limit` at a time, keeping the input order in the result. */
export async function mapConcurrent<T, R>(items: readonly T[], limit: number, work: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length)
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
