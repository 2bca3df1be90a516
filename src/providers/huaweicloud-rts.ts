/**
 * Huawei Cloud RTS software deployments (OTC RTS API reference, https://docs.otc.t-systems.com/resource-template-service/api-ref/), Heat-compatible: `PUT
 * …/v1/{project_id}/software_deployments/{id}` writes the fields sent; when the deployment is
 * IN_PROGRESS afterwards (a new config for the server's agent to run), `GET` is read until the
 * agent's signal moves it to COMPLETE or FAILED.
 * Authentication: an IAM token, AK/SK request signing (huaweicloud-sign.ts), or an IAM password
 * login whose token is masked and reused. Authentication failures are never retried: Huawei locks
 * an AK/SK for 5 minutes after more than 5 failures.
 */
import type { ErrorDetails, OutgoingRequest } from '../http/client.js'
import { DeployFailedError, DeployPatchError, type Problem } from '../errors.js'
import type { PayloadObject } from '../payload.js'
import type { Settings } from '../settings.js'
import { isEqual, isPlainObject, own } from '../diff.js'
import { redactValue } from '../secrets.js'
import { textOf } from '../text.js'
import { Problems } from '../validate.js'
import { authorization, sdkDate } from './huaweicloud-sign.js'
import type { ConnectContext, Provider, ProviderContext, RestorePlan, UpdateResult } from './provider.js'
import {
  apiBase,
  checkTargets,
  fieldChanges,
  noSecrets,
  required,
  stampMoved,
  unitPerTarget,
  writeOnce,
} from './shared.js'

const FIELDS = ['action', 'config_id', 'input_values', 'output_values', 'status', 'status_reason'] as const
const STATUSES = ['COMPLETE', 'IN_PROGRESS', 'FAILED'] as const
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i
const STDERR_LINES = 20
type Deployment = Record<string, unknown>

const VOLATILE = ['updated_time']
/** A UUID's hex digits mean the same in either case: RTS ids compare in lower case. */
const canonical = (target: string) => target.toLowerCase()

