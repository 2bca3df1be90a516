/**
 * What a run produced: one Outcome per target (built by the pipeline) and the RunReport around
 * them (built by the composition root), read by the outputs and the summary.
 */
import type { Change } from './diff.js'
import type { LocatedProblem, RunStatus } from './errors.js'
import type { OutcomeItem, RequestPreview } from './providers/provider.js'
import type { ProviderName } from './settings.js'

/** One target's result. */
export interface Outcome {
  target: string
  status: RunStatus
  providerStatus?: string
  changed: boolean
  changes: Change[]
  resource?: unknown
  httpStatus?: number
  requestId?: string
  error?: { type: string; message: string }
  /** Callouts for the summary (paused, archived, not waited …). */
  notes: string[]
  /**
   * Why a dry run did not read the live resource (no credential was given): no diff was made, so
   * `changes` means nothing and the outputs and summary say so instead of "no change".
   */
  liveDiffSkipped?: string
  /** The request a dry run would have sent. */
  request?: RequestPreview
  /** Where a person can see the resource, if the provider has such a page. */
  consoleUrl?: string
  /** The words of the link to `consoleUrl` ('Open app 7 in kintone'). */
  consoleLabel?: string
  /** Plain facts about the final resource, listed in the summary. */
  details?: string[]
  /** Items inside this unit (kintone apps), each its own entry in `results`. */
  items?: OutcomeItem[]
  itemLabels?: { item: string; detail: string }
  /**
   * With `on-failure: rollback`: whether the failed release was rolled back (false: not needed,
   * or it failed); unset with `on-failure: report`.
   */
  rolledBack?: boolean
  /** With `on-failure: rollback`: each field the rollback put back (or, in a dry run, would), values fit to show. */
  restored?: Change[]
  durationMs: number
}

/** The whole run: its outcomes, the problems found before sending, and a failure that reached no target. */
export interface RunReport {
  /** Unset when the inputs could not be read. */
  provider?: ProviderName
  outcomes: Outcome[]
  /** Problems found before anything was sent (inputs, payload). */
  problems: LocatedProblem[]
  /**
   * The failure when nothing got as far as a target (bad input, unsupported provider, a login
   * cancelled or out of time); `status` when it is not a plain failure.
   */
  error?: { type: string; message: string; status?: RunStatus }
  dryRun: boolean
  durationMs: number
  /** The GitHub Deployment recorded for `github-environment`, when one was created. */
  githubDeployment?: { id: number; environment: string; historyUrl?: string }
}

/** The overall status: the worst of the targets (a run with no target failed before starting). */
export function overallStatus(report: Pick<RunReport, 'outcomes' | 'error'>): RunStatus {
  if (report.error) return report.error.status ?? 'failed'
  if (report.outcomes.length === 0) return 'failed'
  for (const status of ['cancelled', 'timed-out', 'failed'] as const)
    if (report.outcomes.some((o) => o.status === status)) return status
  return report.outcomes.every((o) => o.status === 'dry-run') ? 'dry-run' : 'succeeded'
}
