/**
 * Qoder Cloud scheduled-agent Deployments (https://docs.qoder.com/cloud-agents/api/deployments/update): a merge-patch `POST` to
 * `/deployments/{id}` whose 200 body is the final resource. No async part; a GET before the
 * write gives the diff's before side. One Idempotency-Key per update, reused across retries,
 * so a retried write is replayed by Qoder, never applied twice.
 */
import { randomUUID } from 'node:crypto'
import { Cron } from 'croner'
import { messageOf, type Problem } from '../errors.js'
import type { ErrorDetails } from '../http/client.js'
import type { PayloadObject } from '../payload.js'
import type { Settings } from '../settings.js'
import { isPlainObject, mergePatch } from '../diff.js'
import { textOf } from '../text.js'
import { Problems, type Path } from '../validate.js'
import type { Provider } from './provider.js'
import { QODER_REGIONS } from './qoder-regions.js'
import {
  apiBase,
  bearerAuth,
  checkTargets,
  fieldChanges,
  noSecrets,
  objectOf,
  refuseRollback,
  required,
  requiredCredential,
  unitPerTarget,
} from './shared.js'

const API_PREFIX = '/api/v1/cloud'
/** Request body limits: 32 MB globally; the cn region truncates at 4 MB (and then reports invalid JSON). */
const BODY_LIMIT_BYTES = { global: 32 * 1024 * 1024, cn: 4 * 1024 * 1024 } as const
const FIELDS = [
  'name',
  'description',
  'agent',
  'environment_id',
  'schedule',
  'initial_events',
  'resources',
  'vault_ids',
  'metadata',
] as const
const READ_ONLY_HINTS: Record<string, string> = {
  id: "the id is the 'target' input, not a payload field.",
  type: 'read-only; remove it.',
  status: 'read-only; pausing and unpausing are separate API calls that deploy-patch does not make.',
  paused_reason: 'read-only; remove it.',
  archived_at: 'read-only; archiving is a separate, irreversible API call.',
  created_at: 'read-only; remove it.',
  updated_at: 'read-only; remove it.',
}
const EVENT_TYPES = ['user.message', 'user.define_outcome', 'system.message'] as const
const CRON_FIELD = /^(\*|[0-9]+(-[0-9]+)?|[A-Za-z]{3}(-[A-Za-z]{3})?)(\/[0-9]+)?$/

/** A Qoder Deployment as the API returns it. */
type Deployment = Record<string, unknown>
const VOLATILE = ['metadata.cas_config.stats', 'schedule.upcoming_runs_at', 'schedule.last_run_at', 'updated_at']

