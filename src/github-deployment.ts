/**
 * The GitHub Deployment record of a run (`github-environment`): a deployment of GITHUB_SHA is
 * created before the first provider request and marked in_progress, then finished with the
 * run's result. Octokit loads lazily (github-api.ts), so a run without `github-environment`
 * (and without a plan comment) never loads it.
 *
 * Recording is best effort by design: the provider's outcome decides the step. Every GitHub
 * call is bounded in time and any failure of it becomes one warning, never an error.
 */
import type { Deadline } from './deadline.js'
import { messageOf, type RunStatus } from './errors.js'
import { apiBaseUrl, CALL_TIMEOUT_MS, GitHubCalls, loadOctokit, type Octokit } from './github-api.js'
import type { Logger } from './http/client.js'

export interface DeploymentRecordOptions {
  /** The GitHub environment (`github-environment`). */
  environment: string
  /** `github-token`; already registered as a secret by settings, never logged here. */
  token: string | undefined
  provider: string
  /** What the run updates (the units of work), for the record's payload and description. */
  targets: readonly string[]
  /** A dry run records nothing (see `startDeploymentRecord`). */
  dryRun?: boolean
  /** Where the record's log lines go (already redacted by the caller). */
  log: Logger
  /** The runner's environment: GITHUB_SHA, GITHUB_REPOSITORY, GITHUB_API_URL, … Default `process.env`. */
  env?: NodeJS.ProcessEnv
  /** The step's deadline: a call made before the provider's work never eats into it by more than it has left. */
  deadline?: Deadline
  /** The runner's cancellation. */
  signal?: AbortSignal
}

/** A deployment created on GitHub, waiting for the run's final status. */
export interface DeploymentRecord {
  readonly id: number
  readonly environment: string
  /** The environment's deployment history on GitHub, for the summary. */
  readonly historyUrl?: string
  /** Post the final status for `status` (never throws; bounded in time, shortest after a cancellation). */
  finish(status: RunStatus, environmentUrl?: string, rolledBack?: boolean): Promise<void>
}

/** After a timeout the final status still gets this long, so a timed-out run is recorded as `error`. */
export const FINISH_GRACE_MS = 2_000
/** After a cancellation: short enough that the step still ends within about 2 s of the signal. */
export const CANCELLED_FINISH_MS = 1_500
/** GitHub's limit for a deployment status description. */
const MAX_DESCRIPTION = 140

type DeploymentState = 'success' | 'failure' | 'error' | 'inactive' | 'in_progress'

/** The deployment status for the run's final status; a dry run never gets a record, so has none. */
export const STATE_OF: Record<Exclude<RunStatus, 'dry-run'>, DeploymentState> = {
  succeeded: 'success',
  failed: 'failure',
  'timed-out': 'error',
  cancelled: 'error',
}

/**
 * Create the deployment and its in_progress status; undefined (after a warning) when it could
 * not be created. A dry run creates no record: a deployment says that something was deployed,
 * and creating one fires `deployment` webhooks and workflows, so a preview must not create it.
 */
