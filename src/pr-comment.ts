/**
 * The plan on the pull request (`pr-comment`): a dry run for a `pull_request` or
 * `pull_request_target` event writes the job summary's plan as one comment on the pull request,
 * and every later run of the same workflow, job and target set updates that comment in place.
 *
 * Which comment is ours: its first line is a hidden marker, a hash of the workflow, the job, the
 * provider, the sorted targets (or the payload file, when no target is given: kintone's apps
 * are in it) and where they live (base-url, region, …), so two steps never share one. Anyone can paste that marker into a comment of their
 * own, and a comment we kept updating would then be theirs to edit, so a marked comment counts
 * only when GitHub says its author is a bot (GITHUB_TOKEN comments as github-actions[bot]) or is
 * the token's own user (a personal token; asked only when a marked comment by a user exists).
 * Of several, the oldest is updated.
 *
 * Best effort, like the deployment record: Octokit loads only when a comment is written, each
 * call is bounded in time, a cancelled run starts none, and any failure is one warning: the plan
 * is still in the job summary, and the step's result and outputs are those of the run.
 */
import { createHash } from 'node:crypto'
import { open } from 'node:fs/promises'
import { isPlainObject } from './diff.js'
import { messageOf, type RunStatus } from './errors.js'
import { apiBaseUrl, CALL_TIMEOUT_MS, GitHubCalls, loadOctokit, type Octokit } from './github-api.js'
import type { Logger } from './http/client.js'
import type { RunReport } from './outcome.js'
import type { Settings } from './settings.js'
import { renderSummary } from './summary.js'

/** GitHub refuses a comment body over 65,536 characters. */
export const MAX_COMMENT_CHARS = 65_536
/** Comments listed per page, and at most this many pages (10,000 comments) are searched for ours. */
export const COMMENTS_PER_PAGE = 100
export const MAX_COMMENT_PAGES = 100
/** The whole comment (listing, then one write) gets at most this long. */
export const COMMENT_BUDGET_MS = 20_000
/** An event file larger than this is not read (GitHub's are far smaller). */
const MAX_EVENT_BYTES = 16 * 1024 * 1024

/** What the comment needs from the run; `log` lines are redacted by the caller. */
export interface PlanCommentOptions {
  /** Unset when the inputs could not be read: then there is no comment. */
  settings:
    | Pick<
        Settings,
        'prComment' | 'githubToken' | 'targets' | 'payloadFile' | 'region' | 'projectId' | 'guestSpaceId' | 'baseUrl'
      >
    | undefined
  report: RunReport
  status: RunStatus
  /** GITHUB_EVENT_NAME, GITHUB_EVENT_PATH, GITHUB_REPOSITORY, GITHUB_API_URL, GITHUB_WORKFLOW, GITHUB_JOB, … */
  env: NodeJS.ProcessEnv
  /** The run's Secrets.redact: applied to the whole body. */
  redact: (text: string) => string
  log: Logger
  signal?: AbortSignal
  /** The time the footer names; default now. */
  now?: Date
}

/** A comment as GitHub lists it (the fields used here). */
interface IssueComment {
  id: number
  body?: string
  html_url: string
  user: { login: string; type?: string } | null
}

/**
 * Write or update the plan's comment of a pull request's dry run that `pr-comment` allows (the
 * caller checks that first: pr-comment-on-demand.ts); the comment's html_url, or undefined (after
 * at most one warning). Never throws.
 */