export const qoder: Provider<Deployment> = {
  name: 'qoder',

  check(settings, payload) {
    return [
      ...refuseRollback(
        'qoder',
        settings,
        'a Qoder update is applied synchronously, so there is no later failure to undo (a refused update changes nothing).',
      ),
      ...requiredCredential(
        'qoder',
        'token',
        settings.credentials.token,
        'a personal access token (pt-…) created under Settings → API Tokens, passed from a secret.',
      ),
      ...required(
        'qoder',
        'target',
        settings.targets.length > 0,
        'the deployment id, such as dep_019ec556114c78f8b60ee34fcb98bf59.',
      ),
      ...checkTargets('qoder', settings.targets, (target) =>
        /^dep_[0-9a-f]{32}$/.test(target)
          ? undefined
          : `'${target}' is not a Qoder deployment id; expected 'dep_' followed by 32 lowercase hex characters, such as dep_019ec556114c78f8b60ee34fcb98bf59.`,
      ),
      ...(payload ? validate(payload, settings) : []),
    ]
  },

  units: (settings) => unitPerTarget(settings),
  secrets: noSecrets,

  connect(ctx) {
    return Promise.resolve({
      baseUrl: apiBase(ctx.settings.baseUrl ?? new URL(`https://${QODER_REGIONS[region(ctx.settings)]}`), API_PREFIX),
      authorize: bearerAuth(ctx),
      parseError,
    })
  },

  advise(error, unit, settings) {
    const target = unit?.id
    switch (error.httpStatus) {
      case 400:
        return 'Qoder refused the payload: fix the field it names in the payload and run again.'
      case 401:
        return "Qoder did not accept the token: it may be expired or revoked. Create a new personal access token under Settings → API Tokens and update the secret passed as 'token'."
      case 403:
        return `The token is valid but may not change ${target}: use a token of the account that owns the deployment, with access to deployments.`
      case 404:
        return `No deployment ${target} in Qoder's ${region(settings)} region: check 'target', and 'region' (cn deployments live on ${QODER_REGIONS.cn}).`
      case 409:
        return `Qoder reported a conflict for ${target} (an archived deployment cannot be changed, or the same request was sent with a different body): check the deployment's state in the console, then run again.`
      case 501:
        return 'This Qoder feature is not available to the account yet (Beta).'
      default:
        return undefined
    }
  },

  async read(ctx, { id }) {
    const response = await ctx.client.request({
      method: 'GET',
      path: deploymentPath(id),
      replay: 'safe',
      what: 'read the deployment',
      expect: (json) => notDeployment(json, id),
    })
    return objectOf(response.json)
  },

  async update(ctx, { id }, payload) {
    // One key for this update and all its retries: Qoder replays the first answer instead of applying again.
    const idempotencyKey = randomUUID()
    const response = await ctx.client.request({
      method: 'POST',
      path: deploymentPath(id),
      headers: { 'idempotency-key': idempotencyKey },
      body: payload,
      replay: 'safe',
      what: 'update the deployment',
      // Success is the deployment that was asked for, never an empty answer or an error envelope.
      expect: (json) => notDeployment(json, id),
    })
    const deployment = objectOf(response.json)
    return {
      resource: deployment,
      providerStatus: statusOf(deployment) ?? 'unknown',
      httpStatus: response.status,
      requestId: response.requestId,
      pending: false,
    }
  },

  plan(ctx, { id }, before, payload) {
    // Qoder merges `metadata` and replaces every other top-level field; an RFC 7396 merge of the
    // top level, with metadata merged one level deeper, predicts that.
    const after: Deployment = { ...before }
    for (const [key, value] of Object.entries(payload)) {
      if (key === 'metadata') after.metadata = mergePatch(after.metadata, value)
      else if (key === 'agent' && typeof value === 'string')
        after.agent = { id: value, type: 'agent', version: '(latest)' }
      else after[key] = structuredClone(value)
    }
    const request = {
      method: 'POST',
      url: ctx.client.url(deploymentPath(id)).href,
      headers: {
        authorization: 'Bearer ***',
        'content-type': 'application/json',
        'idempotency-key': '(a new UUID per run)',
      },
      body: payload,
    }
    return { request, after }
  },

  changes: (before, after) => fieldChanges(before, after, VOLATILE),

  view(resource) {
    return { status: statusOf(resource), notes: notesOf(resource) }
  },
}

