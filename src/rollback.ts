/**
 * `on-failure: rollback`: the known-good payload and the checks before sending, the plan made from
 * the read before the update, and the rollback itself when the wait after the update ends in the
 * provider's failure state or at a deadline (or a step of the update after its write, Aieev's
 * start, fails): the provider's `restore` write (never twice blindly),
 * then its `poll` until the resource serves again, under a deadline of its own (`rollback-timeout`)
 * and the runner's cancellation. A cancelled run is never rolled back.
 */
import { Deadline } from './deadline.js'
import {
  CancelledError,
  DeployFailedError,
  InputError,
  PayloadError,
  TimeoutError,
  type LocatedProblem,
} from './errors.js'
import { describeFailure } from './failure.js'
import { formatMs } from './format.js'
import { loadPayload, locateProblem, type ParseControl, type Payload, type PayloadObject } from './payload.js'
import type { Outcome } from './outcome.js'
import type { Provider, ProviderContext, RestorePlan, Unit, ViewContext } from './providers/provider.js'
import { refuseRollback } from './providers/shared.js'
import type { Settings } from './settings.js'
import { waitFor } from './wait.js'

/** The rollback's deadline: its own budget, and its own words when it passes. */
export class RollbackDeadline extends Deadline {
  override readonly name = "the rollback's time budget ('rollback-timeout')"

  override error(what: string, providerStatus?: string): TimeoutError {
    const last = providerStatus ? ` The last status was ${providerStatus}.` : ''
    return new TimeoutError(
      `The rollback's time budget ('rollback-timeout', ${formatMs(this.totalMs)}) passed while ${what}.${last} Raise 'rollback-timeout' if this provider needs longer.`,
      providerStatus,
    )
  }
}

/**
 * The known-good payload of `rollback-payload-file` / `rollback-payload`, read and parsed as the
 * payload is; undefined when neither is set. Its errors name the rollback input, not 'payload-file'.
 */
export async function loadKnownGood(
  settings: Settings,
  env: NodeJS.ProcessEnv,
  control: ParseControl,
): Promise<Payload | undefined> {
  const { rollbackPayloadFile: payloadFile, rollbackPayload: payloadInline } = settings
  if (!payloadFile && !payloadInline) return undefined
  try {
    return await loadPayload(
      { ...settings, payloadFile, payloadInline, runnerTemp: env.RUNNER_TEMP || undefined },
      env,
      control,
    )
  } catch (error) {
    if (error instanceof InputError && error.input === 'payload-file')
      throw new InputError('rollback-payload-file', error.message.replace(/'payload-file'/g, "'rollback-payload-file'"))
    if (error instanceof PayloadError && !payloadFile) throw new PayloadError(error.problems.map(inline), error.file)
    throw error
  }
}

/** A problem of the inline known-good payload, naming its input (it has no file). */
function inline(problem: LocatedProblem): LocatedProblem {
  return { ...problem, message: `the rollback payload (input 'rollback-payload'): ${problem.message}` }
}

/**
 * Every problem of `on-failure: rollback` found before sending: a provider with nothing to roll
 * back (when its own check has not said why), and the known-good payload's problems, validated as
 * the payload is and located in its file.
 */
export function rollbackProblems(
  provider: Provider,
  settings: Settings,
  problems: readonly LocatedProblem[],
  known: Payload | undefined,
): LocatedProblem[] {
  if (settings.onFailure !== 'rollback') return []
  if (!provider.restore)
    return problems.some((p) => p.input === 'on-failure')
      ? []
      : refuseRollback(provider.name, settings, 'it cannot put a resource back.')
  if (!known) return []
  return provider
    .check(settings, known.value)
    .filter((p) => p.input === undefined)
    .map((p) => {
      const located = locateProblem(known, p)
      return known.file ? located : inline(located)
    })
}

/**
 * The rollback's plan from the read before the update; an InputError (before any write) when a
 * value to put back is known neither from the read nor from the known-good payload.
 */
export function planRollback<R>(
  provider: Provider<R>,
  ctx: ProviderContext,
  unit: Unit,
  before: R,
  payload: PayloadObject,
  known: PayloadObject | undefined,
): Extract<RestorePlan, { body: unknown }> | undefined {
  if (ctx.settings.onFailure !== 'rollback' || !provider.restore) return undefined
  const plan = provider.restore.plan(before, payload, known)
  if ('missing' in plan)
    throw new InputError(
      known ? 'rollback-payload-file' : 'on-failure',
      `'on-failure: rollback' cannot roll back ${unit.id}: ${plan.why} Nothing was sent.`,
    )
  // The values put back are the resource's own (an env var's value): as secret as the payload's.
  for (const { value } of provider.secrets(plan.body)) ctx.secret(value)
  return plan
}

