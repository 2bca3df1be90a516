/**
 * Issue 12, classes 1–4 and the encoded answers: a server that answers wrongly must never make
 * deploy-patch report a success it did not see, or apply a write twice; payload key names such
 * as `constructor` must not break the run. End to end through dist/index.js against the
 * emulators on 127.0.0.1 (and the client alone for encodings), each asserting the ground truth
 * the emulator keeps: how many writes were applied, and the resource's real state.
 */
import { brotliCompressSync, deflateRawSync, deflateSync, gzipSync } from 'node:zlib'
import { afterAll, describe, expect, it, type TestContext } from 'vitest'
import { ApiClient, type Logger } from '../../src/http/client.js'
import { Deadline } from '../../src/deadline.js'
import { ResponseError } from '../../src/errors.js'
import { Emulator, type RecordedRequest, type Reply } from '../emulators/base.ts'
import { QoderEmulator } from '../emulators/qoder.ts'
import { AieevEmulator } from '../emulators/aieev.ts'
import { RtsEmulator } from '../emulators/huaweicloud-rts.ts'
import { KintoneEmulator } from '../emulators/kintone.ts'
import { cleanupRuns, findLeaks, runAction, type ActionRun } from '../helpers/run-action.ts'

afterAll(() => cleanupRuns())

const QODER_TOKEN = 'pt-hostile-answers-0123456789abcdef'
const AIEEV_KEY = 'aieev-hostile-answers-key-0123456789'
const RTS_PROJECT = '0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e'
const RTS_AK = 'HPUAHOSTILEANSWERS01'
const RTS_SK = 'hostile/answers+secret=key0123456789'
const KINTONE_TOKEN = 'kHostileAnswersToken0123456789abcdef'
/** Keys that name members of Object.prototype (and the prototype itself). */
const PROTO_KEYS = ['constructor', 'toString', 'valueOf', 'hasOwnProperty', '__proto__'] as const

/** Outputs never contradict the exit code: 0 with succeeded, 1 with anything else. */
function consistent(run: ActionRun): void {
  const context = `${run.stdout}\n${run.stderr}`
  if (run.code === 0) expect(run.outputs.status, context).toBe('succeeded')
  else expect(run.outputs.status, context).not.toBe('succeeded')
}

async function qoder(ctx: TestContext) {
  const emu = new QoderEmulator({ tokens: [QODER_TOKEN] })
  await emu.start()
  ctx.onTestFinished(() => emu.close())
  const dep = emu.seed({ name: 'nightly-report' })
  const path = new RegExp(`^/api/v1/cloud/deployments/${dep.id}$`)
  const run = async (payload: unknown, inputs: Record<string, string> = {}) => {
    const result = await runAction({
      inputs: {
        provider: 'qoder',
        token: QODER_TOKEN,
        target: dep.id,
        'base-url': emu.origin,
        payload: JSON.stringify(payload),
        'max-retries': '2',
        ...inputs,
      },
    })
    expect(findLeaks(result, [QODER_TOKEN])).toEqual([])
    consistent(result)
    return result
  }
  return { emu, dep, path, run }
}