/** Every problem of the payload, each with its JSON path. */
function validate(payload: PayloadObject, settings: Settings): Problem[] {
  const p = new Problems()
  p.knownKeys(payload, [], FIELDS, READ_ONLY_HINTS)
  if (Object.keys(payload).length === 0)
    p.add([], `the payload has no fields; set at least one of ${FIELDS.join(', ')}.`)
  const has = (key: string) => Object.hasOwn(payload, key)
  if (has('name')) p.string(payload.name, ['name'], { min: 1, max: 256 })
  if (has('description') && payload.description !== null) p.string(payload.description, ['description'])
  if (has('agent')) checkAgent(p, payload.agent)
  if (has('environment_id')) p.string(payload.environment_id, ['environment_id'], { min: 1 })
  if (has('schedule') && payload.schedule !== null) checkSchedule(p, payload.schedule)
  if (has('initial_events')) {
    p.array(payload.initial_events, ['initial_events'], { min: 1, max: 50 })?.forEach((event, i) => {
      const object = p.object(event, ['initial_events', i], 'an event object such as {type: user.message, content: …}')
      if (object) p.oneOf(object.type, ['initial_events', i, 'type'], EVENT_TYPES)
    })
  }
  if (has('resources')) p.array(payload.resources, ['resources'])
  if (has('vault_ids'))
    p.array(payload.vault_ids, ['vault_ids'], { max: 50 })?.forEach((id, i) =>
      p.string(id, ['vault_ids', i], { min: 1 }),
    )
  if (has('metadata')) checkMetadata(p, payload.metadata)
  const bytes = Buffer.byteLength(JSON.stringify(payload))
  const limit = BODY_LIMIT_BYTES[region(settings)]
  if (bytes > limit)
    p.add(
      [],
      `the request body would be ${(bytes / 1048576).toFixed(1)} MB; Qoder's ${region(settings)} region accepts at most ${limit / 1048576} MB.`,
    )
  return p.list
}

/** Qoder's error envelope `{error: {type, message, param}}`. */
function parseError(_status: number, body: unknown): ErrorDetails {
  const error = isPlainObject(body) && isPlainObject(body.error) ? body.error : undefined
  if (!error) return { type: '', message: '' }
  const param = typeof error.param === 'string' && error.param ? ` (field: ${error.param})` : ''
  return {
    type: textOf(error.type ?? ''),
    message: `${textOf(error.type ?? 'error')}: ${textOf(error.message ?? '')}${param}`,
  }
}

/** Summary callouts: archived, or paused and why. */
function notesOf(resource: Deployment): string[] {
  const notes: string[] = []
  if (resource.archived_at)
    notes.push(
      `This deployment is archived (since ${textOf(resource.archived_at)}): it will not run again, and archiving cannot be undone.`,
    )
  else if (resource.status === 'paused') {
    const reason =
      isPlainObject(resource.paused_reason) && resource.paused_reason.type
        ? ` (${textOf(resource.paused_reason.type)})`
        : ''
    notes.push(`This deployment is paused${reason}: its schedule will not run until it is unpaused.`)
  }
  return notes
}

function region(settings: Settings): 'global' | 'cn' {
  return settings.region === 'cn' ? 'cn' : 'global'
}

function deploymentPath(target: string): string {
  return `/deployments/${encodeURIComponent(target)}`
}

/** Why an answer is not the Deployment `target` (empty, another shape, an error envelope, another id), or undefined. */
function notDeployment(json: unknown, target: string): string | undefined {
  if (json === undefined) return 'with no body, not the deployment'
  if (!isPlainObject(json))
    return `with ${json === null ? 'null' : Array.isArray(json) ? 'a list' : `a ${typeof json}`}, not the deployment`
  if (json.type === 'error' || isPlainObject(json.error)) return 'with an error, not the deployment'
  if (json.id !== target)
    return typeof json.id === 'string' ? 'with another deployment, not the one asked for' : 'without the deployment id'
  return undefined
}

function statusOf(resource: Deployment): string | undefined {
  if (resource.archived_at) return 'archived'
  return typeof resource.status === 'string' ? resource.status : undefined
}

function checkAgent(p: Problems, agent: unknown): void {
  if (typeof agent === 'string') {
    p.string(agent, ['agent'], { min: 1 })
    return
  }
  const object = p.object(agent, ['agent'], 'an agent id string or an object {id, type: agent, version}')
  if (!object) return
  p.knownKeys(object, ['agent'], ['id', 'type', 'version'])
  p.string(object.id, ['agent', 'id'], { min: 1 })
  if (object.type !== undefined) p.oneOf(object.type, ['agent', 'type'], ['agent'])
  if (object.version !== undefined) p.integer(object.version, ['agent', 'version'], { min: 1 })
}

