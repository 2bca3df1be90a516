/**
 * The GitHub API as both GitHub features use it (the deployment record and the plan comment):
 * Octokit, loaded on first use; the API base from GITHUB_API_URL; and each call bounded in time,
 * with one sentence on why a call failed. Every call is best effort: a failure becomes one
 * warning in the caller, never an error.
 */
import type { GitHub } from '@actions/github/lib/utils'
import { messageOf } from './errors.js'
import type { Logger } from './http/client.js'
import { isHttpsOrLoopback } from './url.js'
import { loadUndici } from './undici-on-demand.js'

export type Octokit = InstanceType<typeof GitHub>

/** Longest wait for one GitHub call. */
export const CALL_TIMEOUT_MS = 10_000

/**
 * Octokit for `token` on `baseUrl`, loaded on first use (the only place @actions/github
 * loads), its own log lines sent to `log` as debug lines and warnings.
 */
export async function loadOctokit(token: string, baseUrl: string, log: Logger): Promise<Octokit> {
  // Lazy on purpose: Octokit (and its fetch) loads only for runs that talk to GitHub.
  // undici first: with a proxy set, building the client builds undici's ProxyAgent at once.
  await loadUndici()
  // lib/utils is what getOctokit() is made of. Its `defaults` are needed below, and importing
  // only it keeps Octokit in one chunk.
  const { GitHub, defaults, getOctokitOptions } = await import('@actions/github/lib/utils')
  const octokitLog = {
    debug: (message: string) => log.debug(message),
    info: (message: string) => log.debug(message),
    warn: (message: string) => log.warning(message),
    error: (message: string) => log.warning(message),
  }
  // baseUrl is passed explicitly rather than left to the module's import-time default, so
  // GitHub Enterprise Server (GITHUB_API_URL = https://HOST/api/v3) always gets its own API.
  // Octokit merges its options shallowly: a `request` of our own would replace the one in
  // @actions/github's defaults, and with it the fetch that goes through HTTPS_PROXY.
  const request = { ...defaults.request, log: octokitLog }
  return new GitHub(getOctokitOptions(token, { baseUrl, userAgent: 'deploy-patch', log: octokitLog, request }))
}

/** The API base from GITHUB_API_URL: https, or http only on loopback (the token must not cross the network in clear). */
export function apiBaseUrl(value: string | undefined): string | { problem: string } {
  const text = value || 'https://api.github.com'
  let url: URL
  try {
    url = new URL(text)
  } catch {
    return { problem: `GITHUB_API_URL is not a URL.` }
  }
  if (!isHttpsOrLoopback(url)) {
    return { problem: `GITHUB_API_URL (${url.origin}) is not https; the token is not sent over plain http.` }
  }
  return `${url.origin}${url.pathname.replace(/\/+$/, '')}`
}

/**
 * What to do after a refusal, by HTTP status: the end of the sentence "GitHub answered 403
 * (message) while …", each feature naming what it needs.
 */
export type GitHubAdvice = Partial<Record<401 | 403 | 404, string>>

/**
 * Per-call time bounds and the reasons a call failed. Each call's signal is made by `bounded`,
 * which keeps the call's timeout, so `explain` can tell "GitHub was slow" from "the run was cancelled".
 */
export class GitHubCalls {
  /** The run's cancellation. */
  protected readonly cancel: AbortSignal | undefined
  readonly #advice: GitHubAdvice
  #timeout: AbortSignal | undefined
  #timeoutMs = 0

  constructor(cancel: AbortSignal | undefined, advice: GitHubAdvice) {
    this.cancel = cancel
    this.#advice = advice
  }

  /** A signal that aborts after `ms` (and with `signal`, if given): the call's own timeout. */
  protected bounded(ms: number, signal?: AbortSignal): AbortSignal {
    this.#timeoutMs = ms
    this.#timeout = AbortSignal.timeout(Math.max(1, ms))
    return signal ? AbortSignal.any([this.#timeout, signal]) : this.#timeout
  }

  /** One sentence on why `what` failed, with what to do where there is something to do. */
  explain(error: unknown, what: string): string {
    if (this.#timeout?.aborted)
      return `GitHub did not answer within ${Math.round(this.#timeoutMs / 100) / 10}s while ${what}.`
    const response = (error as { response?: { status?: unknown; data?: unknown } } | undefined)?.response
    if (!response && this.cancel?.aborted) return `the run was cancelled while ${what}.`
    const status = typeof response?.status === 'number' ? response.status : undefined
    const data = response?.data
    const message = data && typeof data === 'object' && 'message' in data ? String(data.message) : messageOf(error)
    const advice = status === 401 || status === 403 || status === 404 ? this.#advice[status] : undefined
    if (advice !== undefined) return `GitHub answered ${status} (${message}) while ${what}${advice}`
    if (status !== undefined) return `GitHub answered ${status} (${message}) while ${what}.`
    return `${what} failed: ${message}.`
  }
}
