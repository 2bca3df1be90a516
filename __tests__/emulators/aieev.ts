/**
 * Loopback emulator of the Aieev external endpoint API (base path /external/api/v1), following the
 * documented behaviour (Aieev API reference, https://docs.aieev.com/api-reference/) and, where the docs are silent, a FastAPI + Pydantic v2
 * server: `{"detail": …}` errors, 422 validation lists, HTTPBearer auth, a PATCH that leaves the
 * endpoint inactive, a start that goes DEPLOYING → RUNNING (or a failure state) over `startMs`, and
 * an nginx gateway in front that answers 502/503/504 with HTML.
 */
import { randomBytes, randomUUID } from 'node:crypto'
import { STATUS_CODES } from 'node:http'
import { Emulator, type RecordedRequest, type Reply } from './base.ts'

/** Constructor options. */
export interface AieevEmulatorOptions {
  /** Valid API keys (`Authorization: Bearer <key>`); default ['aieev-test-key']. */
  keys?: string[]
  /** How long a start keeps replicas STARTING before they are RUNNING (or the start fails); default 300 ms. */
  startMs?: number
  /**
   * How the server answers `POST …/endpoints/{id}/start`: 'start' (the default) starts it;
   * 'missing' answers 404 `{"detail":"Not Found"}` (no such route); 'method-not-allowed' answers
   * 405 `{"detail":"Method Not Allowed"}` (the path exists for another method only).
   */
  startRoute?: 'start' | 'missing' | 'method-not-allowed'
  /**
   * The documented get-endpoint response carries no container settings; true adds them
   * (container_start_command … container_metric_path), for clients that want to test both.
   */
  getIncludesSettings?: boolean
  /** A PATCH leaves updated_at where it was (the read after a lost answer cannot use it). Default false. */
  patchKeepsUpdatedAt?: boolean
}

/** One container environment variable, as sent in and returned by PATCH. */
export interface EnvVar {
  key: string
  value: string
}

/**
 * The endpoint status: Ray Serve application statuses (NOT_STARTED, DEPLOYING, DEPLOY_FAILED, RUNNING,
 * UNHEALTHY, DELETING) plus STOPPED for an inactive endpoint; the docs do not enumerate them.
 */
export type EndpointStatus = string

/** Everything the emulator knows about an endpoint (the union of the get and patch response fields). */
export interface Endpoint {
  endpoint_id: string
  name: string
  endpoint_type: 'container'
  is_active: boolean
  status: EndpointStatus
  num_replicas: number
  enable_autoscaling: boolean
  instance_type_name: string | null
  serving_endpoint_url: string | null
  /** Replica count per state; present only while the endpoint is active. Derived, never stored. */
  replica_status_summary?: Record<string, number>
  container_start_command: string | null
  container_env_vars: EnvVar[] | null
  container_port: number | null
  container_health_check_path: string | null
  container_health_check_timeout: number | null
  health_check_timeout: number | null
  container_metric_path: string | null
  created_at: string
  updated_at: string
}

/** One item of `GET /endpoints/{id}/replicas` (Ray Serve replica details). */
export interface Replica {
  replica_id: string
  state: string
  node_id: string
  node_ip: string
  actor_id: string
  actor_name: string
  worker_id: string
  pid: number
  start_time_s: number
}

/** A Pydantic v2 error item as FastAPI returns it in a 422 `detail` list. */
export interface ValidationIssue {
  type: string
  loc: (string | number)[]
  msg: string
  input: unknown
  ctx?: Record<string, unknown>
}

const BASE = '/external/api/v1'
const SETTINGS = [
  'container_start_command',
  'container_env_vars',
  'container_port',
  'container_health_check_path',
  'container_health_check_timeout',
  'health_check_timeout',
  'container_metric_path',
] as const
type SettingName = (typeof SETTINGS)[number]
const STRING_SETTINGS = new Set<SettingName>([
  'container_start_command',
  'container_health_check_path',
  'container_metric_path',
])
const PATH_SETTINGS = new Set<SettingName>(['container_health_check_path', 'container_metric_path'])
const INT_LIMITS: Partial<Record<SettingName, { ge: number; le?: number }>> = {
  container_port: { ge: 1, le: 65535 },
  container_health_check_timeout: { ge: 1 },
  health_check_timeout: { ge: 1 },
}