function checkSchedule(p: Problems, schedule: unknown): void {
  const object = p.object(schedule, ['schedule'], 'an object with type, expression and timezone (or null)')
  if (!object) return
  p.knownKeys(object, ['schedule'], ['type', 'expression', 'timezone'], {
    upcoming_runs_at: 'read-only; remove it.',
    last_run_at: 'read-only; remove it.',
  })
  for (const key of ['type', 'expression', 'timezone']) {
    if (!Object.hasOwn(object, key))
      p.add(['schedule'], `missing '${key}': Qoder needs all of type, expression and timezone in a schedule update.`)
  }
  if (Object.hasOwn(object, 'type')) p.oneOf(object.type, ['schedule', 'type'], ['cron'])
  const timezoneOk = Object.hasOwn(object, 'timezone') && checkTimezone(p, object.timezone, ['schedule', 'timezone'])
  if (Object.hasOwn(object, 'expression'))
    checkCron(
      p,
      object.expression,
      ['schedule', 'expression'],
      timezoneOk && typeof object.timezone === 'string' ? object.timezone : 'UTC',
    )
}

/** A 5-field cron expression (minute hour day-of-month month day-of-week), checked by croner. */
function checkCron(p: Problems, expression: unknown, path: Path, timezone: string): void {
  if (!p.string(expression, path, { min: 1 })) return
  const fields = expression.trim().split(/\s+/)
  const example = "such as '30 9 * * 1-5' (minute hour day-of-month month day-of-week)"
  if (fields.length !== 5) {
    p.add(
      path,
      `'${expression}' has ${fields.length} field${fields.length === 1 ? '' : 's'}; Qoder expects a 5-field cron expression ${example}.`,
    )
    return
  }
  const bad = fields.find((field) => !field.split(',').every((part) => CRON_FIELD.test(part)))
  if (bad !== undefined) {
    p.add(
      path,
      `'${expression}' is not a standard cron expression: '${bad}' is not a value, range, list or step; write one ${example}.`,
    )
    return
  }
  try {
    const cron = new Cron(expression, { timezone, paused: true })
    if (!cron.nextRun())
      p.add(
        path,
        `'${expression}' never matches a date (for example the 31st of a short month); the deployment would never run.`,
      )
  } catch (error) {
    const reason = messageOf(error)
      .replace(/^CronPattern: /, '')
      .split('.')[0]
    p.add(path, `'${expression}' is not a valid cron expression (${reason}); write one ${example}.`)
  }
}

function checkTimezone(p: Problems, timezone: unknown, path: Path): boolean {
  if (!p.string(timezone, path, { min: 1 })) return false
  // Intl also accepts offsets such as +08:00, which are not IANA names and do not follow daylight saving.
  if (/^[+-]\d/.test(timezone)) {
    p.add(
      path,
      `'${timezone}' is an offset, not an IANA time zone; use a name such as 'Asia/Shanghai' (or 'Etc/GMT-8' for a fixed offset).`,
    )
    return false
  }
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: timezone })
    return true
  } catch {
    p.add(path, `'${timezone}' is not an IANA time zone; use a name such as 'Europe/Berlin', 'Asia/Shanghai' or 'UTC'.`)
    return false
  }
}

function checkMetadata(p: Problems, metadata: unknown): void {
  const object = p.object(metadata, ['metadata'], 'an object of key → string (or null to delete the key)')
  if (!object) return
  const keys = Object.keys(object).filter((key) => key !== 'cas_config') // the reserved key is exempt from the limits
  if (keys.length > 16) p.add(['metadata'], `expected at most 16 keys, got ${keys.length}.`)
  for (const key of keys) {
    if ([...key].length > 64)
      p.add(['metadata', key], `the key is ${[...key].length} characters; at most 64 are allowed.`)
    const value = object[key]
    if (value !== null) p.string(value, ['metadata', key], { max: 512 })
  }
  if (Object.hasOwn(object, 'cas_config') && object.cas_config !== null)
    p.object(object.cas_config, ['metadata', 'cas_config'])
}
