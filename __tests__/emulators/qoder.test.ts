import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { startCatcher } from './base.ts'
import { QoderEmulator, isValidCron, isValidTimeZone, type Deployment } from './qoder.ts'

const TOKEN = 'pt-test-token'
const READ_ONLY = 'pt-read-only'
const API = '/api/v1/cloud'
const RFC3339_SECONDS = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/

let emu: QoderEmulator
let dep: Deployment

beforeEach(async () => {
  emu = new QoderEmulator({ readOnlyTokens: [READ_ONLY] })
  await emu.start()
  dep = emu.seed({ metadata: { team: 'platform', owner: 'alice' } })
})

afterEach(async () => {
  await emu.close()
})

interface CallOptions {
  body?: unknown
  raw?: string
  token?: string | null
  headers?: Record<string, string>
  redirect?: RequestInit['redirect']
  signal?: AbortSignal
}

function call(method: string, path: string, options: CallOptions = {}): Promise<Response> {
  const headers: Record<string, string> = { ...options.headers }
  const token = options.token === undefined ? TOKEN : options.token
  if (token !== null) headers.authorization = `Bearer ${token}`
  let body: string | undefined = options.raw
  if (options.body !== undefined) body = JSON.stringify(options.body)
  if (body !== undefined) headers['content-type'] = 'application/json'
  return fetch(`${emu.origin}${API}${path}`, {
    method,
    headers,
    body,
    redirect: options.redirect,
    signal: options.signal,
  })
}

const update = (body: unknown, options: CallOptions = {}) =>
  call('POST', `/deployments/${dep.id}`, { ...options, body })

async function expectError(
  res: Response,
  status: number,
  type: string,
  param?: string,
): Promise<{ type: string; message: string; param?: string }> {
  expect(res.status).toBe(status)
  expect(res.headers.get('content-type')).toBe('application/json')
  const json = (await res.json()) as { type: string; error: { type: string; message: string; param?: string } }
  expect(json.type).toBe('error')
  expect(json.error.type).toBe(type)
  expect(typeof json.error.message).toBe('string')
  expect(json.error.message.length).toBeGreaterThan(0)
  if (param === undefined) expect(json.error).not.toHaveProperty('param')
  else expect(json.error.param).toBe(param)
  expect(Object.keys(json).sort()).toEqual(['error', 'type'])
  return json.error
}

/** The object with the documented volatile fields removed. */
function withoutVolatile(d: Deployment): unknown {
  const copy = structuredClone(d)
  if (copy.metadata.cas_config) delete (copy.metadata.cas_config as Partial<typeof copy.metadata.cas_config>).stats
  if (copy.schedule) {
    delete (copy.schedule as Partial<typeof copy.schedule>).upcoming_runs_at
    delete copy.schedule.last_run_at
  }
  return copy
}

async function waitFor(check: () => boolean): Promise<void> {
  const deadline = Date.now() + 2000
  while (!check()) {
    if (Date.now() > deadline) throw new Error('condition not reached')
    await new Promise((resolve) => setTimeout(resolve, 5))
  }
}

describe('server', () => {
  it('listens on 127.0.0.1 with an ephemeral port', () => {
    expect(emu.origin).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/)
    expect(emu.origin).not.toMatch(/:0$/)
  })

  it('records every request with method, path, query, headers and body', async () => {
    await call('POST', `/deployments/${dep.id}?x=1`, { body: { name: 'n1' } })
    const [recorded] = emu.requestsTo('post', `${API}/deployments/${dep.id}`)
    expect(recorded?.path).toBe(`${API}/deployments/${dep.id}`)
    expect(recorded?.url.searchParams.get('x')).toBe('1')
    expect(recorded?.headers.authorization).toBe(`Bearer ${TOKEN}`)
    expect(recorded?.body).toBe('{"name":"n1"}')
    expect(emu.requestsTo('GET', /deployments/)).toHaveLength(0)
  })
})

