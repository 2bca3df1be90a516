/**
 * End to end: the committed dist/index.js, run as the runner runs it (Node 24, INPUT_* variables
 * with action.yml's defaults, GITHUB_OUTPUT and GITHUB_STEP_SUMMARY files), against the Qoder
 * emulator on 127.0.0.1. Each test asserts what a user sees: exit code, outputs, summary,
 * annotations, the requests on the wire, and that no credential shows anywhere.
 */
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest'
import { QoderEmulator, type Deployment } from '../emulators/qoder.ts'
import { startCatcher } from '../emulators/base.ts'
import { cleanupRuns, findLeaks, runAction, type ActionRun, type RunOptions } from '../helpers/run-action.ts'

const TOKEN = 'pt-e2e-0123456789abcdef'
let emu: QoderEmulator
let dep: Deployment

beforeEach(async () => {
  emu = new QoderEmulator({ tokens: [TOKEN, 'pt-other-token-0000'], readOnlyTokens: ['pt-readonly-0000'] })
  await emu.start()
  dep = emu.seed({ name: 'nightly-report', metadata: { owner: 'ops', legacy: 'yes' } })
})
afterEach(() => emu.close())
afterAll(() => cleanupRuns())

const YAML_PAYLOAD = `name: nightly-report-v2
schedule:
  type: cron
  expression: "0 6 * * 1-5"
  timezone: Europe/Berlin
metadata:
  owner: platform
  legacy: null
`

/** Run the action with the usual Qoder inputs, overridable; fails the test on any credential leak. */
async function run(
  inputs: Record<string, string> = {},
  options: Partial<RunOptions> = {},
  secrets: string[] = [TOKEN],
): Promise<ActionRun> {
  const result = await runAction({
    inputs: {
      provider: 'qoder',
      'payload-file': 'deploy/qoder.yaml',
      target: dep.id,
      token: TOKEN,
      'base-url': emu.origin,
      ...inputs,
    },
    files: { 'deploy/qoder.yaml': YAML_PAYLOAD, ...options.files },
    ...options,
  })
  expect(findLeaks(result, [...secrets, `Bearer ${TOKEN}`])).toEqual([])
  return result
}

const updates = () => emu.requestsTo('POST', /^\/api\/v1\/cloud\/deployments\/dep_[0-9a-f]+$/)

