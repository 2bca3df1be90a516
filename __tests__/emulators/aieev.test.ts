import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { AieevEmulator, type AieevEmulatorOptions, type Endpoint, type Replica, type ValidationIssue } from './aieev.ts'

const KEY = 'aieev-test-key'
const API = '/external/api/v1'
const START_MS = 120
const PYDANTIC_DATETIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/
const GET_KEYS = [
  'endpoint_id',
  'name',
  'endpoint_type',
  'is_active',
  'status',
  'num_replicas',
  'enable_autoscaling',
  'instance_type_name',
  'serving_endpoint_url',
  'created_at',
  'updated_at',
]
const SETTINGS = [
  'container_start_command',
  'container_env_vars',
  'container_port',
  'container_health_check_path',
  'container_health_check_timeout',
  'health_check_timeout',
  'container_metric_path',
]

let emu: AieevEmulator
let ep: Endpoint

async function boot(options: AieevEmulatorOptions = {}): Promise<void> {
  await emu?.close()
  emu = new AieevEmulator({ startMs: START_MS, ...options })
  await emu.start()
  ep = emu.seed()
}

beforeEach(async () => {
  await boot()
})

afterEach(async () => {
  await emu.close()
})

interface CallOptions {
  body?: unknown
  raw?: string
  key?: string | null
  headers?: Record<string, string>
}

function call(method: string, path: string, options: CallOptions = {}): Promise<Response> {
  const headers: Record<string, string> = { ...options.headers }
  const key = options.key === undefined ? KEY : options.key
  if (key !== null) headers.authorization = `Bearer ${key}`
  let body: string | undefined = options.raw
  if (options.body !== undefined) body = JSON.stringify(options.body)
  if (body !== undefined) headers['content-type'] = 'application/json'
  return fetch(`${emu.origin}${API}${path}`, { method, headers, body, redirect: 'manual' })
}

const patch = (body: unknown, id = ep.endpoint_id) => call('PATCH', `/endpoints/${id}`, { body })
const start = (id = ep.endpoint_id) => call('POST', `/endpoints/${id}/start`)
const get = async (id = ep.endpoint_id) =>
  (await (await call('GET', `/endpoints/${id}`)).json()) as Record<string, unknown> & Partial<Endpoint>

async function expectDetail(res: Response, status: number, message: string): Promise<void> {
  expect(res.status).toBe(status)
  expect(res.headers.get('content-type')).toBe('application/json')
  expect(await res.json()).toEqual({ detail: message })
}

async function expect422(res: Response): Promise<ValidationIssue[]> {
  expect(res.status).toBe(422)
  const json = (await res.json()) as { detail: ValidationIssue[] }
  expect(Object.keys(json)).toEqual(['detail'])
  expect(Array.isArray(json.detail)).toBe(true)
  for (const issue of json.detail) {
    expect(typeof issue.type).toBe('string')
    expect(typeof issue.msg).toBe('string')
    expect(Array.isArray(issue.loc)).toBe(true)
  }
  return json.detail
}

async function waitFor<T>(read: () => Promise<T>, done: (value: T) => boolean, ms = 2000): Promise<T> {
  const deadline = Date.now() + ms
  for (;;) {
    const value = await read()
    if (done(value)) return value
    if (Date.now() > deadline) throw new Error(`condition not reached; last value ${JSON.stringify(value)}`)
    await new Promise((resolve) => setTimeout(resolve, 5))
  }
}

