/**
 * End to end (dist/index.js against the emulators): no output, `results` entry, summary row or
 * icon shows a state from before this run's write as its outcome, and the summary never
 * contradicts itself. A refused write reports no provider status; a success says what it did.
 */
import { readFileSync } from 'node:fs'
import { afterAll, describe, expect, it } from 'vitest'
import { AieevEmulator } from '../emulators/aieev.ts'
import { GitHubEmulator } from '../emulators/github.ts'
import { RtsEmulator } from '../emulators/huaweicloud-rts.ts'
import { KintoneEmulator } from '../emulators/kintone.ts'
import { QoderEmulator } from '../emulators/qoder.ts'
import { cleanupRuns, findLeaks, runAction, type ActionRun } from '../helpers/run-action.ts'

afterAll(() => cleanupRuns())

const KINTONE_TOKEN = 'kTokenOutcomeStatus0123456789abc'
const QODER_TOKEN = 'pt-outcome-status-0123456789'
const RTS = {
  project: '0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e',
  ak: 'HPUAOUTCOMESTATUS001',
  sk: 'outcome/secret+key=0123456789',
}
const AIEEV_KEY = 'aieev-outcome-status-key-0123'
const GH_TOKEN = 'ghs_OutcomeStatusToken000000000000000000'

/** Everything a workflow or a person can read of a run: every output, the results file and the summary. */
function everything(result: ActionRun): string {
  const file = result.outputs['results-file']
  return [
    ...Object.entries(result.outputs).map(([name, value]) => `${name}=${value}`),
    file ? readFileSync(file, 'utf8') : '',
    result.summary,
  ].join('\n')
}

type Results = { target: string; status: string; 'provider-status': string | null }[]

async function kintone(): Promise<KintoneEmulator> {
  const emu = new KintoneEmulator({
    apiTokens: { [KINTONE_TOKEN]: { apps: [11, 12, 13], appManagement: true } },
    deployMs: 150,
  })
  await emu.start()
  for (const app of [11, 12, 13]) emu.addApp(app, { revision: 5 })
  return emu
}

const kintoneInputs = (emu: KintoneEmulator) => ({
  provider: 'kintone',
  token: KINTONE_TOKEN,
  'base-url': emu.origin,
  'poll-interval': '100ms',
})

