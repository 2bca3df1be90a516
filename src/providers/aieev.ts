/**
 * Aieev container endpoints (providers.md §4): `PATCH …/endpoints/{id}` with the settings. A
 * successful PATCH leaves the endpoint inactive, so unless `restart: false` deploy-patch starts
 * it (`POST …/start`) and reads `GET …/endpoints/{id}` until it is active, RUNNING and no replica
 * is STARTING. The wait is bounded by `timeout` and by the endpoint's own health_check_timeout
 * plus a margin, after which Aieev itself calls the deploy failed.
 * Every env var value is a secret: masked before anything is logged and shown as `***`.
 */
import { ApiError, DeployFailedError, type Problem } from '../errors.js'
import type { ErrorDetails } from '../http/client.js'
import type { PayloadObject } from '../payload.js'
import { diff, isPlainObject, type Change } from '../diff.js'
import { Problems } from '../validate.js'
import { apiBase, bearerAuth, writeOnce, type Provider, type ProviderContext, type UpdateResult } from './provider.js'

const DEFAULT_ORIGIN = 'https://external.aieev.cloud:5007'
const API_PREFIX = '/external/api/v1'
const FIELDS = [
  'container_start_command',
  'container_env_vars',
  'container_port',
  'container_health_check_path',
  'container_health_check_timeout',
  'health_check_timeout',
  'container_metric_path',
] as const
/** Added to health_check_timeout: Aieev needs a moment to report the failure it decided on. */
const WAIT_MARGIN_MS = 60_000
type Endpoint = Record<string, unknown>