describe('server and auth', () => {
  it('listens on 127.0.0.1 with an ephemeral port', () => {
    expect(emu.origin).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/)
    expect(emu.origin).not.toMatch(/:0$/)
  })

  it('401 {"detail":"Invalid API key"} without a key, with a wrong key or a non-Bearer scheme', async () => {
    for (const res of [
      await call('GET', `/endpoints/${ep.endpoint_id}`, { key: null }),
      await call('GET', `/endpoints/${ep.endpoint_id}`, { key: 'nope' }),
      await call('PATCH', `/endpoints/${ep.endpoint_id}`, {
        key: null,
        headers: { authorization: `Basic ${KEY}` },
        body: { container_port: 1 },
      }),
      await call('GET', '/endpoints', { key: null, headers: { 'x-api-key': KEY } }),
    ]) {
      expect(res.headers.get('www-authenticate')).toBe('Bearer')
      await expectDetail(res, 401, 'Invalid API key')
    }
    expect(emu.appliedPatches()).toBe(0)
  })

  it('accepts any configured key; unknown routes are 404 "Not Found" before auth, wrong methods 405', async () => {
    await boot({ keys: ['k1', 'k2'] })
    expect((await call('GET', `/endpoints/${ep.endpoint_id}`, { key: 'k2' })).status).toBe(200)
    await expectDetail(await call('GET', '/nope', { key: null }), 404, 'Not Found')
    await expectDetail(await call('GET', `/endpoints/${ep.endpoint_id}/logs`, { key: null }), 404, 'Not Found')
    const res = await call('POST', `/endpoints/${ep.endpoint_id}`, { key: 'k1', body: {} })
    expect(res.headers.get('allow')).toBe('GET, PATCH')
    await expectDetail(res, 405, 'Method Not Allowed')
  })

  it('a trailing slash is redirected (307) to the path without it, not applied', async () => {
    const res = await call('PATCH', `/endpoints/${ep.endpoint_id}/`, { body: { container_port: 9000 } })
    expect(res.status).toBe(307)
    expect(res.headers.get('location')).toBe(`${emu.origin}${API}/endpoints/${ep.endpoint_id}`)
    expect(emu.appliedPatches()).toBe(0)
  })
})

describe('GET /endpoints/{endpoint_id} and GET /endpoints', () => {
  it('get: endpoint_id, the documented fields, replica_status_summary while active; no settings by default', async () => {
    const res = await call('GET', `/endpoints/${ep.endpoint_id}`)
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toBe('application/json')
    const got = (await res.json()) as Record<string, unknown>
    expect(Object.keys(got).sort()).toEqual([...GET_KEYS, 'replica_status_summary'].sort())
    expect(got).toMatchObject({
      endpoint_id: ep.endpoint_id,
      endpoint_type: 'container',
      is_active: true,
      status: 'RUNNING',
      num_replicas: 1,
      replica_status_summary: { RUNNING: 1 },
    })
    expect(got).not.toHaveProperty('id')
    expect(got.created_at).toMatch(PYDANTIC_DATETIME)
    expect(got.updated_at).toMatch(PYDANTIC_DATETIME)
  })

  it('getIncludesSettings adds the container settings to get', async () => {
    await boot({ getIncludesSettings: true })
    const got = await get()
    expect(Object.keys(got).sort()).toEqual([...GET_KEYS, 'replica_status_summary', ...SETTINGS].sort())
    expect(got.container_env_vars).toEqual(ep.container_env_vars)
  })

  it('the seed is realistic and holds a secret-looking env value', () => {
    expect(ep.endpoint_id).toMatch(/^[0-9a-f-]{36}$/)
    expect(ep.container_port).toBe(8080)
    expect(ep.container_health_check_path).toBe('/healthz')
    expect(ep.health_check_timeout).toBe(300)
    expect(ep.container_env_vars?.find((v) => v.key === 'HF_TOKEN')?.value).toMatch(/^hf_[0-9a-f]{34}$/)
    expect(ep.replica_status_summary).toEqual({ RUNNING: 1 })
    expect(emu.replicas(ep.endpoint_id)).toHaveLength(1)
  })

  it('the serving URL is on the emulator itself: it answers while the endpoint serves, 503 while it does not', async () => {
    expect(ep.serving_endpoint_url).toBe(`${emu.origin}/serving/${ep.endpoint_id}`)
    const serving = await fetch(ep.serving_endpoint_url!)
    expect(serving.status).toBe(200)
    expect(await serving.json()).toMatchObject({ endpoint_id: ep.endpoint_id, status: 'RUNNING' })
    expect((await patch({ container_port: 9090 })).status).toBe(200)
    expect((await fetch(ep.serving_endpoint_url!)).status).toBe(503)
    expect((await fetch(`${emu.origin}/serving/unknown`)).status).toBe(404)
  })

  it('list: items use id (not endpoint_id), with paging fields and name / is_active filters', async () => {
    const other = emu.seed({ name: 'Batch-Worker', is_active: false })
    let res = await call('GET', '/endpoints')
    expect(res.status).toBe(200)
    const all = (await res.json()) as {
      items: Record<string, unknown>[]
      total: number
      page: number
      size: number
      pages: number
    }
    expect(all).toMatchObject({ total: 2, page: 1, size: 50, pages: 1 })
    expect(all.items.map((i) => i.id).sort()).toEqual([ep.endpoint_id, other.endpoint_id].sort())
    for (const item of all.items) {
      expect(Object.keys(item).sort()).toEqual(['id', ...GET_KEYS.filter((k) => k !== 'endpoint_id')].sort())
    }
    expect(all.items.find((i) => i.id === other.endpoint_id)).toMatchObject({ is_active: false, status: 'STOPPED' })

    res = await call('GET', '/endpoints?name=batch')
    expect(((await res.json()) as { items: { id: string }[] }).items.map((i) => i.id)).toEqual([other.endpoint_id])
    res = await call('GET', '/endpoints?is_active=true&size=1&page=1')
    expect(await res.json()).toMatchObject({ items: [{ id: ep.endpoint_id }], total: 1, size: 1, pages: 1 })
    res = await call('GET', '/endpoints?size=1&page=3')
    expect(await res.json()).toMatchObject({ items: [], total: 2, page: 3, pages: 2 })
  })

  it('list: query validation is a FastAPI 422 with query locations', async () => {
    const issues = await expect422(await call('GET', '/endpoints?page=0&size=2001&is_active=maybe'))
    expect(issues.map((i) => [i.loc, i.type])).toEqual([
      [['query', 'page'], 'greater_than_equal'],
      [['query', 'size'], 'less_than_equal'],
      [['query', 'is_active'], 'bool_parsing'],
    ])
  })

  it('404 {"detail":"Endpoint not found"} for an unknown endpoint on every operation', async () => {
    const id = '00000000-0000-4000-8000-000000000000'
    await expectDetail(await call('GET', `/endpoints/${id}`), 404, 'Endpoint not found')
    await expectDetail(await patch({ container_port: 9000 }, id), 404, 'Endpoint not found')
    await expectDetail(await start(id), 404, 'Endpoint not found')
    await expectDetail(await call('POST', `/endpoints/${id}/stop`), 404, 'Endpoint not found')
    await expectDetail(
      await call('POST', `/endpoints/${id}/scale`, { body: { num_replicas: 2 } }),
      404,
      'Endpoint not found',
    )
    await expectDetail(await call('GET', `/endpoints/${id}/replicas`), 404, 'Endpoint not found')
    expect(emu.appliedPatches()).toBe(0)
  })
})