/** Internal replica: the public fields plus when it turns RUNNING, or a state it is stuck in. */
interface ReplicaRecord extends Omit<Replica, 'state'> {
  readyAt: number
  stuck?: string
}

interface EndpointRecord {
  endpoint: Omit<Endpoint, 'replica_status_summary'>
  replicas: ReplicaRecord[]
  /** While a start is in progress that will fail: when, and into which status. */
  failing?: { at: number; status: string }
}

type Route =
  | { kind: 'list' }
  | { kind: 'get' | 'patch' | 'start' | 'stop' | 'scale' | 'replicas'; id: string }
  | { kind: 'not-found' }
  | { kind: 'method-not-allowed'; allow: string }
  | { kind: 'redirect'; location: string }

/** The Aieev external endpoint API on 127.0.0.1. */
export class AieevEmulator extends Emulator {
  #keys: Set<string>
  #startMs: number
  #startRoute: 'start' | 'missing' | 'method-not-allowed'
  #getIncludesSettings: boolean
  #patchKeepsUpdatedAt: boolean
  #records = new Map<string, EndpointRecord>()
  #pendingFailures = new Map<string, string>()
  #failWhen = new Map<string, (endpoint: Endpoint) => string | undefined>()
  #stallWhen = new Map<string, (endpoint: Endpoint) => boolean>()
  #patches = new Map<string, number>()
  #starts = new Map<string, number>()
  #lastMicros = 0

  constructor(options: AieevEmulatorOptions = {}) {
    super()
    this.#keys = new Set(options.keys ?? ['aieev-test-key'])
    this.#startMs = options.startMs ?? 300
    this.#startRoute = options.startRoute ?? 'start'
    this.#getIncludesSettings = options.getIncludesSettings ?? false
    this.#patchKeepsUpdatedAt = options.patchKeepsUpdatedAt ?? false
  }

  /**
   * Creates an active, RUNNING container endpoint (overrides replace top-level fields; the replica
   * summary is always derived) and returns it as `stored` would.
   */
  seed(overrides: Partial<Endpoint> = {}): Endpoint {
    const now = Date.now()
    const { replica_status_summary: _ignored, ...rest } = structuredClone(overrides)
    const id = rest.endpoint_id ?? randomUUID()
    const created = this.#timestamp(now - 86_400_000)
    const endpoint: EndpointRecord['endpoint'] = {
      endpoint_id: id,
      name: 'llm-chat-api',
      endpoint_type: 'container',
      is_active: true,
      status: 'RUNNING',
      num_replicas: 1,
      enable_autoscaling: false,
      instance_type_name: 'rtx-4090-24gb',
      serving_endpoint_url: this.servingUrl(id),
      container_start_command: 'python app.py',
      container_env_vars: [
        { key: 'ENV', value: 'prod' },
        { key: 'HF_TOKEN', value: `hf_${randomBytes(17).toString('hex')}` },
      ],
      container_port: 8080,
      container_health_check_path: '/healthz',
      container_health_check_timeout: 30,
      health_check_timeout: 300,
      container_metric_path: '/metrics',
      created_at: created,
      updated_at: this.#timestamp(now - 3_600_000),
      ...rest,
    }
    if (!endpoint.is_active && rest.status === undefined) endpoint.status = 'STOPPED'
    const record: EndpointRecord = { endpoint, replicas: [] }
    if (endpoint.is_active) {
      for (let i = 0; i < endpoint.num_replicas; i++) record.replicas.push(newReplica(endpoint, now - 3_600_000, 0))
    }
    this.#records.set(id, record)
    return this.#view(record, true)
  }

  /**
   * Where an endpoint's container answers: on the emulator's own origin (`GET /serving/{id}`), so a
   * link to it works locally and never points at a real Aieev host. Needs `start()` first.
   */
  servingUrl(id: string): string {
    if (!this.origin)
      throw new Error('AieevEmulator: call start() before seed(), so serving URLs are on its own origin')
    return `${this.origin}/serving/${encodeURIComponent(id)}`
  }