export async function startDeploymentRecord(opts: DeploymentRecordOptions): Promise<DeploymentRecord | undefined> {
  const { environment, log } = opts
  const env = opts.env ?? process.env
  const skip = (why: string): undefined => void log.warning(`Could not record the GitHub deployment: ${why}`)
  if (opts.dryRun) {
    log.info(`Dry run: no GitHub deployment is recorded for environment '${environment}', since nothing is deployed.`)
    return undefined
  }
  if (!opts.token)
    return skip(
      "'github-token' is empty. Pass a token with the deployments: write permission, or leave 'github-environment' unset.",
    )
  const sha = env.GITHUB_SHA
  const repository = env.GITHUB_REPOSITORY ?? ''
  const [owner, repo, ...rest] = repository.split('/')
  if (!sha || !owner || !repo || rest.length > 0)
    return skip('GITHUB_SHA and GITHUB_REPOSITORY (owner/repo) must be set, as they are on a GitHub runner.')
  const baseUrl = apiBaseUrl(env.GITHUB_API_URL)
  if (typeof baseUrl !== 'string') return skip(baseUrl.problem)

  const call = new Calls(opts)
  let octokit: Octokit
  try {
    octokit = await loadOctokit(opts.token, baseUrl, log)
  } catch (error) {
    return skip(`the GitHub client could not be loaded (${messageOf(error)}).`)
  }

  const serverUrl = (env.GITHUB_SERVER_URL || 'https://github.com').replace(/\/+$/, '')
  const logUrl = env.GITHUB_RUN_ID
    ? `${serverUrl}/${owner}/${repo}/actions/runs/${env.GITHUB_RUN_ID}${env.GITHUB_RUN_ATTEMPT ? `/attempts/${env.GITHUB_RUN_ATTEMPT}` : ''}`
    : undefined
  const subject = `${opts.provider}${describeTargets(opts.targets)}`

  let id: number
  try {
    // Never retried: a create whose answer was lost may have succeeded, and a retry would record the deploy twice.
    const created = await octokit.rest.repos.createDeployment({
      owner,
      repo,
      ref: sha,
      environment,
      // Deploy exactly this commit: no merge of the default branch into it, and no wait for
      // commit statuses, which the workflow running this step already gates on.
      auto_merge: false,
      required_contexts: [],
      payload: { provider: opts.provider, targets: [...opts.targets] },
      description: truncate(`deploy-patch: ${subject}`),
      transient_environment: false,
      request: { signal: call.startSignal() },
    })
    if (!('id' in created.data) || typeof created.data.id !== 'number') {
      return skip(
        `GitHub answered ${created.status} without a deployment (${'message' in created.data ? created.data.message : 'no id'}).`,
      )
    }
    id = created.data.id
  } catch (error) {
    return skip(call.explain(error, `creating a deployment in ${owner}/${repo}`))
  }

  const postStatus = async (
    state: DeploymentState,
    description: string,
    signal: AbortSignal,
    environmentUrl?: string,
  ): Promise<boolean> => {
    try {
      await octokit.rest.repos.createDeploymentStatus({
        owner,
        repo,
        deployment_id: id,
        state,
        log_url: logUrl,
        environment_url: environmentUrl,
        description: truncate(description),
        request: { signal },
      })
      return true
    } catch (error) {
      log.warning(
        `Could not record the GitHub deployment: ${call.explain(error, `setting deployment ${id} to ${state}`)}`,
      )
      return false
    }
  }
  if (await postStatus('in_progress', `Updating ${subject}`, call.startSignal())) {
    log.info(`GitHub deployment ${id} of ${sha.slice(0, 7)} in environment '${environment}': in_progress.`)
  }

  let finished = false
  return {
    id,
    environment,
    historyUrl: `${serverUrl}/${owner}/${repo}/deployments/${encodeURIComponent(environment)}`,
    async finish(status, environmentUrl, rolledBack = false) {
      if (finished || status === 'dry-run') return
      finished = true
      // A release rolled back failed, and the resource is as it was: 'failure', said first so a long subject cannot cut it.
      const back = rolledBack && status !== 'succeeded' && status !== 'cancelled'
      const state = back ? 'failure' : STATE_OF[status]
      const description =
        (back ? 'Rolled back: ' : '') +
        {
          succeeded: `Updated ${subject}`,
          failed: `${back ? 'f' : 'F'}ailed to update ${subject}`,
          'timed-out': `${back ? 't' : 'T'}imed out updating ${subject}`,
          cancelled: `Cancelled while updating ${subject}`,
        }[status]
      if (await postStatus(state, description, call.finishSignal(status), environmentUrl))
        log.info(`GitHub deployment ${id}: ${state}.`)
    },
  }
}

/** The deployment record's calls: before the provider's work, and the final status after it. */
class Calls extends GitHubCalls {
  readonly #deadline: Deadline | undefined

  constructor(opts: DeploymentRecordOptions) {
    super(opts.signal, {
      403: ". The token needs the deployments: write permission: add `permissions: deployments: write` to the job (with `contents: read`), or pass a 'github-token' that has it.",
      401: ": 'github-token' was refused. Pass a valid token, or leave 'github-token' at its default.",
      404: ": the repository is not visible to 'github-token'. Use a token of this repository.",
    })
    this.#deadline = opts.deadline
  }

  /** Before the provider's work: at most CALL_TIMEOUT_MS, never past the step's deadline, and cancellable. */
  startSignal(): AbortSignal {
    const remaining = this.#deadline?.remainingMs() ?? CALL_TIMEOUT_MS
    return this.bounded(Math.min(CALL_TIMEOUT_MS, remaining), this.cancel)
  }

  /**
   * The final status: the run is over, so the cancellation no longer aborts it at once; only time
   * bounds it. A SIGINT/SIGTERM that comes while it is still out leaves it CANCELLED_FINISH_MS more,
   * so the step still ends within about 2 s of the signal.
   */
  finishSignal(status: RunStatus): AbortSignal {
    const signal = this.cancel
    if (status === 'cancelled' || signal?.aborted) return this.bounded(CANCELLED_FINISH_MS)
    const remaining = this.#deadline?.remainingMs() ?? CALL_TIMEOUT_MS
    const bounded = this.bounded(Math.min(CALL_TIMEOUT_MS, Math.max(FINISH_GRACE_MS, remaining)))
    if (!signal) return bounded
    const cut = new AbortController()
    const onCancel = () => setTimeout(() => cut.abort(signal.reason), CANCELLED_FINISH_MS).unref()
    signal.addEventListener('abort', onCancel, { once: true })
    bounded.addEventListener('abort', () => signal.removeEventListener('abort', onCancel), { once: true })
    return AbortSignal.any([bounded, cut.signal])
  }
}

/** ` dep_…`, ` a, b and 3 more`, or nothing when the run has no explicit target. */
function describeTargets(targets: readonly string[]): string {
  if (targets.length === 0) return ''
  if (targets.length <= 3) return ` ${targets.join(', ')}`
  return ` ${targets.slice(0, 2).join(', ')} and ${targets.length - 2} more`
}

/** At most GitHub's 140 characters, never inside a character. */
function truncate(text: string): string {
  const chars = Array.from(text)
  return chars.length <= MAX_DESCRIPTION ? text : `${chars.slice(0, MAX_DESCRIPTION - 1).join('')}…`
}