export const huaweicloudRts: Provider<Deployment> = {
  name: 'huaweicloud-rts',

  check(settings, payload) {
    return [
      ...inputProblems(settings),
      ...checkTargets(
        'huaweicloud-rts',
        settings.targets,
        (target) =>
          UUID.test(target)
            ? undefined
            : `'${target}' is not a software deployment id; expected a UUID such as 3d5ec2a8-7004-43b6-a7f6-542bdbe9d434.`,
        canonical,
      ),
      ...(payload ? validate(payload) : []),
    ]
  },

  units: (settings) => unitPerTarget(settings, canonical),
  secrets: noSecrets,

  async connect(ctx) {
    const { settings } = ctx
    const baseUrl = apiBase(
      settings.baseUrl ?? new URL(`https://rts.${settings.region}.myhuaweicloud.com`),
      `/v1/${settings.projectId}`,
    )
    const { token, accessKey, secretKey, securityToken } = settings.credentials
    if (accessKey && secretKey) {
      const authorize = (request: OutgoingRequest) =>
        signRequest(request, settings, accessKey, secretKey, securityToken)
      return { baseUrl, authorize, parseError: parseHuaweiError }
    }
    const authToken = token ?? ctx.secret(await passwordLogin(ctx))
    const authorize = (request: OutgoingRequest) => {
      request.headers['x-auth-token'] = authToken
    }
    return { baseUrl, authorize, parseError: parseHuaweiError }
  },

  advise(error, unit, settings) {
    const { accessKey, token, username, domain } = settings.credentials
    if (!unit)
      // The IAM password login, before any deployment.
      return error.httpStatus === 401 || error.httpStatus === 400
        ? `IAM refused the password login of user '${username}' in account '${domain}': check 'username', 'password' and 'domain' (an IAM user, not a HUAWEI ID), and 'auth-url'.`
        : undefined
    const target = unit.id
    if (error.httpStatus === 401 || /^APIG(W)?\.0301$/.test(error.errorType)) {
      if (/reach the limit/i.test(error.providerMessage))
        return 'The AK/SK is locked for 5 minutes after repeated failures: check access-key and secret-key, then run again after the lock ends.'
      if (accessKey)
        return "Huawei refused the AK/SK signature: check 'access-key' and 'secret-key' (and 'security-token' for temporary keys). It was not retried: Huawei locks an AK/SK for 5 minutes after more than 5 failures."
      if (token)
        return "Huawei refused the IAM token in 'token': tokens expire after 24 hours, and earlier when the user's password, keys or permissions change. Get a new one."
      return 'Huawei refused the token that IAM issued for the password login: check that the user may use RTS in this project.'
    }
    if (error.httpStatus === 403)
      return `The credentials may not change deployments in project ${settings.projectId}: check 'project-id' and the user's RTS permissions.`
    if (error.httpStatus === 404)
      return `No software deployment ${target} in project ${settings.projectId}: check 'target', 'project-id' and 'region'.`
    if (error.httpStatus === 409)
      return 'RTS is busy with this deployment (an action in progress): run again when it has finished.'
    if (error.httpStatus === 400) return 'RTS refused the payload: fix what it names and run again.'
    return undefined
  },

  async read(ctx, { id }) {
    return getDeployment(ctx, id)
  },

  restore: {
    plan: restorePlan,
    async write(ctx, { id: target }, body, now) {
      // Status IN_PROGRESS runs the server's agent again, on the old config.
      const sent = await putOnce(ctx, target, body, now, 'put the previous deployment back', {
        applied:
          'The previous deployment had been put back (the deployment has the fields sent): not sending it again.',
        notApplied:
          'The previous deployment had not been put back (it does not have the fields sent): sending it once more.',
      })
      if ('state' in sent) return resultOf(sent.state)
      return {
        ...resultOf(unwrap(sent.response.json)),
        httpStatus: sent.response.status,
        requestId: sent.response.requestId,
      }
    },
  },

  async update(ctx, { id: target }, payload, before) {
    const sent = await putOnce(ctx, target, payload, before, 'update the software deployment', {
      applied: (now) =>
        `The update had been applied (${stampMoved(now, before, 'updated_time') ? 'updated_time moved' : 'the deployment has the fields sent'}): not sending it again.`,
      notApplied:
        'The update had not been applied (the deployment does not have the fields sent): sending it once more.',
    })
    if ('state' in sent) return { ...resultOf(sent.state), notes: droppedKeys(before, payload) }
    const response = sent.response
    return {
      ...resultOf(unwrap(response.json)),
      httpStatus: response.status,
      requestId: response.requestId,
      notes: droppedKeys(before, payload),
    }
  },

  async poll(ctx, { id: target }) {
    const deployment = await getDeployment(ctx, target)
    const status = deployment.status
    if (status === 'IN_PROGRESS') return { state: 'pending', providerStatus: status, value: deployment }
    if (status === 'FAILED') throw new DeployFailedError(failureMessage(deployment), status, deployment)
    if (status === 'COMPLETE') return { state: 'done', providerStatus: status, value: deployment }
    // Only COMPLETE is a success: a missing or undocumented status must not read as one.
    throw new DeployPatchError(
      `RTS answered the software deployment with status ${ctx.redact(JSON.stringify(status ?? null)).slice(0, 40)}, not IN_PROGRESS, COMPLETE or FAILED; check deployment ${target} in the RTS console.`,
      'invalid-response',
    )
  },

  plan(ctx, { id }, before, payload) {
    const after: Deployment = { ...before }
    for (const [key, value] of Object.entries(payload))
      if (value) Object.defineProperty(after, key, { value, writable: true, enumerable: true, configurable: true }) // Heat writes truthy fields only
    const { accessKey } = ctx.settings.credentials
    const headers: Record<string, string> = accessKey
      ? {
          authorization: 'SDK-HMAC-SHA256 Access=***, SignedHeaders=…, Signature=(per request)',
          'x-sdk-date': '(per request)',
          'content-type': 'application/json',
        }
      : { 'x-auth-token': '***', 'content-type': 'application/json' }
    return { request: { method: 'PUT', url: ctx.client.url(deploymentPath(id)).href, headers, body: payload }, after }
  },

  changes: (before, after) => fieldChanges(before, after, VOLATILE),

  view(resource, { redact }) {
    return {
      status: typeof resource.status === 'string' ? resource.status : undefined,
      notes: [],
      // Output values are the server's text: shown only with every registered secret hidden.
      details: detailsOf(redactValue(resource, redact)),
    }
  },
}

