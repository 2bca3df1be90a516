/**
 * Loopback emulator of the part of the GitHub REST API that deployment records and plan comments
 * use: create a deployment, post its statuses, and read both back; list, create and update an
 * issue's (a pull request's) comments, paginated with a Link header; and GET /user. It answers as api.github.com does (or as
 * GitHub Enterprise Server does, under a `/api/v3` prefix): `token`/`Bearer` auth, 401 for a bad
 * token, 403 "Resource not accessible by integration" for a token without deployments: write,
 * 422 for invalid fields, 409 when commit statuses are required and not green, and
 * `auto_inactive` on success. Anything else is 404 like GitHub's.
 */
import { randomBytes } from 'node:crypto'
import { STATUS_CODES } from 'node:http'
import { Emulator, type RecordedRequest, type Reply } from './base.ts'

export interface GitHubEmulatorOptions {
  /** Tokens accepted with full access; default ['ghs_EmulatorToken0000000000000000000000']. */
  tokens?: string[]
  /** Valid tokens without deployments: write: 403 on every write. */
  forbiddenTokens?: string[]
  /** Path prefix of the API: '' as on api.github.com (default), '/api/v3' as on GitHub Enterprise Server. */
  pathPrefix?: string
  /** Repositories (`owner/repo`) that exist; default: any. */
  repositories?: string[]
  /**
   * Commit statuses of every ref: a deployment that does not pass `required_contexts` is checked
   * against them, as GitHub does, and refused with 409 unless all are `success`.
   * Default: one pending `ci/test`, as for a workflow still running when it deploys.
   */
  commitStatuses?: { context: string; state: 'success' | 'pending' | 'failure' | 'error' }[]
  /** Status posts with these states are recorded but never answered (until close), to test bounds on slow APIs. */
  hangStates?: string[]
  /**
   * Personal tokens (accepted with full access), by their user's login: their comments are by that
   * user (type User) and GET /user answers it. Every other token is an installation token, like
   * GITHUB_TOKEN: its comments are by github-actions[bot], and GET /user is 403 for it.
   */
  users?: Record<string, string>
  /** Issue and pull request numbers that exist (in every repository); default: any. */
  issues?: number[]
}

/** An issue comment as recorded. */
export interface StoredComment {
  id: number
  owner: string
  repo: string
  issue: number
  body: string
  user: { login: string; id: number; type: 'Bot' | 'User' }
  created_at: string
  updated_at: string
}

/** The app GITHUB_TOKEN acts as. */
export const ACTIONS_BOT = { login: 'github-actions[bot]', id: 41898282, type: 'Bot' } as const
/** GitHub's limit for an issue comment's body, in characters. */
export const MAX_COMMENT_BODY = 65_536

export const DEFAULT_GITHUB_TOKEN = 'ghs_EmulatorToken0000000000000000000000'

export const DEPLOYMENT_STATES = [
  'error',
  'failure',
  'inactive',
  'in_progress',
  'queued',
  'pending',
  'success',
] as const
export type DeploymentState = (typeof DEPLOYMENT_STATES)[number]

/** A deployment status as recorded (and answered, with the usual URL fields). */
export interface StoredStatus {
  id: number
  state: DeploymentState
  description: string
  environment: string
  log_url: string
  target_url: string
  environment_url: string
  created_at: string
}

/** A deployment as recorded, with its statuses in the order they were posted. */
export interface StoredDeployment {
  id: number
  owner: string
  repo: string
  sha: string
  ref: string
  task: string
  payload: unknown
  environment: string
  original_environment: string
  description: string | null
  transient_environment: boolean
  production_environment: boolean
  auto_merge: boolean | undefined
  required_contexts: string[] | undefined
  created_at: string
  /** The token that created it, to check it never leaks elsewhere. */
  createdWith: string
  statuses: StoredStatus[]
}