describe('auth', () => {
  it('401 without an Authorization header', async () => {
    const error = await expectError(
      await call('GET', `/deployments/${dep.id}`, { token: null }),
      401,
      'authentication_error',
    )
    expect(error.message).toBe('Invalid API key or token.')
  })

  it('401 for an unknown token', async () => {
    await expectError(await call('GET', `/deployments/${dep.id}`, { token: 'pt-nope' }), 401, 'authentication_error')
  })

  it('401 for x-api-key instead of Bearer, even with a valid token value', async () => {
    const res = await call('GET', `/deployments/${dep.id}`, { token: null, headers: { 'x-api-key': TOKEN } })
    await expectError(res, 401, 'authentication_error')
  })

  it('401 for a non-Bearer scheme', async () => {
    const res = await call('GET', `/deployments/${dep.id}`, {
      token: null,
      headers: { authorization: `Basic ${TOKEN}` },
    })
    await expectError(res, 401, 'authentication_error')
  })

  it('read-only token: GET works, writes get 403 and change nothing', async () => {
    expect((await call('GET', `/deployments/${dep.id}`, { token: READ_ONLY })).status).toBe(200)
    await expectError(await update({ name: 'x' }, { token: READ_ONLY }), 403, 'permission_error')
    await expectError(await call('POST', `/deployments/${dep.id}/pause`, { token: READ_ONLY }), 403, 'permission_error')
    expect(emu.appliedUpdates()).toBe(0)
    expect(emu.stored(dep.id)?.name).toBe(dep.name)
    expect(emu.stored(dep.id)?.status).toBe('active')
  })
})

describe('GET /deployments/{id}', () => {
  it('returns the documented Deployment shape', async () => {
    const res = await call('GET', `/deployments/${dep.id}`)
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toBe('application/json')
    const got = (await res.json()) as Deployment
    expect(got.id).toMatch(/^dep_[0-9a-f]{32}$/)
    expect(got.agent).toEqual({
      id: expect.stringMatching(/^agent_[0-9a-f]{32}$/) as unknown,
      type: 'agent',
      version: 1,
    })
    expect(got.environment_id).toMatch(/^env_[0-9a-f]{32}$/)
    expect(got.type).toBe('deployment')
    expect(got.status).toBe('active')
    expect(got.archived_at).toBeNull()
    expect(got.paused_reason).toBeNull()
    expect(got.created_at).toMatch(RFC3339_SECONDS)
    expect(got.updated_at).toMatch(RFC3339_SECONDS)
    expect(got.schedule?.upcoming_runs_at).toHaveLength(5)
    for (const at of got.schedule?.upcoming_runs_at ?? []) expect(at).toMatch(RFC3339_SECONDS)
    expect(got.metadata.cas_config?.config).toEqual({ max_concurrent: 1, max_retries: 0, timeout_ms: 300000 })
    expect(got.metadata.cas_config?.stats.next_trigger_at).toBe(got.schedule?.upcoming_runs_at[0])
    expect(got.metadata).toMatchObject({ team: 'platform', owner: 'alice' })
    expect(Object.keys(got)).toEqual(Object.keys(got).slice().sort())
  })

  it('404 not_found_error for an unknown deployment and an unknown route', async () => {
    await expectError(await call('GET', '/deployments/dep_00000000000000000000000000000000'), 404, 'not_found_error')
    await expectError(await call('GET', '/deployments'), 404, 'not_found_error')
    await expectError(await call('GET', `/deployments/${dep.id}/runs`), 404, 'not_found_error')
    await expectError(await call('PATCH', `/deployments/${dep.id}`, { body: {} }), 404, 'not_found_error')
    await expectError(
      await call('POST', '/deployments/dep_00000000000000000000000000000000', { body: { name: 'x' } }),
      404,
      'not_found_error',
    )
  })

  it('volatile fields change on every read; everything else stays byte-identical', async () => {
    const first = await (await call('GET', `/deployments/${dep.id}`)).text()
    const second = await (await call('GET', `/deployments/${dep.id}`)).text()
    const a = JSON.parse(first) as Deployment
    const b = JSON.parse(second) as Deployment
    expect(b.metadata.cas_config?.stats).not.toEqual(a.metadata.cas_config?.stats)
    expect(b.schedule?.upcoming_runs_at).not.toEqual(a.schedule?.upcoming_runs_at)
    expect(b.schedule?.last_run_at).toBeDefined()
    expect(b.schedule?.last_run_at).not.toBe(a.schedule?.last_run_at)
    expect(JSON.stringify(withoutVolatile(b))).toBe(JSON.stringify(withoutVolatile(a)))
    expect(b.updated_at).toBe(a.updated_at)
  })
})

