/**
 * Aieev container endpoints (https://docs.aieev.com/api-reference/): `PATCH …/endpoints/{id}` with the settings. A
 * successful PATCH leaves the endpoint inactive, so unless `restart: false` deploy-patch starts
 * it (`POST …/start`) and reads `GET …/endpoints/{id}` until it is active, RUNNING and no replica
 * is STARTING. The wait is bounded by `timeout` and by the endpoint's own health_check_timeout
 * plus a margin, after which Aieev itself calls the deploy failed.
 * Every env var value is a secret: masked before anything is logged and shown as `***`.
 */
import { ApiError, DeployFailedError, DeployPatchError, type Problem } from '../errors.js'
import { sleep } from '../deadline.js'
import type { ErrorDetails } from '../http/client.js'
import type { PayloadObject } from '../payload.js'
import type { Settings } from '../settings.js'
import { isLoopbackHost } from '../url.js'
import { isEqual, isPlainObject } from '../diff.js'
import { textOf } from '../text.js'
import { Problems } from '../validate.js'
import type { Provider, ProviderContext, RestorePlan } from './provider.js'
import {
  apiBase,
  bearerAuth,
  checkTargets,
  fieldChanges,
  objectOf,
  required,
  requiredCredential,
  stampMoved,
  unitPerTarget,
  writeOnce,
} from './shared.js'

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

/** An Aieev endpoint as the API returns it. */
type Endpoint = Record<string, unknown>
const VOLATILE = ['updated_at', 'replica_status_summary', 'num_replicas']

