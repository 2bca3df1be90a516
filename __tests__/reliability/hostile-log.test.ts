/**
 * Issue 12, what reaches the log and the outputs when a server is hostile: dist/index.js run as
 * the runner runs it, against the emulators on 127.0.0.1. Server text must never start a
 * workflow command (5), a credential echoed in any encoding must never show (6), an excerpt is cut
 * only after redaction (7), outputs never contradict the exit code (4), a refused credential is
 * not sent again (12).
 */
import { mkdirSync } from 'node:fs'
import path from 'node:path'
import { afterAll, afterEach, describe, expect, it } from 'vitest'
import { QoderEmulator, type Deployment } from '../emulators/qoder.ts'
import { KintoneEmulator } from '../emulators/kintone.ts'
import { RtsEmulator } from '../emulators/huaweicloud-rts.ts'
import { AieevEmulator } from '../emulators/aieev.ts'
import { cleanupRuns, findLeaks, runAction, type ActionRun } from '../helpers/run-action.ts'

const TOKEN = 'pt-hostile-0123456789abcdef'
const INJECTION =
  'upstream reset\n::stop-commands::x\n::add-mask::succeeded\n  ::error ::pwned-v2\n##[error]pwned-v1\r::warning ::pwned-cr'

const emulators: { close(): Promise<void> | void }[] = []
afterEach(async () => {
  for (const emu of emulators.splice(0)) await emu.close()
})
afterAll(() => cleanupRuns())

async function qoder(): Promise<{ emu: QoderEmulator; dep: Deployment }> {
  const emu = new QoderEmulator({ tokens: [TOKEN] })
  await emu.start()
  emulators.push(emu)
  return { emu, dep: emu.seed({ name: 'nightly-report', metadata: { owner: 'ops' } }) }
}

function runQoder(
  emu: QoderEmulator,
  dep: Deployment,
  inputs: Record<string, string> = {},
  env: Record<string, string> = {},
  payload = 'name: nightly-report-v2\n',
): Promise<ActionRun> {
  return runAction({
    inputs: {
      provider: 'qoder',
      'payload-file': 'deploy/qoder.yaml',
      target: dep.id,
      token: TOKEN,
      'base-url': emu.origin,
      ...inputs,
    },
    files: { 'deploy/qoder.yaml': payload },
    env,
  })
}

/** Every stdout line the runner would take as a workflow command (v2 `::cmd::` after whitespace, or v1 `##[` anywhere), as it splits lines. */
function commandLines(stdout: string): string[] {
  return stdout.split(/\r\n|\r|\n/).filter((line) => /^[\s\u0085]*::/.test(line) || line.includes('##['))
}

/** The lines an injection would have added: any command line mentioning what the hostile server wrote. */
function injected(run: ActionRun): string[] {
  return commandLines(run.stdout).filter((line) => /pwned|stop-commands|add-mask::succeeded/.test(line))
}

/** Outputs agree with the exit code: success exactly when the step succeeds, and a failure always says why. */
/** Everything a run shows, except the runner-consumed `::add-mask::` lines (they must name the secret). */
function shown(run: ActionRun): string[] {
  const log = run.stdout.split('\n').filter((line) => !line.trimStart().startsWith('::add-mask::'))
  return [...log, run.stderr, run.summary, run.resourceFile ?? '', ...Object.values(run.outputs)]
}

function expectConsistent(run: ActionRun): void {
  expect(run.outputs.status === 'succeeded' || run.outputs.status === 'dry-run').toBe(run.code === 0)
  if (run.code !== 0) {
    expect(run.outputs['error-type']).toBeTruthy()
    expect(run.outputs['error-message']).toBeTruthy()
  }
}

describe('class 5: no server byte starts a workflow command', () => {
  it('a 503 body with command lines, logged by the retry, stays plain text', async () => {
    const { emu, dep } = await qoder()
    emu.inject({
      method: 'POST',
      path: `/api/v1/cloud/deployments/${dep.id}`,
      fault: { kind: 'status', status: 503, retryAfter: '0', body: INJECTION, contentType: 'text/plain' },
    })
    const run = await runQoder(emu, dep)
    expect(run.code).toBe(0)
    expect(run.outputs.status).toBe('succeeded')
    expect(run.stdout).toContain('pwned-v2') // the text is shown…
    expect(injected(run)).toEqual([]) // …but as no command
    expect(run.commands.filter((c) => c.command === 'add-mask' && c.message === 'succeeded')).toEqual([])
    expect(findLeaks(run, [TOKEN])).toEqual([])
  })

  it("a 429 with Qoder's error envelope whose message holds command lines stays plain text", async () => {
    const { emu, dep } = await qoder()
    const body = JSON.stringify({ type: 'error', error: { type: 'rate_limit_error', message: INJECTION } })
    emu.inject({
      method: 'GET',
      path: `/api/v1/cloud/deployments/${dep.id}`,
      fault: { kind: 'status', status: 429, retryAfter: '0', body },
    })
    const run = await runQoder(emu, dep)
    expect(run.code).toBe(0)
    expect(run.stdout).toContain('pwned-v1')
    expect(injected(run)).toEqual([])
  })
})