describe('POST /deployments/{id} (merge-patch update)', () => {
  it('changes only the fields sent; metadata is patched, null deletes', async () => {
    const res = await update({ name: 'renamed', metadata: { owner: null, env: 'prod' } })
    expect(res.status).toBe(200)
    const got = (await res.json()) as Deployment
    expect(got.name).toBe('renamed')
    expect(got.description).toBe(dep.description)
    expect(got.agent).toEqual(dep.agent)
    expect(got.schedule?.expression).toBe(dep.schedule?.expression)
    expect(got.metadata).not.toHaveProperty('owner')
    expect(got.metadata.team).toBe('platform')
    expect(got.metadata.env).toBe('prod')
    expect(got.metadata.cas_config?.config).toEqual(dep.metadata.cas_config?.config)
    expect(got.metadata.cas_config?.stats).toBeDefined()
    expect(got.updated_at).toMatch(RFC3339_SECONDS)
    expect(Date.parse(got.updated_at)).toBeGreaterThanOrEqual(Math.floor(Date.now() / 1000) * 1000 - 2000)
    expect(emu.appliedUpdates(dep.id)).toBe(1)
    expect(emu.appliedUpdates()).toBe(1)
    expect(emu.stored(dep.id)?.name).toBe('renamed')
  })

  it('agent as a string becomes {id, type: "agent", version: 1}; the object form keeps its version', async () => {
    let got = (await (await update({ agent: 'agent_0123456789abcdef0123456789abcdef' })).json()) as Deployment
    expect(got.agent).toEqual({ id: 'agent_0123456789abcdef0123456789abcdef', type: 'agent', version: 1 })
    got = (await (await update({ agent: { id: 'agent_x', type: 'agent', version: 3 } })).json()) as Deployment
    expect(got.agent).toEqual({ id: 'agent_x', type: 'agent', version: 3 })
  })

  it('schedule is replaced as a whole and gets fresh upcoming runs', async () => {
    const res = await update({
      schedule: { type: 'cron', expression: '*/15 0-23 1,15 JAN-DEC mon-fri', timezone: 'Europe/Berlin' },
    })
    expect(res.status).toBe(200)
    const got = (await res.json()) as Deployment
    expect(got.schedule).toMatchObject({
      type: 'cron',
      expression: '*/15 0-23 1,15 JAN-DEC mon-fri',
      timezone: 'Europe/Berlin',
    })
    expect(got.schedule?.upcoming_runs_at).toHaveLength(5)
  })

  it('top-level arrays are replaced, cas_config keeps its server-maintained stats', async () => {
    const events = [
      { type: 'system.message', content: 'a' },
      { type: 'user.message', content: 'b' },
    ]
    const res = await update({
      initial_events: events,
      vault_ids: ['vlt_1'],
      resources: [{ type: 'file', id: 'f1' }],
      metadata: { cas_config: { config: { max_retries: 2 }, stats: { total_runs: 999 } } },
    })
    expect(res.status).toBe(200)
    const got = (await res.json()) as Deployment
    expect(got.initial_events).toEqual(events)
    expect(got.vault_ids).toEqual(['vlt_1'])
    expect(got.resources).toEqual([{ type: 'file', id: 'f1' }])
    expect(got.metadata.cas_config?.config).toEqual({ max_concurrent: 1, max_retries: 2, timeout_ms: 300000 })
    expect(got.metadata.cas_config?.stats.total_runs).toBeLessThan(999)
  })

  it('accepts a 256-character name', async () => {
    expect((await update({ name: 'n'.repeat(256) })).status).toBe(200)
  })

  const invalid: [string, unknown, string][] = [
    ['empty name', { name: '' }, 'name'],
    ['name over 256', { name: 'n'.repeat(257) }, 'name'],
    ['name not a string', { name: 5 }, 'name'],
    ['schedule without timezone', { schedule: { type: 'cron', expression: '30 9 * * 1-5' } }, 'schedule.timezone'],
    ['schedule without expression', { schedule: { type: 'cron', timezone: 'UTC' } }, 'schedule.expression'],
    [
      'schedule with a non-cron type',
      { schedule: { type: 'interval', expression: '30 9 * * *', timezone: 'UTC' } },
      'schedule.type',
    ],
    [
      'cron minute out of range',
      { schedule: { type: 'cron', expression: '61 9 * * *', timezone: 'UTC' } },
      'schedule.expression',
    ],
    [
      'cron with 4 fields',
      { schedule: { type: 'cron', expression: '30 9 * *', timezone: 'UTC' } },
      'schedule.expression',
    ],
    [
      'cron with 6 fields',
      { schedule: { type: 'cron', expression: '0 30 9 * * *', timezone: 'UTC' } },
      'schedule.expression',
    ],
    ['cron macro', { schedule: { type: 'cron', expression: '@daily', timezone: 'UTC' } }, 'schedule.expression'],
    [
      'unknown time zone',
      { schedule: { type: 'cron', expression: '30 9 * * *', timezone: 'Mars/Olympus' } },
      'schedule.timezone',
    ],
    ['schedule null', { schedule: null }, 'schedule'],
    ['no initial events', { initial_events: [] }, 'initial_events'],
    [
      '51 initial events',
      { initial_events: Array.from({ length: 51 }, () => ({ type: 'user.message', content: 'x' })) },
      'initial_events',
    ],
    ['unknown event type', { initial_events: [{ type: 'user.message' }, { type: 'bogus' }] }, 'initial_events[1].type'],
    ['unknown top-level field', { foo: 1 }, 'foo'],
    ['read-only field', { status: 'paused' }, 'status'],
    ['agent null', { agent: null }, 'agent'],
    ['51 vault ids', { vault_ids: Array.from({ length: 51 }, (_, i) => `vlt_${i}`) }, 'vault_ids'],
    [
      '17 metadata keys',
      { metadata: Object.fromEntries(Array.from({ length: 15 }, (_, i) => [`k${i}`, 'v'])) },
      'metadata',
    ],
    ['metadata value over 512', { metadata: { team: 'x'.repeat(513) } }, 'metadata.team'],
    ['metadata number value', { metadata: { team: 1 } }, 'metadata.team'],
    ['cas_config removal', { metadata: { cas_config: null } }, 'metadata.cas_config'],
  ]
  it.each(invalid)('400 invalid_request_error with param: %s', async (_label, body, param) => {
    await expectError(await update(body), 400, 'invalid_request_error', param)
    expect(emu.appliedUpdates()).toBe(0)
    expect(withoutVolatile(emu.stored(dep.id)!)).toEqual(withoutVolatile(dep))
  })

  it('validation is atomic: a valid field next to an invalid one is not applied', async () => {
    await expectError(
      await update({ name: 'ok', schedule: { type: 'cron', expression: 'nope', timezone: 'UTC' } }),
      400,
      'invalid_request_error',
      'schedule.expression',
    )
    expect(emu.stored(dep.id)?.name).toBe(dep.name)
  })

  it('400 "Request body must be valid JSON." for a malformed body', async () => {
    const error = await expectError(
      await call('POST', `/deployments/${dep.id}`, { raw: '{"name": "x",' }),
      400,
      'invalid_request_error',
    )
    expect(error.message).toBe('Request body must be valid JSON.')
    expect(emu.appliedUpdates()).toBe(0)
  })

  it('400 for a JSON body that is not an object', async () => {
    await expectError(await call('POST', `/deployments/${dep.id}`, { raw: '["name"]' }), 400, 'invalid_request_error')
  })
})