/**
 * The rollback's PUT: the value before the update of each field the payload sets (the known-good
 * payload's where the deployment had none, as RTS cannot write an empty value), and status
 * IN_PROGRESS when the payload started a run, so the agent runs the old config again.
 */
function restorePlan(before: Deployment, payload: PayloadObject, known: PayloadObject | undefined): RestorePlan {
  const body: PayloadObject = {}
  const missing: string[] = []
  const empty = (value: unknown) =>
    value === undefined || value === null || value === '' || (isPlainObject(value) && Object.keys(value).length === 0)
  // A value read back is sent only if the payload check would take it in that field: the GET is not trusted to be one.
  const sendable = (field: string, value: unknown) =>
    !empty(value) && !validate({ [field]: value }).some((problem) => problem.path[0] === field)
  for (const field of FIELDS) {
    if (!Object.hasOwn(payload, field) || field === 'status') continue
    if (sendable(field, before[field])) body[field] = before[field]
    else if (!empty(known?.[field])) body[field] = known![field]
    else missing.push(field)
  }
  if (missing.length > 0)
    return {
      missing,
      why: `The deployment had no ${missing.join(', ')} before the update, and RTS cannot write an empty value, so the rollback could not put it back. Set 'rollback-payload-file' to a known-good payload that sets ${missing.length === 1 ? 'it' : 'them'}, remove ${missing.length === 1 ? 'it' : 'them'} from the payload, or use 'on-failure: report'.`,
    }
  const fields = Object.keys(body).map((field) => ({
    path: field,
    segments: [field],
    before: payload[field],
    after: body[field],
  }))
  if (payload.status === 'IN_PROGRESS') body.status = 'IN_PROGRESS'
  else if (Object.hasOwn(payload, 'status') && !empty(before.status)) body.status = before.status
  return { body, fields }
}

/** Every problem with the inputs RTS needs (project, region, target, one kind of credential), each naming its input. */
function inputProblems(settings: Settings): Problem[] {
  const problems: Problem[] = []
  const add = (input: string, message: string) => problems.push({ path: [], input, message })
  problems.push(
    ...required(
      'huaweicloud-rts',
      'project-id',
      settings.projectId,
      'the IAM project id of the region (My Credentials → API Credentials in the console).',
    ),
  )
  if (!settings.region && (!settings.baseUrl || (settings.credentials.password && !settings.authUrl))) {
    add(
      'region',
      "Input 'region' is required for huaweicloud-rts, such as cn-north-4: it names the RTS and IAM endpoints.",
    )
  }
  problems.push(
    ...required('huaweicloud-rts', 'target', settings.targets.length > 0, "the software deployment's id (a UUID)."),
  )
  const { token, accessKey, secretKey, securityToken, username, password, domain } = settings.credentials
  const methods = [
    token && 'token',
    (accessKey || secretKey) && 'access-key/secret-key',
    (username || password || domain) && 'username/password/domain',
  ].filter(Boolean)
  if (methods.length === 0)
    problems.push({
      path: [],
      input: 'token',
      message:
        "Huawei Cloud needs credentials: 'access-key' and 'secret-key' (recommended), an IAM 'token', or 'username', 'password' and 'domain'.",
      missingCredential: true,
    })
  if (methods.length > 1) add('token', `Set one kind of Huawei credential, not ${methods.join(' and ')}.`)
  if ((accessKey || secretKey) && !(accessKey && secretKey))
    add(accessKey ? 'secret-key' : 'access-key', "Inputs 'access-key' and 'secret-key' go together for AK/SK signing.")
  if (securityToken && !accessKey)
    add('security-token', "Input 'security-token' goes with a temporary 'access-key' and 'secret-key'.")
  if ((username || password || domain) && !(username && password && domain)) {
    add(
      !username ? 'username' : !password ? 'password' : 'domain',
      "IAM password login needs all of 'username', 'password' and 'domain' (the account name).",
    )
  }
  return problems
}