export async function writePlanComment(opts: PlanCommentOptions): Promise<string | undefined> {
  const { settings, report, env, log } = opts
  if (!settings) return undefined
  if (opts.signal?.aborted || opts.status === 'cancelled') {
    log.info('The run was cancelled: no plan comment is written on the pull request.')
    return undefined
  }
  const skip = (why: string): undefined =>
    void log.warning(`Could not write the plan on the pull request: ${why} The plan is in the job summary.`)

  const pullRequest = await pullRequestOf(env.GITHUB_EVENT_PATH)
  if ('problem' in pullRequest) return skip(pullRequest.problem)
  const [owner, repo, ...rest] = (env.GITHUB_REPOSITORY ?? '').split('/')
  if (!owner || !repo || rest.length > 0)
    return skip('GITHUB_REPOSITORY (owner/repo) must be set, as it is on a GitHub runner.')
  if (!settings.githubToken)
    return skip(
      "'github-token' is empty. Leave it at its default (the job's token, with `permissions: pull-requests: write`), or set 'pr-comment: false'.",
    )
  const baseUrl = apiBaseUrl(env.GITHUB_API_URL)
  if (typeof baseUrl !== 'string') return skip(baseUrl.problem)

  const worthNew = settings.prComment === 'auto' || worthComment(report)
  const { region, projectId, guestSpaceId, baseUrl: site } = settings
  const marker = markerOf(env, report.provider ?? '', settings.targets, settings.payloadFile, [
    site?.href,
    region,
    projectId,
    guestSpaceId,
  ])
  const body = commentBody(opts, marker, pullRequest.headSha)
  const issue = { owner, repo, issue_number: pullRequest.number }
  const calls = new Calls(opts.signal)

  let octokit: Octokit
  try {
    octokit = await loadOctokit(settings.githubToken, baseUrl, log)
  } catch (error) {
    return skip(`the GitHub client could not be loaded (${messageOf(error)}).`)
  }
  let doing = `listing the comments of pull request #${pullRequest.number}`
  try {
    const ours = await findOurComment(octokit, issue, marker, calls)
    if (ours) {
      doing = `updating comment ${ours.id} on pull request #${pullRequest.number}`
      const { data } = await octokit.rest.issues.updateComment({
        owner,
        repo,
        comment_id: ours.id,
        body,
        request: { signal: calls.signal() },
      })
      log.info(`Plan updated on pull request #${pullRequest.number}: ${data.html_url}`)
      return httpUrl(data.html_url)
    }
    if (!worthNew) {
      log.info("No change in the plan: no comment on the pull request ('pr-comment: changes-only').")
      return undefined
    }
    doing = `commenting on pull request #${pullRequest.number}`
    const { data } = await octokit.rest.issues.createComment({ ...issue, body, request: { signal: calls.signal() } })
    log.info(`Plan written on pull request #${pullRequest.number}: ${data.html_url}`)
    return httpUrl(data.html_url)
  } catch (error) {
    return skip(calls.explain(error, doing))
  }
}

/**
 * Whether a plan is worth a new comment under `changes-only`: something would change, or
 * something is wrong (a refused payload, a failed read). A dry run without credentials read
 * nothing, so it knows of no change and is not.
 */
export function worthComment(report: RunReport): boolean {
  if (report.error || report.problems.length > 0) return true
  return report.outcomes.some((o) => o.error || o.status !== 'dry-run' || (!o.liveDiffSkipped && o.changes.length > 0))
}

/**
 * The hidden first line that finds this step's comment again: workflow, job, provider, target set
 * and where the targets live (`address`: base-url, region, project, guest space), hashed. The
 * address keeps apart a matrix whose entries share ids on different sites (kintone app 12 on a
 * staging and a production domain).
 */
export function markerOf(
  env: NodeJS.ProcessEnv,
  provider: string,
  targets: readonly string[],
  payloadFile: string | undefined,
  address: readonly (string | undefined)[] = [],
): string {
  const targetSet = targets.length > 0 ? [...targets].sort() : [`payload-file:${payloadFile ?? ''}`]
  const where = address.map((part) => part ?? '')
  const key = JSON.stringify([env.GITHUB_WORKFLOW ?? '', env.GITHUB_JOB ?? '', provider, targetSet, ...where])
  return `<!-- deploy-patch plan ${createHash('sha256').update(key).digest('hex').slice(0, 32)} -->`
}

/**
 * The comment: marker, heading, the job summary's Markdown (mentions inert) and where it comes
 * from, redacted, within GitHub's 65,536 characters (a plan too large drops its passed targets,
 * then everything but its heading, and says the whole plan is in the job summary).
 */