describe('class 5 (Aieev): a status with command lines', () => {
  it('is logged by the wait as plain text', async () => {
    const key = 'aieev-hostile-key-0123456789'
    const emu = new AieevEmulator({ keys: [key], startMs: 200 })
    await emu.start()
    emulators.push(emu)
    const endpoint = emu.seed()
    const hostile = {
      ...emu.stored(endpoint.endpoint_id),
      status: `DEPLOYING\n::add-mask::succeeded\n::error ::pwned-aieev`,
    }
    // The read before the update and the first poll answer the hostile status; later polls the real one.
    emu.inject({
      method: 'GET',
      path: `/external/api/v1/endpoints/${endpoint.endpoint_id}`,
      times: 2,
      fault: { kind: 'status', status: 200, body: JSON.stringify(hostile) },
    })
    const run = await runAction({
      inputs: {
        provider: 'aieev',
        'payload-file': 'deploy/aieev.json',
        target: endpoint.endpoint_id,
        token: key,
        'base-url': emu.origin,
        'poll-interval': '100ms',
      },
      files: { 'deploy/aieev.json': JSON.stringify({ container_port: 9090 }) },
    })
    expectConsistent(run)
    expect(run.stdout).toContain('pwned-aieev')
    expect(injected(run)).toEqual([])
  })
})

describe('class 7: redact first, then cut', () => {
  it("a plain-text error body cut at 300 characters inside the token shows none of the token's characters", async () => {
    const { emu, dep } = await qoder()
    // The client keeps 300 characters: the token starts at 290, so a cut before redaction keeps its first 10.
    emu.inject({
      method: 'GET',
      path: `/api/v1/cloud/deployments/${dep.id}`,
      fault: { kind: 'status', status: 400, body: `${'x'.repeat(290)}${TOKEN} trailing`, contentType: 'text/plain' },
    })
    const run = await runQoder(emu, dep)
    expect(run.code).toBe(1)
    expectConsistent(run)
    expect(run.outputs['error-message']).toContain('xxx***')
    for (const text of shown(run)) expect(text).not.toContain(TOKEN.slice(0, 10))
  })

  it("kintone's deploy status without an apps list, cut at 200 characters inside the token, shows none of it", async () => {
    const token = 'kTokenHostileApps1to3abcdef012345'
    const emu = new KintoneEmulator({ apiTokens: { [token]: { apps: [1], appManagement: true } }, deployMs: 100 })
    await emu.start()
    emulators.push(emu)
    emu.addApp(1, { revision: 5 })
    const body = JSON.stringify({ note: `${'y'.repeat(180)}${token}` })
    emu.inject({ method: 'GET', path: /\/preview\/app\/deploy\.json$/, fault: { kind: 'status', status: 200, body } })
    const run = await runAction({
      inputs: { provider: 'kintone', target: '1', token, 'base-url': emu.origin, 'poll-interval': '100ms' },
    })
    expect(run.code).toBe(1)
    expectConsistent(run)
    expect(run.outputs['error-message']).toContain("without an 'apps' list")
    for (const text of shown(run)) expect(text).not.toContain(token.slice(0, 8))
  })
})