/** Every problem of the payload, each with its JSON path. */
function validate(payload: PayloadObject): Problem[] {
  const p = new Problems()
  p.knownKeys(payload, [], FIELDS, {
    id: "the id is the 'target' input, not a payload field.",
    server_id: 'read-only: a deployment stays on its server.',
    stack_user_project_id: 'create-only; remove it.',
  })
  if (!FIELDS.some((field) => Object.hasOwn(payload, field)))
    p.add([], `the payload sets no field; set at least one of ${FIELDS.join(', ')}.`)
  if (Object.hasOwn(payload, 'status')) p.oneOf(payload.status, ['status'], STATUSES)
  if (
    Object.hasOwn(payload, 'config_id') &&
    p.string(payload.config_id, ['config_id'], { min: 1 }) &&
    !UUID.test(payload.config_id)
  ) {
    p.add(['config_id'], `'${payload.config_id}' is not a software config id; expected a UUID.`)
  }
  for (const field of ['action', 'status_reason']) if (Object.hasOwn(payload, field)) p.string(payload[field], [field])
  for (const field of ['input_values', 'output_values'])
    if (Object.hasOwn(payload, field)) p.object(payload[field], [field], 'an object of name → value')
  // Heat writes only present, truthy fields: an empty value would silently change nothing.
  for (const field of FIELDS) {
    const value = payload[field]
    const empty = value === '' || value === null || (isPlainObject(value) && Object.keys(value).length === 0)
    if (Object.hasOwn(payload, field) && empty)
      p.add(
        [field],
        `RTS ignores an empty ${field} (it cannot be cleared this way), so sending it would change nothing; remove it.`,
      )
  }
  return p.list
}

/** Plain facts for the summary: action, status, status reason, and each output value (a multi-line one by its last lines). */
function detailsOf(resource: unknown): string[] {
  if (!isPlainObject(resource)) return []
  const lines = [`Action: ${textOf(resource.action ?? '—')}`, `Status: ${textOf(resource.status ?? '—')}`]
  if (resource.status_reason) lines.push(`Status reason: ${textOf(resource.status_reason)}`)
  if (isPlainObject(resource.output_values)) {
    for (const [name, value] of Object.entries(resource.output_values)) {
      const text = typeof value === 'string' ? value.trimEnd() : JSON.stringify(value)
      // A multi-line output (deploy_stdout, deploy_stderr) keeps its line breaks and its last lines, where the error is.
      const all = text.split(/\r\n?|\n/)
      if (all.length === 1) lines.push(`Output ${name}: ${shorten(text, 200)}`)
      else
        lines.push(
          `Output ${name}${all.length > STDERR_LINES ? ` (last ${STDERR_LINES} of ${all.length} lines)` : ''}: ${all
            .slice(-STDERR_LINES)
            .map((line) => shorten(line, 200))
            .join('\n')}`,
        )
    }
  }
  return lines
}