  /** The next successful start of this endpoint ends in `status` instead of RUNNING ('DEPLOY_FAILED' by default). */
  failNextStart(id: string, status: string = 'DEPLOY_FAILED'): void {
    this.#pendingFailures.set(id, status)
  }

  /**
   * Every start of this endpoint whose saved settings `fails` picks ends in the status it returns
   * (undefined: the start succeeds), as a container that crashes with some settings and serves with others.
   */
  failStartsWhen(id: string, fails: (endpoint: Endpoint) => string | undefined): void {
    this.#failWhen.set(id, fails)
  }

  /** Every start of this endpoint whose saved settings `stalls` picks never ends: DEPLOYING, replicas STARTING. */
  stallStartsWhen(id: string, stalls: (endpoint: Endpoint) => boolean): void {
    this.#stallWhen.set(id, stalls)
  }

  /** The endpoint as it is now, with every field and the replica summary when active (a copy). */
  stored(id: string): Endpoint | undefined {
    const record = this.#records.get(id)
    return record && this.#view(record, true)
  }

  /** The endpoint's replicas as `GET …/replicas` would list them now (a copy). */
  replicas(id: string): Replica[] | undefined {
    const record = this.#records.get(id)
    return record && this.#replicaList(record)
  }

  /** How many PATCHes were really applied, for one endpoint or in total. */
  appliedPatches(id?: string): number {
    return count(this.#patches, id)
  }

  /** How many start calls were really applied, for one endpoint or in total. */
  starts(id?: string): number {
    return count(this.#starts, id)
  }

  /** Injected statuses: FastAPI-style JSON from the app, but HTML pages from the nginx gateway for 502/503/504. */
  protected override statusFaultReply(status: number): Reply {
    const reason = STATUS_CODES[status] ?? 'Error'
    if (status === 502 || status === 503 || status === 504) {
      const text = `<html>\r\n<head><title>${status} ${reason}</title></head>\r\n<body>\r\n<center><h1>${status} ${reason}</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n`
      return { status, text, headers: { 'content-type': 'text/html', server: 'nginx' } }
    }
    if (status === 500)
      return { status, text: 'Internal Server Error', headers: { 'content-type': 'text/plain; charset=utf-8' } }
    return { status, body: { detail: reason } }
  }

  /** Starlette answers an unhandled exception with a plain-text 500; the header keeps emulator bugs visible. */
  protected override internalErrorReply(error: unknown): Reply {
    const message = error instanceof Error ? error.message : String(error)
    return {
      status: 500,
      text: 'Internal Server Error',
      headers: {
        'content-type': 'text/plain; charset=utf-8',
        'x-emulator-error': message.replace(/[^\x20-\x7e]/g, '?'),
      },
    }
  }

  protected handle(req: RecordedRequest): Reply {
    if (req.path.startsWith('/serving/')) return this.#serve(req)
    const route = this.#route(req)
    switch (route.kind) {
      case 'not-found':
        return detail(404, 'Not Found')
      case 'method-not-allowed':
        return { ...detail(405, 'Method Not Allowed'), headers: { allow: route.allow } }
      case 'redirect':
        // Starlette's redirect_slashes: before auth, to the absolute URL without the slash.
        return { status: 307, text: '', headers: { location: route.location } }
    }

    const key = bearerToken(req)
    if (key === undefined || !this.#keys.has(key))
      return { ...detail(401, 'Invalid API key'), headers: { 'www-authenticate': 'Bearer' } }

    if (route.kind === 'list') return this.#list(req.url.searchParams)

    // FastAPI validates the body before the handler looks the endpoint up.
    let patch: Partial<Record<SettingName, unknown>> | undefined
    let replicas: number | undefined
    if (route.kind === 'patch' || route.kind === 'scale') {
      const parsed = parseBody(req.body)
      if ('issues' in parsed) return validationError(parsed.issues)
      if (route.kind === 'patch') {
        const result = validatePatch(parsed.value)
        if ('issues' in result) return validationError(result.issues)
        patch = result.value
      } else {
        const result = validateScale(parsed.value)
        if ('issues' in result) return validationError(result.issues)
        replicas = result.value
      }
    }
    if (patch !== undefined && Object.keys(patch).length === 0)
      return detail(400, 'At least one field must be provided')

    const record = this.#records.get(route.id)
    if (!record) return detail(404, 'Endpoint not found')
    this.#advance(record, Date.now())

    switch (route.kind) {
      case 'get':
        return { status: 200, body: this.#getBody(record) }
      case 'replicas':
        return { status: 200, body: this.#replicaList(record) }
      case 'patch':
        return this.#patch(record, patch!)
      case 'start':
        return this.#start(record)
      case 'stop':
        return this.#stop(record)
      case 'scale':
        return this.#scale(record, replicas!)
    }
  }

  #route(req: RecordedRequest): Route {
    const { method, path } = req
    if (!path.startsWith(`${BASE}/`)) return { kind: 'not-found' }
    const rest = path.slice(BASE.length)
    if (
      rest.length > 1 &&
      rest.endsWith('/') &&
      this.#route({ ...req, path: path.slice(0, -1) }).kind !== 'not-found'
    ) {
      return { kind: 'redirect', location: `${this.origin}${path.slice(0, -1)}${req.url.search}` }
    }
    if (rest === '/endpoints') return method === 'GET' ? { kind: 'list' } : { kind: 'method-not-allowed', allow: 'GET' }
    const match = /^\/endpoints\/([^/]+)(?:\/([^/]+))?$/.exec(rest)
    if (!match) return { kind: 'not-found' }
    let id: string
    try {
      id = decodeURIComponent(match[1]!)
    } catch {
      return { kind: 'not-found' }
    }
    const sub = match[2]
    if (sub === undefined) {
      if (method === 'GET') return { kind: 'get', id }
      if (method === 'PATCH') return { kind: 'patch', id }
      return { kind: 'method-not-allowed', allow: 'GET, PATCH' }
    }
    if (sub === 'replicas')
      return method === 'GET' ? { kind: 'replicas', id } : { kind: 'method-not-allowed', allow: 'GET' }
    if (sub === 'start') {
      if (this.#startRoute === 'missing') return { kind: 'not-found' }
      if (this.#startRoute === 'method-not-allowed') return { kind: 'method-not-allowed', allow: 'GET' }
    }
    if (sub === 'start' || sub === 'stop' || sub === 'scale')
      return method === 'POST' ? { kind: sub, id } : { kind: 'method-not-allowed', allow: 'POST' }
    return { kind: 'not-found' }
  }

  /** The serving URL: what the deployed container would answer, without auth (a gateway's 503 while it does not serve). */
  #serve(req: RecordedRequest): Reply {
    let id: string
    try {
      id = decodeURIComponent(req.path.slice('/serving/'.length).split('/')[0]!)
    } catch {
      return detail(404, 'Not Found')
    }
    const record = this.#records.get(id)
    if (!record) return detail(404, 'Not Found')
    const view = this.#view(record, true)
    if (!view.is_active || view.status !== 'RUNNING')
      return { status: 503, text: 'no healthy upstream', headers: { 'content-type': 'text/plain' } }
    return { status: 200, body: { endpoint_id: id, status: view.status, served_by: 'aieev emulator' } }
  }

  #list(query: URLSearchParams): Reply {
    const issues: ValidationIssue[] = []
    const page = queryInt(query, 'page', 1, 1, undefined, issues)
    const size = queryInt(query, 'size', 50, 1, 2000, issues)
    const active = queryBool(query, 'is_active', issues)
    if (issues.length > 0) return validationError(issues)
    const name = query.get('name')?.toLowerCase()
    const now = Date.now()
    const matching = [...this.#records.values()]
      .map((record) => {
        this.#advance(record, now)
        return this.#view(record, false)
      })
      .filter(
        (e) =>
          (name === undefined || e.name.toLowerCase().includes(name)) &&
          (active === undefined || e.is_active === active),
      )
      .sort((a, b) => b.created_at.localeCompare(a.created_at))
    const items = matching.slice((page - 1) * size, page * size).map((e) => ({
      id: e.endpoint_id,
      name: e.name,
      endpoint_type: e.endpoint_type,
      is_active: e.is_active,
      status: e.status,
      num_replicas: e.num_replicas,
      enable_autoscaling: e.enable_autoscaling,
      instance_type_name: e.instance_type_name,
      serving_endpoint_url: e.serving_endpoint_url,
      created_at: e.created_at,
      updated_at: e.updated_at,
    }))
    return {
      status: 200,
      body: { items, total: matching.length, page, size, pages: Math.ceil(matching.length / size) },
    }
  }

  #getBody(record: EndpointRecord): Record<string, unknown> {
    const view = this.#view(record, false)
    const body: Record<string, unknown> = {
      endpoint_id: view.endpoint_id,
      name: view.name,
      endpoint_type: view.endpoint_type,
      is_active: view.is_active,
      status: view.status,
      num_replicas: view.num_replicas,
      enable_autoscaling: view.enable_autoscaling,
      instance_type_name: view.instance_type_name,
      serving_endpoint_url: view.serving_endpoint_url,
    }
    if (view.replica_status_summary) body.replica_status_summary = view.replica_status_summary
    if (this.#getIncludesSettings) for (const field of SETTINGS) body[field] = view[field]
    body.created_at = view.created_at
    body.updated_at = view.updated_at
    return body
  }

  #patch(record: EndpointRecord, patch: Partial<Record<SettingName, unknown>>): Reply {
    const endpoint = record.endpoint as unknown as Record<SettingName, unknown>
    // container_env_vars is replaced as a whole, never merged with the stored list.
    for (const [field, value] of Object.entries(patch)) endpoint[field as SettingName] = structuredClone(value)
    const updatedAt = record.endpoint.updated_at
    this.#deactivate(record)
    if (this.#patchKeepsUpdatedAt) record.endpoint.updated_at = updatedAt
    this.#patches.set(record.endpoint.endpoint_id, (this.#patches.get(record.endpoint.endpoint_id) ?? 0) + 1)
    const e = record.endpoint
    const body: Record<string, unknown> = { endpoint_id: e.endpoint_id, name: e.name, is_active: e.is_active }
    for (const field of SETTINGS) body[field] = structuredClone(e[field])
    body.updated_at = e.updated_at
    return { status: 200, body }
  }

  #start(record: EndpointRecord): Reply {
    const e = record.endpoint
    if (e.is_active) return detail(409, 'Endpoint is already active')
    const now = Date.now()
    e.is_active = true
    e.status = 'DEPLOYING'
    e.updated_at = this.#timestamp(now)
    const failure =
      this.#pendingFailures.get(e.endpoint_id) ?? this.#failWhen.get(e.endpoint_id)?.(this.#view(record, true))
    this.#pendingFailures.delete(e.endpoint_id)
    if (failure !== undefined) record.failing = { at: now + this.#startMs, status: failure }
    const stalled = failure === undefined && this.#stallWhen.get(e.endpoint_id)?.(this.#view(record, true)) === true
    record.replicas = []
    for (let i = 0; i < e.num_replicas; i++) {
      // Replicas come up one after another over startMs; a failing or stalled start never brings one up.
      const readyAt =
        failure === undefined && !stalled ? now + Math.round((this.#startMs * (i + 1)) / e.num_replicas) : Infinity
      record.replicas.push(newReplica(e, now, readyAt))
    }
    this.#starts.set(e.endpoint_id, (this.#starts.get(e.endpoint_id) ?? 0) + 1)
    return {
      status: 200,
      body: { endpoint_id: e.endpoint_id, is_active: true, message: 'Endpoint started successfully' },
    }
  }

  #stop(record: EndpointRecord): Reply {
    if (!record.endpoint.is_active) return detail(409, 'Endpoint is already inactive')
    this.#deactivate(record)
    return {
      status: 200,
      body: { endpoint_id: record.endpoint.endpoint_id, is_active: false, message: 'Endpoint stopped successfully' },
    }
  }

  #scale(record: EndpointRecord, replicas: number): Reply {
    const e = record.endpoint
    if (e.enable_autoscaling) return detail(400, 'Cannot scale manually while autoscaling is enabled')
    const previous = e.num_replicas
    const now = Date.now()
    e.num_replicas = replicas
    e.updated_at = this.#timestamp(now)
    if (e.is_active && e.status !== 'DEPLOY_FAILED') {
      const stuck = e.status === 'UNHEALTHY' ? 'RECOVERING' : undefined
      const failing = record.failing !== undefined
      while (record.replicas.length > replicas) record.replicas.pop()
      while (record.replicas.length < replicas) {
        const replica = newReplica(e, now, failing || stuck ? Infinity : now + this.#startMs)
        if (stuck) replica.stuck = stuck
        record.replicas.push(replica)
      }
    }
    return {
      status: 200,
      body: {
        endpoint_id: e.endpoint_id,
        previous_replicas: previous,
        current_replicas: replicas,
        message: `Successfully scaled from ${previous} to ${replicas} replicas`,
      },
    }
  }

  #deactivate(record: EndpointRecord): void {
    const e = record.endpoint
    e.is_active = false
    e.status = 'STOPPED'
    e.updated_at = this.#timestamp(Date.now())
    record.replicas = []
    delete record.failing
  }

  /** Moves a start on: a failing one turns into its failure state once its time has come. */
  #advance(record: EndpointRecord, now: number): void {
    const e = record.endpoint
    if (!e.is_active) return
    if (record.failing && now >= record.failing.at) {
      e.status = record.failing.status
      delete record.failing
      if (e.status === 'UNHEALTHY') {
        for (const replica of record.replicas) replica.stuck = 'RECOVERING'
      } else {
        record.replicas = [] // the failed replicas have been torn down
      }
      return
    }
    if (
      e.status === 'DEPLOYING' &&
      record.failing === undefined &&
      record.replicas.some((r) => r.stuck === undefined && now >= r.readyAt)
    ) {
      e.status = 'RUNNING'
    }
  }

  #replicaList(record: EndpointRecord): Replica[] {
    this.#advance(record, Date.now())
    if (!record.endpoint.is_active) return []
    const now = Date.now()
    return record.replicas.map(({ readyAt, stuck, ...replica }) => ({
      replica_id: replica.replica_id,
      state: stuck ?? (now >= readyAt ? 'RUNNING' : 'STARTING'),
      node_id: replica.node_id,
      node_ip: replica.node_ip,
      actor_id: replica.actor_id,
      actor_name: replica.actor_name,
      worker_id: replica.worker_id,
      pid: replica.pid,
      start_time_s: replica.start_time_s,
    }))
  }

  /** The full endpoint as of now; `advance` moves a start on first. */
  #view(record: EndpointRecord, advance: boolean): Endpoint {
    if (advance) this.#advance(record, Date.now())
    const view: Endpoint = structuredClone(record.endpoint)
    if (view.is_active) {
      const summary: Record<string, number> = {}
      for (const replica of this.#replicaList(record)) summary[replica.state] = (summary[replica.state] ?? 0) + 1
      view.replica_status_summary = summary
    }
    return view
  }

  /** Pydantic's UTC datetime with microseconds, strictly increasing across the emulator. */
  #timestamp(ms: number): string {
    let micros = ms * 1000
    if (ms >= Date.now() - 1000) {
      micros = Math.max(micros, this.#lastMicros + 1)
      this.#lastMicros = micros
    }
    const base = new Date(Math.floor(micros / 1000)).toISOString().slice(0, 19)
    return `${base}.${String(micros % 1_000_000).padStart(6, '0')}Z`
  }
}

// ---------------------------------------------------------------------------------------------
// Validation: Pydantic v2 (lax mode) messages, read independently of src/

type Parsed<T> = { value: T } | { issues: ValidationIssue[] }

function parseBody(raw: string): Parsed<unknown> {
  if (raw.trim() === '') return { issues: [{ type: 'missing', loc: ['body'], msg: 'Field required', input: null }] }
  try {
    return { value: JSON.parse(raw) as unknown }
  } catch (error) {
    // Python's json module reports the character offset; Node's message usually carries it too.
    const position = Number(/position (\d+)/.exec(error instanceof Error ? error.message : '')?.[1] ?? raw.length)
    return {
      issues: [
        {
          type: 'json_invalid',
          loc: ['body', position],
          msg: 'JSON decode error',
          input: {},
          ctx: { error: 'Expecting value' },
        },
      ],
    }
  }
}

function validatePatch(body: unknown): Parsed<Partial<Record<SettingName, unknown>>> {
  if (!isPlainObject(body)) return { issues: [modelAttributesIssue(['body'], body)] }
  const issues: ValidationIssue[] = []
  const value: Partial<Record<SettingName, unknown>> = {}
  for (const field of SETTINGS) {
    const input = body[field]
    // Unknown fields are ignored (Pydantic's default); null counts as "not provided" (exclude_none).
    if (input === undefined || input === null) continue
    const loc = ['body', field]
    const before = issues.length
    let coerced: unknown = input
    if (STRING_SETTINGS.has(field)) {
      if (typeof input !== 'string')
        issues.push({ type: 'string_type', loc, msg: 'Input should be a valid string', input })
      else if (PATH_SETTINGS.has(field) && !input.startsWith('/')) {
        issues.push({
          type: 'value_error',
          loc,
          msg: "Value error, Path must start with '/'",
          input,
          ctx: { error: {} },
        })
      }
    } else if (field === 'container_env_vars') {
      coerced = validateEnvVars(input, loc, issues)
    } else {
      const limits = INT_LIMITS[field]!
      coerced = laxInt(input, loc, issues)
      if (typeof coerced === 'number') rangeIssue(coerced, input, loc, limits.ge, limits.le, issues)
    }
    if (issues.length === before) value[field] = coerced
  }
  return issues.length > 0 ? { issues } : { value }
}

function validateEnvVars(input: unknown, loc: (string | number)[], issues: ValidationIssue[]): EnvVar[] | undefined {
  if (!Array.isArray(input)) {
    issues.push({ type: 'list_type', loc, msg: 'Input should be a valid list', input })
    return undefined
  }
  const result: EnvVar[] = []
  const seen = new Set<string>()
  for (const [i, item] of input.entries()) {
    const itemLoc = [...loc, i]
    if (!isPlainObject(item)) {
      issues.push({
        type: 'model_type',
        loc: itemLoc,
        msg: 'Input should be a valid dictionary or instance of EnvVar',
        input: item,
        ctx: { class_name: 'EnvVar' },
      })
      continue
    }
    let ok = true
    for (const part of ['key', 'value'] as const) {
      const v = item[part]
      if (v === undefined) {
        issues.push({ type: 'missing', loc: [...itemLoc, part], msg: 'Field required', input: item })
        ok = false
      } else if (typeof v !== 'string') {
        issues.push({ type: 'string_type', loc: [...itemLoc, part], msg: 'Input should be a valid string', input: v })
        ok = false
      } else if (part === 'key' && v === '') {
        issues.push({
          type: 'string_too_short',
          loc: [...itemLoc, part],
          msg: 'String should have at least 1 character',
          input: v,
          ctx: { min_length: 1 },
        })
        ok = false
      }
    }
    if (!ok) continue
    const key = item.key as string
    if (seen.has(key)) {
      issues.push({
        type: 'value_error',
        loc: itemLoc,
        msg: `Value error, Duplicate environment variable key: ${key}`,
        input: item,
        ctx: { error: {} },
      })
      continue
    }
    seen.add(key)
    result.push({ key, value: item.value as string }) // extra keys in an item are dropped, like Pydantic
  }
  return result
}

function validateScale(body: unknown): Parsed<number> {
  if (!isPlainObject(body)) return { issues: [modelAttributesIssue(['body'], body)] }
  const issues: ValidationIssue[] = []
  const loc = ['body', 'num_replicas']
  const input = body.num_replicas
  if (input === undefined) return { issues: [{ type: 'missing', loc, msg: 'Field required', input: body }] }
  const value = laxInt(input, loc, issues)
  if (typeof value === 'number') rangeIssue(value, input, loc, 1, 100, issues)
  return issues.length > 0 || typeof value !== 'number' ? { issues } : { value }
}

/** Pydantic v2 lax int: integers, integral floats and integer strings; not booleans or fractions. */
function laxInt(input: unknown, loc: (string | number)[], issues: ValidationIssue[]): number | undefined {
  if (typeof input === 'number' && Number.isFinite(input)) {
    if (Number.isInteger(input)) return input
    issues.push({
      type: 'int_from_float',
      loc,
      msg: 'Input should be a valid integer, got a number with a fractional part',
      input,
    })
    return undefined
  }
  if (typeof input === 'string') {
    if (/^\s*[+-]?\d+\s*$/.test(input)) return Number(input.trim())
    issues.push({
      type: 'int_parsing',
      loc,
      msg: 'Input should be a valid integer, unable to parse string as an integer',
      input,
    })
    return undefined
  }
  issues.push({ type: 'int_type', loc, msg: 'Input should be a valid integer', input })
  return undefined
}

function rangeIssue(
  value: number,
  input: unknown,
  loc: (string | number)[],
  ge: number,
  le: number | undefined,
  issues: ValidationIssue[],
): void {
  if (value < ge)
    issues.push({
      type: 'greater_than_equal',
      loc,
      msg: `Input should be greater than or equal to ${ge}`,
      input,
      ctx: { ge },
    })
  else if (le !== undefined && value > le)
    issues.push({
      type: 'less_than_equal',
      loc,
      msg: `Input should be less than or equal to ${le}`,
      input,
      ctx: { le },
    })
}

function queryInt(
  query: URLSearchParams,
  name: string,
  fallback: number,
  ge: number,
  le: number | undefined,
  issues: ValidationIssue[],
): number {
  const raw = query.get(name)
  if (raw === null) return fallback
  const loc = ['query', name]
  if (!/^\s*[+-]?\d+\s*$/.test(raw)) {
    issues.push({
      type: 'int_parsing',
      loc,
      msg: 'Input should be a valid integer, unable to parse string as an integer',
      input: raw,
    })
    return fallback
  }
  const value = Number(raw.trim())
  const before = issues.length
  rangeIssue(value, raw, loc, ge, le, issues)
  return issues.length === before ? value : fallback
}

function queryBool(query: URLSearchParams, name: string, issues: ValidationIssue[]): boolean | undefined {
  const raw = query.get(name)
  if (raw === null) return undefined
  const normalized = raw.trim().toLowerCase()
  if (['true', '1', 'yes', 'on', 't', 'y'].includes(normalized)) return true
  if (['false', '0', 'no', 'off', 'f', 'n'].includes(normalized)) return false
  issues.push({
    type: 'bool_parsing',
    loc: ['query', name],
    msg: 'Input should be a valid boolean, unable to interpret input',
    input: raw,
  })
  return undefined
}

function modelAttributesIssue(loc: (string | number)[], input: unknown): ValidationIssue {
  return {
    type: 'model_attributes_type',
    loc,
    msg: 'Input should be a valid dictionary or object to extract fields from',
    input,
  }
}

// ---------------------------------------------------------------------------------------------
// Helpers

function detail(status: number, message: string): Reply {
  return { status, body: { detail: message } }
}

function validationError(issues: ValidationIssue[]): Reply {
  return { status: 422, body: { detail: issues } }
}

function bearerToken(req: RecordedRequest): string | undefined {
  const header = req.headers.authorization
  if (typeof header !== 'string') return undefined
  return /^Bearer +(\S+) *$/i.exec(header)?.[1]
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

function count(counts: Map<string, number>, id: string | undefined): number {
  if (id !== undefined) return counts.get(id) ?? 0
  let total = 0
  for (const n of counts.values()) total += n
  return total
}

function hex(bytes: number): string {
  return randomBytes(bytes).toString('hex')
}

/** A Ray Serve replica of the endpoint's application: ids shaped like Ray's, started at `startedMs`. */
function newReplica(endpoint: { endpoint_id: string }, startedMs: number, readyAt: number): ReplicaRecord {
  const alphabet = 'abcdefghijklmnopqrstuvwxyz0123456789'
  const replicaId = Array.from(randomBytes(8), (b) => alphabet[b % alphabet.length]).join('')
  const [a, b] = randomBytes(2)
  return {
    replica_id: replicaId,
    node_id: hex(28),
    node_ip: `10.0.${a! % 256}.${(b! % 254) + 1}`,
    actor_id: hex(16),
    actor_name: `SERVE_REPLICA::endpoint-${endpoint.endpoint_id.slice(0, 8)}#ContainerDeployment#${replicaId}`,
    worker_id: hex(28),
    pid: 1000 + (randomBytes(2).readUInt16BE() % 60000),
    start_time_s: Math.round(startedMs) / 1000,
    readyAt,
  }
}