describe('PATCH /endpoints/{endpoint_id}', () => {
  it('applies the fields and leaves the endpoint inactive; env vars are replaced, values returned as sent', async () => {
    const env = [
      { key: 'ENV', value: 'staging' },
      { key: 'API_SECRET', value: 's3cr3t-value' },
    ]
    const res = await patch({
      container_port: 9000,
      container_env_vars: env,
      container_health_check_path: '/ready',
      health_check_timeout: 120,
    })
    expect(res.status).toBe(200)
    const body = (await res.json()) as Record<string, unknown>
    expect(Object.keys(body)).toEqual(['endpoint_id', 'name', 'is_active', ...SETTINGS, 'updated_at'])
    expect(body).toMatchObject({
      endpoint_id: ep.endpoint_id,
      name: ep.name,
      is_active: false,
      container_port: 9000,
      container_env_vars: env,
      container_health_check_path: '/ready',
      health_check_timeout: 120,
      container_start_command: ep.container_start_command,
      container_metric_path: ep.container_metric_path,
    })
    expect(body.updated_at).toMatch(PYDANTIC_DATETIME)
    expect(body.updated_at).not.toBe(ep.updated_at)

    const after = await get()
    expect(after).toMatchObject({ is_active: false, status: 'STOPPED', updated_at: body.updated_at })
    expect(after).not.toHaveProperty('replica_status_summary')
    expect(await (await call('GET', `/endpoints/${ep.endpoint_id}/replicas`)).json()).toEqual([])
    expect(emu.stored(ep.endpoint_id)?.container_env_vars).toEqual(env)
    expect(emu.appliedPatches(ep.endpoint_id)).toBe(1)
    expect(emu.appliedPatches()).toBe(1)
  })

  it('updated_at changes on every PATCH, even within the same millisecond', async () => {
    const first = (await (await patch({ container_port: 9001 })).json()) as { updated_at: string }
    const second = (await (await patch({ container_port: 9001 })).json()) as { updated_at: string }
    expect(second.updated_at > first.updated_at).toBe(true)
    expect(emu.appliedPatches()).toBe(2)
  })

  it('unknown fields and nulls are ignored; integer strings are coerced (Pydantic lax mode)', async () => {
    const res = await patch({ container_port: '9090', container_start_command: null, replicas: 5, name: 'renamed' })
    expect(res.status).toBe(200)
    const body = (await res.json()) as Record<string, unknown>
    expect(body).toMatchObject({
      container_port: 9090,
      container_start_command: ep.container_start_command,
      name: ep.name,
    })
    expect(body).not.toHaveProperty('replicas')
  })

  it('an empty object (or only nulls / unknown fields) is 400 with a string detail; nothing applied', async () => {
    await expectDetail(await patch({}), 400, 'At least one field must be provided')
    await expectDetail(await patch({ container_port: null, foo: 1 }), 400, 'At least one field must be provided')
    expect(emu.appliedPatches()).toBe(0)
    expect(emu.stored(ep.endpoint_id)?.is_active).toBe(true)
  })

  it('a missing body, invalid JSON or a non-object body is a 422', async () => {
    let issues = await expect422(await call('PATCH', `/endpoints/${ep.endpoint_id}`))
    expect(issues).toEqual([{ type: 'missing', loc: ['body'], msg: 'Field required', input: null }])
    issues = await expect422(await call('PATCH', `/endpoints/${ep.endpoint_id}`, { raw: '{"container_port":' }))
    expect(issues[0]).toMatchObject({ type: 'json_invalid', msg: 'JSON decode error' })
    expect(issues[0]?.loc[0]).toBe('body')
    issues = await expect422(await patch([{ container_port: 1 }]))
    expect(issues[0]).toMatchObject({ type: 'model_attributes_type', loc: ['body'] })
  })

  it('validation: every problem at once, Pydantic v2 shapes, nothing applied', async () => {
    const issues = await expect422(
      await patch({
        container_port: 0,
        container_health_check_timeout: 1.5,
        health_check_timeout: 'soon',
        container_health_check_path: 'healthz',
        container_metric_path: 42,
        container_env_vars: [{ key: '', value: 'x' }, { key: 'A' }, 'B=1', { key: 'C', value: 1 }],
      }),
    )
    const byLoc = Object.fromEntries(issues.map((i) => [i.loc.join('.'), i]))
    expect(byLoc['body.container_port']).toEqual({
      type: 'greater_than_equal',
      loc: ['body', 'container_port'],
      msg: 'Input should be greater than or equal to 1',
      input: 0,
      ctx: { ge: 1 },
    })
    expect(byLoc['body.container_health_check_timeout']?.type).toBe('int_from_float')
    expect(byLoc['body.health_check_timeout']?.type).toBe('int_parsing')
    expect(byLoc['body.container_health_check_path']).toMatchObject({
      type: 'value_error',
      msg: "Value error, Path must start with '/'",
    })
    expect(byLoc['body.container_metric_path']?.type).toBe('string_type')
    expect(byLoc['body.container_env_vars.0.key']?.type).toBe('string_too_short')
    expect(byLoc['body.container_env_vars.1.value']?.type).toBe('missing')
    expect(byLoc['body.container_env_vars.2']?.type).toBe('model_type')
    expect(byLoc['body.container_env_vars.3.value']?.type).toBe('string_type')
    expect(issues).toHaveLength(9)
    expect(emu.appliedPatches()).toBe(0)
    expect(emu.stored(ep.endpoint_id)).toMatchObject({ is_active: true, container_port: 8080 })
  })

  it('validation: port above 65535, env vars not a list, duplicate keys; validation comes before the 404', async () => {
    let issues = await expect422(await patch({ container_port: 65536, container_env_vars: { ENV: 'x' } }))
    expect(issues.map((i) => i.type)).toEqual(['list_type', 'less_than_equal'])
    expect(issues[1]).toMatchObject({
      loc: ['body', 'container_port'],
      msg: 'Input should be less than or equal to 65535',
      ctx: { le: 65535 },
    })
    issues = await expect422(
      await patch({
        container_env_vars: [
          { key: 'A', value: '1' },
          { key: 'A', value: '2' },
        ],
      }),
    )
    expect(issues).toEqual([expect.objectContaining({ type: 'value_error', loc: ['body', 'container_env_vars', 1] })])
    await expect422(await patch({ container_port: 0 }, 'no-such-endpoint'))
  })
})