describe('class 1: a Qoder update answer that is not the deployment is never a success', () => {
  const answers: Record<string, { status: number; body: string }> = {
    '204 No Content': { status: 204, body: '' },
    'an empty 200': { status: 200, body: '' },
    "Qoder's error envelope in a 200": {
      status: 200,
      body: '{"type":"error","error":{"type":"api_error","message":"Internal server error"}}',
    },
    'a 200 for another deployment': { status: 200, body: '' }, // filled in below with another id
    null: { status: 200, body: 'null' },
  }
  for (const [name, answer] of Object.entries(answers)) {
    it(`${name}, every time, nothing applied → fails (invalid-response), never 'succeeded'`, async (ctx) => {
      const { emu, dep, path, run } = await qoder(ctx)
      const body =
        name === 'a 200 for another deployment' ? JSON.stringify({ ...dep, id: `dep_${'0'.repeat(32)}` }) : answer.body
      emu.inject({
        method: 'POST',
        path,
        times: Infinity,
        fault: { kind: 'status', status: answer.status, body, contentType: 'application/json' },
      })
      const result = await run({ name: 'nightly-report-v2' })
      expect(emu.appliedUpdates(dep.id)).toBe(0)
      expect(result.code).toBe(1)
      expect(result.outputs.status).toBe('failed')
      expect(result.outputs['error-type']).toBe('invalid-response')
      expect(result.outputs['error-message']).toContain(`qoder ${dep.id}: `)
      expect(result.outputs['error-message']).toContain('gave up after 2 retries')
    })
  }

  it('a 204 once, nothing applied → resent with the same Idempotency-Key, applied once, succeeded with the real status', async (ctx) => {
    const { emu, dep, path, run } = await qoder(ctx)
    emu.inject({ method: 'POST', path, fault: { kind: 'status', status: 204, body: '' } })
    const result = await run({ name: 'nightly-report-v2' })
    expect(result.code).toBe(0)
    expect(emu.appliedUpdates(dep.id)).toBe(1)
    const posts = emu.requestsTo('POST', path)
    expect(posts).toHaveLength(2)
    expect(posts[1]!.headers['idempotency-key']).toBe(posts[0]!.headers['idempotency-key'])
    expect(result.outputs['provider-status']).toBe('active')
  })
})

async function aieev(ctx: TestContext, options: ConstructorParameters<typeof AieevEmulator>[0] = {}) {
  const emu = new AieevEmulator({ keys: [AIEEV_KEY], ...options })
  await emu.start()
  ctx.onTestFinished(() => emu.close())
  const endpoint = emu.seed()
  const id = endpoint.endpoint_id
  const path = new RegExp(`^/external/api/v1/endpoints/${id}$`)
  const run = async (inputs: Record<string, string> = {}) => {
    const result = await runAction({
      inputs: {
        provider: 'aieev',
        token: AIEEV_KEY,
        target: id,
        'base-url': emu.origin,
        payload: JSON.stringify({ container_port: 9090 }),
        'poll-interval': '100ms',
        ...inputs,
      },
    })
    expect(findLeaks(result, [AIEEV_KEY])).toEqual([])
    consistent(result)
    return result
  }
  return { emu, id, path, run }
}

describe('class 2: Aieev success comes from the poll answer itself', () => {
  for (const [name, body] of [
    ['a 200 without status', '{"is_active":true}'],
    ['an empty 200', ''],
    ['null', 'null'],
    ['{}', '{}'],
  ] as const) {
    it(`${name} while the endpoint still deploys → not RUNNING, the wait goes on until it really serves`, async (ctx) => {
      // A slow start: the endpoint is DEPLOYING for 3 s after the start call.
      const { emu, id, path, run } = await aieev(ctx, { startMs: 3_000 })
      // The PATCH answered as the patch page's example does: is_active true (the endpoint is in fact stopped).
      emu.inject({
        method: 'PATCH',
        path,
        fault: {
          kind: 'reply-after',
          status: 200,
          contentType: 'application/json',
          body: JSON.stringify({
            endpoint_id: id,
            name: 'llm-chat-api',
            is_active: true,
            container_port: 9090,
            updated_at: new Date().toISOString(),
          }),
        },
      })
      // The hostile answers begin once the start call has arrived: every read after it, three times.
      const started = new Promise<void>((resolve) => {
        const timer = setInterval(() => {
          if (emu.requestsTo('POST', /\/start$/).length > 0) {
            clearInterval(timer)
            emu.inject({
              method: 'GET',
              path,
              times: 3,
              fault: { kind: 'status', status: 200, body, contentType: 'application/json' },
            })
            resolve()
          }
        }, 2)
      })
      const result = await run({ timeout: '30s' })
      await started
      expect(result.code, result.stdout).toBe(0)
      expect(result.outputs['provider-status']).toBe('RUNNING')
      // The ground truth at the moment the step ended: serving.
      expect(emu.stored(id)).toMatchObject({ is_active: true, status: 'RUNNING' })
      expect(emu.appliedPatches(id)).toBe(1)
      expect(emu.starts(id)).toBe(1)
    })
  }
})

