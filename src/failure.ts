/**
 * The one place an error becomes what the outputs say about it: its `error-type`, the status it
 * leaves the run (or one target) in, and the sentence a person reads, with what to do about it.
 * The error classes (errors.ts) carry the facts; this module words them, so no layer rewrites
 * another layer's message.
 */
import {
  ApiError,
  CancelledError,
  DeployPatchError,
  InputError,
  NetworkError,
  PayloadError,
  ResponseError,
  mayHaveApplied,
  messageOf,
  problemsHeadline,
  type RunStatus,
} from './errors.js'

/** An error as the outputs report it: `error-type`, the status it leaves, and its sentence. */
export interface Failure {
  type: string
  message: string
  status: RunStatus
}

/** Where a target's run was: reading before the write, in the update (the write may be on its way), or after it. */
export type Phase = 'read' | 'update' | 'wait'

/** The target a failure happened on and how far its run got, for the sentence and its advice. */
export interface FailedTarget {
  provider: string
  target: string
  /** The origin the target's client talks to, named in the advice about the network. */
  origin: string
  phase: Phase
  /** Whether a write went out before the failure. */
  writeSent: boolean
  /** The last status seen after the write, when one was. */
  providerStatus?: string
  /** The provider's sentence about what to do after an API error, or undefined for none. */
  advise(error: ApiError): string | undefined
}

/**
 * An error as the outputs report it: one target's when `at` names it, its sentence led by the
 * provider and target; else a failure before any target (bad inputs or payload, the login), with
 * the provider's advice when `at` gives it (while connecting).
 */
export function describeFailure(error: unknown, at?: FailedTarget | Pick<FailedTarget, 'advise'>): Failure {
  const where = at && 'target' in at ? `${at.provider} ${at.target}: ` : ''
  if (!(error instanceof DeployPatchError))
    return {
      type: 'internal',
      status: 'failed',
      message: `${where}unexpected error: ${messageOf(error)}. Please report this.`,
    }
  if (at && 'target' in at) return describeTargetFailure(error, at)
  if (error instanceof PayloadError) {
    const details = error.message.split('\n').join(' ')
    // One input's problem: its message names it ("Input 'token' is required for qoder: …; nothing was sent.").
    // Otherwise a headline first ("Input 'token' and the payload have 3 problems; nothing was sent."), then every
    // problem, inputs first.
    if (error.problems.length === 1 && error.problems[0]!.input !== undefined)
      return { type: error.errorType, status: 'failed', message: `${details.replace(/\.$/, '')}; nothing was sent.` }
    return { type: error.errorType, status: 'failed', message: `${problemsHeadline(error.problems)} ${details}` }
  }
  if (error instanceof InputError)
    return { type: 'input', status: 'failed', message: `${error.message} Nothing was sent.` }
  // A cancellation or the deadline during the login (before any target) keeps its own status.
  const advice = error instanceof ApiError ? at?.advise(error) : undefined
  return { type: error.errorType, status: error.status, message: `${error.message}${advice ? ` ${advice}` : ''}` }
}

/** One target's failure: the error's sentence, how far a cancelled run got, and what to do. */
function describeTargetFailure(error: DeployPatchError, at: FailedTarget): Failure {
  const { provider, target } = at
  let message = error.message
  if (error instanceof CancelledError) {
    if (at.providerStatus)
      message += ` The last status of ${target} was ${at.providerStatus}; the change may still be going on at the provider.`
    else if (at.writeSent)
      message += ` It stopped during the update of ${target}, which may have reached ${provider}; the change may still be going on at the provider.`
    else if (at.phase === 'update') message += ` It stopped before the update of ${target} was sent.`
  }
  const advice = error instanceof ApiError ? at.advise(error) : adviseTransport(error, target, at.origin)
  return {
    type: error.errorType,
    status: error.status,
    message: `${provider} ${target}: ${message}${advice ? ` ${advice}` : ''}`,
  }
}

/** What to do about a failure below the API: the network, or an answer that could not be used. */
function adviseTransport(error: DeployPatchError, target: string, origin: string): string | undefined {
  if (mayHaveApplied(error))
    return `The update may have been applied: check ${target} at the provider before running again.`
  if (error instanceof NetworkError && error.permanent) return undefined // its message says what to do
  if (error instanceof NetworkError && error.code === 'ETIMEDOUT')
    return `${origin} did not answer in time: run again later, or raise 'timeout' if it is always slow.`
  if (error instanceof NetworkError)
    return `Check 'base-url' (${origin}) and that the runner can reach it (HTTPS_PROXY, NO_PROXY), then run again.`
  if (error instanceof ResponseError && error.errorType !== 'redirect')
    return `The provider's answer could not be read: run again, and check that 'base-url' (${origin}) is the provider's API.`
  return undefined
}

/**
 * The report itself could not be written: the step fails as `internal`, whatever the work did,
 * as no output may contradict the exit code; the sentence says how the work itself ended.
 */
export function describeReportFailure(error: unknown, workStatus: RunStatus): Failure {
  return {
    type: 'internal',
    status: 'failed',
    message: `deploy-patch: could not write the report: ${messageOf(error).replace(/\.$/, '')}. The work itself ended as ${workStatus}; check the target at the provider.`,
  }
}

/** The step's one failure sentence: every failure in order (the run's, then each target's); undefined when none. */
export function stepFailure(failures: readonly ({ message: string } | undefined)[]): string | undefined {
  const messages = failures.flatMap((failure) => (failure ? [failure.message] : []))
  return messages.length > 0 ? `deploy-patch: ${messages.join(' ')}` : undefined
}
