/**
 * Whether a run writes its plan on the pull request, decided before anything is loaded: only then
 * do pr-comment.ts and Octokit load (a lazy chunk), so every other run starts as fast as before.
 */
import type { PlanCommentOptions } from './pr-comment.js'

/** A dry run for a `pull_request` or `pull_request_target` event, with `pr-comment` not `false`. */
export function wantsPlanComment({
  settings,
  report,
  env,
}: Pick<PlanCommentOptions, 'settings' | 'report' | 'env'>): boolean {
  if (!settings || settings.prComment === 'false' || !report.dryRun) return false
  const event = env.GITHUB_EVENT_NAME
  return event === 'pull_request' || event === 'pull_request_target'
}

/** The plan's comment when the run wants one (see pr-comment.ts): its html_url, or undefined. Never throws. */
export async function writePlanCommentOnDemand(opts: PlanCommentOptions): Promise<string | undefined> {
  if (!wantsPlanComment(opts)) return undefined
  const { writePlanComment } = await import('./pr-comment.js')
  return writePlanComment(opts)
}