export const aieev: Provider<Endpoint> = {
  name: 'aieev',

  check(settings, payload) {
    return [
      ...requiredCredential(
        'aieev',
        'token',
        settings.credentials.token,
        "an API key from the project's API keys menu, passed from a secret.",
      ),
      ...required('aieev', 'target', settings.targets.length > 0, 'the endpoint id.'),
      ...checkTargets('aieev', settings.targets, (target) =>
        /^[A-Za-z0-9][A-Za-z0-9_-]{0,127}$/.test(target)
          ? undefined
          : `'${target}' is not an Aieev endpoint id; expected letters, digits, '-' and '_' (such as a UUID).`,
      ),
      ...(payload ? validate(payload) : []),
    ]
  },

  units: (settings) => unitPerTarget(settings),

  secrets(payload) {
    const vars = Array.isArray(payload.container_env_vars) ? payload.container_env_vars : []
    // Values with their keys, and whole entries that are not objects ("KEY=secret", also its value under its key), wherever they stand.
    return vars.flatMap((entry) => {
      if (isPlainObject(entry))
        return entry.value !== undefined && entry.value !== null
          ? [{ key: typeof entry.key === 'string' ? entry.key : undefined, value: textOf(entry.value) }]
          : []
      const pair = typeof entry === 'string' ? /^([^=]+)=(.+)$/s.exec(entry) : null
      return [{ key: pair?.[1], value: textOf(entry) }, ...(pair ? [{ key: pair[1], value: pair[2]! }] : [])]
    })
  },

  connect(ctx) {
    return Promise.resolve({
      baseUrl: apiBase(ctx.settings.baseUrl ?? new URL(DEFAULT_ORIGIN), API_PREFIX),
      authorize: bearerAuth(ctx),
      parseError,
    })
  },

  advise(error, unit) {
    const target = unit?.id
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

  async read(ctx, { id }) {
    return getEndpoint(ctx, id)
  },

  restore: {
    plan: restorePlan,
    async write(ctx, { id: target }, body, now) {
      // The same guarded PATCH as the update's.
      const sent = await patchOnce(ctx, target, body, now, 'put the previous settings back', {
        applied: 'The previous settings had been put back (the endpoint shows it): not sending them again.',
        notApplied: 'The previous settings had not been put back (the endpoint is unchanged): sending them once more.',
      })
      const saved = { ...now, ...('state' in sent ? sent.state : objectOf(sent.response.json)) }
      await startEndpoint(ctx, target)
      return { resource: saved, providerStatus: 'STARTING', pending: true, maxWaitMs: waitBound(saved) }
    },
  },

  async update(ctx, { id: target }, payload, before) {
    const sent = await patchOnce(ctx, target, payload, before, 'save the endpoint settings', {
      applied: 'The settings had been saved (the endpoint shows it): not sending them again.',
      notApplied:
        'The settings had not been saved (the endpoint is unchanged and still active): sending them once more.',
    })
    const saved = { ...before, ...('state' in sent ? sent.state : objectOf(sent.response.json)) }
    const result = 'state' in sent ? {} : { httpStatus: sent.response.status, requestId: sent.response.requestId }
    if (!ctx.settings.restart) {
      // The PATCH answer has the settings but not the state: read the state it left.
      const after = { ...saved, ...(await getEndpoint(ctx, target)) }
      return {
        ...result,
        resource: after,
        providerStatus: statusOf(after) ?? 'inactive',
        pending: false,
        notes: [
          "The endpoint is inactive: saving settings stops it, and 'restart' is false, so it was not started. Start it from the Aieev console (or run again with restart: true) before it serves again.",
        ],
      }
    }
    // Saved, and stopped by the save: a start refused from here on leaves the new settings down.
    ctx.applied?.(saved)
    await startEndpoint(ctx, target)
    return { ...result, resource: saved, providerStatus: 'STARTING', pending: true, maxWaitMs: waitBound(saved) }
  },

  async poll(ctx, { id: target }, last) {
    // Success comes from this read alone; the settings the PATCH answered are kept only to show them.
    const read = await getEndpoint(ctx, target)
    const endpoint = { ...last.resource, ...read }
    if (!Object.hasOwn(read, 'replica_status_summary')) delete endpoint.replica_status_summary
    const status = String(read.status)
    const summary = isPlainObject(read.replica_status_summary) ? read.replica_status_summary : {}
    const starting = Object.hasOwn(summary, 'STARTING') ? Number(summary.STARTING) : 0
    if (/FAIL/i.test(status) || status === 'UNHEALTHY') {
      throw new DeployFailedError(
        `The endpoint did not come up: its status is ${status}. The settings were saved; check the container's start command, port and health check path in the Aieev console, fix the payload, and run again.`,
        status,
        endpoint,
      )
    }
    // A read older than the PATCH (a cache or gateway replaying the endpoint as it was) is no sign
    // that the new settings serve: it must carry an updated_at no older than the PATCH left.
    const savedAt = last.resource.updated_at
    const current =
      typeof savedAt !== 'string' ||
      (typeof read.updated_at === 'string' && !(Date.parse(read.updated_at) < Date.parse(savedAt)))
    const serving = read.is_active === true && status === 'RUNNING' && starting === 0 && current
    return serving
      ? { state: 'done', providerStatus: status, value: endpoint }
      : { state: 'pending', providerStatus: status, value: endpoint }
  },

  changes(before, after, payload) {
    // The documented GET has no settings; where the GET before lacked one, only a setting that was sent can have changed.
    return fieldChanges(before, after, VOLATILE, hideEnvValues).filter((change) => {
      const field = String(change.segments[0])
      return (
        !(FIELDS as readonly string[]).includes(field) || Object.hasOwn(before, field) || Object.hasOwn(payload, field)
      )
    })
  },

  plan(ctx, { id }, before, payload) {
    const request = {
      method: 'PATCH',
      url: ctx.client.url(endpointPath(id)).href,
      headers: { authorization: 'Bearer ***', 'content-type': 'application/json' },
      body: hideEnvValues(payload),
    }
    return { request, after: { ...before, ...payload, is_active: false } }
  },

  view(resource, { unit, settings }) {
    const shown = hideEnvValues(resource)
    // The endpoint's own serving address: where the deployed container answers.
    const url = servingUrl(shown.serving_endpoint_url, settings)
    return {
      status: statusOf(resource),
      notes:
        resource.is_active === false && resource.status !== undefined && resource.status !== 'STOPPED'
          ? [`The endpoint is inactive (status ${textOf(resource.status)}).`]
          : [],
      shown,
      link: url ? { url, label: `Open the serving URL of endpoint ${unit.id}` } : undefined,
    }
  },
}

/** The endpoint's own bound for a start: its health_check_timeout plus a margin, when it has one. */
function waitBound(saved: Endpoint): number | undefined {
  const healthCheckSeconds = Number(saved.health_check_timeout)
  return Number.isFinite(healthCheckSeconds) && healthCheckSeconds > 0
    ? healthCheckSeconds * 1_000 + WAIT_MARGIN_MS
    : undefined
}

/**
 * The rollback's PATCH: for each setting the payload sets, its value in the GET before the update
 * when the live API returns it (the documented GET does not; env vars only with every value
 * readable), else its value in the known-good payload; a setting in neither is missing.
 */
function restorePlan(before: Endpoint, payload: PayloadObject, known: PayloadObject | undefined): RestorePlan {
  const body: PayloadObject = {}
  const missing: string[] = []
  for (const field of FIELDS) {
    if (payload[field] === undefined || payload[field] === null) continue
    if (readable(field, before[field])) body[field] = before[field]
    else if (known?.[field] !== undefined && known[field] !== null) body[field] = known[field]
    else missing.push(field)
  }
  if (missing.length > 0)
    return {
      missing,
      why: `Aieev's GET of the endpoint does not return ${missing.join(', ')}, so the values to put back are not known${known ? ' (the known-good payload does not set them either)' : ''}. Set 'rollback-payload-file' to a known-good payload that sets them, typically the previous release's file (git show <previous tag>:deploy/aieev.yaml), or use 'on-failure: report'.`,
    }
  const [sent, restored] = [hideEnvValues(payload), hideEnvValues(body)]
  const fields = Object.keys(body).map((field) => ({
    path: field,
    segments: [field],
    before: sent[field],
    after: restored[field],
  }))
  return { body, fields }
}

/**
 * Whether a setting as a GET returned it can be sent back: present, not null, a value the payload
 * check would take in that field (a server's answer is not trusted to be one), and env vars with
 * every value readable.
 */
function readable(field: string, value: unknown): boolean {
  if (value === undefined || value === null) return false
  if (validate({ [field]: value }).some((problem) => problem.path[0] === field)) return false
  if (field !== 'container_env_vars') return true
  return (
    Array.isArray(value) &&
    value.every(
      (entry: unknown) =>
        isPlainObject(entry) &&
        typeof entry.key === 'string' &&
        typeof entry.value === 'string' &&
        !/^\*+$/.test(entry.value),
    )
  )
}

/** Every problem of the payload, each with its JSON path. */
function validate(payload: PayloadObject): Problem[] {
  const p = new Problems()
  p.knownKeys(payload, [], FIELDS, {
    endpoint_id: "the id is the 'target' input, not a payload field.",
    is_active: "read-only; deploy-patch starts the endpoint itself (see 'restart').",
    name: 'read-only; remove it.',
  })
  if (!FIELDS.some((field) => payload[field] !== undefined && payload[field] !== null))
    p.add([], `the payload sets no field; set at least one of ${FIELDS.join(', ')}.`)
  const optional = (field: string, check: (value: unknown) => void) => {
    if (payload[field] !== undefined && payload[field] !== null) check(payload[field])
  }
  optional('container_start_command', (v) => p.string(v, ['container_start_command'], { min: 1 }))
  optional('container_port', (v) => p.integer(v, ['container_port'], { min: 1, max: 65535 }))
  optional('container_health_check_timeout', (v) => p.integer(v, ['container_health_check_timeout'], { min: 1 }))
  optional('health_check_timeout', (v) => p.integer(v, ['health_check_timeout'], { min: 1 }))
  for (const field of ['container_health_check_path', 'container_metric_path']) {
    optional(field, (v) => {
      if (p.string(v, [field], { min: 1 }) && !v.startsWith('/'))
        p.add([field], `'${v}' must start with '/', such as /healthz.`)
    })
  }
  optional('container_env_vars', (v) => {
    const keys = new Map<string, number>()
    p.array(v, ['container_env_vars'])?.forEach((entry, i) => {
      // Never quote an entry that is not an object: "KEY=secret" is a value too.
      if (!isPlainObject(entry))
        return p.add(
          ['container_env_vars', i],
          'expected an object {key, value} (the entry is not shown: it may hold a secret).',
        )
      const object = entry
      p.knownKeys(object, ['container_env_vars', i], ['key', 'value'])
      if (p.string(object.key, ['container_env_vars', i, 'key'], { min: 1 })) {
        if (keys.has(object.key))
          p.add(
            ['container_env_vars', i, 'key'],
            `the key '${object.key}' is also set at $.container_env_vars[${keys.get(object.key)}]; set each variable once.`,
          )
        keys.set(object.key, i)
      }
      // The value's own text never goes into a message: it is a secret.
      if (typeof object.value !== 'string')
        p.add(
          ['container_env_vars', i, 'value'],
          `expected the value as a string${object.value === undefined ? ', got nothing' : ' (quote it)'}.`,
        )
    })
  })
  return p.list
}

/** A copy of an endpoint or a payload fit to show: every env var value replaced by `***`. */
function hideEnvValues<T>(value: T): T {
  if (!isPlainObject(value) || !Array.isArray(value.container_env_vars)) return value
  return {
    ...value,
    container_env_vars: value.container_env_vars.map((entry: unknown) =>
      isPlainObject(entry) ? { ...entry, value: '***' } : entry,
    ),
  }
}

/** Aieev's `{detail: text}`, FastAPI's `{detail: [{loc, msg, type}]}`, or a gateway's HTML or text. */
function parseError(status: number, body: unknown, text: string): ErrorDetails {
  if (isPlainObject(body) && typeof body.detail === 'string') return { type: `http-${status}`, message: body.detail }
  if (isPlainObject(body) && Array.isArray(body.detail)) {
    const parts = body.detail.map((item) => {
      if (!isPlainObject(item)) return JSON.stringify(item)
      const where = Array.isArray(item.loc) ? item.loc.filter((part) => part !== 'body').join('.') : ''
      return `${where ? `${where}: ` : ''}${textOf(item.msg ?? '')}`
    })
    const first: unknown = body.detail[0]
    return {
      type: isPlainObject(first) && typeof first.type === 'string' ? first.type : 'validation_error',
      message: parts.join('; '),
    }
  }
  // A gateway's HTML or plain text: its words, without markup.
  const plain = text
    .replace(/<[^>]*>/g, ' ')
    .replace(/\s+/g, ' ')
    .trim()
  return { type: `http-${status}`, message: plain.slice(0, 200) }
}

/**
 * The serving URL to link to: https, or plain http on a loopback host when the API itself was
 * reached on loopback (an emulator or a tunnel on this machine), as for 'base-url'. Anything else
 * (http to another host, another scheme, credentials in the URL, not a URL) is not linked.
 */
function servingUrl(value: unknown, settings: Settings): string | undefined {
  if (typeof value !== 'string') return undefined
  let url: URL
  try {
    url = new URL(value)
  } catch {
    return undefined
  }
  if (url.username || url.password) return undefined
  const localApi = settings.baseUrl !== undefined && isLoopbackHost(settings.baseUrl.hostname)
  if (url.protocol === 'https:' || (url.protocol === 'http:' && isLoopbackHost(url.hostname) && localApi))
    return url.href
  return undefined
}

function endpointPath(target: string): string {
  return `/endpoints/${encodeURIComponent(target)}`
}

/**
 * The settings PATCH of the update and of the rollback, never sent twice blindly: no idempotency
 * key, so after a lost answer it is read first, and it took effect if the endpoint shows the
 * settings sent (or its updated_at moved).
 */
function patchOnce(
  ctx: ProviderContext,
  target: string,
  body: PayloadObject,
  before: Endpoint,
  what: string,
  words: { applied: string; notApplied: string },
) {
  return writeOnce(
    ctx,
    () =>
      ctx.client.request({
        method: 'PATCH',
        path: endpointPath(target),
        body,
        replay: 'unsafe',
        what,
        expect: (json) => notEndpoint(json, target, false) ?? notSaved(objectOf(json), body),
      }),
    async () => savedState(await getEndpoint(ctx, target), before, body, target),
    words,
  )
}

async function getEndpoint(ctx: ProviderContext, target: string): Promise<Endpoint> {
  const response = await ctx.client.request({
    method: 'GET',
    path: endpointPath(target),
    replay: 'safe',
    what: 'read the endpoint',
    expect: (json) => notEndpoint(json, target, true),
  })
  return objectOf(response.json)
}

/** Why an answer is not endpoint `target` (with its status, for a read), or undefined. */
function notEndpoint(json: unknown, target: string, read: boolean): string | undefined {
  if (!isPlainObject(json))
    return json === undefined ? 'with no body, not the endpoint' : 'with something other than the endpoint object'
  if (typeof json.endpoint_id !== 'string') return 'without the endpoint id'
  if (json.endpoint_id.toLowerCase() !== target.toLowerCase()) return 'with another endpoint, not the one asked for'
  if (read && typeof json.status !== 'string') return 'the endpoint without its status'
  return undefined
}

/**
 * The PATCH answer echoes the settings it saved (Aieev API reference: `{endpoint_id, …fields, updated_at}`):
 * one that shows none of the settings sent, or another value for one, is not the answer to this
 * PATCH (an endpoint read passed off as one), so the write's outcome is unknown and is read back.
 * Env var values may come back hidden, so only their presence counts.
 */
function notSaved(answer: Endpoint, payload: PayloadObject): string | undefined {
  const sent = FIELDS.filter(
    (field) => Object.hasOwn(payload, field) && payload[field] !== null && payload[field] !== undefined,
  )
  const shown = sent.filter((field) => Object.hasOwn(answer, field))
  if (sent.length > 0 && shown.length === 0) return 'without any of the settings sent'
  const other = shown.find((field) => field !== 'container_env_vars' && !isEqual(answer[field], payload[field]))
  return other ? `with ${other} other than the value sent` : undefined
}

/**
 * After a PATCH whose answer was lost: the endpoint when the settings were saved, undefined when
 * they were not, an error when that cannot be told. The documented GET has no settings, so it
 * decides from what it has: settings sent when it shows them, updated_at moving, or the endpoint
 * going inactive (a saved PATCH always stops it).
 */
function savedState(now: Endpoint, before: Endpoint, payload: PayloadObject, target: string): Endpoint | undefined {
  const shown = FIELDS.filter((field) => Object.hasOwn(payload, field) && Object.hasOwn(now, field))
  const matches = (field: string, value: unknown) =>
    field === 'container_env_vars' ? isEqual(envKeys(value), envKeys(payload[field])) : isEqual(value, payload[field])
  if (!shown.every((field) => matches(field, now[field]))) return undefined
  if (shown.some((field) => !Object.hasOwn(before, field) || !matches(field, before[field]))) return now
  if (stampMoved(now, before, 'updated_at')) return now
  if (before.is_active === true && now.is_active === false) return now
  if (before.is_active === true && now.is_active === true) return undefined
  throw new DeployPatchError(
    `The settings of endpoint ${target} may have been saved, and reading it cannot tell (it was already inactive and its updated_at did not move). They were not sent again: check the endpoint's settings in the Aieev console, then run again if needed.`,
    'maybe-applied',
  )
}

/** The keys of a container_env_vars list (values may be hidden in a read). */
function envKeys(value: unknown): unknown {
  return Array.isArray(value) ? value.map((entry: unknown) => (isPlainObject(entry) ? entry.key : entry)) : value
}

/**
 * Start the endpoint. A 409 normally means "already started"; but when a read shows it still
 * STOPPED and inactive, it is started once more, and a second 409 fails the step at once
 * instead of waiting to the deadline for an endpoint that will not come up.
 */
async function startEndpoint(ctx: ProviderContext, target: string): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    try {
      await ctx.client.request({
        method: 'POST',
        path: `${endpointPath(target)}/start`,
        replay: 'safe',
        what: 'start the endpoint',
      })
      return
    } catch (error) {
      if (error instanceof ApiError && error.httpStatus === 409) {
        const now = await getEndpoint(ctx, target)
        if (now.is_active !== false || now.status !== 'STOPPED') {
          ctx.log.info('The endpoint was already starting.')
          return
        }
        if (attempt === 0) {
          ctx.log.info('The start call answered HTTP 409, yet the endpoint is STOPPED: starting it once more.')
          await sleep(ctx.settings.pollIntervalMs, ctx.signal)
          continue
        }
        throw startRefused(
          error,
          `The settings were saved, but the endpoint could not be started: the start call answered HTTP 409 twice while the endpoint stayed STOPPED (inactive). Start it from the Aieev console and check why it does not start.`,
        )
      }
      if (error instanceof ApiError && (error.httpStatus === 404 || error.httpStatus === 405)) {
        throw startRefused(
          error,
          `The settings were saved, but the endpoint could not be started: the start call answered HTTP ${error.httpStatus}, so this Aieev API has no start operation. The endpoint is inactive: start it from the Aieev console, or run with restart: false to only save settings.`,
        )
      }
      throw error
    }
  }
}

/**
 * The start call's refusal as what it means here (the settings were saved, the endpoint is not
 * started): a new error in this provider's words, with the answer's status, type and request id.
 */
function startRefused(error: ApiError, message: string): ApiError {
  const { httpStatus, errorType, requestId, body } = error
  return new ApiError({ httpStatus, errorType, requestId, body, message })
}

function statusOf(resource: Endpoint): string | undefined {
  if (typeof resource.status === 'string') return resource.status
  return resource.is_active === false ? 'inactive' : undefined
}