describe('body size limits', () => {
  const bigBody = JSON.stringify({ description: 'd'.repeat(Math.ceil(4.1 * 1024 * 1024)) })

  it('cn: a body over 4 MB is truncated, so the error is "Request body must be valid JSON."', async () => {
    const cn = new QoderEmulator({ region: 'cn' })
    await cn.start()
    try {
      const d = cn.seed()
      const res = await fetch(`${cn.origin}${API}/deployments/${d.id}`, {
        method: 'POST',
        headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
        body: bigBody,
      })
      const error = await expectError(res, 400, 'invalid_request_error')
      expect(error.message).toBe('Request body must be valid JSON.')
      expect(cn.appliedUpdates()).toBe(0)
    } finally {
      await cn.close()
    }
  })

  it('global: the same body is under 32 MB and is applied', async () => {
    const res = await call('POST', `/deployments/${dep.id}`, { raw: bigBody })
    expect(res.status).toBe(200)
    expect(emu.appliedUpdates()).toBe(1)
  })

  it('a custom limit rejects larger bodies with a size message', async () => {
    const small = new QoderEmulator({ bodyLimitBytes: 64 })
    await small.start()
    try {
      const d = small.seed()
      const res = await fetch(`${small.origin}${API}/deployments/${d.id}`, {
        method: 'POST',
        headers: { authorization: `Bearer ${TOKEN}` },
        body: JSON.stringify({ description: 'x'.repeat(100) }),
      })
      const error = await expectError(res, 400, 'invalid_request_error')
      expect(error.message).toMatch(/too large/)
      expect(small.appliedUpdates()).toBe(0)
    } finally {
      await small.close()
    }
  })
})