describe('a refused write shows no status from before it', () => {
  it('kintone: a deploy refused with 409 (stale revision) has no SUCCESS anywhere; each app says it was not deployed', async () => {
    const emu = await kintone()
    try {
      // The apps' last deploy succeeded: the status read before the write says SUCCESS for each.
      const earlier = (await (
        await fetch(`${emu.origin}/k/v1/preview/app/deploy.json?apps[0]=11`, {
          headers: { 'x-cybozu-api-token': KINTONE_TOKEN },
        })
      ).json()) as { apps: { status: string }[] }
      expect(earlier.apps[0]!.status).toBe('SUCCESS')
      emu.editPreview(11)
      const payload = JSON.stringify({ apps: [11, 12, 13].map((app) => ({ app, revision: 5 })) })
      const result = await runAction({ inputs: { ...kintoneInputs(emu), payload } })
      expect(findLeaks(result, [KINTONE_TOKEN])).toEqual([])
      expect(result.code).toBe(1)
      expect(emu.deploysApplied()).toBe(0)
      expect(result.outputs['http-status']).toBe('409')
      expect(result.outputs['error-type']).toBe('GAIA_CO02')
      expect(result.outputs['provider-status']).toBeUndefined()
      expect(JSON.parse(result.outputs.results!) as Results).toEqual(
        ['11', '12', '13'].map((target): unknown =>
          expect.objectContaining({ target, status: 'failed', 'provider-status': null }),
        ),
      )
      expect(everything(result)).not.toMatch(/SUCCESS/)
      expect(result.summary).not.toContain('✅')
      for (const app of ['11', '12', '13']) expect(result.summary).toContain(`| ${app} | ❌ not deployed | 5 |`)
      expect(result.summary).toContain('| <code>11,12,13</code> | failed | — | no |')
    } finally {
      await emu.close()
    }
  })

  it('kintone: a deploy whose answer was lost, and whose status could not be read after it, says each app is unknown, not SUCCESS', async () => {
    const emu = await kintone()
    try {
      // The read before answers; the deploy is applied but its answer is lost; every read after it fails.
      emu.inject({ method: 'GET', path: /\/preview\/app\/deploy\.json/, fault: { kind: 'delay', ms: 0 } })
      emu.inject({ method: 'POST', path: /\/preview\/app\/deploy\.json/, fault: { kind: 'reset-after' } })
      emu.inject({
        method: 'GET',
        path: /\/preview\/app\/deploy\.json/,
        times: 20,
        fault: { kind: 'status', status: 500 },
      })
      const result = await runAction({ inputs: { ...kintoneInputs(emu), target: '11,12,13', 'max-retries': '1' } })
      expect(result.code).toBe(1)
      expect(emu.deploysApplied()).toBe(1)
      expect(result.outputs['provider-status']).toBeUndefined()
      expect(JSON.parse(result.outputs.results!) as Results).toEqual(
        ['11', '12', '13'].map((target): unknown =>
          expect.objectContaining({ target, status: 'failed', 'provider-status': null }),
        ),
      )
      expect(everything(result)).not.toMatch(/SUCCESS|not deployed/)
      for (const app of ['11', '12', '13'])
        expect(result.summary).toContain(`| ${app} | ❔ unknown: check it at the provider | latest |`)
    } finally {
      await emu.close()
    }
  })

  it('qoder: a refused update reports no provider status, not the status read before it', async () => {
    const emu = new QoderEmulator({ tokens: [QODER_TOKEN] })
    await emu.start()
    try {
      const dep = emu.seed({ name: 'nightly-report' })
      expect(dep.status).toBe('active')
      const body = JSON.stringify({
        type: 'error',
        error: { type: 'invalid_request_error', message: 'Referenced agent is archived.', param: 'agent' },
      })
      emu.inject({ method: 'POST', fault: { kind: 'status', status: 400, body, contentType: 'application/json' } })
      const result = await runAction({
        inputs: {
          provider: 'qoder',
          target: dep.id,
          token: QODER_TOKEN,
          'base-url': emu.origin,
          payload: '{"name": "nightly-report-v2"}',
        },
      })
      expect(findLeaks(result, [QODER_TOKEN])).toEqual([])
      expect(result.code).toBe(1)
      expect(result.outputs['http-status']).toBe('400')
      expect(result.outputs['provider-status']).toBeUndefined()
      expect((JSON.parse(result.outputs.results!) as Results)[0]!['provider-status']).toBeNull()
      expect(result.summary).toContain(`| <code>${dep.id}</code> | failed | — | no |`)
      expect(everything(result)).not.toMatch(/\bactive\b/)
    } finally {
      await emu.close()
    }
  })

  it('huaweicloud-rts: an update refused with 409 reports no provider status, not COMPLETE from before it', async () => {
    const emu = new RtsEmulator({ projectId: RTS.project, keys: { [RTS.ak]: { sk: RTS.sk } }, settleMs: 300 })
    await emu.start()
    try {
      const dep = emu.seed()
      expect(dep.status).toBe('COMPLETE')
      emu.inject({ method: 'PUT', fault: { kind: 'status', status: 409 } })
      const payload = JSON.stringify({ status: 'IN_PROGRESS', action: 'UPDATE', input_values: { release: 'v2' } })
      const result = await runAction({
        inputs: {
          provider: 'huaweicloud-rts',
          target: dep.id,
          'access-key': RTS.ak,
          'secret-key': RTS.sk,
          'project-id': RTS.project,
          region: 'cn-north-4',
          'base-url': emu.origin,
          payload,
        },
      })
      expect(findLeaks(result, [RTS.sk])).toEqual([])
      expect(result.code).toBe(1)
      expect(result.outputs['http-status']).toBe('409')
      expect(emu.appliedUpdates(dep.id)).toBe(0)
      expect(result.outputs['provider-status']).toBeUndefined()
      expect((JSON.parse(result.outputs.results!) as Results)[0]!['provider-status']).toBeNull()
      expect(everything(result)).not.toMatch(/COMPLETE/)
    } finally {
      await emu.close()
    }
  })
})

