/**
 * Loopback emulator of Huawei Cloud RTS (the Heat-compatible Resource Template Service) software
 * deployments, the API gateway in front of it, and the IAM token endpoint, following the documented
 * behaviour (OTC RTS API reference "Updating a Software Deployment"):
 * - `GET|PUT /v1/{project_id}/software_deployments/{deployment_id}` with Heat's update semantics
 *   (only present and truthy fields are written; an IN_PROGRESS deployment settles on a later GET,
 *   as Heat's TEMP_URL_SIGNAL show does);
 * - gateway auth: `X-Auth-Token`, or `SDK-HMAC-SHA256` AK/SK signatures checked by the independent
 *   reference verifier (+ `X-Security-Token` for temporary keys), APIGW.0301 errors, AK lockout;
 * - `POST /v3/auth/tokens` (password method, project scope) answering 201 with `X-Subject-Token`.
 */
import { createHash, randomBytes, randomUUID } from 'node:crypto'
import { STATUS_CODES } from 'node:http'
import { Emulator, type RecordedRequest, type Reply } from './base.ts'
import { headerValue, parseAuthorization, REASON, verifySignature } from './huaweicloud-sign-reference.ts'

export type DeploymentStatus = 'COMPLETE' | 'IN_PROGRESS' | 'FAILED'

/** The software_deployment object (keys in the docs' response-table order). */
export interface SoftwareDeployment {
  action: string
  config_id: string
  /** `2015-01-31T15:12:36Z` form. */
  creation_time: string
  id: string
  input_values: Record<string, unknown> | null
  output_values: Record<string, unknown> | null
  server_id: string
  status: DeploymentStatus
  status_reason: string
  /** Zone-less microsecond form (`2018-05-15T08:48:23.500895`), as Heat's `isoformat()` prints. */
  updated_time: string | null
}

export interface RtsEmulatorOptions {
  /** The IAM project of the region; default the docs' example `95d02433133a4c0a87ba6967474a2ad3`. */
  projectId?: string
  /** Valid `X-Auth-Token` values (besides the tokens the IAM endpoint issues). Default none. */
  tokens?: string[]
  /** AK → SK, plus the `X-Security-Token` a temporary key must send. Default none. */
  keys?: Record<string, { sk: string; securityToken?: string }>
  /** IAM password users; `POST /v3/auth/tokens` issues tokens for them. Default none. */
  users?: { domain: string; name: string; password: string }[]
  /** Region = the IAM project name a token request must scope to. Default 'cn-north-4'. */
  region?: string
  /** How long IN_PROGRESS lasts before COMPLETE/FAILED (ms). Default 300. */
  settleMs?: number
  /** Business error body: Heat FaultWrapper (default) or Huawei `{error_code,error_msg,request_id}`. */
  errorShape?: 'heat' | 'huawei'
  /** An AK is locked (5 min) after MORE than this many consecutive signature failures. Default 5. */
  lockAfterFailures?: number
  /** Answers leave out `updated_time` (a gateway or version that does not return it). Default false. */
  omitUpdatedTime?: boolean
}

/** One rejected gateway authentication, for debugging client signers. */
export interface AuthFailure {
  ak?: string
  /** The verifier's reason (e.g. 'signature mismatch'), or the token reason. */
  reason: string
  /** The text after "Incorrect IAM authentication information: " in the reply. */
  message: string
}

interface Run {
  startedAt: number
}
interface PlannedFailure {
  statusCode: number
  stderr: string
}
interface LockState {
  failures: number
  lockedUntil: number
}

const DEFAULT_PROJECT = '95d02433133a4c0a87ba6967474a2ad3'
const LOCK_MS = 5 * 60_000
const TOKEN_TTL_MS = 24 * 3_600_000
const STATUSES: readonly string[] = ['COMPLETE', 'IN_PROGRESS', 'FAILED']
const STRING_FIELDS = ['action', 'config_id', 'status', 'status_reason'] as const
const OBJECT_FIELDS = ['input_values', 'output_values'] as const
const ROUTE = /^\/v1\/([^/]+)\/software_deployments\/([^/]+)$/