describe('also: a start answered 409 while the endpoint is STOPPED', () => {
  it('once → read, still STOPPED: started once more, succeeded (not a wait to the deadline)', async (ctx) => {
    const { emu, id, run } = await aieev(ctx)
    emu.inject({
      method: 'POST',
      path: /\/start$/,
      fault: { kind: 'status', status: 409, body: '{"detail":"Conflict"}' },
    })
    const result = await run({ timeout: '20s' })
    expect(result.code, result.stdout).toBe(0)
    expect(emu.requestsTo('POST', /\/start$/)).toHaveLength(2)
    expect(emu.starts(id)).toBe(1)
    expect(result.stdout).toContain('starting it once more')
  })

  it('twice → fails at once, saying the endpoint stayed STOPPED and what to do', async (ctx) => {
    const { emu, id, run } = await aieev(ctx)
    emu.inject({
      method: 'POST',
      path: /\/start$/,
      times: Infinity,
      fault: { kind: 'status', status: 409, body: '{"detail":"Conflict"}' },
    })
    const result = await run({ timeout: '60s' })
    expect(result.code).toBe(1)
    expect(result.outputs.status).toBe('failed')
    expect(result.outputs['error-message']).toContain('HTTP 409 twice while the endpoint stayed STOPPED')
    expect(result.outputs['error-message']).toContain('Start it from the Aieev console')
    expect(emu.requestsTo('POST', /\/start$/)).toHaveLength(2)
    expect(emu.starts(id)).toBe(0)
    expect(result.durationMs).toBeLessThan(30_000) // far from the 60 s deadline (a bound, not a speed claim)
  })
})