/** RTS replaces input_values and output_values whole: say which keys an update drops (a server's deploy_* signal values among them). */
function droppedKeys(before: Deployment, payload: PayloadObject): string[] {
  const notes: string[] = []
  for (const field of ['input_values', 'output_values']) {
    const old = isPlainObject(before[field]) ? before[field] : {}
    const sent = payload[field]
    if (!isPlainObject(sent)) continue
    const dropped = Object.keys(old).filter((key) => !Object.hasOwn(sent, key))
    if (dropped.length > 0)
      notes.push(
        `RTS replaces ${field} whole: this update dropped ${dropped.join(', ')}. Include them in the payload to keep them.`,
      )
  }
  return notes
}

function deploymentPath(target: string): string {
  return `/software_deployments/${encodeURIComponent(target)}`
}

/**
 * After a write whose answer was lost: the deployment when the PUT took effect, undefined when it
 * did not, and an error when that cannot be told. Decided from the fields that were sent (Heat
 * writes exactly those), not only from updated_time, which may be missing or have whole seconds.
 */
function appliedState(
  now: Deployment,
  before: Deployment,
  payload: PayloadObject,
  target: string,
): Deployment | undefined {
  const sent = FIELDS.filter((field) => field !== 'status' && Object.hasOwn(payload, field))
  if (!sent.every((field) => isEqual(own(now, field), payload[field]))) return undefined // a field sent is not there: not applied
  if (stampMoved(now, before, 'updated_time')) return now
  if (sent.some((field) => !isEqual(own(before, field), payload[field]))) return now // the fields sent are new
  // Only the status, or values the deployment already had: the status tells, unless the agent already moved it on.
  if (payload.status === undefined || now.status === payload.status) return now
  throw new DeployPatchError(
    `The update of software deployment ${target} may have been applied, and reading it cannot tell (its fields already had the values sent and its status is ${JSON.stringify(now.status ?? null).slice(0, 40)}). It was not sent again, so the agent is not run twice: check the deployment in the RTS console, then run again if needed.`,
    'maybe-applied',
  )
}

/** Why an answer is not `{software_deployment: {…}}` of `target`, or undefined. */
function notDeployment(json: unknown, target: string): string | undefined {
  if (!isPlainObject(json) || !isPlainObject(json.software_deployment)) return 'without a software_deployment object'
  const id = json.software_deployment.id
  if (typeof id === 'string' && id.toLowerCase() !== target.toLowerCase())
    return 'with another software deployment, not the one asked for'
  return undefined
}

function unwrap(body: unknown): Deployment {
  if (isPlainObject(body) && isPlainObject(body.software_deployment)) return body.software_deployment
  throw new DeployPatchError('RTS answered without a software_deployment object.', 'invalid-response')
}

/**
 * The PUT of the update and of the rollback. One with status IN_PROGRESS starts the server's agent
 * again, so it is never sent twice blindly: after a lost answer the deployment is read first.
 */
function putOnce(
  ctx: ProviderContext,
  target: string,
  body: PayloadObject,
  before: Deployment,
  what: string,
  words: { applied: string | ((now: Deployment) => string); notApplied: string },
) {
  return writeOnce(
    ctx,
    () =>
      ctx.client.request({
        method: 'PUT',
        path: deploymentPath(target),
        body,
        replay: 'unsafe',
        what,
        expect: (json) => notDeployment(json, target),
      }),
    async () => appliedState(await getDeployment(ctx, target), before, body, target),
    words,
  )
}

async function getDeployment(ctx: ProviderContext, target: string): Promise<Deployment> {
  const response = await ctx.client.request({
    method: 'GET',
    path: deploymentPath(target),
    replay: 'safe',
    what: 'read the software deployment',
    expect: (json) => notDeployment(json, target),
  })
  return unwrap(response.json)
}

/** The write's answer: done only when it says COMPLETE; anything else is read again (FAILED then fails the step there). */
function resultOf(deployment: Deployment): UpdateResult<Deployment> {
  const status = textOf(deployment.status ?? 'unknown')
  return { resource: deployment, providerStatus: status, pending: status !== 'COMPLETE' }
}