describe('POST /endpoints/{endpoint_id}/start', () => {
  it('PATCH → start → DEPLOYING with STARTING replicas → RUNNING', async () => {
    expect((await patch({ container_port: 9000 })).status).toBe(200)
    const res = await start()
    expect(res.status).toBe(200)
    expect(await res.json()).toEqual({
      endpoint_id: ep.endpoint_id,
      is_active: true,
      message: 'Endpoint started successfully',
    })
    expect(emu.starts(ep.endpoint_id)).toBe(1)

    const starting = await get()
    expect(starting).toMatchObject({ is_active: true, status: 'DEPLOYING', replica_status_summary: { STARTING: 1 } })
    const replicas = (await (await call('GET', `/endpoints/${ep.endpoint_id}/replicas`)).json()) as Replica[]
    expect(replicas).toHaveLength(1)
    expect(replicas[0]).toMatchObject({
      state: 'STARTING',
      actor_name: expect.stringMatching(/^SERVE_REPLICA::/) as unknown,
    })
    expect(Object.keys(replicas[0]!).sort()).toEqual([
      'actor_id',
      'actor_name',
      'node_id',
      'node_ip',
      'pid',
      'replica_id',
      'start_time_s',
      'state',
      'worker_id',
    ])

    await expectDetail(await start(), 409, 'Endpoint is already active')
    expect(emu.starts()).toBe(1)

    const running = await waitFor(get, (e) => e.status === 'RUNNING')
    expect(running.replica_status_summary).toEqual({ RUNNING: 1 })
    expect(emu.stored(ep.endpoint_id)).toMatchObject({ is_active: true, status: 'RUNNING', container_port: 9000 })
  })

  it('with several replicas, status turns RUNNING while some are still STARTING', async () => {
    await boot({ startMs: 400 })
    ep = emu.seed({ num_replicas: 2 })
    await patch({ container_port: 9000 })
    await start()
    const partly = await waitFor(get, (e) => e.status === 'RUNNING')
    expect(partly.replica_status_summary).toEqual({ RUNNING: 1, STARTING: 1 })
    const full = await waitFor(get, (e) => e.replica_status_summary?.STARTING === undefined)
    expect(full.replica_status_summary).toEqual({ RUNNING: 2 })
  })

  it('failNextStart: the start ends in DEPLOY_FAILED (replicas torn down) or UNHEALTHY (replicas RECOVERING)', async () => {
    emu.failNextStart(ep.endpoint_id)
    await patch({ container_port: 9000 })
    await start()
    expect(await get()).toMatchObject({ status: 'DEPLOYING', replica_status_summary: { STARTING: 1 } })
    const failed = await waitFor(get, (e) => e.status !== 'DEPLOYING')
    expect(failed).toMatchObject({ is_active: true, status: 'DEPLOY_FAILED', replica_status_summary: {} })

    const other = emu.seed({ num_replicas: 2 })
    emu.failNextStart(other.endpoint_id, 'UNHEALTHY')
    await patch({ health_check_timeout: 60 }, other.endpoint_id)
    await start(other.endpoint_id)
    const unhealthy = await waitFor(
      () => get(other.endpoint_id),
      (e) => e.status !== 'DEPLOYING',
    )
    expect(unhealthy).toMatchObject({ status: 'UNHEALTHY', replica_status_summary: { RECOVERING: 2 } })

    // Only the next start fails: stop, start again and it runs.
    expect((await call('POST', `/endpoints/${ep.endpoint_id}/stop`)).status).toBe(200)
    await start()
    await waitFor(get, (e) => e.status === 'RUNNING')
  })

  it('failStartsWhen: a start fails by the settings it starts with; stallStartsWhen: it never ends', async () => {
    emu.failStartsWhen(ep.endpoint_id, (e) => (e.container_port === 9000 ? 'DEPLOY_FAILED' : undefined))
    await patch({ container_port: 9000 })
    await start()
    expect(await waitFor(get, (e) => e.status !== 'DEPLOYING')).toMatchObject({ status: 'DEPLOY_FAILED' })
    // Every start with those settings fails; the old ones serve.
    await patch({ container_port: 8080 })
    await start()
    expect(await waitFor(get, (e) => e.status !== 'DEPLOYING')).toMatchObject({ status: 'RUNNING', is_active: true })

    const other = emu.seed()
    emu.stallStartsWhen(other.endpoint_id, (e) => e.container_port === 7000)
    await patch({ container_port: 7000 }, other.endpoint_id)
    await start(other.endpoint_id)
    await new Promise((resolve) => setTimeout(resolve, 600))
    expect(await get(other.endpoint_id)).toMatchObject({ status: 'DEPLOYING', replica_status_summary: { STARTING: 1 } })
  })

  it("startRoute 'missing': start is 404 Not Found, the settings stay saved and the endpoint inactive", async () => {
    await boot({ startRoute: 'missing' })
    expect((await patch({ container_port: 9000 })).status).toBe(200)
    await expectDetail(await start(), 404, 'Not Found')
    expect(emu.stored(ep.endpoint_id)).toMatchObject({ is_active: false, status: 'STOPPED', container_port: 9000 })
    expect(emu.starts()).toBe(0)
  })

  it("startRoute 'method-not-allowed': start is 405", async () => {
    await boot({ startRoute: 'method-not-allowed' })
    await patch({ container_port: 9000 })
    await expectDetail(await start(), 405, 'Method Not Allowed')
    expect(emu.stored(ep.endpoint_id)?.is_active).toBe(false)
  })
})

