/**
 * Loopback emulator of the Qoder Cloud Deployments API (base path /api/v1/cloud), following the
 * documented behaviour: Bearer PAT auth, merge-patch update, pause/unpause/archive state rules,
 * Idempotency-Key replay, region body limits, the error envelope, and volatile run fields.
 */
import { createHash, randomBytes } from 'node:crypto'
import { STATUS_CODES } from 'node:http'
import { Emulator, type RecordedRequest, type Reply } from './base.ts'

/** Constructor options. */
export interface QoderEmulatorOptions {
  /** Valid PATs; default ['pt-test-token']. */
  tokens?: string[]
  /** Valid PATs without write permission: 403 permission_error on every POST. */
  readOnlyTokens?: string[]
  /** Body size limit 32 MB (global) or 4 MB (cn; an over-limit body is "truncated" into invalid JSON). */
  region?: 'global' | 'cn'
  /** Overrides the region's body limit (bytes), so tests need not send 32 MB. */
  bodyLimitBytes?: number
}

export interface AgentRef {
  id: string
  type: 'agent'
  version: number
}

export interface InitialEvent {
  type: string
  [key: string]: unknown
}

export interface CasStats {
  consecutive_failures: number
  last_triggered_at: string | null
  next_trigger_at: string | null
  total_failures: number
  total_runs: number
}

export interface CasConfig {
  config: { max_concurrent: number; max_retries: number; timeout_ms: number }
  session_strategy: string
  stats: CasStats
}

export interface Schedule {
  expression: string
  last_run_at?: string
  timezone: string
  type: 'cron'
  upcoming_runs_at: string[]
}

/** The Deployment object as documented (Qoder API reference, Deployments; keys in the docs' order). */
export interface Deployment {
  agent: AgentRef
  archived_at: string | null
  created_at: string
  description: string | null
  environment_id: string
  id: string
  initial_events: InitialEvent[]
  metadata: { cas_config?: CasConfig; [key: string]: unknown }
  name: string
  paused_reason: { type: 'manual' } | null
  resources: unknown[]
  schedule: Schedule | null
  status: 'active' | 'paused'
  type: 'deployment'
  updated_at: string
  vault_ids: string[]
}

const BASE = '/api/v1/cloud'
const MB = 1024 * 1024
const DAY_MS = 86_400_000
const UPDATABLE = new Set([
  'name',
  'description',
  'agent',
  'environment_id',
  'schedule',
  'initial_events',
  'resources',
  'vault_ids',
  'metadata',
])
const EVENT_TYPES = new Set(['user.message', 'user.define_outcome', 'system.message'])
const ERROR_TYPE_BY_STATUS: Record<number, string> = {
  400: 'invalid_request_error',
  401: 'authentication_error',
  403: 'permission_error',
  404: 'not_found_error',
  409: 'conflict_error',
  500: 'api_error',
  501: 'feature_not_available',
}

type Action = 'get' | 'update' | 'pause' | 'unpause' | 'archive'
interface Problem {
  param?: string
  message: string
}
/** A reply plus whether the operation really executed (only those are kept for idempotent replay). */
interface Outcome {
  reply: Reply
  executed: boolean
}
interface StoredResponse {
  fingerprint: string
  status: number
  text: string
}
interface VolatileState {
  nextRunMs: number
  lastRunMs: number
}

/** The Qoder Cloud Deployments API on 127.0.0.1. */
export class QoderEmulator extends Emulator {
  #tokens: Set<string>
  #readOnly: Set<string>
  #region: 'global' | 'cn'
  #bodyLimit: number
  #deployments = new Map<string, Deployment>()
  #volatile = new Map<string, VolatileState>()
  #applied = new Map<string, number>()
  #idempotency = new Map<string, StoredResponse>()

  constructor(options: QoderEmulatorOptions = {}) {
    super()
    this.#readOnly = new Set(options.readOnlyTokens ?? [])
    this.#tokens = new Set([...(options.tokens ?? ['pt-test-token']), ...this.#readOnly])
    this.#region = options.region ?? 'global'
    this.#bodyLimit = options.bodyLimitBytes ?? (this.#region === 'cn' ? 4 * MB : 32 * MB)
  }