describe('class 6: a credential echoed in any encoding never shows', () => {
  const PASSWORD = 'p@ss w/rd+1&ok=yes'
  const BASIC = 'siteuser:s1te/pa$$+word'
  const b64 = (text: string) => Buffer.from(text).toString('base64')
  /** The base64 of `inner` inside a longer base64 text, at each byte alignment. */
  const embedded = [0, 1, 2].map((offset) => b64(`${'k'.repeat(offset)}Authorization-${BASIC}-tail`))
  const echoes = [
    encodeURIComponent(PASSWORD),
    new URLSearchParams({ p: PASSWORD }).toString().slice(2),
    encodeURIComponent(PASSWORD).toLowerCase(),
    b64(`admin:${PASSWORD}`),
    b64(BASIC),
    ...embedded,
  ]

  it.each(echoes.map((echo, i) => [i, echo]))(
    'echo #%i in an error body is redacted in outputs, summary and log',
    async (_i, echo) => {
      const emu = new KintoneEmulator({ users: { admin: PASSWORD }, basicAuth: BASIC, deployMs: 100 })
      await emu.start()
      emulators.push(emu)
      emu.addApp(1, { revision: 5 })
      emu.inject({
        method: 'POST',
        path: /\/preview\/app\/deploy\.json$/,
        fault: {
          kind: 'status',
          status: 400,
          body: JSON.stringify({ code: 'CB_VA01', id: 'x1', message: `denied: ${echo} (echo)` }),
        },
      })
      const run = await runAction({
        inputs: {
          provider: 'kintone',
          target: '1',
          username: 'admin',
          password: PASSWORD,
          'basic-auth': BASIC,
          'base-url': emu.origin,
          'poll-interval': '100ms',
        },
      })
      expect(run.code).toBe(1)
      expect(run.outputs['error-message']).toContain('denied:')
      // What must not show: the echo itself, or (inside a longer base64 text) the run of characters that depends on the secret alone.
      const secretPart = (text: string) => (text.length > 12 ? text.slice(4, -4) : text)
      expect(findLeaks(run, [PASSWORD, BASIC, secretPart(echo)])).toEqual([])
    },
  )
})

describe('class 4: outputs never contradict the exit code', () => {
  it('a summary that cannot be written fails the step, and the outputs say failed', async () => {
    const { emu, dep } = await qoder()
    const blocked = path.join(process.env.TMPDIR ?? '/tmp', `deploy-patch-summary-dir-${process.pid}-${Date.now()}`)
    mkdirSync(blocked, { recursive: true }) // a directory: appending to it throws EISDIR
    const run = await runQoder(emu, dep, {}, { GITHUB_STEP_SUMMARY: blocked })
    expect(run.code).toBe(1)
    expect(run.outputs.status).toBe('failed')
    expect(run.outputs['error-type']).toBe('internal')
    expect(run.outputs['error-message']).toMatch(/could not write the report: .*The work itself ended as succeeded/)
    expectConsistent(run)
  })

  it.each(['constructor', 'toString', 'valueOf', 'hasOwnProperty'])(
    "a payload key named %s never leaves 'succeeded' beside a failed step",
    async (key) => {
      const { emu, dep } = await qoder()
      const run = await runQoder(emu, dep, {}, {}, `metadata:\n  ${key}: a\n`)
      expectConsistent(run)
    },
  )
})

describe('class 12: a refused credential is not sent again', () => {
  it('8 RTS targets with a wrong secret key send one signed call, and the others fail at once saying why', async () => {
    const AK = 'HPUAHOSTILEACCESSKEY1'
    const emu = new RtsEmulator({
      projectId: '0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e',
      keys: { [AK]: { sk: 'right-secret-key-0123456789' } },
      settleMs: 100,
    })
    await emu.start()
    emulators.push(emu)
    const ids = Array.from({ length: 8 }, () => emu.seed().id)
    const run = await runAction({
      inputs: {
        provider: 'huaweicloud-rts',
        'payload-file': 'deploy/rts.json',
        target: ids.join(','),
        'access-key': AK,
        'secret-key': 'wrong-secret-key-0123456789',
        region: 'cn-north-4',
        'project-id': '0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e',
        'base-url': emu.origin,
        concurrency: '8',
      },
      files: {
        'deploy/rts.json': JSON.stringify({
          config_id: '6d2f1c7e-1111-4222-8333-944455556666',
          status: 'IN_PROGRESS',
          action: 'UPDATE',
        }),
      },
    })
    expect(run.code).toBe(1)
    expectConsistent(run)
    expect(emu.requests.filter((r) => r.headers.authorization !== undefined)).toHaveLength(1)
    const results = JSON.parse(run.outputs.results!) as { status: string; error?: string }[]
    expect(results).toHaveLength(8)
    expect(results.every((r) => r.status === 'failed')).toBe(true)
    expect(
      results.filter((r) => r.error?.includes('Not sent: the provider refused the credential earlier in this run')),
    ).toHaveLength(7)
  })
})