describe('class 3: a write applied, then answered 503/429/408 with Retry-After: 0, is not applied twice', () => {
  for (const status of [503, 429, 408, 500]) {
    it(`kintone, RTS and Aieev × ${status} after applying → read, found applied, not resent; succeeded`, async (ctx) => {
      // kintone
      const kintone = new KintoneEmulator({
        apiTokens: { [KINTONE_TOKEN]: { apps: [1], appManagement: true } },
        deployMs: 500,
        deployReads: 1, // the read after the lost answer sees the deploy running, however slow the machine
      })
      await kintone.start()
      ctx.onTestFinished(() => kintone.close())
      kintone.addApp(1, { revision: 5 })
      kintone.inject({
        method: 'POST',
        path: /deploy\.json$/,
        fault: { kind: 'status-after', status, retryAfter: '0' },
      })
      const rts = new RtsEmulator({ projectId: RTS_PROJECT, keys: { [RTS_AK]: { sk: RTS_SK } }, settleMs: 150 })
      await rts.start()
      ctx.onTestFinished(() => rts.close())
      const dep = rts.seed()
      rts.inject({ method: 'PUT', fault: { kind: 'status-after', status, retryAfter: '0' } })
      const a = await aieev(ctx)
      a.emu.inject({ method: 'PATCH', fault: { kind: 'status-after', status, retryAfter: '0' } })

      const [k, r, e] = await Promise.all([
        runAction({
          inputs: {
            provider: 'kintone',
            token: KINTONE_TOKEN,
            target: '1',
            'base-url': kintone.origin,
            'poll-interval': '100ms',
          },
        }),
        runAction({
          inputs: {
            provider: 'huaweicloud-rts',
            'access-key': RTS_AK,
            'secret-key': RTS_SK,
            region: 'cn-north-4',
            'project-id': RTS_PROJECT,
            target: dep.id,
            'base-url': rts.origin,
            'poll-interval': '100ms',
            payload: JSON.stringify({ config_id: crypto.randomUUID(), status: 'IN_PROGRESS' }),
          },
        }),
        a.run(),
      ])
      for (const run of [k, r, e]) consistent(run)
      expect([kintone.deploysApplied(), rts.appliedUpdates(dep.id), a.emu.appliedPatches(a.id)]).toEqual([1, 1, 1])
      expect([k.code, r.code, e.code]).toEqual([0, 0, 0])
    })
  }

  it('any 5xx after applying (a CDN 520, a 507): read, found applied, succeeded; not a failure of a write that took effect', async (ctx) => {
    for (const status of [520, 507]) {
      const rts = new RtsEmulator({ projectId: RTS_PROJECT, keys: { [RTS_AK]: { sk: RTS_SK } }, settleMs: 150 })
      await rts.start()
      ctx.onTestFinished(() => rts.close())
      const dep = rts.seed()
      rts.inject({ method: 'PUT', fault: { kind: 'status-after', status } })
      const run = await runAction({
        inputs: {
          provider: 'huaweicloud-rts',
          'access-key': RTS_AK,
          'secret-key': RTS_SK,
          region: 'cn-north-4',
          'project-id': RTS_PROJECT,
          target: dep.id,
          'base-url': rts.origin,
          'poll-interval': '100ms',
          payload: JSON.stringify({ config_id: crypto.randomUUID(), status: 'IN_PROGRESS' }),
        },
      })
      consistent(run)
      expect(rts.appliedUpdates(dep.id)).toBe(1)
      expect(rts.requestsTo('PUT', /software_deployments/)).toHaveLength(1)
      expect(run.code, run.stdout).toBe(0)
    }
  })

  it('a 5xx that is never retried, NOT applied: read, not applied, not resent; fails naming the status', async (ctx) => {
    const a = await aieev(ctx)
    a.emu.inject({ method: 'PATCH', fault: { kind: 'status', status: 507, body: '{"detail":"Insufficient Storage"}' } })
    const run = await a.run()
    expect(a.emu.appliedPatches(a.id)).toBe(0)
    expect(a.emu.requestsTo('PATCH', /endpoints/)).toHaveLength(1)
    expect(run.code).toBe(1)
    expect(run.outputs['error-message']).toContain('HTTP 507')
  })

  it('RTS answers without updated_time: a lost PUT answer is decided from the fields sent (applied once)', async (ctx) => {
    const rts = new RtsEmulator({
      projectId: RTS_PROJECT,
      keys: { [RTS_AK]: { sk: RTS_SK } },
      settleMs: 150,
      omitUpdatedTime: true,
    })
    await rts.start()
    ctx.onTestFinished(() => rts.close())
    const dep = rts.seed()
    rts.inject({ method: 'PUT', fault: { kind: 'reset-after' } })
    const run = await runAction({
      inputs: {
        provider: 'huaweicloud-rts',
        'access-key': RTS_AK,
        'secret-key': RTS_SK,
        region: 'cn-north-4',
        'project-id': RTS_PROJECT,
        target: dep.id,
        'base-url': rts.origin,
        'poll-interval': '100ms',
        payload: JSON.stringify({
          config_id: crypto.randomUUID(),
          status: 'IN_PROGRESS',
          input_values: { release: 'v2' },
        }),
      },
    })
    consistent(run)
    expect(rts.appliedUpdates(dep.id)).toBe(1)
    expect(rts.requestsTo('PUT', /software_deployments/)).toHaveLength(1)
    expect(run.code, run.stdout).toBe(0)
  })

  it('RTS answers without updated_time: a PUT that was NOT applied is sent once more (applied once)', async (ctx) => {
    const rts = new RtsEmulator({
      projectId: RTS_PROJECT,
      keys: { [RTS_AK]: { sk: RTS_SK } },
      settleMs: 150,
      omitUpdatedTime: true,
    })
    await rts.start()
    ctx.onTestFinished(() => rts.close())
    const dep = rts.seed()
    rts.inject({ method: 'PUT', fault: { kind: 'reset-before' } })
    const run = await runAction({
      inputs: {
        provider: 'huaweicloud-rts',
        'access-key': RTS_AK,
        'secret-key': RTS_SK,
        region: 'cn-north-4',
        'project-id': RTS_PROJECT,
        target: dep.id,
        'base-url': rts.origin,
        'poll-interval': '100ms',
        payload: JSON.stringify({ config_id: crypto.randomUUID(), status: 'IN_PROGRESS' }),
      },
    })
    consistent(run)
    expect(rts.appliedUpdates(dep.id)).toBe(1)
    expect(rts.requestsTo('PUT', /software_deployments/)).toHaveLength(2)
    expect(run.code, run.stdout).toBe(0)
  })

  it('Aieev PATCH that does not move updated_at: a lost answer is decided from is_active going false (applied once)', async (ctx) => {
    const { emu, id, run } = await aieev(ctx, { patchKeepsUpdatedAt: true })
    emu.inject({ method: 'PATCH', fault: { kind: 'reset-after' } })
    const result = await run()
    expect(emu.appliedPatches(id)).toBe(1)
    expect(emu.requestsTo('PATCH', /endpoints/)).toHaveLength(1)
    expect(result.code, result.stdout).toBe(0)
  })

  it('Aieev, already inactive, PATCH that does not move updated_at: cannot tell → fails "may have been saved", no second PATCH', async (ctx) => {
    const emu = new AieevEmulator({ keys: [AIEEV_KEY], patchKeepsUpdatedAt: true })
    await emu.start()
    ctx.onTestFinished(() => emu.close())
    const { endpoint_id: id } = emu.seed({ is_active: false })
    emu.inject({ method: 'PATCH', fault: { kind: 'reset-after' } })
    const result = await runAction({
      inputs: {
        provider: 'aieev',
        token: AIEEV_KEY,
        target: id,
        'base-url': emu.origin,
        payload: JSON.stringify({ container_port: 9090 }),
      },
    })
    consistent(result)
    expect(emu.appliedPatches(id)).toBe(1)
    expect(emu.requestsTo('PATCH', /endpoints/)).toHaveLength(1)
    expect(result.code).toBe(1)
    expect(result.outputs['error-message']).toContain('may have been saved')
    expect(result.outputs['error-message']).toContain("check the endpoint's settings in the Aieev console")
  })
})

