/**
 * End to end: dist/index.js deploying kintone apps against the kintone emulator on 127.0.0.1.
 * What a user sees: exit code, outputs (per-app results), the summary's app table, the deploy
 * requests on the wire (exactly one applied), and no credential anywhere.
 */
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest'
import { KintoneEmulator, type KintoneEmulatorOptions } from '../emulators/kintone.ts'
import { cleanupRuns, findLeaks, runAction, type ActionRun, type RunOptions } from '../helpers/run-action.ts'

const TOKEN = 'kTokenForApps1to3abcdef0123456789'
const READ_ONLY = 'kTokenWithoutAppManagement0000000'
const PASSWORD = 'correct-horse-battery'
const OAUTH = 'oauth-access-token-0123456789'
const BASIC = 'siteuser:site-pass-9876'
const b64 = (text: string) => Buffer.from(text).toString('base64')
const SECRETS = [TOKEN, READ_ONLY, PASSWORD, OAUTH, BASIC, 'site-pass-9876', b64(`admin:${PASSWORD}`), b64(BASIC)]

let emu: KintoneEmulator
async function start(options: KintoneEmulatorOptions = {}): Promise<void> {
  emu = new KintoneEmulator({
    apiTokens: {
      [TOKEN]: { apps: [1, 2, 3, 7], appManagement: true },
      [READ_ONLY]: { apps: [1, 2, 3], appManagement: false },
    },
    users: { admin: PASSWORD },
    oauthTokens: [OAUTH],
    deployMs: 150,
    ...options,
  })
  await emu.start()
  for (const app of [1, 2, 3]) emu.addApp(app, { revision: 5 })
}
beforeEach(() => start())
afterEach(() => emu.close())
afterAll(() => cleanupRuns())

async function run(inputs: Record<string, string> = {}, options: Partial<RunOptions> = {}): Promise<ActionRun> {
  const result = await runAction({
    inputs: {
      provider: 'kintone',
      target: '1,2,3',
      token: TOKEN,
      'base-url': emu.origin,
      'poll-interval': '100ms',
      ...inputs,
    },
    ...options,
  })
  expect(findLeaks(result, SECRETS)).toEqual([])
  return result
}

const deploys = () =>
  emu.requestsTo('POST', /\/preview\/app\/deploy\.json$/).filter((r) => !r.headers['x-http-method-override'])
const statusReads = () =>
  emu.requests.filter(
    (r) =>
      r.path.endsWith('/preview/app/deploy.json') &&
      (r.method === 'GET' || r.headers['x-http-method-override'] === 'GET'),
  )