/**
 * Whether a failure in the wait is one a rollback answers: it ended in failure or at a deadline. (A
 * failure in the update after its write was applied is answered whatever it is, but a cancellation.)
 */
export function wantsRollback(error: unknown): boolean {
  return error instanceof TimeoutError || error instanceof DeployFailedError
}

/**
 * Put the resource back after its release failed (the outcome already says how it failed): the
 * provider's restore write, then its poll until it serves again. The outcome gains `rolledBack`,
 * the state after the rollback (this run's last seen), and a message naming both what failed and
 * the rollback's end. Never throws.
 */
export async function rollBack<R>(
  provider: Provider<R>,
  ctx: ProviderContext,
  unit: Unit,
  plan: Extract<RestorePlan, { body: unknown }>,
  now: R,
  outcome: Outcome,
  at: ViewContext,
): Promise<void> {
  const { settings, log } = ctx
  const target = unit.id
  const deadline = new RollbackDeadline(settings.rollbackTimeoutMs)
  const rollbackCtx = ctx.withDeadline ? ctx.withDeadline(deadline) : { ...ctx, deadline }
  let latest: R = now
  const show = (resource: R) => {
    const view = provider.view(resource, at)
    outcome.resource = view.shown ?? resource
    outcome.details = view.details
    if (view.status !== undefined) outcome.providerStatus = view.status
  }
  outcome.restored = plan.fields
  const fields = plan.fields.map((f) => f.path).join(', ')
  log.warning(`${provider.name} ${target}: the release failed; rolling back ${fields} (on-failure: rollback).`)
  try {
    const final = await log.group(`Roll back ${provider.name} ${target}`, async () => {
      const written = await provider.restore!.write(rollbackCtx, unit, plan.body, now)
      latest = written.resource
      outcome.providerStatus = written.providerStatus
      if (!written.pending || !provider.poll) return { resource: written.resource, status: written.providerStatus }
      const poll = provider.poll.bind(provider)
      const waited = await waitFor(
        async () => {
          const read = await poll(rollbackCtx, unit, written)
          if (read.value !== undefined) latest = read.value
          return read
        },
        {
          firstDelayMs: settings.pollIntervalMs,
          deadline,
          signal: ctx.signal,
          what: `waiting for the rollback of ${target}`,
          maxWaitMs: written.maxWaitMs,
          onPoll: (status, reads) => {
            outcome.providerStatus = status
            log.info(`Rollback status ${status} (read ${reads}).`)
          },
        },
      )
      return { resource: waited.value, status: waited.providerStatus }
    })
    show(final.resource)
    outcome.providerStatus = final.status
    outcome.rolledBack = true
    outcome.error = {
      type: outcome.error?.type ?? 'deploy-failed',
      message: `${outcome.error?.message ?? ''} Rolled back: ${fields} ${plan.fields.length === 1 ? 'was' : 'were'} put back as before this run, and ${target} is ${final.status} again; the release did not happen.`,
    }
    log.info(`${provider.name} ${target}: rolled back (status ${final.status}).`)
  } catch (error) {
    const failedResource = (error as { resource?: unknown }).resource
    show((failedResource as R | undefined) ?? latest)
    const rollbackFailure = describeFailure(error, {
      provider: provider.name,
      target,
      origin: ctx.client.origin,
      phase: 'wait',
      writeSent: true,
      providerStatus: outcome.providerStatus,
      advise: (apiError) => provider.advise(apiError, unit, settings),
    })
    const prefix = `${provider.name} ${target}: `
    const rollbackMessage = rollbackFailure.message.startsWith(prefix)
      ? rollbackFailure.message.slice(prefix.length)
      : rollbackFailure.message
    outcome.rolledBack = false
    if (error instanceof CancelledError) outcome.status = 'cancelled'
    outcome.error = {
      type: error instanceof CancelledError ? rollbackFailure.type : (outcome.error?.type ?? rollbackFailure.type),
      message: `${outcome.error?.message ?? ''} The rollback failed too: ${rollbackMessage.replace(/\.?$/, '.')} The last known state of ${target} is ${outcome.providerStatus ?? 'unknown'}: put ${fields} back by hand (or fix the payload and run again).`,
    }
    log.warning(`${provider.name} ${target}: the rollback failed.`)
  }
}