/** webob's title/explanation per status, as Heat's FaultWrapper sends them. */
const HEAT_FAULTS: Record<number, { title: string; explanation: string; type: string }> = {
  400: {
    title: 'Bad Request',
    type: 'HTTPBadRequest',
    explanation: 'The server could not comply with the request since it is either malformed or otherwise incorrect.',
  },
  401: {
    title: 'Unauthorized',
    type: 'HTTPUnauthorized',
    explanation:
      'This server could not verify that you are authorized to access the document you requested. Either you supplied the wrong credentials (e.g., bad password), or your browser does not understand how to supply the credentials required.',
  },
  403: { title: 'Forbidden', type: 'Forbidden', explanation: 'Access was denied to this resource.' },
  404: { title: 'Not Found', type: 'NotFound', explanation: 'The resource could not be found.' },
  409: {
    title: 'Conflict',
    type: 'Conflict',
    explanation: 'There was a conflict when trying to complete your request.',
  },
  500: {
    title: 'Internal Server Error',
    type: 'HTTPInternalServerError',
    explanation: 'The server has either erred or is incapable of performing the requested operation.',
  },
  503: {
    title: 'Service Unavailable',
    type: 'HTTPServiceUnavailable',
    explanation: 'The server is currently unavailable. Please try again at a later time.',
  },
}

/** Huawei Cloud RTS + API gateway + IAM token endpoint on 127.0.0.1. */
export class RtsEmulator extends Emulator {
  /** Tokens issued by `POST /v3/auth/tokens`, in order. */
  readonly issuedTokens: string[] = []
  /** Every rejected gateway authentication, in order. */
  readonly authFailures: AuthFailure[] = []
  readonly projectId: string
  readonly region: string
  #tokens: Set<string>
  #keys: Record<string, { sk: string; securityToken?: string }>
  #users: { domain: string; name: string; password: string }[]
  #settleMs: number
  #errorShape: 'heat' | 'huawei'
  #lockAfter: number
  #tokenExpiry = new Map<string, number>()
  #deployments = new Map<string, SoftwareDeployment>()
  #runs = new Map<string, Run>()
  #failNext = new Map<string, PlannedFailure>()
  #failingConfigs = new Set<string>()
  #failWhen = new Map<string, (deployment: SoftwareDeployment) => boolean>()
  #applied = new Map<string, number>()
  #omitUpdatedTime: boolean
  #locks = new Map<string, LockState>()

  /** A deployment as answered: without updated_time when so configured. */
  #shown(deployment: SoftwareDeployment): Partial<SoftwareDeployment> {
    if (!this.#omitUpdatedTime) return deployment
    const { updated_time: _omitted, ...rest } = deployment
    return rest
  }

  constructor(options: RtsEmulatorOptions = {}) {
    super()
    this.projectId = options.projectId ?? DEFAULT_PROJECT
    this.region = options.region ?? 'cn-north-4'
    this.#tokens = new Set(options.tokens ?? [])
    this.#keys = { ...options.keys }
    this.#users = [...(options.users ?? [])]
    this.#settleMs = options.settleMs ?? 300
    this.#errorShape = options.errorShape ?? 'heat'
    this.#lockAfter = options.lockAfterFailures ?? 5
    this.#omitUpdatedTime = options.omitUpdatedTime ?? false
  }