describe('kintone end to end', () => {
  it('deploys several apps in one call, waits for SUCCESS and reports each app', async () => {
    const result = await run()
    expect(result.code).toBe(0)
    expect(emu.deploysApplied()).toBe(1)
    expect(JSON.parse(deploys()[0]!.body)).toEqual({ apps: [{ app: 1 }, { app: 2 }, { app: 3 }] })
    expect(deploys()[0]!.headers['x-cybozu-api-token']).toBe(TOKEN)
    expect(statusReads().length).toBeGreaterThanOrEqual(2) // the read before, and at least one while waiting
    expect(statusReads()[0]!.url.search).toBe('?apps%5B0%5D=1&apps%5B1%5D=2&apps%5B2%5D=3')
    for (const app of [1, 2, 3]) expect(emu.deployedRevision(app)).toBe(5)

    const o = result.outputs
    expect(o.status).toBe('succeeded')
    expect(o['provider-status']).toBe('SUCCESS')
    expect(o.changed).toBe('true')
    expect(JSON.parse(o.changes!)).toEqual(['apps.1', 'apps.2', 'apps.3'])
    expect(JSON.parse(o.resource!)).toEqual({
      apps: [
        { app: '1', status: 'SUCCESS' },
        { app: '2', status: 'SUCCESS' },
        { app: '3', status: 'SUCCESS' },
      ],
    })
    expect(JSON.parse(o.results!)).toEqual(
      ['1', '2', '3'].map((app) => ({ target: app, status: 'succeeded', 'provider-status': 'SUCCESS', changed: true })),
    )
    expect(o['http-status']).toBe('200')
    expect(result.summary).toContain('| App | Status | Revision asked |')
    expect(result.summary).toContain('| 2 | ✅ SUCCESS | latest |')
  })

  it('sends the revisions and revert flag from the payload', async () => {
    const payload = 'apps:\n  - app: 1\n    revision: 5\n  - app: "2"\n    revision: -1\n'
    const result = await run(
      { target: '', 'payload-file': 'deploy/kintone.yaml' },
      { files: { 'deploy/kintone.yaml': payload } },
    )
    expect(result.code).toBe(0)
    expect(JSON.parse(deploys()[0]!.body)).toEqual({
      apps: [
        { app: 1, revision: 5 },
        { app: 2, revision: -1 },
      ],
    })
    expect(result.summary).toContain('| 1 | ✅ SUCCESS | 5 |')
  })

  it('a revision that no longer matches fails with what to do, and nothing is deployed', async () => {
    emu.editPreview(1)
    const result = await run({ target: '', payload: '{"apps": [{"app": 1, "revision": 5}]}' })
    expect(result.code).toBe(1)
    expect(result.outputs['http-status']).toBe('409')
    expect(result.outputs['error-type']).toBe('GAIA_CO02')
    expect(result.outputs['request-id']).toMatch(/^[A-Za-z0-9]{20}$/)
    expect(result.outputs['error-message']).toContain("Someone changed an app's settings after its revision was read")
    expect(emu.deploysApplied()).toBe(0)
  })

  // Success is only every requested app reported SUCCESS. The first status read (before the deploy)
  // is answered normally; the next, while waiting, is the odd answer.
  it.each([
    [
      'leaves out an app',
      '{"apps":[{"app":"1","status":"SUCCESS"},{"app":"2","status":"SUCCESS"}]}',
      "kintone's deploy status left out app 3, so whether the deploy reached it is unknown; check app 3 in kintone.",
    ],
    [
      'gives a status kintone does not document',
      '{"apps":[{"app":"1","status":"SUCCESS"},{"app":"2","status":"SUCCESS"},{"app":"3","status":"DONE"}]}',
      "kintone answered the deploy status 'DONE' for app 3, not one of PROCESSING, SUCCESS, FAIL, CANCEL; check the app in kintone.",
    ],
    [
      'has no apps list',
      '{"message":"ok"}',
      'kintone answered the deploy status read (HTTP 200) without an \'apps\' list: {"message":"ok"}',
    ],
  ])('a status answer that %s fails the step as invalid-response, never as a success', async (_, body, message) => {
    emu.inject({ method: 'GET', path: /\/preview\/app\/deploy\.json/, fault: { kind: 'delay', ms: 0 } })
    emu.inject({ method: 'GET', path: /\/preview\/app\/deploy\.json/, fault: { kind: 'status', status: 200, body } })
    const result = await run()
    expect(result.code).toBe(1)
    expect(result.outputs.status).toBe('failed')
    expect(result.outputs['error-type']).toBe('invalid-response')
    expect(result.outputs['error-message']).toContain(message)
    expect(result.outputs.changed).not.toBe('true')
    expect(emu.deploysApplied()).toBe(1)
  })

  it('FAIL and CANCEL end the wait as a failure naming the failed app and the cancelled ones', async () => {
    emu.failNextDeploy(2)
    const result = await run()
    expect(result.code).toBe(1)
    expect(result.outputs.status).toBe('failed')
    expect(result.outputs['provider-status']).toBe('FAIL')
    expect(result.outputs['error-type']).toBe('deploy-failed')
    expect(result.outputs['error-message']).toContain('app 2 failed to deploy; apps 1, 3 were cancelled with it')
    expect(result.outputs['error-message']).toContain('kintone reverted every app')
    const results = JSON.parse(result.outputs.results!) as {
      target: string
      'provider-status': string
      status: string
    }[]
    expect(results.map((r) => [r.target, r['provider-status'], r.status])).toEqual([
      ['1', 'CANCEL', 'failed'],
      ['2', 'FAIL', 'failed'],
      ['3', 'CANCEL', 'failed'],
    ])
    expect((JSON.parse(result.outputs.resource!) as { apps: unknown[] }).apps).toHaveLength(3)
    expect(result.summary).toContain('| 2 | ❌ FAIL | latest |')
    expect(emu.deployedRevision(1)).toBeUndefined()
  })

  it('deploys apps of a guest space through the guest-space path', async () => {
    await emu.close()
    await start({ guestSpaces: { 9: [7] } })
    emu.addApp(7, { guestSpace: 9 })
    const result = await run({ target: '7', 'guest-space-id': '9' })
    expect(result.code).toBe(0)
    expect(deploys()[0]!.path).toBe('/k/guest/9/v1/preview/app/deploy.json')
    expect(result.summary).toContain(`[Open app 7 in kintone](${emu.origin}/k/guest/9/7/)`)
  })

  it('an app of a guest space without guest-space-id gets the kintone error and a hint', async () => {
    await emu.close()
    await start({ guestSpaces: { 9: [7] } })
    emu.addApp(7, { guestSpace: 9 })
    const result = await run({ target: '7' })
    expect(result.code).toBe(1)
    expect(result.outputs['error-message']).toContain("set 'guest-space-id'")
  })

  it('password authentication sends X-Cybozu-Authorization and never shows it', async () => {
    const result = await run({ token: '', username: 'admin', password: PASSWORD })
    expect(result.code).toBe(0)
    expect(deploys()[0]!.headers['x-cybozu-authorization']).toBe(b64(`admin:${PASSWORD}`))
  })

  it('OAuth sends a Bearer token', async () => {
    const result = await run({ token: '', 'oauth-token': OAUTH })
    expect(result.code).toBe(0)
    expect(deploys()[0]!.headers.authorization).toBe(`Bearer ${OAUTH}`)
  })

  it('a site behind Basic authentication gets Authorization: Basic in addition to the token', async () => {
    await emu.close()
    await start({ basicAuth: BASIC })
    const result = await run({ 'basic-auth': BASIC })
    expect(result.code).toBe(0)
    expect(deploys()[0]!.headers.authorization).toBe(`Basic ${b64(BASIC)}`)
    expect(deploys()[0]!.headers['x-cybozu-api-token']).toBe(TOKEN)
  })

  it('refuses basic-auth with OAuth, saying why, before any request', async () => {
    const result = await run({ token: '', 'oauth-token': OAUTH, 'basic-auth': BASIC })
    expect(result.code).toBe(1)
    expect(emu.requests).toHaveLength(0)
    expect(result.outputs['error-message']).toContain(
      "'basic-auth' and 'oauth-token' cannot be used together: both need the Authorization header",
    )
  })

  it('a token without App Management permission gets the permission advice', async () => {
    const result = await run({ token: READ_ONLY })
    expect(result.code).toBe(1)
    expect(result.outputs['http-status']).toBe('403')
    expect(result.outputs['error-message']).toContain('needs the App Management permission')
  })

  it('refuses bad payloads and inputs before any request', async () => {
    const cases: [Record<string, string>, string][] = [
      [
        { token: Array.from({ length: 10 }, (_, i) => `tok${i}`).join(',') },
        "'token' has 10 API tokens; kintone accepts at most 9",
      ],
      [
        { target: Array.from({ length: 301 }, (_, i) => String(i + 1)).join(',') },
        'one kintone deploy takes at most 300',
      ],
      [{ target: '', payload: '{"apps": [{"app": 1}, {"app": "1"}]}' }, '$.apps[1].app: app 1 is listed twice'],
      [
        { target: '', payload: '{"apps": [{"app": 1, "revision": -2}]}' },
        '$.apps[0].revision: expected a whole number at least -1, got -2',
      ],
      [{ target: '', payload: '{"apps": [{"app": 0}]}' }, '$.apps[0].app: expected a whole number at least 1'],
      [{ target: '', payload: '{"apps": [{"app": 1}], "revert": "yes"}' }, '$.revert: expected true or false'],
      [{ target: '', payload: '{"apps": [], "deploy": true}' }, "$.deploy: unknown field 'deploy'"],
      [{ target: '1,x' }, "'x' is not a kintone app id"],
      [{ target: '' }, 'no apps to deploy'],
      [{ 'base-url': 'https://example.com' }, "'https://example.com' is not a kintone site"],
    ]
    for (const [inputs, message] of cases) {
      const result = await run(inputs)
      expect(result.code, message).toBe(1)
      expect(result.outputs['error-message'], message).toContain(message)
    }
    expect(emu.requests).toHaveLength(0)
  })

  it('waits for a deploy already in progress instead of colliding with it', async () => {
    await emu.close()
    await start({ deployMs: 1_500 }) // long enough to still be running when the action reads
    const started = await fetch(`${emu.origin}/k/v1/preview/app/deploy.json`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-cybozu-api-token': TOKEN },
      body: JSON.stringify({ apps: [{ app: 1 }] }),
    })
    expect(started.status).toBe(200)
    const result = await run({ target: '1' })
    expect(result.code).toBe(0)
    expect(emu.deploysApplied()).toBe(2)
    expect(result.stdout).toContain('already in progress; waiting for it to finish before deploying')
  })

  it('a deploy whose answer was lost after it started is not sent again: the status read shows it running', async () => {
    await emu.close()
    await start({ deployReads: 1 }) // the read after the lost answer sees the deploy running, however slow the machine
    emu.inject({ method: 'POST', path: '/k/v1/preview/app/deploy.json', fault: { kind: 'reset-after' } })
    const result = await run()
    expect(result.code).toBe(0)
    expect(deploys()).toHaveLength(1)
    expect(emu.deploysApplied()).toBe(1)
    expect(result.stdout).toContain('The deploy had started: waiting for it, without sending it again.')
  })

  it('a deploy reset before it reached kintone is sent once more after a status read', async () => {
    emu.inject({ method: 'POST', path: '/k/v1/preview/app/deploy.json', fault: { kind: 'reset-before' } })
    const result = await run()
    expect(result.code).toBe(0)
    expect(deploys()).toHaveLength(2)
    expect(emu.deploysApplied()).toBe(1)
    expect(result.stdout).toContain('The deploy had not started: sending it once more')
  })

  it('a 500 on the deploy is followed by a status read before any resend; a 429 is simply retried', async () => {
    emu.inject({ method: 'POST', path: '/k/v1/preview/app/deploy.json', fault: { kind: 'status', status: 500 } })
    emu.inject({ method: 'POST', path: '/k/v1/preview/app/deploy.json', fault: { kind: 'status', status: 429 } })
    const result = await run()
    expect(result.code).toBe(0)
    expect(deploys()).toHaveLength(3)
    expect(emu.deploysApplied()).toBe(1)
  })

  it('300 apps: one deploy request, and each status read as POST with X-HTTP-Method-Override', async () => {
    for (let app = 4; app <= 300; app++) emu.addApp(app)
    const ids = Array.from({ length: 300 }, (_, i) => 1000000 + i)
    await emu.close()
    await start({ apiTokens: { [TOKEN]: { apps: ids, appManagement: true } } })
    for (const app of ids) emu.addApp(app)
    const result = await run({ target: ids.join('\n') })
    expect(result.code).toBe(0)
    expect(deploys()).toHaveLength(1)
    expect((JSON.parse(deploys()[0]!.body) as { apps: unknown[] }).apps).toHaveLength(300)
    const reads = statusReads()
    expect(reads.length).toBeGreaterThanOrEqual(2)
    for (const read of reads) {
      expect(read.method).toBe('POST')
      expect(read.headers['x-http-method-override']).toBe('GET')
      expect((JSON.parse(read.body) as { apps: unknown[] }).apps).toHaveLength(300)
    }
    expect(JSON.parse(result.outputs.results!)).toHaveLength(300)
  })

  it('dry run reads the deploy status and deploys nothing', async () => {
    const result = await run({ 'dry-run': 'true' })
    expect(result.code).toBe(0)
    expect(deploys()).toHaveLength(0)
    expect(result.outputs.status).toBe('dry-run')
    // A dry run's `changed` is "would change": a deploy always moves the preview to production.
    expect(result.outputs.changed).toBe('true')
    expect(result.summary).toContain(`POST ${emu.origin}/k/v1/preview/app/deploy.json`)
    expect(result.summary).toContain('x-cybozu-api-token: ***')
  })

  it("a dry run after a failed deploy: each app's results entry says it would change, as the outputs do", async () => {
    emu.failNextDeploy(2)
    expect((await run()).outputs.status).toBe('failed')
    const result = await run({ 'dry-run': 'true' })
    expect(result.outputs.changed).toBe('true')
    const results = JSON.parse(result.outputs.results!) as { target: string; changed: boolean }[]
    expect(results.map((r) => [r.target, r.changed])).toEqual([
      ['1', true],
      ['2', true],
      ['3', true],
    ])
  })

  it('a deploy still PROCESSING at the deadline ends timed-out with the last status', async () => {
    await emu.close()
    await start({ deployMs: 60_000 })
    const result = await run({ timeout: '2s' })
    expect(result.code).toBe(1)
    expect(result.outputs.status).toBe('timed-out')
    expect(result.outputs['provider-status']).toBe('PROCESSING')
    expect(result.outputs['error-message']).toContain('The last status was PROCESSING')
  })

  it('SIGTERM during the wait: cancelled, with the last status, and the outputs written', async () => {
    await emu.close()
    await start({ deployMs: 60_000 })
    const result = await run({}, { kill: { onStdout: /Status PROCESSING/, signal: 'SIGTERM' } })
    expect(result.signal).toBeNull()
    expect(result.durationMs).toBeLessThan(10_000)
    expect(result.outputs.status).toBe('cancelled')
    expect(result.outputs['provider-status']).toBe('PROCESSING')
    expect(result.outputs['error-message']).toContain(
      'The last status of 1,2,3 was PROCESSING; the change may still be going on at the provider.',
    )
  })
})