describe('a summary that says what happened, and nothing else', () => {
  it('kintone: a 3-app deploy lists each app as SUCCESS, says no "No field changed", and links the portal in words', async () => {
    const emu = await kintone()
    try {
      const result = await runAction({ inputs: { ...kintoneInputs(emu), target: '11,12,13' } })
      expect(result.code).toBe(0)
      expect(result.outputs['provider-status']).toBe('SUCCESS')
      expect(result.summary).toContain('| <code>11,12,13</code> | succeeded | SUCCESS | yes (3) |')
      for (const app of ['11', '12', '13']) expect(result.summary).toContain(`| ${app} | ✅ SUCCESS | latest |`)
      expect(result.summary).not.toContain('No field')
      expect(result.summary).toContain(`[Open the kintone portal](${emu.origin}/k/#/portal)`)
      expect(result.summary).not.toContain('Open 11,12,13')
    } finally {
      await emu.close()
    }
  })

  it('kintone: one app links its page as "Open app N in kintone"', async () => {
    const emu = await kintone()
    try {
      const result = await runAction({ inputs: { ...kintoneInputs(emu), target: '12' } })
      expect(result.code).toBe(0)
      expect(result.summary).toContain(`[Open app 12 in kintone](${emu.origin}/k/12/)`)
    } finally {
      await emu.close()
    }
  })

  const HOSTILE = [
    '+ ./migrate.sh',
    'Error: table `users` is locked',
    '```',
    '<script>alert(1)</script>',
    '| a | b |',
    '> [!NOTE]',
    '`````',
    'exit 3',
  ]
  const rtsRun = async (emu: RtsEmulator, target: string, payload: object) =>
    runAction({
      inputs: {
        provider: 'huaweicloud-rts',
        target,
        'access-key': RTS.ak,
        'secret-key': RTS.sk,
        'project-id': RTS.project,
        region: 'cn-north-4',
        'base-url': emu.origin,
        payload: JSON.stringify(payload),
        'poll-interval': '100ms',
      },
    })

  it('huaweicloud-rts FAILED: the deploy_stderr tail keeps its line breaks, in a block inside the CAUTION that hostile text cannot leave, shown once', async () => {
    const emu = new RtsEmulator({ projectId: RTS.project, keys: { [RTS.ak]: { sk: RTS.sk } }, settleMs: 200 })
    await emu.start()
    try {
      const dep = emu.seed()
      emu.failNext(dep.id, { statusCode: 3, stderr: HOSTILE.join('\n') })
      const result = await rtsRun(emu, dep.id, {
        status: 'IN_PROGRESS',
        action: 'UPDATE',
        input_values: { release: 'v2' },
      })
      expect(result.code).toBe(1)
      expect(result.outputs['provider-status']).toBe('FAILED')
      const lines = result.summary.split('\n')
      // Its words, then a fence longer than any backtick run in the text, the lines as sent, and the same fence.
      const intro = lines.indexOf('> Last lines of deploy\\_stderr:')
      expect(intro).toBeGreaterThan(0)
      expect(lines.slice(intro + 1, intro + 3)).toEqual(['>', '> ``````text'])
      expect(lines.slice(intro + 3, intro + 3 + HOSTILE.length)).toEqual(HOSTILE.map((line) => `> ${line}`))
      expect(lines[intro + 3 + HOSTILE.length]).toBe('> ``````')
      // The details do not show the same tail a second time; the server's HTML is only ever inside the block.
      expect(result.summary.split('<script>').length - 1).toBe(1)
      expect(result.summary).toContain('- Output deploy_status_code: 3')
    } finally {
      await emu.close()
    }
  })

  it('huaweicloud-rts COMPLETE: a multi-line output is a block that keeps its lines, not one joined line', async () => {
    const emu = new RtsEmulator({ projectId: RTS.project, keys: { [RTS.ak]: { sk: RTS.sk } }, settleMs: 200 })
    await emu.start()
    try {
      const dep = emu.seed()
      const result = await rtsRun(emu, dep.id, {
        status: 'COMPLETE',
        output_values: { report: HOSTILE.join('\n'), deploy_status_code: 0 },
      })
      expect(result.code).toBe(0)
      const lines = result.summary.split('\n')
      const label = lines.indexOf('Output report:')
      expect(label).toBeGreaterThan(0)
      expect(lines.slice(label + 1, label + 3)).toEqual(['', '``````text'])
      expect(lines.slice(label + 3, label + 3 + HOSTILE.length)).toEqual(HOSTILE)
      expect(lines[label + 3 + HOSTILE.length]).toBe('``````')
      expect(result.summary.split('<script>').length - 1).toBe(1)
      expect(result.summary).toContain('- Output deploy_status_code: 0')
    } finally {
      await emu.close()
    }
  })
})