export function commentBody(
  opts: Pick<PlanCommentOptions, 'report' | 'status' | 'env' | 'redact' | 'now'>,
  marker: string,
  headSha: string | undefined,
): string {
  const { report, status, env, redact } = opts
  const runUrl = runUrlOf(env)
  const heading = `## deploy-patch plan${report.provider ? ` · ${report.provider}` : ''}: ${verdictOf(report)}`
  const commit = (headSha ?? env.GITHUB_SHA ?? '').slice(0, 7)
  const when = (opts.now ?? new Date())
    .toISOString()
    .replace(/:\d\d\.\d+Z$/, ' UTC')
    .replace('T', ' ')
  const footer = [
    '---',
    `<sub>From workflow ${inline(env.GITHUB_WORKFLOW ?? '?')}, job ${inline(env.GITHUB_JOB ?? '?')}${commit ? `, commit ${inline(commit)}` : ''}${runUrl ? ` ([run](${runUrl}))` : ''}, ${when}. Each run of this step updates this comment.</sub>`,
    '',
  ].join('\n')
  const whole = (plan: string) => redact([marker, heading, '', plan, footer].join('\n'))
  // The comment's heading says what the plan comes to; the summary's own would say it twice.
  const options = { redact, inertMentions: true, heading: false }
  const full = whole(renderSummary(report, status, options))
  if (full.length <= MAX_COMMENT_CHARS) return full
  const collapsedNote = `The plan would pass GitHub's ${MAX_COMMENT_CHARS.toLocaleString('en')} characters for a comment, so it lists only the targets that did not succeed; the whole plan is in the job summary${runUrl ? ` of [the run](${runUrl})` : ''}.`
  const collapsed = whole(renderSummary(report, status, { ...options, collapsed: true, collapsedNote }))
  if (collapsed.length <= MAX_COMMENT_CHARS) return collapsed
  return whole(
    `The plan is too large for a comment; it is in the job summary${runUrl ? ` of [the run](${runUrl})` : ''}.\n`,
  )
}

/** The heading's word on the plan: what a reviewer wants to know first. */
function verdictOf(report: RunReport): string {
  if (report.problems.length > 0 || report.error) return 'refused, nothing would be sent'
  if (report.outcomes.some((o) => o.error || o.status !== 'dry-run')) return 'failed'
  if (report.outcomes.length > 0 && report.outcomes.every((o) => o.liveDiffSkipped))
    return 'valid; live diff skipped (no credentials)'
  const changes = report.outcomes.reduce((sum, o) => sum + (o.liveDiffSkipped ? 0 : o.changes.length), 0)
  return changes === 0 ? 'no change' : `${changes} ${changes === 1 ? 'change' : 'changes'}`
}

/** The pull request of the event file: its number, and its head commit when the file has one. */
async function pullRequestOf(
  eventPath: string | undefined,
): Promise<{ number: number; headSha?: string } | { problem: string }> {
  if (!eventPath) return { problem: 'GITHUB_EVENT_PATH is not set, so the pull request is unknown.' }
  let text: string
  try {
    const file = await open(eventPath, 'r')
    try {
      const { size } = await file.stat()
      if (size > MAX_EVENT_BYTES)
        return { problem: `the event file (GITHUB_EVENT_PATH) is ${Math.round(size / 1048576)} MB, too large to read.` }
      text = await file.readFile('utf8')
    } finally {
      await file.close()
    }
  } catch (error) {
    return { problem: `the event file (GITHUB_EVENT_PATH) could not be read (${messageOf(error)}).` }
  }
  let event: unknown
  try {
    event = JSON.parse(text)
  } catch {
    return { problem: 'the event file (GITHUB_EVENT_PATH) is not JSON.' }
  }
  const pr = isPlainObject(event) && isPlainObject(event.pull_request) ? event.pull_request : undefined
  const number = pr?.number
  if (typeof number !== 'number' || !Number.isSafeInteger(number) || number < 1)
    return { problem: 'the event file (GITHUB_EVENT_PATH) has no pull_request.number.' }
  const head = isPlainObject(pr?.head) ? pr.head.sha : undefined
  return { number, headSha: typeof head === 'string' && /^[0-9a-f]{40}$/.test(head) ? head : undefined }
}