describe('class 4: payload keys named like Object.prototype members', () => {
  it('Qoder metadata {constructor, toString, valueOf, hasOwnProperty, __proto__}: applied once, succeeded, every key listed as changed', async (ctx) => {
    const { emu, dep } = await qoder(ctx)
    const metadata = Object.fromEntries(PROTO_KEYS.map((key, i) => [key, `v${i}`]))
    // JSON text, so "__proto__" is an ordinary key (JSON.parse keeps it as an own property).
    const payload = `{"metadata":{${PROTO_KEYS.map((key, i) => `"${key}":"v${i}"`).join(',')}}}`
    const result = await runAction({
      inputs: { provider: 'qoder', token: QODER_TOKEN, target: dep.id, 'base-url': emu.origin, payload },
    })
    consistent(result)
    expect(result.stderr + result.stdout).not.toContain('could not write the report')
    expect(result.code, result.stdout).toBe(0)
    expect(emu.appliedUpdates(dep.id)).toBe(1)
    expect(result.outputs.changed).toBe('true')
    const changed = JSON.parse(result.outputs.changes ?? '[]') as string[]
    for (const key of PROTO_KEYS) expect(changed.join('\n')).toContain(key)
    expect(result.summary).toContain('constructor')
    expect(emu.stored(dep.id)?.metadata).toMatchObject(metadata)
  })

  it('RTS input_values {constructor, toString, valueOf, hasOwnProperty}: applied once, succeeded', async (ctx) => {
    const rts = new RtsEmulator({ projectId: RTS_PROJECT, keys: { [RTS_AK]: { sk: RTS_SK } }, settleMs: 150 })
    await rts.start()
    ctx.onTestFinished(() => rts.close())
    const dep = rts.seed()
    const inputValues = `{${PROTO_KEYS.filter((k) => k !== '__proto__')
      .map((key, i) => `"${key}":"v${i}"`)
      .join(',')}}`
    const run = await runAction({
      inputs: {
        provider: 'huaweicloud-rts',
        'access-key': RTS_AK,
        'secret-key': RTS_SK,
        region: 'cn-north-4',
        'project-id': RTS_PROJECT,
        target: dep.id,
        'base-url': rts.origin,
        'poll-interval': '100ms',
        payload: `{"status":"COMPLETE","input_values":${inputValues}}`,
      },
    })
    consistent(run)
    expect(run.stderr + run.stdout).not.toContain('could not write the report')
    expect(run.code, run.stdout).toBe(0)
    expect(rts.appliedUpdates(dep.id)).toBe(1)
    expect(run.outputs.changed).toBe('true')
  })
})