  /** Creates a deployment (COMPLETE, realistic Heat fields; overrides replace top-level fields) and returns a copy. */
  seed(overrides: Partial<SoftwareDeployment> = {}): SoftwareDeployment {
    const now = Date.now()
    const created = now - 2 * 3_600_000
    const id = overrides.id ?? randomUUID()
    const serverId = overrides.server_id ?? randomUUID()
    const configId = randomUUID()
    const stackId = randomUUID()
    const file = `/tmp/deploy-${id.slice(0, 8)}`
    const deployment: SoftwareDeployment = {
      action: 'CREATE',
      config_id: configId,
      creation_time: zSeconds(created),
      id,
      input_values: {
        deploy_server_id: serverId,
        deploy_action: 'CREATE',
        deploy_stack_id: `app-stack/${stackId}`,
        deploy_resource_name: 'app_deployment',
        deploy_signal_transport: 'TEMP_URL_SIGNAL',
        deploy_signal_verb: 'PUT',
        deploy_signal_id: `https://obs.${this.region}.myhuaweicloud.com/v1/AUTH_${this.projectId}/app-stack-app_deployment-${stackId.slice(0, 12)}/${randomUUID()}?temp_url_sig=${randomBytes(20).toString('hex')}&temp_url_expires=2147483647`,
      },
      output_values: {
        deploy_stdout: `Writing to ${file}\nWritten to ${file}\n`,
        deploy_stderr: `+ echo Writing to ${file}\n+ echo release-1\n+ cat ${file}\n+ echo Written to ${file}\n`,
        deploy_status_code: 0,
        result: `The file ${file} contains release-1 for server ${serverId} during CREATE`,
      },
      server_id: serverId,
      status: 'COMPLETE',
      status_reason: 'Outputs received',
      updated_time: zoneless(created + 95_000),
      ...structuredClone(overrides),
    }
    this.#deployments.set(id, deployment)
    this.#runs.delete(id)
    if (deployment.status === 'IN_PROGRESS') this.#runs.set(id, { startedAt: now })
    return structuredClone(deployment)
  }

  /**
   * The next IN_PROGRESS run of this deployment to settle ends FAILED (deploy_status_code default 1,
   * a multi-line deploy_stderr), as if the in-server agent had signalled a failed script.
   */
  failNext(id: string, opts: { statusCode?: number; stderr?: string } = {}): void {
    const statusCode = opts.statusCode ?? 1
    const stderr =
      opts.stderr ??
      [
        '+ set -e',
        '+ echo Applying configuration',
        '+ systemctl restart app.service',
        'Job for app.service failed because the control process exited with error code.',
        'See "systemctl status app.service" and "journalctl -xe" for details.',
        '',
      ].join('\n')
    this.#failNext.set(id, { statusCode, stderr })
  }

  /** Every run of software config `configId`, on any deployment, ends FAILED (a config whose script always fails). */
  failConfig(configId: string): void {
    this.#failingConfigs.add(configId)
  }

  /** Every run of this deployment that `fails` picks (given the deployment as the run found it) ends FAILED. */
  failRunsWhen(id: string, fails: (deployment: SoftwareDeployment) => boolean): void {
    this.#failWhen.set(id, fails)
  }

  /** The stored deployment (a copy). Raw state: an IN_PROGRESS run only settles on an API GET. */
  stored(id: string): SoftwareDeployment | undefined {
    const deployment = this.#deployments.get(id)
    return deployment && structuredClone(deployment)
  }