describe('idempotency', () => {
  it('same key and body replays the original response without applying again', async () => {
    const key = crypto.randomUUID()
    const first = await update({ name: 'once' }, { headers: { 'idempotency-key': key } })
    const firstText = await first.text()
    await new Promise((resolve) => setTimeout(resolve, 5))
    const second = await update({ name: 'once' }, { headers: { 'idempotency-key': key } })
    expect(second.status).toBe(first.status)
    expect(await second.text()).toBe(firstText)
    expect(emu.appliedUpdates(dep.id)).toBe(1)
  })

  it('accepts X-Idempotency-Key too', async () => {
    const key = crypto.randomUUID()
    await update({ name: 'once' }, { headers: { 'x-idempotency-key': key } })
    await update({ name: 'once' }, { headers: { 'x-idempotency-key': key } })
    expect(emu.appliedUpdates()).toBe(1)
  })

  it('same key with a different body is 409 conflict_error and not applied', async () => {
    const key = crypto.randomUUID()
    expect((await update({ name: 'one' }, { headers: { 'idempotency-key': key } })).status).toBe(200)
    const error = await expectError(
      await update({ name: 'two' }, { headers: { 'idempotency-key': key } }),
      409,
      'conflict_error',
    )
    expect(error.message).toBe('Idempotency key reused with a different request body.')
    expect(emu.appliedUpdates()).toBe(1)
    expect(emu.stored(dep.id)?.name).toBe('one')
  })

  it('keys are scoped per PAT', async () => {
    const other = new QoderEmulator({ tokens: ['pt-a', 'pt-b'] })
    await other.start()
    try {
      const d = other.seed()
      const post = (token: string) =>
        fetch(`${other.origin}${API}/deployments/${d.id}`, {
          method: 'POST',
          headers: { authorization: `Bearer ${token}`, 'idempotency-key': 'k1' },
          body: '{"name":"x"}',
        })
      expect((await post('pt-a')).status).toBe(200)
      expect((await post('pt-b')).status).toBe(200)
      expect(other.appliedUpdates()).toBe(2)
    } finally {
      await other.close()
    }
  })

  it('without a key every POST is applied', async () => {
    await update({ name: 'a' })
    await update({ name: 'a' })
    expect(emu.appliedUpdates()).toBe(2)
  })

  it('a failed validation is not remembered, so the key can be used with a corrected body', async () => {
    const key = crypto.randomUUID()
    expect((await update({ name: '' }, { headers: { 'idempotency-key': key } })).status).toBe(400)
    expect((await update({ name: 'fixed' }, { headers: { 'idempotency-key': key } })).status).toBe(200)
  })
})

describe('pause, unpause, archive', () => {
  it('pause → 409 when already paused; unpause → 409 when not paused', async () => {
    await expectError(await call('POST', `/deployments/${dep.id}/unpause`), 409, 'conflict_error')
    let res = await call('POST', `/deployments/${dep.id}/pause`)
    expect(res.status).toBe(200)
    let got = (await res.json()) as Deployment
    expect(got.status).toBe('paused')
    expect(got.paused_reason).toEqual({ type: 'manual' })
    await expectError(await call('POST', `/deployments/${dep.id}/pause`), 409, 'conflict_error')
    res = await call('POST', `/deployments/${dep.id}/unpause`)
    got = (await res.json()) as Deployment
    expect(got.status).toBe('active')
    expect(got.paused_reason).toBeNull()
    expect(got.schedule?.upcoming_runs_at).toHaveLength(5)
  })

  it('archive renames, sets archived_at, empties upcoming runs, and is terminal', async () => {
    const before = Math.floor(Date.now() / 1000)
    const res = await call('POST', `/deployments/${dep.id}/archive`)
    expect(res.status).toBe(200)
    const got = (await res.json()) as Deployment
    const match = /^daily-status-report_archived_(\d+)$/.exec(got.name)
    expect(match).not.toBeNull()
    expect(Number(match![1])).toBeGreaterThanOrEqual(before)
    expect(got.archived_at).toMatch(RFC3339_SECONDS)
    expect(got.schedule?.upcoming_runs_at).toEqual([])
    await expectError(await call('POST', `/deployments/${dep.id}/archive`), 409, 'conflict_error')
    await expectError(await update({ name: 'revive' }), 409, 'conflict_error')
    expect(emu.stored(dep.id)?.name).toBe(got.name)
  })
})