describe('stop and scale', () => {
  it('stop: inactive, no summary; a second stop is 409', async () => {
    const res = await call('POST', `/endpoints/${ep.endpoint_id}/stop`)
    expect(await res.json()).toEqual({
      endpoint_id: ep.endpoint_id,
      is_active: false,
      message: 'Endpoint stopped successfully',
    })
    const after = await get()
    expect(after).toMatchObject({ is_active: false, status: 'STOPPED' })
    expect(after).not.toHaveProperty('replica_status_summary')
    await expectDetail(await call('POST', `/endpoints/${ep.endpoint_id}/stop`), 409, 'Endpoint is already inactive')
  })

  it('scale: 1–100, documented response; new replicas start, then run', async () => {
    const issues = await expect422(
      await call('POST', `/endpoints/${ep.endpoint_id}/scale`, { body: { num_replicas: 101 } }),
    )
    expect(issues[0]).toMatchObject({ type: 'less_than_equal', loc: ['body', 'num_replicas'] })
    expect((await expect422(await call('POST', `/endpoints/${ep.endpoint_id}/scale`, { body: {} })))[0]?.type).toBe(
      'missing',
    )

    const res = await call('POST', `/endpoints/${ep.endpoint_id}/scale`, { body: { num_replicas: 3 } })
    expect(await res.json()).toEqual({
      endpoint_id: ep.endpoint_id,
      previous_replicas: 1,
      current_replicas: 3,
      message: 'Successfully scaled from 1 to 3 replicas',
    })
    expect(await get()).toMatchObject({
      status: 'RUNNING',
      num_replicas: 3,
      replica_status_summary: { RUNNING: 1, STARTING: 2 },
    })
    await waitFor(get, (e) => e.replica_status_summary?.RUNNING === 3)
  })
})