// ---------------------------------------------------------------------------------------------
// The client alone: encoded answers

class Plain extends Emulator {
  protected handle(_req: RecordedRequest): Reply {
    return { status: 200, body: { ok: true } }
  }
}

async function encoded(ctx: TestContext, raw: Buffer, headers: Record<string, string>, maxBodyBytes?: number) {
  const api = new Plain()
  await api.start()
  ctx.onTestFinished(() => api.close())
  api.inject({
    times: Infinity,
    fault: { kind: 'reply-after', status: 200, raw, headers: { 'content-type': 'application/json', ...headers } },
  })
  const log: Logger = { info: () => {}, warning: () => {}, debug: () => {} }
  const client = new ApiClient({
    baseUrl: new URL(api.origin),
    deadline: new Deadline(10_000),
    signal: new AbortController().signal,
    maxRetries: 0,
    log,
    maxBodyBytes,
    random: () => 0,
  })
  ctx.onTestFinished(() => client.dispose())
  return client.request({ method: 'GET', path: '/x', replay: 'safe', what: 'read x' })
}

describe('answers with an unrequested Content-Encoding or a BOM', () => {
  const json = Buffer.from('{"id":"dep_1","ok":true}')
  for (const [coding, raw] of [
    ['gzip', gzipSync(json)],
    ['br', brotliCompressSync(json)],
    ['deflate', deflateSync(json)],
    ['deflate (raw)', deflateRawSync(json)],
  ] as const) {
    it(`decodes ${coding}`, async (ctx) => {
      const response = await encoded(ctx, raw, { 'content-encoding': coding.split(' ')[0]! })
      expect(response.json).toEqual({ id: 'dep_1', ok: true })
    })
  }

  it('reads JSON that starts with a UTF-8 BOM', async (ctx) => {
    const response = await encoded(ctx, Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), json]), {})
    expect(response.json).toEqual({ id: 'dep_1', ok: true })
  })

  it('caps the DECODED size: a 2 MB gzip bomb of a few KB hits the 64 KB cap', async (ctx) => {
    const bomb = gzipSync(Buffer.from(`{"padding":"${'0'.repeat(2 * 1024 * 1024)}"}`))
    expect(bomb.length).toBeLessThan(64 * 1024)
    const error = await encoded(ctx, bomb, { 'content-encoding': 'gzip' }, 64 * 1024).then(
      () => undefined,
      (e: unknown) => e,
    )
    expect(error).toBeInstanceOf(ResponseError)
    expect((error as ResponseError).errorType).toBe('response-too-large')
  })

  it('an encoding it cannot decode is an invalid answer, not a crash', async (ctx) => {
    const error = await encoded(ctx, json, { 'content-encoding': 'gzip' }).then(
      () => undefined,
      (e: unknown) => e,
    )
    expect(error).toBeInstanceOf(ResponseError)
    expect((error as ResponseError).errorType).toBe('invalid-response')
  })
})