  /** How many PUTs were applied, for one deployment or in total. */
  appliedUpdates(id?: string): number {
    if (id !== undefined) return this.#applied.get(id) ?? 0
    let total = 0
    for (const count of this.#applied.values()) total += count
    return total
  }

  protected override statusFaultReply(status: number): Reply {
    const requestId = randomUUID()
    // Throttling and backend failures are the gateway's answers, in its own shape.
    if (status === 429)
      return gatewayError(
        429,
        'APIGW.0308',
        'The throttling threshold has been reached: policy user over ratelimit,limit:100,time:1 minute',
        requestId,
      )
    if (status === 502) return gatewayError(502, 'APIGW.0202', 'Backend unavailable', requestId)
    if (status === 504) return gatewayError(504, 'APIGW.0203', 'Backend timeout', requestId)
    return withRequestId(this.#businessError(status, `Injected ${status} error.`, requestId), requestId)
  }

  protected override internalErrorReply(error: unknown): Reply {
    const requestId = randomUUID()
    return withRequestId(
      this.#businessError(500, `Emulator error: ${error instanceof Error ? error.message : String(error)}`, requestId),
      requestId,
    )
  }

  protected handle(req: RecordedRequest): Reply {
    const requestId = randomUUID()
    return withRequestId(this.#route(req, requestId), requestId)
  }

  #route(req: RecordedRequest, requestId: string): Reply {
    if (req.path === '/v3/auth/tokens') {
      if (req.method === 'POST') return this.#issueToken(req, requestId)
      return gatewayError(
        404,
        'APIGW.0101',
        'The API does not exist or has not been published in the environment',
        requestId,
      )
    }
    if (!req.path.startsWith('/v1/'))
      return gatewayError(
        404,
        'APIGW.0101',
        'The API does not exist or has not been published in the environment',
        requestId,
      )

    const denied = this.#authenticate(req, requestId)
    if (denied) return denied

    const [, rawProject] = /^\/v1\/([^/]*)/.exec(req.path) ?? []
    const projectHeader = headerValue(req.headers, 'x-project-id')
    if (
      safeDecode(rawProject ?? '') !== this.projectId ||
      (projectHeader !== undefined && projectHeader !== this.projectId)
    ) {
      return this.#businessError(403, 'You are not authorized to access this project.', requestId)
    }
    const match = ROUTE.exec(req.path)
    const id = match ? safeDecode(match[2]!) : undefined
    if (id === undefined || (req.method !== 'GET' && req.method !== 'PUT'))
      return this.#businessError(404, 'The resource could not be found.', requestId)
    return req.method === 'GET' ? this.#show(id, requestId) : this.#update(id, req.body, requestId)
  }

  // -------------------------------------------------------------------------------------------
  // RTS

  #show(id: string, requestId: string): Reply {
    const deployment = this.#deployments.get(id)
    if (!deployment) return this.#notFound(id, requestId)
    this.#settle(deployment)
    return { status: 200, body: { software_deployment: this.#shown(view(deployment)) } }
  }

  #update(id: string, rawBody: string, requestId: string): Reply {
    if (rawBody.trim() === '')
      return this.#businessError(400, 'Malformed message body: the request body is empty.', requestId)
    let body: unknown
    try {
      body = JSON.parse(rawBody)
    } catch (error) {
      return this.#businessError(
        400,
        `Malformed message body: ${error instanceof Error ? error.message : 'invalid JSON'}`,
        requestId,
      )
    }
    if (!isPlainObject(body))
      return this.#businessError(400, 'Malformed message body: the body must be a JSON object.', requestId)
    // Heat takes only the documented keys; `null` means "not given".
    for (const field of STRING_FIELDS) {
      const value = body[field]
      if (value !== undefined && value !== null && typeof value !== 'string')
        return this.#businessError(400, `Invalid value for ${field}: must be a string.`, requestId)
    }
    for (const field of OBJECT_FIELDS) {
      const value = body[field]
      if (value !== undefined && value !== null && !isPlainObject(value))
        return this.#businessError(400, `Invalid value for ${field}: must be an object.`, requestId)
    }
    const status = body.status as string | null | undefined
    if (status && !STATUSES.includes(status)) {
      return this.#businessError(
        400,
        `Invalid status "${status}"; valid values are COMPLETE, IN_PROGRESS and FAILED.`,
        requestId,
      )
    }

    const deployment = this.#deployments.get(id)
    if (!deployment) return this.#notFound(id, requestId)

    const now = Date.now()
    // update_software_deployment: every field is written only when present and truthy.
    if (body.config_id) deployment.config_id = body.config_id as string
    if (isNonEmptyObject(body.input_values)) deployment.input_values = structuredClone(body.input_values)
    if (isNonEmptyObject(body.output_values)) deployment.output_values = structuredClone(body.output_values)
    if (body.action) deployment.action = body.action as string
    if (status) {
      deployment.status = status as DeploymentStatus
      if (status === 'IN_PROGRESS') this.#runs.set(id, { startedAt: now })
      else this.#runs.delete(id)
    }
    if (body.status_reason) deployment.status_reason = body.status_reason as string
    deployment.updated_time = zoneless(now)
    this.#applied.set(id, (this.#applied.get(id) ?? 0) + 1)
    return { status: 200, body: { software_deployment: this.#shown(view(deployment)) } }
  }

  /** Heat's show with TEMP_URL_SIGNAL: a finished agent run is picked up when the deployment is read. */
  #settle(deployment: SoftwareDeployment): void {
    const run = this.#runs.get(deployment.id)
    if (!run || deployment.status !== 'IN_PROGRESS') return
    if (Date.now() - run.startedAt < this.#settleMs) return
    this.#runs.delete(deployment.id)
    const failure =
      this.#failNext.get(deployment.id) ??
      (this.#failingConfigs.has(deployment.config_id) ||
      this.#failWhen.get(deployment.id)?.(structuredClone(deployment))
        ? { statusCode: 2, stderr: 'config script failed\n' }
        : undefined)
    this.#failNext.delete(deployment.id)
    const statusCode = failure?.statusCode ?? 0
    const config = deployment.config_id
    const outputs = {
      deploy_stdout: failure
        ? `Applying configuration ${config}\n`
        : `Applying configuration ${config}\nConfiguration ${config} applied\n`,
      deploy_stderr: failure
        ? failure.stderr
        : `+ echo Applying configuration ${config}\n+ echo Configuration ${config} applied\n`,
      deploy_status_code: statusCode,
    }
    deployment.output_values = { ...deployment.output_values, ...outputs }
    if (statusCode !== 0) {
      deployment.status = 'FAILED'
      deployment.status_reason = `deploy_status_code : Deployment exited with non-zero status code: ${statusCode}`
    } else {
      deployment.status = 'COMPLETE'
      deployment.status_reason = 'Outputs received'
    }
    deployment.updated_time = zoneless(run.startedAt + this.#settleMs)
  }

  #notFound(id: string, requestId: string): Reply {
    return this.#businessError(404, `Deployment with id ${id} not found`, requestId)
  }

  #businessError(status: number, message: string, requestId: string): Reply {
    if (this.#errorShape === 'huawei')
      return { status, body: { error_code: `RTS.${status}`, error_msg: message, request_id: hex(requestId) } }
    const fault = HEAT_FAULTS[status] ?? {
      title: STATUS_CODES[status] ?? 'Error',
      type: 'HTTPError',
      explanation: STATUS_CODES[status] ?? 'Error',
    }
    return {
      status,
      body: {
        code: status,
        title: fault.title,
        explanation: fault.explanation,
        error: { type: fault.type, message, traceback: null },
      },
    }
  }

  // -------------------------------------------------------------------------------------------
  // Gateway authentication

  #authenticate(req: RecordedRequest, requestId: string): Reply | undefined {
    const authorization = headerValue(req.headers, 'authorization')
    if (authorization !== undefined && /^SDK-HMAC-SHA256(\s|$)/.test(authorization.trim()))
      return this.#authenticateAkSk(req, authorization, requestId)
    const token = headerValue(req.headers, 'x-auth-token')
    if (token === undefined || token === '')
      return this.#authFailure(requestId, { reason: 'no credentials', message: 'x-auth-token not found' })
    const expiry = this.#tokenExpiry.get(token)
    if (this.#tokens.has(token) || (expiry !== undefined && expiry > Date.now())) return undefined
    return this.#authFailure(requestId, { reason: 'unknown or expired token', message: 'decrypt token fail' })
  }

  #authenticateAkSk(req: RecordedRequest, authorization: string, requestId: string): Reply | undefined {
    const parsed = parseAuthorization(authorization)
    const presented = 'error' in parsed ? undefined : parsed.access
    const now = Date.now()
    if (presented !== undefined) {
      const lock = this.#locks.get(presented)
      if (lock && lock.lockedUntil > now)
        return this.#authFailure(requestId, {
          ak: presented,
          reason: 'locked',
          message: 'AK access failed to reach the limit,forbidden',
        })
    }
    const secrets: Record<string, string> = {}
    for (const [ak, key] of Object.entries(this.#keys)) secrets[ak] = key.sk
    const result = verifySignature(
      { method: req.method, path: req.path, query: req.url.search, headers: req.headers, body: req.body },
      secrets,
      new Date(now),
    )
    if (!result.ok) {
      const ak = result.ak ?? presented
      const message =
        result.reason === REASON.expired
          ? 'calc ak sk signature fail:signature expired'
          : result.reason === REASON.unknownAccessKey
            ? `ak ${ak} not exist`
            : 'verify aksk signature fail'
      this.#countFailure(ak, now)
      return this.#authFailure(requestId, { ak, reason: result.reason, message })
    }
    const key = this.#keys[result.ak]!
    if (key.securityToken !== undefined) {
      const token = headerValue(req.headers, 'x-security-token')
      if (token !== key.securityToken) {
        this.#countFailure(result.ak, now)
        // Without its security token a temporary AK is looked up as a permanent one, which does not exist.
        const message = token === undefined ? `ak ${result.ak} not exist` : 'verify aksk signature fail'
        return this.#authFailure(requestId, {
          ak: result.ak,
          reason: token === undefined ? 'missing X-Security-Token' : 'wrong X-Security-Token',
          message,
        })
      }
    }
    this.#locks.delete(result.ak)
    return undefined
  }

  #countFailure(ak: string | undefined, now: number): void {
    if (ak === undefined) return
    const state = this.#locks.get(ak) ?? { failures: 0, lockedUntil: 0 }
    state.failures += 1
    if (state.failures > this.#lockAfter) {
      state.lockedUntil = now + LOCK_MS
      state.failures = 0
    }
    this.#locks.set(ak, state)
  }

  #authFailure(requestId: string, failure: AuthFailure): Reply {
    this.authFailures.push(failure)
    return gatewayError(401, 'APIGW.0301', `Incorrect IAM authentication information: ${failure.message}`, requestId)
  }

  // -------------------------------------------------------------------------------------------
  // IAM: POST /v3/auth/tokens

  #issueToken(req: RecordedRequest, requestId: string): Reply {
    let body: unknown
    try {
      body = JSON.parse(req.body)
    } catch {
      return iamError(400, 'IAM.0007', 'Request parameter auth is invalid.', requestId)
    }
    const auth = isPlainObject(body) ? body.auth : undefined
    const identity = isPlainObject(auth) ? auth.identity : undefined
    if (!isPlainObject(auth) || !isPlainObject(identity))
      return iamError(400, 'IAM.0007', 'Request parameter auth.identity is invalid.', requestId)
    const methods = identity.methods
    if (!Array.isArray(methods) || methods.length !== 1 || methods[0] !== 'password')
      return iamError(400, 'IAM.0007', 'Request parameter auth.identity.methods is invalid.', requestId)
    const password = isPlainObject(identity.password) ? identity.password : undefined
    const user = isPlainObject(password?.user) ? password.user : undefined
    const domain = isPlainObject(user?.domain) ? user.domain : undefined
    if (
      !user ||
      typeof user.name !== 'string' ||
      typeof user.password !== 'string' ||
      !domain ||
      typeof domain.name !== 'string'
    ) {
      return iamError(400, 'IAM.0007', 'Request parameter auth.identity.password.user is invalid.', requestId)
    }
    const scope = isPlainObject(auth.scope) ? auth.scope : undefined
    const project = isPlainObject(scope?.project) ? scope.project : undefined
    if (!project || !(project.name === this.region || project.id === this.projectId)) {
      return iamError(400, 'IAM.0007', 'Request parameter auth.scope.project is invalid.', requestId)
    }
    const account = this.#users.find((u) => u.domain === domain.name && u.name === user.name)
    if (!account || account.password !== user.password)
      return iamError(401, 'IAM.0001', 'The username or password is wrong.', requestId)

    const now = Date.now()
    const token = `MIIZ${randomBytes(768).toString('base64url')}`
    this.issuedTokens.push(token)
    this.#tokenExpiry.set(token, now + TOKEN_TTL_MS)
    const domainRef = { id: stableId(`domain:${account.domain}`), name: account.domain }
    const catalog = req.url.searchParams.has('nocatalog')
      ? undefined
      : [
          {
            endpoints: [
              {
                id: stableId('endpoint:rts'),
                interface: 'public',
                region: this.region,
                region_id: this.region,
                url: `${this.origin}/v1/${this.projectId}`,
              },
            ],
            id: stableId('service:rts'),
            name: 'rts',
            type: 'orchestration',
          },
        ]
    return {
      status: 201,
      headers: { 'x-subject-token': token },
      body: {
        token: {
          expires_at: microZ(now + TOKEN_TTL_MS),
          methods: ['password'],
          ...(catalog ? { catalog } : {}),
          domain: domainRef,
          project: { domain: domainRef, id: this.projectId, name: this.region },
          roles: [
            { id: '0', name: 'te_admin' },
            { id: '0', name: 'op_gated_rts' },
          ],
          issued_at: microZ(now),
          user: {
            domain: domainRef,
            id: stableId(`user:${account.domain}:${account.name}`),
            name: account.name,
            password_expires_at: '',
          },
        },
      },
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Helpers

function view(deployment: SoftwareDeployment): SoftwareDeployment {
  const {
    action,
    config_id,
    creation_time,
    id,
    input_values,
    output_values,
    server_id,
    status,
    status_reason,
    updated_time,
  } = deployment
  return structuredClone({
    action,
    config_id,
    creation_time,
    id,
    input_values,
    output_values,
    server_id,
    status,
    status_reason,
    updated_time,
  })
}

function gatewayError(status: number, code: string, message: string, requestId: string): Reply {
  return withRequestId(
    { status, body: { error_code: code, error_msg: message, request_id: hex(requestId) } },
    requestId,
  )
}

function iamError(status: number, code: string, message: string, requestId: string): Reply {
  return { status, body: { error_code: code, error_msg: message, request_id: hex(requestId) } }
}

function withRequestId(reply: Reply, requestId: string): Reply {
  return {
    ...reply,
    headers: { ...reply.headers, 'x-openstack-request-id': `req-${requestId}`, 'x-request-id': hex(requestId) },
  }
}

function hex(uuid: string): string {
  return uuid.replaceAll('-', '')
}

function stableId(seed: string): string {
  return createHash('sha256').update(seed).digest('hex').slice(0, 32)
}

function safeDecode(segment: string): string | undefined {
  try {
    return decodeURIComponent(segment)
  } catch {
    return undefined
  }
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

/** Python truthiness of a dict: present and non-empty. */
function isNonEmptyObject(value: unknown): value is Record<string, unknown> {
  return isPlainObject(value) && Object.keys(value).length > 0
}

/** `2015-01-31T15:12:36Z`. */
function zSeconds(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z')
}

/** `2018-05-15T08:48:23.500895`: naive UTC with microseconds (the sub-millisecond digits are invented). */
function zoneless(ms: number): string {
  const micros = String(Math.floor(Math.random() * 1000)).padStart(3, '0')
  return new Date(ms).toISOString().replace(/Z$/, micros)
}

/** `2020-01-04T09:08:49.965000Z`: IAM's token timestamps. */
function microZ(ms: number): string {
  return new Date(ms).toISOString().replace(/Z$/, '000Z')
}