  /** Creates a deployment like the docs' example (overrides replace top-level fields) and returns a copy. */
  seed(overrides: Partial<Deployment> = {}): Deployment {
    const now = Date.now()
    const created = isoSeconds(now - 3_600_000)
    const { metadata, ...rest } = overrides
    const deployment: Deployment = {
      agent: { id: prefixedId('agent_'), type: 'agent', version: 1 },
      archived_at: null,
      created_at: created,
      description: 'Deployment created for API documentation verification',
      environment_id: prefixedId('env_'),
      id: prefixedId('dep_'),
      initial_events: [{ content: "Generate today's status report", type: 'user.message' }],
      metadata: {
        cas_config: {
          config: { max_concurrent: 1, max_retries: 0, timeout_ms: 300000 },
          session_strategy: 'new_session',
          stats: {
            consecutive_failures: 0,
            last_triggered_at: null,
            next_trigger_at: null,
            total_failures: 0,
            total_runs: 0,
          },
        },
        ...structuredClone(metadata ?? {}),
      },
      name: 'daily-status-report',
      paused_reason: null,
      resources: [],
      schedule: { expression: '30 9 * * 1-5', timezone: 'Asia/Shanghai', type: 'cron', upcoming_runs_at: [] },
      status: 'active',
      type: 'deployment',
      updated_at: created,
      vault_ids: [],
      ...structuredClone(rest),
    }
    this.#deployments.set(deployment.id, deployment)
    this.#volatile.delete(deployment.id)
    this.#refreshVolatile(deployment, false)
    return structuredClone(deployment)
  }

  /** The stored state of a deployment (a copy; reading it changes nothing). */
  stored(id: string): Deployment | undefined {
    const deployment = this.#deployments.get(id)
    return deployment && structuredClone(deployment)
  }