/** FAILED, with the reason, the exit code and the tail of the agent's stderr. */
function failureMessage(deployment: Deployment): string {
  const outputs = isPlainObject(deployment.output_values) ? deployment.output_values : {}
  const code =
    outputs.deploy_status_code !== undefined ? ` (deploy_status_code ${textOf(outputs.deploy_status_code)})` : ''
  const reason = deployment.status_reason ? `: ${textOf(deployment.status_reason)}` : ''
  const stderr =
    typeof outputs.deploy_stderr === 'string'
      ? outputs.deploy_stderr.trimEnd().split('\n').slice(-STDERR_LINES).join('\n')
      : ''
  return `The software deployment ended FAILED${reason}${code}. Fix the software config or the server, then run again.${stderr ? `\nLast lines of deploy_stderr:\n${stderr}` : ''}`
}

/** Add X-Sdk-Date, host and the project id, then the SDK-HMAC-SHA256 Authorization; every attempt is signed afresh. */
function signRequest(
  request: OutgoingRequest,
  settings: Settings,
  accessKey: string,
  secretKey: string,
  securityToken?: string,
): void {
  const headers = request.headers
  headers.host = request.url.host
  headers['x-sdk-date'] = sdkDate(new Date())
  if (settings.projectId) headers['x-project-id'] = settings.projectId
  if (securityToken) headers['x-security-token'] = securityToken
  const signed = ['host', 'x-sdk-date', 'x-project-id', 'x-security-token', 'content-type'].filter(
    (name) => headers[name] !== undefined,
  )
  headers.authorization = authorization(request, accessKey, secretKey, signed)
}

/** IAM password login scoped to the project; the token comes back in X-Subject-Token. */
async function passwordLogin(ctx: ConnectContext): Promise<string> {
  const { settings } = ctx
  const { username, password, domain } = settings.credentials
  const base = settings.authUrl ?? new URL(`https://iam.${settings.region}.myhuaweicloud.com`)
  const iam = ctx.clientFor(
    new URL(base.origin + base.pathname.replace(/\/+$/, '').replace(/\/v3$/, '')),
    parseHuaweiError,
  )
  try {
    const response = await ctx.log.group('IAM password login', () =>
      iam.request({
        method: 'POST',
        path: '/v3/auth/tokens',
        body: {
          auth: {
            identity: {
              methods: ['password'],
              password: { user: { name: username, password, domain: { name: domain } } },
            },
            scope: { project: settings.projectId ? { id: settings.projectId } : { name: settings.region } },
          },
        },
        replay: 'safe', // issuing a second token is harmless
        what: 'log in to IAM',
      }),
    )
    const token = response.headers['x-subject-token']
    if (typeof token !== 'string' || token === '')
      throw new DeployPatchError('IAM answered the login without an X-Subject-Token header.', 'invalid-response')
    return token
  } finally {
    iam.dispose()
  }
}

/** Huawei's `{error_code, error_msg, request_id}`, Heat's `{code, title, explanation, error: {type, message}}` or Keystone's `{error: {code, message, title}}`. */
function parseHuaweiError(status: number, body: unknown): ErrorDetails {
  if (!isPlainObject(body)) return { type: '', message: '' }
  if (typeof body.error_code === 'string') {
    return {
      type: body.error_code,
      message: `${body.error_code}: ${textOf(body.error_msg ?? '')}`,
      requestId: typeof body.request_id === 'string' ? body.request_id : undefined,
    }
  }
  if (isPlainObject(body.error)) {
    const type = textOf(body.error.type ?? body.error.title ?? body.title ?? `http-${status}`)
    const message = textOf(body.error.message ?? body.explanation ?? '')
    return { type, message: `${type}: ${message}` }
  }
  return { type: '', message: typeof body.message === 'string' ? body.message : '' }
}

function shorten(text: string, max: number): string {
  const chars = Array.from(text)
  return chars.length > max ? `${chars.slice(0, max - 1).join('')}…` : text
}