export const aieev: Provider = {
  name: 'aieev',
  volatile: ['updated_at', 'replica_status_summary', 'num_replicas'],

  baseUrl(settings) {
    return apiBase(settings.baseUrl ?? new URL(DEFAULT_ORIGIN), API_PREFIX)
  },

  checkInputs(settings) {
    const problems: Problem[] = []
    if (!settings.credentials.token) problems.push({ path: [], input: 'token', message: "Input 'token' is required for aieev: an API key from the project's API keys menu, passed from a secret." })
    if (settings.targets.length === 0) problems.push({ path: [], input: 'target', message: "Input 'target' is required for aieev: the endpoint id." })
    return problems
  },

  checkTarget(target) {
    return /^[A-Za-z0-9][A-Za-z0-9_-]{0,127}$/.test(target) ? undefined : `'${target}' is not an Aieev endpoint id; expected letters, digits, '-' and '_' (such as a UUID).`
  },

  validate(payload) {
    const p = new Problems()
    p.knownKeys(payload, [], FIELDS, { endpoint_id: "the id is the 'target' input, not a payload field.", is_active: "read-only; deploy-patch starts the endpoint itself (see 'restart').", name: 'read-only; remove it.' })
    if (!FIELDS.some((field) => payload[field] !== undefined && payload[field] !== null)) p.add([], `the payload sets no field; set at least one of ${FIELDS.join(', ')}.`)
    const optional = (field: string, check: (value: unknown) => void) => {
      if (payload[field] !== undefined && payload[field] !== null) check(payload[field])
    }
    optional('container_start_command', (v) => p.string(v, ['container_start_command'], { min: 1 }))
    optional('container_port', (v) => p.integer(v, ['container_port'], { min: 1, max: 65535 }))
    optional('container_health_check_timeout', (v) => p.integer(v, ['container_health_check_timeout'], { min: 1 }))
    optional('health_check_timeout', (v) => p.integer(v, ['health_check_timeout'], { min: 1 }))
    for (const field of ['container_health_check_path', 'container_metric_path']) {
      optional(field, (v) => {
        if (p.string(v, [field], { min: 1 }) && !v.startsWith('/')) p.add([field], `'${v}' must start with '/', such as /healthz.`)
      })
    }
    optional('container_env_vars', (v) => {
      const keys = new Map<string, number>()
      p.array(v, ['container_env_vars'])?.forEach((entry, i) => {
        // Never quote an entry that is not an object: "KEY=secret" is a value too.
        if (!isPlainObject(entry)) return p.add(['container_env_vars', i], 'expected an object {key, value} (the entry is not shown: it may hold a secret).')
        const object = entry
        p.knownKeys(object, ['container_env_vars', i], ['key', 'value'])
        if (p.string(object.key, ['container_env_vars', i, 'key'], { min: 1 })) {
          if (keys.has(object.key)) p.add(['container_env_vars', i, 'key'], `the key '${object.key}' is also set at $.container_env_vars[${keys.get(object.key)}]; set each variable once.`)
          keys.set(object.key, i)
        }
        // The value's own text never goes into a message: it is a secret.
        if (typeof object.value !== 'string') p.add(['container_env_vars', i, 'value'], `expected the value as a string${object.value === undefined ? ', got nothing' : ' (quote it)'}.`)
      })
    })
    return p.list
  },

  secretsIn(payload) {
    const vars = Array.isArray(payload.container_env_vars) ? payload.container_env_vars : []
    // Values, and whole entries that are not objects ("KEY=secret"), wherever they stand.
    return vars.flatMap((entry) => (isPlainObject(entry) ? (entry.value !== undefined && entry.value !== null ? [typeof entry.value === 'string' ? entry.value : JSON.stringify(entry.value)] : []) : [typeof entry === 'string' ? entry : JSON.stringify(entry)]))
  },

  redact(value) {
    if (!isPlainObject(value) || !Array.isArray(value.container_env_vars)) return value
    return { ...value, container_env_vars: value.container_env_vars.map((entry) => (isPlainObject(entry) ? { ...entry, value: '***' } : entry)) }
  },

  authorize: bearerAuth,

  parseError(status, body, text): ErrorDetails {
    if (isPlainObject(body) && typeof body.detail === 'string') return { type: `http-${status}`, message: body.detail }
    if (isPlainObject(body) && Array.isArray(body.detail)) {
      const parts = body.detail.map((item) => {
        if (!isPlainObject(item)) return JSON.stringify(item)
        const where = Array.isArray(item.loc) ? item.loc.filter((part) => part !== 'body').join('.') : ''
        return `${where ? `${where}: ` : ''}${String(item.msg ?? '')}`
      })
      const first = body.detail[0]
      return { type: isPlainObject(first) && typeof first.type === 'string' ? first.type : 'validation_error', message: parts.join('; ') }
    }
    // A gateway's HTML or plain text: its words, without markup.
    const plain = text.replace(/<[^>]*>/g, ' ').replace(/\s+/g, ' ').trim()
    return { type: `http-${status}`, message: plain.slice(0, 200) }
  },

  advise(error: ApiError, target: string) {
    switch (error.httpStatus) {
      case 401:
        return "Aieev refused the API key: create a new one in the project's API keys menu and update the secret passed as 'token'."
      case 403:
        return `The API key may not change endpoint ${target}: use a key of the project that owns it.`
      case 404:
        return `No endpoint ${target}: check 'target' (the endpoint id) and that the key belongs to its project.`
      case 400:
      case 422:
        return 'Aieev refused the settings: fix the field it names in the payload and run again.'
      default:
        return undefined
    }
  },

  async read(ctx, target) {
    return getEndpoint(ctx, target)
  },

  async update(ctx: ProviderContext, target: string, payload: PayloadObject, before: unknown): Promise<UpdateResult> {
    // No idempotency key: a PATCH whose answer was lost took effect if the endpoint's updated_at moved.
    const sent = await writeOnce(
      ctx,
      () => ctx.client.request({ method: 'PATCH', path: endpointPath(target), body: payload, replay: 'unsafe', what: 'save the endpoint settings' }),
      async () => {
        const now = await getEndpoint(ctx, target)
        return now.updated_at !== (before as Endpoint).updated_at ? now : undefined
      },
      { applied: 'The settings had been saved (updated_at moved): not sending them again.', notApplied: 'The settings had not been saved: sending them once more.' },
    )
    const saved = { ...(before as Endpoint), ...('state' in sent ? sent.state : (sent.response.json as Endpoint)) }
    const result = 'state' in sent ? {} : { httpStatus: sent.response.status, requestId: sent.response.requestId }
    if (!ctx.settings.restart) {
      // The PATCH answer has the settings but not the state: read the state it left.
      const after = { ...saved, ...(await getEndpoint(ctx, target)) }
      return {
        ...result,
        resource: after,
        providerStatus: statusOf(after) ?? 'inactive',
        pending: false,
        notes: ["The endpoint is inactive: saving settings stops it, and 'restart' is false, so it was not started. Start it from the Aieev console (or run again with restart: true) before it serves again."],
      }
    }
    try {
      // Starting twice is harmless: an endpoint already started answers 409, which means "started".
      await ctx.client.request({ method: 'POST', path: `${endpointPath(target)}/start`, replay: 'safe', what: 'start the endpoint' })
    } catch (error) {
      if (error instanceof ApiError && error.httpStatus === 409) ctx.log.info('The endpoint was already starting.')
      else if (error instanceof ApiError && (error.httpStatus === 404 || error.httpStatus === 405)) {
        error.message = `The settings were saved, but the endpoint could not be started: the start call answered HTTP ${error.httpStatus}, so this Aieev API has no start operation. The endpoint is inactive: start it from the Aieev console, or run with restart: false to only save settings.`
        throw error
      } else throw error
    }
    const healthCheckSeconds = Number(saved.health_check_timeout)
    return {
      ...result,
      resource: saved,
      providerStatus: 'STARTING',
      pending: true,
      maxWaitMs: Number.isFinite(healthCheckSeconds) && healthCheckSeconds > 0 ? healthCheckSeconds * 1_000 + WAIT_MARGIN_MS : undefined,
    }
  },

  async poll(ctx, target, last) {
    const endpoint = { ...(last.resource as Endpoint), ...(await getEndpoint(ctx, target)) }
    const status = String(endpoint.status ?? 'unknown')
    const starting = isPlainObject(endpoint.replica_status_summary) ? Number(endpoint.replica_status_summary.STARTING ?? 0) : 0
    if (/FAIL/i.test(status) || status === 'UNHEALTHY') {
      throw new DeployFailedError(
        `The endpoint did not come up: its status is ${status}. The settings were saved; check the container's start command, port and health check path in the Aieev console, fix the payload, and run again.`,
        status,
        endpoint,
      )
    }
    const serving = endpoint.is_active === true && status === 'RUNNING' && starting === 0
    return serving ? { state: 'done', providerStatus: status, value: endpoint } : { state: 'pending', providerStatus: status, value: endpoint }
  },

  changes(before, after, payload): Change[] {
    // The documented GET has no settings; where the GET before lacked one, only a setting that was sent can have changed.
    const known = isPlainObject(before) ? before : {}
    return diff(before, after, this.volatile).filter((change) => {
      const field = String(change.segments[0])
      return !(FIELDS as readonly string[]).includes(field) || Object.hasOwn(known, field) || Object.hasOwn(payload, field)
    })
  },

  preview(before, payload) {
    return { ...(isPlainObject(before) ? before : {}), ...payload, is_active: false }
  },

  describeRequest(ctx, target, payload) {
    return { method: 'PATCH', url: ctx.client.url(endpointPath(target)).href, headers: { authorization: 'Bearer ***', 'content-type': 'application/json' }, body: payload }
  },

  consoleUrl(_target, _settings, resource) {
    // The endpoint's own serving address: where the deployed container answers.
    return isPlainObject(resource) && typeof resource.serving_endpoint_url === 'string' && /^https:\/\//.test(resource.serving_endpoint_url) ? resource.serving_endpoint_url : undefined
  },

  statusOf,

  notes(resource) {
    return isPlainObject(resource) && resource.is_active === false && resource.status !== undefined && resource.status !== 'STOPPED' ? [`The endpoint is inactive (status ${String(resource.status)}).`] : []
  },
}

function endpointPath(target: string): string {
  return `/endpoints/${encodeURIComponent(target)}`
}

async function getEndpoint(ctx: ProviderContext, target: string): Promise<Endpoint> {
  const response = await ctx.client.request({ method: 'GET', path: endpointPath(target), replay: 'safe', what: 'read the endpoint' })
  return isPlainObject(response.json) ? response.json : {}
}

function statusOf(resource: unknown): string | undefined {
  if (!isPlainObject(resource)) return undefined
  if (typeof resource.status === 'string') return resource.status
  return resource.is_active === false ? 'inactive' : undefined
}