describe('qoder end to end', () => {
  it('outside a runner (no GITHUB_STEP_SUMMARY), the update is reported, not failed as internal', async () => {
    const result = await run({}, { env: { GITHUB_STEP_SUMMARY: '' } })
    expect(result.code, result.stdout).toBe(0)
    expect(result.outputs.status).toBe('succeeded')
    expect(updates()).toHaveLength(1)
    expect(result.stdout).toContain('GITHUB_STEP_SUMMARY is not set: the job summary is not written.')
  })

  it('runs on Node 24, as runs.using says', () => {
    expect(process.versions.node.split('.')[0]).toBe('24')
  })

  it('updates a deployment once, outputs the final resource and shows the diff in the summary', async () => {
    const result = await run()
    expect(result.code).toBe(0)
    expect(emu.appliedUpdates(dep.id)).toBe(1)
    expect(updates()[0]!.headers['idempotency-key']).toMatch(/^[0-9a-f-]{36}$/)
    expect(updates()[0]!.headers['content-type']).toBe('application/json')
    expect(JSON.parse(updates()[0]!.body)).toEqual({
      name: 'nightly-report-v2',
      schedule: { type: 'cron', expression: '0 6 * * 1-5', timezone: 'Europe/Berlin' },
      metadata: { owner: 'platform', legacy: null },
    })

    const o = result.outputs
    expect(o.status).toBe('succeeded')
    expect(o['provider-status']).toBe('active')
    expect(o['http-status']).toBe('200')
    expect(o.changed).toBe('true')
    // Volatile fields (stats, upcoming_runs_at, last_run_at, updated_at) changed too, but are not changes.
    expect(JSON.parse(o.changes!)).toEqual([
      'metadata.legacy',
      'metadata.owner',
      'name',
      'schedule.expression',
      'schedule.timezone',
    ])
    expect(JSON.parse(o.results!)).toEqual([
      { target: dep.id, status: 'succeeded', 'provider-status': 'active', changed: true },
    ])
    expect(o['resource-id']).toBe(dep.id)
    const resource = JSON.parse(o.resource!) as Deployment
    expect(resource).toMatchObject({ id: dep.id, name: 'nightly-report-v2', metadata: { owner: 'platform' } })
    expect(resource.metadata).not.toHaveProperty('legacy')
    expect(JSON.parse(result.resourceFile!)).toEqual(resource)
    expect(result.resourceFile).toContain('\n  "id"') // pretty JSON
    expect(o['resource-file']!.startsWith(result.runnerTemp)).toBe(true)

    expect(result.summary).toContain('deploy-patch · qoder · succeeded')
    expect(result.summary).toContain(
      '| <code>name</code> | <code>"nightly-report"</code> | <code>"nightly-report-v2"</code> |',
    )
    expect(result.summary).toContain('| <code>metadata.legacy</code> | <code>"yes"</code> | *(none)* |')
    expect(result.summary).not.toContain('upcoming_runs_at')
  })

  it('reports changed=false when the payload matches the live deployment', async () => {
    const result = await run({ 'payload-file': '', payload: JSON.stringify({ name: 'nightly-report' }) })
    expect(result.code).toBe(0)
    expect(result.outputs.changed).toBe('false')
    expect(result.outputs.changes).toBe('[]')
    expect(result.summary).toContain('No field changed')
  })

  it('dry run: reads, shows the request with the token redacted and the would-be diff, writes nothing', async () => {
    const result = await run({ 'dry-run': 'true' })
    expect(result.code).toBe(0)
    expect(updates()).toHaveLength(0)
    expect(emu.requestsTo('GET', new RegExp(dep.id))).toHaveLength(1)
    expect(result.outputs.status).toBe('dry-run')
    // A dry run's `changed` is "would change", so a drift check can compare it with 'true'.
    expect(result.outputs.changed).toBe('true')
    expect(JSON.parse(result.outputs.changes!)).toEqual([
      'metadata.legacy',
      'metadata.owner',
      'name',
      'schedule.expression',
      'schedule.timezone',
    ])
    expect(result.summary).toContain(`POST ${emu.origin}/api/v1/cloud/deployments/${dep.id}`)
    expect(result.summary).toContain('authorization: Bearer ***')
    expect(result.summary).toContain('Would change')
    expect(emu.stored(dep.id)!.name).toBe('nightly-report')
  })

  it('refuses a bad payload before any request, annotating each problem on its line', async () => {
    const payload = `name: ok
schedule:
  type: cron
  expression: "61 * * * *"
  timezone: Mars/Olympus
initial_events: []
colour: blue
metadata:
  k: ${'x'.repeat(600)}
`
    const result = await run({}, { files: { 'deploy/qoder.yaml': payload } })
    expect(result.code).toBe(1)
    expect(emu.requests).toHaveLength(0)
    expect(result.outputs.status).toBe('failed')
    expect(result.outputs['error-type']).toBe('validation')
    const annotations = result.commands.filter(
      (c) => c.command === 'error' && c.properties.file === 'deploy/qoder.yaml',
    )
    const byLine = Object.fromEntries(annotations.map((a) => [a.properties.line ?? '', a.message]))
    expect(byLine['4']).toMatch(/\$\.schedule\.expression: '61 \* \* \* \*' is not a valid cron expression/)
    expect(byLine['5']).toMatch(/\$\.schedule\.timezone: 'Mars\/Olympus' is not an IANA time zone/)
    expect(byLine['6']).toMatch(/\$\.initial_events: expected 1 to 50 items, got 0/)
    expect(byLine['7']).toMatch(/\$\.colour: unknown field 'colour'/)
    expect(byLine['9']).toMatch(/\$\.metadata\.k: expected 0 to 512 characters, got 600/)
    expect(result.outputs['error-message']).toMatch(/^The payload has 5 problems; nothing was sent\./)
    expect(result.summary).toContain('deploy/qoder.yaml:7')
  })

  it('refuses a target that is not a deployment id, without a request', async () => {
    const result = await run({ target: '../dep_x' })
    expect(result.code).toBe(1)
    expect(emu.requests).toHaveLength(0)
    expect(result.outputs['error-message']).toContain("Invalid input 'target': '../dep_x' is not a Qoder deployment id")
  })

  it('refuses an unknown provider, listing the supported ones, before any request', async () => {
    const result = await run({ provider: 'aws' })
    expect(result.code).toBe(1)
    expect(result.outputs['error-type']).toBe('input')
    const errors = result.commands.filter((c) => c.command === 'error')
    expect(errors).toHaveLength(1)
    expect(errors[0]!.message).toBe(
      "deploy-patch: Invalid input 'provider': 'aws'. Expected one of: qoder, kintone, huaweicloud-rts, aieev. Nothing was sent.",
    )
    expect(emu.requests).toHaveLength(0)
  })

  it('names the input and its accepted forms for a bad input value', async () => {
    const result = await run({ timeout: 'soon' })
    expect(result.code).toBe(1)
    expect(result.outputs['error-type']).toBe('input')
    expect(result.outputs['error-message']).toBe(
      "Invalid input 'timeout': 'soon'. Expected a duration such as '90s', '15m', '1h', '1h30m', or a number of seconds. Nothing was sent.",
    )
    expect(emu.requests).toHaveLength(0)
  })

  it('an expired PAT fails at once (no retry) and says to create a new one', async () => {
    const expired = 'pt-expired-999999'
    const result = await run({ token: expired }, {}, [expired])
    expect(result.code).toBe(1)
    expect(emu.requests).toHaveLength(1)
    expect(result.outputs['http-status']).toBe('401')
    expect(result.outputs['error-type']).toBe('authentication_error')
    expect(result.outputs['error-message']).toContain('Create a new personal access token')
    expect(result.outputs['error-message']).toContain(`qoder ${dep.id}:`)
  })

  it('a token without write access gets 403 with what to do', async () => {
    const result = await run({ token: 'pt-readonly-0000' }, {}, ['pt-readonly-0000'])
    expect(result.code).toBe(1)
    expect(result.outputs['http-status']).toBe('403')
    expect(result.outputs['error-type']).toBe('permission_error')
    expect(result.outputs['error-message']).toContain('use a token of the account that owns the deployment')
    expect(emu.appliedUpdates(dep.id)).toBe(0)
  })

  it('an unknown deployment gets 404 with a hint about target and region', async () => {
    const missing = 'dep_' + 'f'.repeat(32)
    const result = await run({ target: missing })
    expect(result.code).toBe(1)
    expect(result.outputs['http-status']).toBe('404')
    expect(result.outputs['error-message']).toContain(
      `No deployment ${missing} in Qoder's global region: check 'target', and 'region'`,
    )
  })

  it('a payload Qoder refuses (400) is reported with the field it names', async () => {
    emu.inject({
      method: 'POST',
      fault: {
        kind: 'status',
        status: 400,
        body: JSON.stringify({
          type: 'error',
          error: { type: 'invalid_request_error', message: 'Referenced agent is archived.', param: 'agent' },
        }),
        contentType: 'application/json',
      },
    })
    const result = await run()
    expect(result.code).toBe(1)
    expect(updates()).toHaveLength(1)
    expect(result.outputs['error-type']).toBe('invalid_request_error')
    expect(result.outputs['error-message']).toContain('Referenced agent is archived. (field: agent)')
  })

  it('an error whose message is an object, not the documented string, is reported as its JSON', async () => {
    emu.inject({
      method: 'POST',
      fault: {
        kind: 'status',
        status: 400,
        body: JSON.stringify({
          type: 'error',
          error: { type: 'invalid_request_error', message: { agent: ['is archived'] } },
        }),
        contentType: 'application/json',
      },
    })
    const result = await run()
    expect(result.code).toBe(1)
    expect(result.outputs['error-type']).toBe('invalid_request_error')
    expect(result.outputs['error-message']).toContain('invalid_request_error: {"agent":["is archived"]}')
    expect(result.outputs['error-message']).not.toContain('[object Object]')
  })

  it('survives 503s and a 429 with Retry-After, applying the update once with one idempotency key', async () => {
    emu.inject({ method: 'POST', times: 2, fault: { kind: 'status', status: 503 } })
    emu.inject({ method: 'POST', fault: { kind: 'status', status: 429, retryAfter: '1' } })
    const result = await run()
    expect(result.code).toBe(0)
    expect(updates()).toHaveLength(4)
    expect(new Set(updates().map((r) => r.headers['idempotency-key'])).size).toBe(1)
    expect(updates()[3]!.at - updates()[2]!.at).toBeGreaterThanOrEqual(950)
    expect(emu.appliedUpdates(dep.id)).toBe(1)
    expect(result.stdout).toMatch(/Retry 3 of 5 in 1s \(Retry-After\)/)
  })

  it('a connection reset after the update was applied is retried with the same key and Qoder replays it: applied once', async () => {
    emu.inject({ method: 'POST', fault: { kind: 'reset-after' } })
    const result = await run()
    expect(result.code).toBe(0)
    expect(updates()).toHaveLength(2)
    expect(updates()[0]!.headers['idempotency-key']).toBe(updates()[1]!.headers['idempotency-key'])
    expect(emu.appliedUpdates(dep.id)).toBe(1)
    expect(result.outputs.changed).toBe('true')
  })

  it('malformed JSON in a 200 is retried safely and still applied once', async () => {
    emu.inject({ method: 'POST', fault: { kind: 'malformed-json' } })
    const result = await run()
    expect(result.code).toBe(0)
    expect(emu.appliedUpdates(dep.id)).toBe(1)
  })

  it('a redirect to another origin is refused and the other origin never sees a credential', async () => {
    const catcher = await startCatcher()
    try {
      emu.inject({
        method: 'GET',
        fault: { kind: 'redirect', location: `${catcher.origin}/api/v1/cloud/deployments/${dep.id}` },
      })
      const result = await run()
      expect(result.code).toBe(1)
      expect(catcher.requests).toHaveLength(0)
      expect(result.outputs['error-type']).toBe('redirect')
      expect(result.outputs['error-message']).toContain(
        "another origin; deploy-patch does not send credentials there. Check 'base-url'.",
      )
      expect(updates()).toHaveLength(0)
    } finally {
      await catcher.close()
    }
  })

  it('a hang past the deadline ends as timed-out, within the timeout', async () => {
    emu.inject({ method: 'POST', fault: { kind: 'hang' } })
    const result = await run({ timeout: '2s' })
    expect(result.code).toBe(1)
    expect(result.outputs.status).toBe('timed-out')
    expect(result.outputs['error-type']).toBe('timeout')
    expect(result.outputs['error-message']).toContain("The step's timeout (2s) passed")
    expect(result.durationMs).toBeLessThan(8_000) // bounded by the 2 s deadline, with process start-up to spare
  })

  it('SIGTERM while a request hangs: cancelled within 2 s, with its outputs written', async () => {
    emu.inject({ method: 'POST', fault: { kind: 'hang' } })
    const result = await run({}, { kill: { onStdout: /Update qoder/, signal: 'SIGTERM' } })
    // Without cancellation the hang would last the 30 s request timeout; the bound only proves it did not.
    expect(result.durationMs).toBeLessThan(10_000)
    expect(result.signal).toBeNull() // it exited by itself, reporting, rather than being killed
    expect(result.outputs.status).toBe('cancelled')
    expect(result.outputs['error-type']).toBe('cancelled')
    expect(result.outputs['error-message']).toContain('The run was cancelled (SIGTERM)')
    expect(result.code).toBe(1)
    expect(result.summary).toContain('cancelled')
  })

  it('substitutes ${NAME} from the environment after parsing, and names an unset variable with its line', async () => {
    const payload = 'name: "report ${RELEASE}"\ndescription: "literal $${NOT_A_VAR}"\n'
    const ok = await run(
      { 'substitute-env': 'true' },
      { files: { 'deploy/qoder.yaml': payload }, env: { RELEASE: 'v1.2.3' } },
    )
    expect(ok.code).toBe(0)
    expect(JSON.parse(updates()[0]!.body)).toEqual({ name: 'report v1.2.3', description: 'literal ${NOT_A_VAR}' })

    const missing = await run({ 'substitute-env': 'true' }, { files: { 'deploy/qoder.yaml': payload } })
    expect(missing.code).toBe(1)
    const annotation = missing.commands.find((c) => c.command === 'error' && c.properties.file === 'deploy/qoder.yaml')
    expect(annotation?.properties.line).toBe('1')
    expect(annotation?.message).toContain('the environment variable RELEASE is not set')
    expect(updates()).toHaveLength(1) // only the first run's
  })

  it('calls out a paused deployment in the summary', async () => {
    const paused = emu.seed({ status: 'paused', paused_reason: { type: 'manual' } })
    const result = await run({ target: paused.id })
    expect(result.code).toBe(0)
    expect(result.outputs['provider-status']).toBe('paused')
    expect(result.summary).toContain('This deployment is paused (manual)')
  })

  it('debug logging shows requests but never headers or the token', async () => {
    const result = await run({}, { env: { ACTIONS_STEP_DEBUG: 'true', RUNNER_DEBUG: '1' } })
    expect(result.code).toBe(0)
    expect(result.stdout).toContain(`::debug::→ POST ${emu.origin}/api/v1/cloud/deployments/${dep.id}`)
    expect(result.stdout.toLowerCase()).not.toContain('authorization')
    expect(result.stdout.toLowerCase()).not.toContain('idempotency-key')
  })

  it('the cn region enforces its 4 MB body limit before sending', async () => {
    // A 60 KB file whose YAML aliases expand to a 4.9 MB body: within the file cap, over cn's body limit.
    const big = `resources:\n  - &pad { type: file, pad: "${'x'.repeat(60_000)}" }\n${'  - *pad\n'.repeat(80)}`
    const result = await run({ 'payload-file': 'big.yaml', region: 'cn' }, { files: { 'big.yaml': big } })
    expect(result.code).toBe(1)
    expect(emu.requests).toHaveLength(0)
    expect(result.outputs['error-message']).toContain("Qoder's cn region accepts at most 4 MB")
  })
})