describe('faults', () => {
  it('reset-after on PATCH: applied once, the client sees a dropped connection', async () => {
    emu.inject({ method: 'PATCH', path: `${API}/endpoints/${ep.endpoint_id}`, fault: { kind: 'reset-after' } })
    await expect(patch({ container_port: 9000 })).rejects.toThrow()
    expect(emu.appliedPatches(ep.endpoint_id)).toBe(1)
    expect(emu.stored(ep.endpoint_id)).toMatchObject({ is_active: false, container_port: 9000 })
    expect((await patch({ container_port: 9000 })).status).toBe(200)
    expect(emu.appliedPatches(ep.endpoint_id)).toBe(2)
  })

  it('gateway 502 is an nginx HTML page; 500 is plain text; other statuses a JSON detail; none applied', async () => {
    emu.inject({ method: 'PATCH', fault: { kind: 'status', status: 502 } })
    emu.inject({ method: 'PATCH', fault: { kind: 'status', status: 500 } })
    emu.inject({ method: 'PATCH', fault: { kind: 'status', status: 429, retryAfter: '1' } })
    let res = await patch({ container_port: 9000 })
    expect(res.status).toBe(502)
    expect(res.headers.get('content-type')).toBe('text/html')
    expect(await res.text()).toContain('<center><h1>502 Bad Gateway</h1></center>')
    res = await patch({ container_port: 9000 })
    expect(res.status).toBe(500)
    expect(res.headers.get('content-type')).toBe('text/plain; charset=utf-8')
    expect(await res.text()).toBe('Internal Server Error')
    res = await patch({ container_port: 9000 })
    expect(res.headers.get('retry-after')).toBe('1')
    await expectDetail(res, 429, 'Too Many Requests')
    expect(emu.appliedPatches()).toBe(0)
    expect((await patch({ container_port: 9000 })).status).toBe(200)
  })
})