describe('faults', () => {
  const path = () => `${API}/deployments/${dep.id}`

  it('reset-before: connection dropped, request recorded, nothing applied', async () => {
    emu.inject({ method: 'POST', path: path(), fault: { kind: 'reset-before' } })
    await expect(update({ name: 'x' })).rejects.toThrow()
    expect(emu.requestsTo('POST', path())).toHaveLength(1)
    expect(emu.appliedUpdates()).toBe(0)
    expect((await update({ name: 'x' })).status).toBe(200) // times defaults to 1
  })

  it('reset-after: applied once; a retry with the same key gets the replay', async () => {
    emu.inject({ method: 'POST', path: path(), fault: { kind: 'reset-after' } })
    const headers = { 'idempotency-key': crypto.randomUUID() }
    await expect(update({ name: 'after-reset' }, { headers })).rejects.toThrow()
    expect(emu.appliedUpdates()).toBe(1)
    const retry = await update({ name: 'after-reset' }, { headers })
    expect(retry.status).toBe(200)
    expect(((await retry.json()) as Deployment).name).toBe('after-reset')
    expect(emu.appliedUpdates()).toBe(1)
  })

  it('hang: never answers until the server closes', async () => {
    emu.inject({ path: path(), fault: { kind: 'hang' } })
    let settled = false
    const pending = call('GET', `/deployments/${dep.id}`).finally(() => {
      settled = true
    })
    await waitFor(() => emu.requests.length === 1)
    await new Promise((resolve) => setTimeout(resolve, 100))
    expect(settled).toBe(false)
    await emu.close()
    await expect(pending).rejects.toThrow()
  })

  it('hang: a client timeout gives up', async () => {
    emu.inject({ method: 'POST', fault: { kind: 'hang' } })
    await expect(update({ name: 'x' }, { signal: AbortSignal.timeout(100) })).rejects.toThrow()
    expect(emu.appliedUpdates()).toBe(0)
  })

  it('malformed-json: 200 application/json that does not parse; not applied', async () => {
    emu.inject({ method: 'POST', fault: { kind: 'malformed-json' } })
    const res = await update({ name: 'x' })
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toBe('application/json')
    const text = await res.text()
    expect(() => void JSON.parse(text)).toThrow()
    expect(emu.appliedUpdates()).toBe(0)
  })

  it('truncated: Content-Length larger than the body, then close', async () => {
    emu.inject({ method: 'GET', fault: { kind: 'truncated' } })
    const res = await call('GET', `/deployments/${dep.id}`)
    expect(res.status).toBe(200)
    expect(Number(res.headers.get('content-length'))).toBeGreaterThan(100)
    await expect(res.text()).rejects.toThrow()
  })

  it('oversize: a valid JSON body of exactly the given size; not applied', async () => {
    emu.inject({ method: 'POST', fault: { kind: 'oversize', bytes: 200_000 } })
    const res = await update({ name: 'x' })
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toBe('application/json')
    const text = await res.text()
    expect(Buffer.byteLength(text)).toBe(200_000)
    expect(() => void JSON.parse(text)).not.toThrow()
    expect(emu.appliedUpdates()).toBe(0)
  })

  it('redirect: 307 by default with Location; not applied; catcher sees nothing unless followed', async () => {
    const catcher = await startCatcher()
    try {
      expect(catcher.origin).not.toBe(emu.origin)
      emu.inject({ method: 'POST', fault: { kind: 'redirect', location: `${catcher.origin}/steal` } })
      const res = await update({ name: 'x' }, { redirect: 'manual' })
      expect(res.status).toBe(307)
      expect(res.headers.get('location')).toBe(`${catcher.origin}/steal`)
      expect(emu.appliedUpdates()).toBe(0)
      expect(catcher.requests).toHaveLength(0)

      emu.inject({ method: 'GET', fault: { kind: 'redirect', status: 302, location: `${catcher.origin}/steal` } })
      const followed = await call('GET', `/deployments/${dep.id}`)
      expect(followed.status).toBe(200)
      expect(await followed.json()).toEqual({})
      expect(catcher.requests).toHaveLength(1)
      expect(catcher.requests[0]?.path).toBe('/steal')
      // fetch drops Authorization on a cross-origin redirect; the catcher is how a client test proves it.
      expect(catcher.requests[0]?.headers.authorization).toBeUndefined()
    } finally {
      await catcher.close()
    }
  })

  it('status: answers with the status and Retry-After, without applying; times counts down', async () => {
    emu.inject({
      method: 'POST',
      path: /\/deployments\/[^/]+$/,
      times: 2,
      fault: { kind: 'status', status: 503, retryAfter: '2' },
    })
    for (let i = 0; i < 2; i++) {
      const res = await update({ name: 'x' })
      expect(res.status).toBe(503)
      expect(res.headers.get('retry-after')).toBe('2')
      await res.arrayBuffer()
    }
    expect(emu.appliedUpdates()).toBe(0)
    expect((await update({ name: 'x' })).status).toBe(200)
    expect(emu.appliedUpdates()).toBe(1)
  })

  it('status: documented statuses use the error envelope; a custom body is sent as given', async () => {
    emu.inject({ fault: { kind: 'status', status: 500 } })
    await expectError(await call('GET', `/deployments/${dep.id}`), 500, 'api_error')
    emu.inject({ fault: { kind: 'status', status: 429, body: 'slow down', contentType: 'text/plain' } })
    const res = await call('GET', `/deployments/${dep.id}`)
    expect(res.status).toBe(429)
    expect(res.headers.get('content-type')).toBe('text/plain')
    expect(await res.text()).toBe('slow down')
  })

  it('delay: answers normally, only later', async () => {
    emu.inject({ method: 'POST', fault: { kind: 'delay', ms: 150 } })
    const started = Date.now()
    const res = await update({ name: 'slow' })
    expect(Date.now() - started).toBeGreaterThanOrEqual(140)
    expect(res.status).toBe(200)
    expect(((await res.json()) as Deployment).name).toBe('slow')
    expect(emu.appliedUpdates()).toBe(1)
  })

  it('rules match method and path; non-matching requests pass; clearFaults removes them', async () => {
    emu.inject({ method: 'POST', path: path(), times: Infinity, fault: { kind: 'status', status: 502 } })
    expect((await call('GET', `/deployments/${dep.id}`)).status).toBe(200)
    expect((await call('POST', `/deployments/${dep.id}/pause`)).status).toBe(200)
    expect((await update({ name: 'x' })).status).toBe(502)
    expect((await update({ name: 'x' })).status).toBe(502)
    emu.clearFaults()
    expect((await update({ name: 'x' })).status).toBe(200)
    expect(emu.requestsTo('POST', path())).toHaveLength(3)
  })
})

describe('independent validators', () => {
  it('cron', () => {
    for (const ok of ['* * * * *', '30 9 * * 1-5', '0 0 1 1 0', '0 0 * * 7', '5,10-20/5 */2 1-31 jan-mar SUN'])
      expect(isValidCron(ok)).toBe(true)
    for (const bad of [
      '',
      '* * * *',
      '60 * * * *',
      '* 24 * * *',
      '* * 0 * *',
      '* * * 13 *',
      '* * * * 8',
      '10-5 * * * *',
      '*/0 * * * *',
      'L * * * *',
      '0 0 ? * *',
    ]) {
      expect(isValidCron(bad)).toBe(false)
    }
  })

  it('time zone', () => {
    expect(isValidTimeZone('Asia/Shanghai')).toBe(true)
    expect(isValidTimeZone('UTC')).toBe(true)
    for (const bad of ['', 'Mars/Olympus', '+05:30', 42]) expect(isValidTimeZone(bad)).toBe(false)
  })
})