describe('aieev: the "Open" link goes to the serving URL the API gave, in words', () => {
  it("links the emulator's own serving URL (plain http on loopback), which answers, and GitHub gets the same environment_url", async () => {
    const emu = new AieevEmulator({ keys: [AIEEV_KEY], startMs: 200 })
    const github = new GitHubEmulator({ tokens: [GH_TOKEN] })
    await Promise.all([emu.start(), github.start()])
    try {
      const endpoint = emu.seed()
      const serving = `${emu.origin}/serving/${endpoint.endpoint_id}`
      expect(endpoint.serving_endpoint_url).toBe(serving)
      const result = await runAction({
        inputs: {
          provider: 'aieev',
          target: endpoint.endpoint_id,
          token: AIEEV_KEY,
          'base-url': emu.origin,
          payload: '{"container_port": 9090}',
          'poll-interval': '100ms',
          'github-environment': 'production',
          'github-token': GH_TOKEN,
        },
        env: { GITHUB_API_URL: github.apiUrl },
      })
      expect(result.code).toBe(0)
      expect(result.summary).toContain(`[Open the serving URL of endpoint ${endpoint.endpoint_id}](${serving})`)
      expect((await fetch(serving)).status).toBe(200)
      const [deployment] = github.deployments()
      expect(deployment!.statuses.at(-1)).toMatchObject({ state: 'success', environment_url: serving })
    } finally {
      await Promise.all([emu.close(), github.close()])
    }
  })

  it.each([
    ['plain http to another host', 'http://serving.example.com/llm', false],
    ['credentials in the URL', 'https://user:pass@serving.example.com/llm', false],
    ['another scheme', 'javascript:alert(1)', false],
    ['https', 'https://abc.serving.example.com/llm', true],
  ])('a serving URL with %s is linked only when it is https or loopback', async (_, url, linked) => {
    const emu = new AieevEmulator({ keys: [AIEEV_KEY], startMs: 100 })
    await emu.start()
    try {
      const endpoint = emu.seed({ serving_endpoint_url: url })
      const result = await runAction({
        inputs: {
          provider: 'aieev',
          target: endpoint.endpoint_id,
          token: AIEEV_KEY,
          'base-url': emu.origin,
          payload: '{"container_port": 9090}',
          'poll-interval': '100ms',
        },
      })
      expect(result.code).toBe(0)
      if (linked) expect(result.summary).toContain(`[Open the serving URL of endpoint ${endpoint.endpoint_id}](${url})`)
      else expect(result.summary).not.toContain('Open the serving URL')
    } finally {
      await emu.close()
    }
  })
})