/** Our comment on the issue, if any: marked, and by a bot or by the token's own user; the oldest such. */
async function findOurComment(
  octokit: Octokit,
  issue: { owner: string; repo: string; issue_number: number },
  marker: string,
  calls: Calls,
): Promise<IssueComment | undefined> {
  const marked: IssueComment[] = []
  for (let page = 1; page <= MAX_COMMENT_PAGES; page++) {
    const { data } = await octokit.rest.issues.listComments({
      ...issue,
      per_page: COMMENTS_PER_PAGE,
      page,
      request: { signal: calls.signal() },
    })
    const comments = data as IssueComment[]
    for (const comment of comments) if (comment.body?.split('\n', 1)[0]?.trim() === marker) marked.push(comment)
    if (comments.length < COMMENTS_PER_PAGE) break
  }
  const byBot = marked.find((c) => c.user?.type === 'Bot')
  if (byBot || marked.length === 0) return byBot
  // Marked comments by users only: ours only if the token is that user's (a personal token).
  // GITHUB_TOKEN may not read /user (403): then none of them is ours.
  const me = await octokit.rest.users
    .getAuthenticated({ request: { signal: calls.signal() } })
    .then(({ data }) => data.login)
    .catch(() => undefined)
  return me === undefined ? undefined : marked.find((c) => c.user?.login === me)
}

/** Time bounds: each call at most CALL_TIMEOUT_MS, all together COMMENT_BUDGET_MS, and the run's cancellation. */
class Calls extends GitHubCalls {
  readonly #end = Date.now() + COMMENT_BUDGET_MS

  constructor(cancel: AbortSignal | undefined) {
    super(cancel, {
      403: ". The token needs to write pull requests: add `permissions: pull-requests: write` to the job (with `contents: read`). A pull request from a fork gets a read-only token whatever the workflow asks, so there the plan stays in the job summary; set 'pr-comment: false' to skip the attempt.",
      401: ": 'github-token' was refused. Leave 'github-token' at its default, or pass a valid token.",
      404: ": the pull request is not visible to 'github-token'. Use a token of this repository.",
    })
  }

  signal(): AbortSignal {
    return this.bounded(Math.max(1, Math.min(CALL_TIMEOUT_MS, this.#end - Date.now())), this.cancel)
  }
}

/** The workflow run's page, when the runner says which run this is. */
function runUrlOf(env: NodeJS.ProcessEnv): string | undefined {
  const repository = env.GITHUB_REPOSITORY ?? ''
  if (!env.GITHUB_RUN_ID || !/^\d+$/.test(env.GITHUB_RUN_ID) || !/^[\w.-]+\/[\w.-]+$/.test(repository)) return undefined
  let server: URL
  try {
    server = new URL(env.GITHUB_SERVER_URL || 'https://github.com')
  } catch {
    return undefined
  }
  if (server.protocol !== 'https:' && server.protocol !== 'http:') return undefined
  const attempt = /^\d+$/.test(env.GITHUB_RUN_ATTEMPT ?? '') ? `/attempts/${env.GITHUB_RUN_ATTEMPT}` : ''
  return `${server.origin}${server.pathname.replace(/\/+$/, '')}/${repository}/actions/runs/${env.GITHUB_RUN_ID}${attempt}`
}

/** Runner text (a workflow's name, which a pull request can set) as inline code: no HTML, no Markdown, no mention. */
function inline(text: string): string {
  const escaped = text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/\|/g, '&#124;')
    .replace(/[\r\n]+/g, ' ')
  return `<code>${escaped}</code>`
}

/** The html_url GitHub answered, if it is one (it becomes an output). */
function httpUrl(value: unknown): string | undefined {
  return typeof value === 'string' && /^https?:\/\/\S+$/.test(value) ? value : undefined
}