  /** How many update POSTs were really applied, for one deployment or in total (idempotent replays excluded). */
  appliedUpdates(id?: string): number {
    if (id !== undefined) return this.#applied.get(id) ?? 0
    let total = 0
    for (const count of this.#applied.values()) total += count
    return total
  }

  protected override statusFaultReply(status: number): Reply {
    const type = ERROR_TYPE_BY_STATUS[status]
    if (type !== undefined) return apiError(status, type, `Injected ${status} error.`)
    // 429/502/503/504 come from the gateway in front of the API: no documented JSON body.
    return { status, text: STATUS_CODES[status] ?? 'Error' }
  }

  protected override internalErrorReply(error: unknown): Reply {
    return apiError(500, 'api_error', `Emulator error: ${error instanceof Error ? error.message : String(error)}`)
  }

  protected handle(req: RecordedRequest): Reply {
    const token = bearerToken(req)
    if (token === undefined || !this.#tokens.has(token))
      return apiError(401, 'authentication_error', 'Invalid API key or token.')

    const route = parseRoute(req.method, req.path)
    if (route === undefined) return apiError(404, 'not_found_error', 'Not found.')
    const deployment = this.#deployments.get(route.id)
    if (route.action === 'get') {
      if (!deployment) return deploymentNotFound(route.id)
      return this.#read(deployment)
    }

    if (this.#readOnly.has(token))
      return apiError(403, 'permission_error', 'This token does not have permission to perform this action.')
    if (!deployment) return deploymentNotFound(route.id)

    const size = Buffer.byteLength(req.body)
    if (size > this.#bodyLimit) {
      // cn: the gateway cuts the body at the limit, so the API only sees broken JSON.
      if (this.#region === 'cn') return invalidRequest('Request body must be valid JSON.')
      return invalidRequest(`Request body is too large (${size} bytes); the limit is ${sizeLabel(this.#bodyLimit)}.`)
    }

    const key = headerValue(req, 'idempotency-key') ?? headerValue(req, 'x-idempotency-key')
    const fingerprint = createHash('sha256').update(`${req.method} ${req.path}\n${req.body}`).digest('hex')
    const scopedKey = key === undefined ? undefined : `${token}\n${key}`
    if (scopedKey !== undefined) {
      const prior = this.#idempotency.get(scopedKey)
      if (prior !== undefined) {
        if (prior.fingerprint !== fingerprint)
          return apiError(409, 'conflict_error', 'Idempotency key reused with a different request body.')
        return { status: prior.status, text: prior.text, headers: { 'content-type': 'application/json' } }
      }
    }

    const outcome = this.#execute(route.action, deployment, req.body)
    if (scopedKey !== undefined && outcome.executed) {
      const text = outcome.reply.text ?? JSON.stringify(outcome.reply.body)
      this.#idempotency.set(scopedKey, { fingerprint, status: outcome.reply.status, text })
    }
    return outcome.reply
  }

  #execute(action: Exclude<Action, 'get'>, deployment: Deployment, rawBody: string): Outcome {
    const now = Date.now()
    switch (action) {
      case 'update':
        return this.#update(deployment, rawBody)
      case 'pause':
        if (deployment.archived_at !== null) return executed(conflict('Deployment is archived.'))
        if (deployment.status === 'paused') return executed(conflict('Deployment is already paused.'))
        deployment.status = 'paused'
        deployment.paused_reason = { type: 'manual' }
        deployment.updated_at = isoSeconds(now)
        return executed(this.#read(deployment))
      case 'unpause':
        if (deployment.archived_at !== null) return executed(conflict('Deployment is archived.'))
        if (deployment.status !== 'paused') return executed(conflict('Deployment is not paused.'))
        deployment.status = 'active'
        deployment.paused_reason = null
        deployment.updated_at = isoSeconds(now)
        this.#volatile.delete(deployment.id) // next trigger recomputed from now
        return executed(this.#read(deployment))
      case 'archive':
        if (deployment.archived_at !== null) return executed(conflict('Deployment is already archived.'))
        deployment.name = `${deployment.name}_archived_${Math.floor(now / 1000)}`
        deployment.archived_at = isoSeconds(now)
        deployment.updated_at = isoSeconds(now)
        return executed(this.#read(deployment))
    }
  }

  #update(deployment: Deployment, rawBody: string): Outcome {
    let patch: unknown
    try {
      patch = JSON.parse(rawBody)
    } catch {
      return notExecuted(invalidRequest('Request body must be valid JSON.'))
    }
    if (!isPlainObject(patch)) return notExecuted(invalidRequest('Request body must be a JSON object.'))
    const problem = validatePatch(patch, deployment)
    if (problem) return notExecuted(invalidRequest(problem.message, problem.param))
    if (deployment.archived_at !== null) return executed(conflict('Cannot update an archived deployment.'))

    for (const [field, value] of Object.entries(patch)) {
      switch (field) {
        case 'agent':
          deployment.agent =
            typeof value === 'string'
              ? { id: value, type: 'agent', version: 1 }
              : { id: (value as AgentRef).id, type: 'agent', version: (value as Partial<AgentRef>).version ?? 1 }
          break
        case 'schedule': {
          const next = value as Schedule
          const lastRun = deployment.schedule?.last_run_at
          deployment.schedule = {
            expression: next.expression,
            ...(lastRun === undefined ? {} : { last_run_at: lastRun }),
            timezone: next.timezone,
            type: 'cron',
            upcoming_runs_at: [],
          }
          this.#volatile.delete(deployment.id)
          break
        }
        case 'metadata':
          mergeMetadata(deployment.metadata, value as Record<string, unknown>)
          break
        default:
          ;(deployment as unknown as Record<string, unknown>)[field] = structuredClone(value)
      }
    }
    deployment.updated_at = isoSeconds(Date.now())
    this.#applied.set(deployment.id, (this.#applied.get(deployment.id) ?? 0) + 1)
    return executed(this.#read(deployment))
  }

  /** Every read sees a scheduler that has moved on: run stats and run times change. */
  #read(deployment: Deployment): Reply {
    this.#refreshVolatile(deployment, true)
    return { status: 200, text: JSON.stringify(deployment), headers: { 'content-type': 'application/json' } }
  }

  #refreshVolatile(deployment: Deployment, simulateRun: boolean): void {
    let state = this.#volatile.get(deployment.id)
    if (!state) {
      state = { nextRunMs: 0, lastRunMs: 0 }
      this.#volatile.set(deployment.id, state)
    }
    const now = Date.now()
    const live = deployment.status === 'active' && deployment.archived_at === null
    const schedule = deployment.schedule
    if (schedule) {
      let upcoming: string[] = []
      let lastRun = schedule.last_run_at
      if (live) {
        // Strictly later on every read, so two reads never agree (see brief: volatile fields).
        state.nextRunMs = Math.max(state.nextRunMs + 1000, Math.ceil(now / 60_000) * 60_000)
        const first = state.nextRunMs
        upcoming = Array.from({ length: 5 }, (_, i) => isoSeconds(first + i * DAY_MS))
        if (simulateRun) {
          state.lastRunMs = Math.max(state.lastRunMs + 1, now)
          lastRun = new Date(state.lastRunMs).toISOString()
        }
      }
      deployment.schedule = {
        expression: schedule.expression,
        ...(lastRun === undefined ? {} : { last_run_at: lastRun }),
        timezone: schedule.timezone,
        type: 'cron',
        upcoming_runs_at: upcoming,
      }
    }
    const cas = deployment.metadata.cas_config
    if (isPlainObject(cas)) {
      const previous: Partial<CasStats> = isPlainObject(cas.stats) ? cas.stats : {}
      cas.stats = {
        consecutive_failures: previous.consecutive_failures ?? 0,
        last_triggered_at: simulateRun ? isoSeconds(now) : (previous.last_triggered_at ?? null),
        next_trigger_at: deployment.schedule?.upcoming_runs_at[0] ?? null,
        total_failures: previous.total_failures ?? 0,
        total_runs: (previous.total_runs ?? 0) + (simulateRun ? 1 : 0),
      }
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Validation (an independent reading of the docs; deliberately not shared with src/)

function validatePatch(patch: Record<string, unknown>, current: Deployment): Problem | undefined {
  for (const [field, value] of Object.entries(patch)) {
    if (!UPDATABLE.has(field)) return { param: field, message: `Unknown or read-only field: ${field}.` }
    const problem = validateField(field, value, current)
    if (problem) return problem
  }
  return undefined
}

function validateField(field: string, value: unknown, current: Deployment): Problem | undefined {
  switch (field) {
    case 'name':
      if (typeof value !== 'string') return { param: 'name', message: 'name must be a string.' }
      if (value.trim() === '') return { param: 'name', message: 'name must not be empty.' }
      if ([...value].length > 256) return { param: 'name', message: 'name must be at most 256 characters.' }
      return undefined
    case 'description':
      if (value !== null && typeof value !== 'string')
        return { param: 'description', message: 'description must be a string.' }
      return undefined
    case 'environment_id':
      if (typeof value !== 'string' || value === '')
        return { param: 'environment_id', message: 'environment_id must be a non-empty string.' }
      return undefined
    case 'agent':
      return validateAgent(value)
    case 'schedule':
      return validateSchedule(value)
    case 'initial_events':
      return validateInitialEvents(value)
    case 'resources':
      if (!Array.isArray(value)) return { param: 'resources', message: 'resources must be an array.' }
      return undefined
    case 'vault_ids':
      if (!Array.isArray(value)) return { param: 'vault_ids', message: 'vault_ids must be an array.' }
      if (value.length > 50) return { param: 'vault_ids', message: 'vault_ids must contain at most 50 items.' }
      for (const [i, id] of value.entries()) {
        if (typeof id !== 'string' || id === '')
          return { param: `vault_ids[${i}]`, message: 'Each vault id must be a non-empty string.' }
      }
      return undefined
    case 'metadata':
      return validateMetadata(value, current)
  }
  return undefined
}

function validateAgent(value: unknown): Problem | undefined {
  if (typeof value === 'string')
    return value === '' ? { param: 'agent', message: 'agent must not be empty.' } : undefined
  if (!isPlainObject(value))
    return { param: 'agent', message: 'agent must be an agent id or an object {id, type, version}.' }
  for (const key of Object.keys(value)) {
    if (!['id', 'type', 'version'].includes(key))
      return { param: `agent.${key}`, message: `Unknown field: agent.${key}.` }
  }
  if (typeof value.id !== 'string' || value.id === '')
    return { param: 'agent.id', message: 'agent.id must be a non-empty string.' }
  if (value.type !== undefined && value.type !== 'agent')
    return { param: 'agent.type', message: 'agent.type must be "agent".' }
  if (value.version !== undefined && !(Number.isInteger(value.version) && (value.version as number) >= 1)) {
    return { param: 'agent.version', message: 'agent.version must be a positive integer.' }
  }
  return undefined
}

function validateSchedule(value: unknown): Problem | undefined {
  if (!isPlainObject(value))
    return { param: 'schedule', message: 'schedule must be an object with type, expression and timezone.' }
  for (const key of Object.keys(value)) {
    if (!['type', 'expression', 'timezone'].includes(key))
      return { param: `schedule.${key}`, message: `Unknown field: schedule.${key}.` }
  }
  for (const key of ['type', 'expression', 'timezone']) {
    if (value[key] === undefined)
      return {
        param: `schedule.${key}`,
        message: `schedule.${key} is required: schedule must contain type, expression and timezone.`,
      }
  }
  if (value.type !== 'cron') return { param: 'schedule.type', message: 'schedule.type must be "cron".' }
  if (typeof value.expression !== 'string' || !isValidCron(value.expression)) {
    return { param: 'schedule.expression', message: 'schedule.expression must be a valid 5-field cron expression.' }
  }
  if (!isValidTimeZone(value.timezone))
    return { param: 'schedule.timezone', message: 'schedule.timezone must be a valid IANA time zone.' }
  return undefined
}

function validateInitialEvents(value: unknown): Problem | undefined {
  if (!Array.isArray(value)) return { param: 'initial_events', message: 'initial_events must be an array.' }
  if (value.length < 1 || value.length > 50)
    return { param: 'initial_events', message: 'initial_events must contain between 1 and 50 events.' }
  for (const [i, event] of value.entries()) {
    if (!isPlainObject(event))
      return { param: `initial_events[${i}]`, message: 'Each initial event must be an object.' }
    if (typeof event.type !== 'string' || !EVENT_TYPES.has(event.type)) {
      return {
        param: `initial_events[${i}].type`,
        message: `initial_events[${i}].type must be one of ${[...EVENT_TYPES].join(', ')}.`,
      }
    }
  }
  return undefined
}

function validateMetadata(value: unknown, current: Deployment): Problem | undefined {
  if (!isPlainObject(value)) return { param: 'metadata', message: 'metadata must be an object.' }
  const keys = new Set(Object.keys(current.metadata).filter((k) => k !== 'cas_config'))
  for (const [key, entry] of Object.entries(value)) {
    if (key === 'cas_config') {
      const problem = validateCasConfigPatch(entry)
      if (problem) return problem
      continue
    }
    if (key === '' || key.length > 64)
      return { param: 'metadata', message: `metadata keys must be 1-64 characters: ${key.slice(0, 80)}` }
    if (entry === null) {
      keys.delete(key)
      continue
    }
    if (typeof entry !== 'string')
      return { param: `metadata.${key}`, message: `metadata.${key} must be a string or null.` }
    if (entry.length > 512)
      return { param: `metadata.${key}`, message: `metadata.${key} must be at most 512 characters.` }
    keys.add(key)
  }
  if (keys.size > 16) return { param: 'metadata', message: 'metadata must have at most 16 keys.' }
  return undefined
}

function validateCasConfigPatch(value: unknown): Problem | undefined {
  const param = 'metadata.cas_config'
  if (!isPlainObject(value))
    return { param, message: 'metadata.cas_config is reserved: it can be patched with an object but not removed.' }
  for (const [key, entry] of Object.entries(value)) {
    if (key === 'stats') continue // server-maintained; ignored
    if (key === 'session_strategy') {
      if (typeof entry !== 'string' || entry === '')
        return { param: `${param}.session_strategy`, message: 'session_strategy must be a non-empty string.' }
      continue
    }
    if (key !== 'config') return { param: `${param}.${key}`, message: `Unknown field: ${param}.${key}.` }
    if (!isPlainObject(entry)) return { param: `${param}.config`, message: 'config must be an object.' }
    for (const [name, setting] of Object.entries(entry)) {
      if (!['max_concurrent', 'max_retries', 'timeout_ms'].includes(name))
        return { param: `${param}.config.${name}`, message: `Unknown field: ${param}.config.${name}.` }
      const min = name === 'max_retries' ? 0 : 1
      if (!Number.isInteger(setting) || (setting as number) < min)
        return { param: `${param}.config.${name}`, message: `${name} must be an integer >= ${min}.` }
    }
  }
  return undefined
}

function mergeMetadata(target: Deployment['metadata'], patch: Record<string, unknown>): void {
  for (const [key, value] of Object.entries(patch)) {
    if (key === 'cas_config') {
      const incoming = value as Partial<CasConfig>
      const cas = target.cas_config
      if (!cas) continue
      if (incoming.session_strategy !== undefined) cas.session_strategy = incoming.session_strategy
      if (incoming.config !== undefined) cas.config = { ...cas.config, ...incoming.config }
      continue
    }
    if (value === null) delete target[key]
    // defineProperty: a key "__proto__" is an ordinary metadata key on a real server.
    else Object.defineProperty(target, key, { value, writable: true, enumerable: true, configurable: true })
  }
}

const MONTH_NAMES = ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC']
const DAY_NAMES = ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT']
const CRON_FIELDS: { min: number; max: number; names?: string[]; firstName?: number }[] = [
  { min: 0, max: 59 },
  { min: 0, max: 23 },
  { min: 1, max: 31 },
  { min: 1, max: 12, names: MONTH_NAMES, firstName: 1 },
  { min: 0, max: 7, names: DAY_NAMES, firstName: 0 },
]

/** Standard 5-field cron: lists, ranges, steps, `*`, month/day names; no macros or Quartz extensions. */
export function isValidCron(expression: string): boolean {
  const parts = expression.trim().split(/\s+/)
  if (parts.length !== 5) return false
  return parts.every((part, i) => isValidCronField(part, CRON_FIELDS[i]!))
}

function isValidCronField(field: string, spec: (typeof CRON_FIELDS)[number]): boolean {
  return field.split(',').every((item) => {
    const match = /^(\*|[0-9A-Za-z]+(?:-[0-9A-Za-z]+)?)(?:\/(\d+))?$/.exec(item)
    if (!match) return false
    const step = match[2]
    if (step !== undefined && (Number(step) < 1 || Number(step) > spec.max)) return false
    if (match[1] === '*') return true
    const [from, to] = match[1]!.split('-')
    const low = cronValue(from!, spec)
    const high = to === undefined ? low : cronValue(to, spec)
    return low !== undefined && high !== undefined && low <= high
  })
}

function cronValue(token: string, spec: (typeof CRON_FIELDS)[number]): number | undefined {
  if (/^\d+$/.test(token)) {
    const value = Number(token)
    return value >= spec.min && value <= spec.max ? value : undefined
  }
  const index = spec.names?.indexOf(token.toUpperCase()) ?? -1
  return index < 0 ? undefined : index + (spec.firstName ?? 0)
}

/** An IANA zone name the runtime knows; UTC offsets such as "+05:30" are not zone names. */
export function isValidTimeZone(value: unknown): boolean {
  if (typeof value !== 'string' || value === '' || /^[+-]/.test(value)) return false
  try {
    new Intl.DateTimeFormat(undefined, { timeZone: value })
    return true
  } catch {
    return false
  }
}

// ---------------------------------------------------------------------------------------------
// Helpers

function parseRoute(method: string, path: string): { id: string; action: Action } | undefined {
  if (!path.startsWith(`${BASE}/deployments/`)) return undefined
  const match = /^\/deployments\/([^/]+)(?:\/(pause|unpause|archive))?$/.exec(path.slice(BASE.length))
  if (!match) return undefined
  let id: string
  try {
    id = decodeURIComponent(match[1]!)
  } catch {
    return undefined
  }
  const sub = match[2] as 'pause' | 'unpause' | 'archive' | undefined
  if (method === 'GET' && sub === undefined) return { id, action: 'get' }
  if (method === 'POST') return { id, action: sub ?? 'update' }
  return undefined
}

function bearerToken(req: RecordedRequest): string | undefined {
  const header = req.headers.authorization
  if (typeof header !== 'string') return undefined
  return /^Bearer +(\S+) *$/i.exec(header)?.[1]
}

function headerValue(req: RecordedRequest, name: string): string | undefined {
  const value = req.headers[name]
  if (Array.isArray(value)) return value[0]
  return value === undefined || value === '' ? undefined : value
}

function apiError(status: number, type: string, message: string, param?: string): Reply {
  return { status, body: { type: 'error', error: { type, message, ...(param === undefined ? {} : { param }) } } }
}

function invalidRequest(message: string, param?: string): Reply {
  return apiError(400, 'invalid_request_error', message, param)
}

function conflict(message: string): Reply {
  return apiError(409, 'conflict_error', message)
}

function deploymentNotFound(id: string): Reply {
  return apiError(404, 'not_found_error', `Deployment not found: ${id}`)
}

function executed(reply: Reply): Outcome {
  return { reply, executed: true }
}

function notExecuted(reply: Reply): Outcome {
  return { reply, executed: false }
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

/** RFC 3339, UTC, whole seconds, `Z` — the docs' timestamp format for deployments. */
function isoSeconds(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z')
}

/** A documented-looking id: prefix + 32 lowercase hex (UUIDv7-like: millisecond time first). */
function prefixedId(prefix: string): string {
  const time = Date.now().toString(16).padStart(12, '0').slice(-12)
  return `${prefix}${time}7${randomBytes(10).toString('hex').slice(0, 19)}`
}

function sizeLabel(bytes: number): string {
  return bytes % MB === 0 ? `${bytes / MB} MB` : `${bytes} bytes`
}