const DOCS = 'https://docs.github.com/rest/deployments'
const CREATE_DOCS = `${DOCS}/deployments#create-a-deployment`
const STATUS_DOCS = `${DOCS}/statuses#create-a-deployment-status`
const MAX_STATUS_DESCRIPTION = 140
const COMMENTS_DOCS = 'https://docs.github.com/rest/issues/comments'

/** GitHub's REST API for deployments, on 127.0.0.1. */
export class GitHubEmulator extends Emulator {
  readonly pathPrefix: string
  /** States whose status posts hang; change it between runs as needed. */
  readonly hangStates: Set<string>
  #tokens: Set<string>
  #forbidden: Set<string>
  #repositories: Set<string> | undefined
  #commitStatuses: NonNullable<GitHubEmulatorOptions['commitStatuses']>
  #deployments = new Map<number, StoredDeployment>()
  #nextId = 1_000_000_001
  #nextStatusId = 2_000_000_001
  #held: ((reply: Reply) => void)[] = []
  #users: Map<string, string>
  #issues: Set<number> | undefined
  #comments = new Map<number, StoredComment>()
  #nextCommentId = 3_000_000_001

  constructor(options: GitHubEmulatorOptions = {}) {
    super()
    this.#forbidden = new Set(options.forbiddenTokens ?? [])
    this.#tokens = new Set([...(options.tokens ?? [DEFAULT_GITHUB_TOKEN]), ...this.#forbidden])
    this.pathPrefix = (options.pathPrefix ?? '').replace(/\/+$/, '')
    this.#repositories = options.repositories && new Set(options.repositories.map((r) => r.toLowerCase()))
    this.#commitStatuses = options.commitStatuses ?? [{ context: 'ci/test', state: 'pending' }]
    this.hangStates = new Set(options.hangStates ?? [])
    this.#users = new Map(Object.entries(options.users ?? {}))
    for (const token of this.#users.keys()) this.#tokens.add(token)
    this.#issues = options.issues && new Set(options.issues)
  }

  /** The comments of one issue (or of all), oldest first (copies). */
  comments(issue?: number): StoredComment[] {
    return [...this.#comments.values()]
      .filter((c) => issue === undefined || c.issue === issue)
      .map((c) => structuredClone(c))
  }

  /** A comment someone else wrote (a person, another bot), as if posted before the run. */
  seedComment(comment: {
    owner?: string
    repo?: string
    issue: number
    body: string
    user?: StoredComment['user']
  }): StoredComment {
    const now = timestamp()
    const stored: StoredComment = {
      id: this.#nextCommentId++,
      owner: comment.owner ?? 'octo',
      repo: comment.repo ?? 'app',
      issue: comment.issue,
      body: comment.body,
      user: comment.user ?? { login: 'mallory', id: 66, type: 'User' },
      created_at: now,
      updated_at: now,
    }
    this.#comments.set(stored.id, stored)
    return structuredClone(stored)
  }

  /** What GITHUB_API_URL is for this emulator: the origin plus the path prefix. */
  get apiUrl(): string {
    return this.origin + this.pathPrefix
  }

  /** Every deployment created, oldest first (copies). */
  deployments(): StoredDeployment[] {
    return [...this.#deployments.values()].map((d) => structuredClone(d))
  }

  /** One deployment (a copy), or undefined. */
  deployment(id: number | string): StoredDeployment | undefined {
    const found = this.#deployments.get(Number(id))
    return found && structuredClone(found)
  }

  /** The states posted for one deployment, in order. */
  states(id: number | string): DeploymentState[] {
    return this.#deployments.get(Number(id))?.statuses.map((s) => s.state) ?? []
  }

  override async close(): Promise<void> {
    const closing = super.close() // destroys the sockets first, so the held answers below go nowhere
    for (const release of this.#held.splice(0)) release({ status: 503, text: '' })
    await closing
  }

  protected override statusFaultReply(status: number): Reply {
    return githubError(
      status,
      status >= 500 ? 'Server Error' : (STATUS_CODES[status] ?? 'Error'),
      'https://docs.github.com/rest',
    )
  }

  protected override internalErrorReply(error: unknown): Reply {
    return githubError(
      500,
      `Emulator error: ${error instanceof Error ? error.message : String(error)}`,
      'https://docs.github.com/rest',
    )
  }

  protected handle(req: RecordedRequest): Reply | Promise<Reply> {
    const notFound = githubError(404, 'Not Found', 'https://docs.github.com/rest')
    if (!req.path.startsWith(`${this.pathPrefix}/`)) return notFound
    const path = req.path.slice(this.pathPrefix.length)
    const comments = /^\/repos\/([^/]+)\/([^/]+)\/issues\/(?:([^/]+)\/comments|comments\/([^/]+))$/.exec(path)
    if (comments || path === '/user') return this.#handleComments(req, comments)
    const match = /^\/repos\/([^/]+)\/([^/]+)\/deployments(?:\/([^/]+)(\/statuses)?)?$/.exec(path)
    if (!match) return notFound

    const token = tokenOf(req.headers.authorization)
    if (token === undefined) return githubError(401, 'Requires authentication', 'https://docs.github.com/rest')
    if (!this.#tokens.has(token)) return githubError(401, 'Bad credentials', 'https://docs.github.com/rest')

    const [, owner, repo, idText, statuses] = match as unknown as [
      string,
      string,
      string,
      string | undefined,
      string | undefined,
    ]
    if (this.#repositories && !this.#repositories.has(`${owner}/${repo}`.toLowerCase())) return notFound
    const write = req.method === 'POST'
    if (write && this.#forbidden.has(token)) {
      return githubError(403, 'Resource not accessible by integration', statuses ? STATUS_DOCS : CREATE_DOCS)
    }

    if (idText === undefined) {
      if (req.method === 'GET')
        return { status: 200, body: this.#list(owner, repo, req.url.searchParams), headers: requestId() }
      if (write) return this.#create(owner, repo, token, req.body)
      return notFound
    }
    const deployment = this.#deployments.get(Number(idText))
    if (!/^\d+$/.test(idText) || !deployment || deployment.owner !== owner || deployment.repo !== repo) return notFound
    if (!statuses)
      return req.method === 'GET' ? { status: 200, body: this.#view(deployment), headers: requestId() } : notFound
    if (req.method === 'GET')
      return {
        status: 200,
        body: [...deployment.statuses].reverse().map((s) => this.#statusView(deployment, s)),
        headers: requestId(),
      }
    if (write) return this.#postStatus(deployment, req.body)
    return notFound
  }

  /** GET/POST /repos/{o}/{r}/issues/{n}/comments, PATCH /repos/{o}/{r}/issues/comments/{id}, GET /user. */
  #handleComments(req: RecordedRequest, match: RegExpExecArray | null): Reply {
    const notFound = githubError(404, 'Not Found', 'https://docs.github.com/rest')
    const token = tokenOf(req.headers.authorization)
    if (token === undefined) return githubError(401, 'Requires authentication', 'https://docs.github.com/rest')
    if (!this.#tokens.has(token)) return githubError(401, 'Bad credentials', 'https://docs.github.com/rest')
    const login = this.#users.get(token)
    const author: StoredComment['user'] = login
      ? { login, id: 1000 + this.#users.size, type: 'User' }
      : { ...ACTIONS_BOT }
    if (!match) {
      if (req.method !== 'GET') return notFound
      if (!login)
        return githubError(
          403,
          'Resource not accessible by integration',
          'https://docs.github.com/rest/users/users#get-the-authenticated-user',
        )
      return { status: 200, body: { login, id: author.id, type: 'User' }, headers: requestId() }
    }
    const [, owner, repo, issueText, commentText] = match as unknown as [
      string,
      string,
      string,
      string | undefined,
      string | undefined,
    ]
    if (this.#repositories && !this.#repositories.has(`${owner}/${repo}`.toLowerCase())) return notFound
    if (issueText !== undefined) {
      const issue = Number(issueText)
      if (!/^[1-9]\d{0,9}$/.test(issueText) || (this.#issues && !this.#issues.has(issue))) return notFound
      if (req.method === 'GET') return this.#listComments(owner, repo, issue, req.url)
      if (req.method !== 'POST') return notFound
      if (this.#forbidden.has(token))
        return githubError(403, 'Resource not accessible by integration', `${COMMENTS_DOCS}#create-an-issue-comment`)
      const body = commentBodyOf(req.body)
      if (typeof body !== 'string') return body
      const now = timestamp()
      const stored: StoredComment = {
        id: this.#nextCommentId++,
        owner,
        repo,
        issue,
        body,
        user: author,
        created_at: now,
        updated_at: now,
      }
      this.#comments.set(stored.id, stored)
      return {
        status: 201,
        body: this.#commentView(stored),
        headers: { ...requestId(), location: this.#commentView(stored).url },
      }
    }
    const comment = this.#comments.get(Number(commentText))
    if (!/^\d+$/.test(commentText ?? '') || !comment || comment.owner !== owner || comment.repo !== repo)
      return notFound
    if (req.method === 'GET') return { status: 200, body: this.#commentView(comment), headers: requestId() }
    if (req.method !== 'PATCH') return notFound
    if (this.#forbidden.has(token))
      return githubError(403, 'Resource not accessible by integration', `${COMMENTS_DOCS}#update-an-issue-comment`)
    const body = commentBodyOf(req.body)
    if (typeof body !== 'string') return body
    comment.body = body
    comment.updated_at = timestamp()
    return { status: 200, body: this.#commentView(comment), headers: requestId() }
  }

  /** One page (`per_page` 1–100, default 30; `page` from 1), oldest first, with GitHub's Link header. */
  #listComments(owner: string, repo: string, issue: number, url: URL): Reply {
    const all = [...this.#comments.values()].filter((c) => c.owner === owner && c.repo === repo && c.issue === issue)
    const perPage = Math.min(100, Math.max(1, Number.parseInt(url.searchParams.get('per_page') ?? '30', 10) || 30))
    const page = Math.max(1, Number.parseInt(url.searchParams.get('page') ?? '1', 10) || 1)
    const last = Math.max(1, Math.ceil(all.length / perPage))
    const link = (n: number, rel: string) => {
      const target = new URL(url.pathname, this.origin)
      target.searchParams.set('per_page', String(perPage))
      target.searchParams.set('page', String(n))
      return `<${target.href}>; rel="${rel}"`
    }
    const links = [
      ...(page > 1 ? [link(page - 1, 'prev'), link(1, 'first')] : []),
      ...(page < last ? [link(page + 1, 'next'), link(last, 'last')] : []),
    ]
    return {
      status: 200,
      body: all.slice((page - 1) * perPage, page * perPage).map((c) => this.#commentView(c)),
      headers: { ...requestId(), ...(links.length > 0 ? { link: links.join(', ') } : {}) },
    }
  }

  #commentView(c: StoredComment): { url: string } & Record<string, unknown> {
    const repoUrl = `${this.apiUrl}/repos/${c.owner}/${c.repo}`
    return {
      url: `${repoUrl}/issues/comments/${c.id}`,
      html_url: `https://github.com/${c.owner}/${c.repo}/pull/${c.issue}#issuecomment-${c.id}`,
      issue_url: `${repoUrl}/issues/${c.issue}`,
      id: c.id,
      node_id: `IC_${Buffer.from(String(c.id)).toString('base64')}`,
      user: c.user,
      created_at: c.created_at,
      updated_at: c.updated_at,
      author_association: c.user.type === 'Bot' ? 'NONE' : 'CONTRIBUTOR',
      body: c.body,
    }
  }

  #create(owner: string, repo: string, token: string, text: string): Reply {
    const body = parseBody(text)
    if (body === undefined) return githubError(400, 'Problems parsing JSON', CREATE_DOCS)
    if (body.ref === undefined) return githubError(422, 'Invalid request.\n\n"ref" wasn\'t supplied.', CREATE_DOCS)
    const typeProblem =
      typeProblemOf(body, 'ref', 'string') ??
      typeProblemOf(body, 'task', 'string') ??
      typeProblemOf(body, 'environment', 'string') ??
      typeProblemOf(body, 'auto_merge', 'boolean') ??
      typeProblemOf(body, 'transient_environment', 'boolean') ??
      typeProblemOf(body, 'production_environment', 'boolean') ??
      (body.description !== undefined && body.description !== null
        ? typeProblemOf(body, 'description', 'string')
        : undefined)
    if (typeProblem) return githubError(422, `Invalid request.\n\n${typeProblem}`, CREATE_DOCS)
    const contexts = body.required_contexts
    if (contexts !== undefined && (!Array.isArray(contexts) || contexts.some((c) => typeof c !== 'string'))) {
      return githubError(
        422,
        `Invalid request.\n\nFor 'properties/required_contexts', ${JSON.stringify(contexts)} is not an array of strings.`,
        CREATE_DOCS,
      )
    }
    const payload = body.payload
    if (
      payload !== undefined &&
      typeof payload !== 'string' &&
      (typeof payload !== 'object' || payload === null || Array.isArray(payload))
    ) {
      return githubError(
        422,
        `Invalid request.\n\nFor 'properties/payload', ${JSON.stringify(payload)} is not an object or string.`,
        CREATE_DOCS,
      )
    }
    const ref = body.ref as string
    if (ref.trim() === '') return githubError(422, 'No ref found for: ', CREATE_DOCS)
    // Without `required_contexts`, GitHub checks every commit status of the ref and refuses a deploy that is not green.
    const wanted =
      contexts === undefined
        ? this.#commitStatuses
        : this.#commitStatuses.filter((s) => (contexts as string[]).includes(s.context))
    const red = wanted.filter((s) => s.state !== 'success')
    if (red.length > 0) {
      return {
        status: 409,
        body: {
          message: `Conflict: Commit status checks failed for ${ref}.`,
          errors: [
            {
              contexts: red.map((s) => ({ context: s.context, state: s.state })),
              resource: 'Deployment',
              field: 'required_contexts',
            },
          ],
          documentation_url: CREATE_DOCS,
          status: '409',
        },
        headers: requestId(),
      }
    }
    const environment = (body.environment as string | undefined) ?? 'production'
    const now = timestamp()
    const deployment: StoredDeployment = {
      id: this.#nextId++,
      owner,
      repo,
      sha: /^[0-9a-f]{40}$/.test(ref) ? ref : randomBytes(20).toString('hex'),
      ref,
      task: (body.task as string | undefined) ?? 'deploy',
      payload: typeof payload === 'string' ? safeJson(payload) : (payload ?? {}),
      environment,
      original_environment: environment,
      description: (body.description as string | null | undefined) ?? null,
      transient_environment: (body.transient_environment as boolean | undefined) ?? false,
      production_environment: (body.production_environment as boolean | undefined) ?? environment === 'production',
      auto_merge: body.auto_merge as boolean | undefined,
      required_contexts: contexts as string[] | undefined,
      created_at: now,
      createdWith: token,
      statuses: [],
    }
    this.#deployments.set(deployment.id, deployment)
    return { status: 201, body: this.#view(deployment), headers: requestId() }
  }

  #postStatus(deployment: StoredDeployment, text: string): Reply | Promise<Reply> {
    const body = parseBody(text)
    if (body === undefined) return githubError(400, 'Problems parsing JSON', STATUS_DOCS)
    if (body.state === undefined) return githubError(422, 'Invalid request.\n\n"state" wasn\'t supplied.', STATUS_DOCS)
    if (!DEPLOYMENT_STATES.includes(body.state as DeploymentState)) {
      return githubError(
        422,
        `Invalid request.\n\nFor 'properties/state', ${JSON.stringify(body.state)} is not one of: ${DEPLOYMENT_STATES.join(', ')}.`,
        STATUS_DOCS,
      )
    }
    for (const field of ['log_url', 'target_url', 'environment_url', 'description', 'environment'] as const) {
      const problem =
        body[field] === undefined || body[field] === null ? undefined : typeProblemOf(body, field, 'string')
      if (problem) return githubError(422, `Invalid request.\n\n${problem}`, STATUS_DOCS)
    }
    const description = (body.description as string | undefined) ?? ''
    if (Array.from(description).length > MAX_STATUS_DESCRIPTION) {
      return validationFailed(
        'description',
        `description is too long (maximum is ${MAX_STATUS_DESCRIPTION} characters)`,
      )
    }
    // The emulator's own strictness: a link that is not an absolute http(s) URL would be a dead link in GitHub's UI.
    for (const field of ['log_url', 'target_url', 'environment_url'] as const) {
      const value = body[field] as string | undefined
      if (value && !/^https?:\/\/[^\s/]+/.test(value)) return validationFailed(field, `${field} must be an http(s) URL`)
    }
    const logUrl = (body.log_url as string | undefined) ?? (body.target_url as string | undefined) ?? ''
    const status: StoredStatus = {
      id: this.#nextStatusId++,
      state: body.state as DeploymentState,
      description,
      environment: (body.environment as string | undefined) ?? deployment.environment,
      log_url: logUrl,
      target_url: logUrl,
      environment_url: (body.environment_url as string | undefined) ?? '',
      created_at: timestamp(),
    }
    deployment.statuses.push(status)
    if (status.state === 'success' && body.auto_inactive !== false) this.#inactivatePrior(deployment)
    const reply: Reply = { status: 201, body: this.#statusView(deployment, status), headers: requestId() }
    if (this.hangStates.has(status.state)) return new Promise<Reply>((resolve) => this.#held.push(resolve))
    return reply
  }

  /** auto_inactive: earlier successful, non-transient, non-production deployments of the environment become inactive. */
  #inactivatePrior(current: StoredDeployment): void {
    for (const other of this.#deployments.values()) {
      if (
        other.id >= current.id ||
        other.owner !== current.owner ||
        other.repo !== current.repo ||
        other.environment !== current.environment
      )
        continue
      if (other.transient_environment || other.production_environment) continue
      if (other.statuses.at(-1)?.state !== 'success') continue
      other.statuses.push({
        ...other.statuses.at(-1)!,
        id: this.#nextStatusId++,
        state: 'inactive',
        description: '',
        created_at: timestamp(),
      })
    }
  }

  #list(owner: string, repo: string, query: URLSearchParams): object[] {
    return [...this.#deployments.values()]
      .filter((d) => d.owner === owner && d.repo === repo)
      .filter((d) => !query.has('environment') || d.environment === query.get('environment'))
      .filter((d) => !query.has('sha') || d.sha === query.get('sha'))
      .filter((d) => !query.has('ref') || d.ref === query.get('ref'))
      .reverse()
      .map((d) => this.#view(d))
  }

  #repoUrl(d: StoredDeployment): string {
    return `${this.apiUrl}/repos/${d.owner}/${d.repo}`
  }

  #view(d: StoredDeployment): object {
    return {
      url: `${this.#repoUrl(d)}/deployments/${d.id}`,
      id: d.id,
      node_id: `DE_${Buffer.from(String(d.id)).toString('base64')}`,
      sha: d.sha,
      ref: d.ref,
      task: d.task,
      payload: d.payload,
      original_environment: d.original_environment,
      environment: d.environment,
      description: d.description,
      creator: { login: 'github-actions[bot]', id: 41898282, type: 'Bot' },
      created_at: d.created_at,
      updated_at: d.statuses.at(-1)?.created_at ?? d.created_at,
      statuses_url: `${this.#repoUrl(d)}/deployments/${d.id}/statuses`,
      repository_url: this.#repoUrl(d),
      transient_environment: d.transient_environment,
      production_environment: d.production_environment,
    }
  }

  #statusView(d: StoredDeployment, s: StoredStatus): object {
    return {
      url: `${this.#repoUrl(d)}/deployments/${d.id}/statuses/${s.id}`,
      id: s.id,
      node_id: `DES_${Buffer.from(String(s.id)).toString('base64')}`,
      state: s.state,
      creator: { login: 'github-actions[bot]', id: 41898282, type: 'Bot' },
      description: s.description,
      environment: s.environment,
      target_url: s.target_url,
      log_url: s.log_url,
      environment_url: s.environment_url,
      created_at: s.created_at,
      updated_at: s.created_at,
      deployment_url: `${this.#repoUrl(d)}/deployments/${d.id}`,
      repository_url: this.#repoUrl(d),
    }
  }
}

/** The token of `Authorization: token X` or `Bearer X` (scheme case-insensitive), as GitHub accepts both. */
function tokenOf(header: string | undefined): string | undefined {
  const match = /^(?:token|bearer) +(\S+)$/i.exec(header ?? '')
  return match?.[1]
}

function githubError(status: number, message: string, documentationUrl: string): Reply {
  return {
    status,
    body: { message, documentation_url: documentationUrl, status: String(status) },
    headers: requestId(),
  }
}

/** A comment's body from a request, or GitHub's answer to a missing, empty or too long one. */
function commentBodyOf(text: string): string | Reply {
  const body = parseBody(text)
  if (body === undefined) return githubError(400, 'Problems parsing JSON', COMMENTS_DOCS)
  if (body.body === undefined) return githubError(422, 'Invalid request.\n\n"body" wasn\'t supplied.', COMMENTS_DOCS)
  const problem = typeProblemOf(body, 'body', 'string')
  if (problem) return githubError(422, `Invalid request.\n\n${problem}`, COMMENTS_DOCS)
  const value = body.body as string
  if (value.trim() === '') return validationFailed('body', "body can't be blank", 'IssueComment', 'missing_field')
  if (Array.from(value).length > MAX_COMMENT_BODY)
    return validationFailed('body', `body is too long (maximum is ${MAX_COMMENT_BODY} characters)`, 'IssueComment')
  return value
}

function validationFailed(field: string, message: string, resource = 'DeploymentStatus', code = 'custom'): Reply {
  return {
    status: 422,
    body: {
      message: 'Validation Failed',
      errors: [{ resource, code, field, message }],
      documentation_url: resource === 'IssueComment' ? COMMENTS_DOCS : STATUS_DOCS,
      status: '422',
    },
    headers: requestId(),
  }
}

/** GitHub's timestamp form: ISO 8601 to the second. */
function timestamp(): string {
  return new Date().toISOString().replace(/\.\d+Z$/, 'Z')
}

function requestId(): Record<string, string> {
  return { 'x-github-request-id': randomBytes(8).toString('hex').toUpperCase() }
}

function parseBody(text: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(text === '' ? '{}' : text)
    return value !== null && typeof value === 'object' && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : undefined
  } catch {
    return undefined
  }
}

function typeProblemOf(body: Record<string, unknown>, field: string, type: 'string' | 'boolean'): string | undefined {
  const value = body[field]
  if (value === undefined || typeof value === type) return undefined
  return `For 'properties/${field}', ${JSON.stringify(value)} is not a ${type}.`
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text)
  } catch {
    return text
  }
}
