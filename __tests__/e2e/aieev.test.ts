/**
 * End to end: dist/index.js patching an Aieev endpoint, starting it and waiting until it serves,
 * against the Aieev emulator on 127.0.0.1. Env var values are secrets: they must never show in
 * the log, the outputs, the summary or the resource file.
 */
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest'
import { AieevEmulator, type AieevEmulatorOptions, type Endpoint } from '../emulators/aieev.ts'
import { cleanupRuns, findLeaks, runAction, type ActionRun, type RunOptions } from '../helpers/run-action.ts'

const KEY = 'aieev-e2e-key-0123456789'
const DB_PASSWORD = 's3cr3t-db-password-value'
const API_SECRET = 'sk_live_abcdefghijklmnop'
const PAYLOAD = {
  container_port: 9090,
  container_health_check_path: '/ready',
  container_env_vars: [
    { key: 'DB_PASSWORD', value: DB_PASSWORD },
    { key: 'API_SECRET', value: API_SECRET },
  ],
}

let emu: AieevEmulator
let endpoint: Endpoint
async function start(options: AieevEmulatorOptions = {}): Promise<void> {
  emu = new AieevEmulator({ keys: [KEY], startMs: 300, ...options })
  await emu.start()
  endpoint = emu.seed()
}
beforeEach(() => start())
afterEach(() => emu.close())
afterAll(() => cleanupRuns())

async function run(
  inputs: Record<string, string> = {},
  options: Partial<RunOptions> = {},
  extraSecrets: string[] = [],
): Promise<ActionRun> {
  const result = await runAction({
    inputs: {
      provider: 'aieev',
      'payload-file': 'deploy/aieev.json',
      target: endpoint.endpoint_id,
      token: KEY,
      'base-url': emu.origin,
      'poll-interval': '100ms',
      ...inputs,
    },
    files: { 'deploy/aieev.json': JSON.stringify(PAYLOAD, null, 2), ...options.files },
    ...options,
  })
  expect(findLeaks(result, [KEY, DB_PASSWORD, API_SECRET, ...extraSecrets])).toEqual([])
  return result
}

const patches = () => emu.requestsTo('PATCH', /\/endpoints\//)
const starts = () => emu.requestsTo('POST', /\/start$/)

describe('aieev end to end', () => {
  it('patches the settings, starts the endpoint and waits until it is RUNNING with no replica starting', async () => {
    const result = await run()
    expect(result.code).toBe(0)
    expect(emu.appliedPatches(endpoint.endpoint_id)).toBe(1)
    expect(JSON.parse(patches()[0]!.body)).toEqual(PAYLOAD)
    expect(patches()[0]!.headers.authorization).toBe(`Bearer ${KEY}`)
    expect(starts()).toHaveLength(1)
    expect(emu.stored(endpoint.endpoint_id)).toMatchObject({ is_active: true, container_port: 9090 })

    const o = result.outputs
    expect(o.status).toBe('succeeded')
    expect(o['provider-status']).toBe('RUNNING')
    expect(o.changed).toBe('true')
    const resource = JSON.parse(o.resource!) as Endpoint
    expect(resource).toMatchObject({
      endpoint_id: endpoint.endpoint_id,
      is_active: true,
      status: 'RUNNING',
      container_port: 9090,
    })
    expect(resource.container_env_vars).toEqual([
      { key: 'DB_PASSWORD', value: '***' },
      { key: 'API_SECRET', value: '***' },
    ])
    expect((JSON.parse(result.resourceFile!) as Endpoint).container_env_vars?.[1]).toEqual({
      key: 'API_SECRET',
      value: '***',
    })
    // The GET before has no settings: only the settings sent count, not the others the PATCH answer carries.
    expect(JSON.parse(o.changes!)).toEqual(['container_env_vars', 'container_health_check_path', 'container_port'])
    expect(result.summary).toContain('deploy-patch · aieev · succeeded')
  })

  it('with settings in the GET, changes are exact; a changed env var value counts but shows as ***', async () => {
    await emu.close()
    await start({ getIncludesSettings: true })
    const oldValue = endpoint.container_env_vars![1]!.value
    const payload = {
      container_env_vars: [
        { key: 'ENV', value: 'prod' },
        { key: 'HF_TOKEN', value: 'hf_rotated_value_000' },
      ],
    }
    const result = await run({ 'payload-file': 'p.json' }, { files: { 'p.json': JSON.stringify(payload) } }, [
      oldValue,
      'hf_rotated_value_000',
    ])
    expect(result.code).toBe(0)
    expect(JSON.parse(result.outputs.changes!)).toEqual(['container_env_vars[1].value'])
    expect(result.summary).toContain(
      '| <code>container_env_vars\\[1\\].value</code> | <code>"\\*\\*\\*"</code> | <code>"\\*\\*\\*"</code> |',
    )
  })

  it('restart: false saves the settings only and warns that the endpoint is inactive', async () => {
    const result = await run({ restart: 'false' })
    expect(result.code).toBe(0)
    expect(starts()).toHaveLength(0)
    expect(result.outputs['provider-status']).toBe('STOPPED')
    expect((JSON.parse(result.outputs.resource!) as Endpoint).is_active).toBe(false)
    expect(result.summary).toContain("The endpoint is inactive: saving settings stops it, and 'restart' is false")
  })

  it('a start that ends in a failure state fails the step with the status', async () => {
    emu.failNextStart(endpoint.endpoint_id, 'DEPLOY_FAILED')
    const result = await run()
    expect(result.code).toBe(1)
    expect(result.outputs.status).toBe('failed')
    expect(result.outputs['provider-status']).toBe('DEPLOY_FAILED')
    expect(result.outputs['error-message']).toContain(
      'The endpoint did not come up: its status is DEPLOY_FAILED. The settings were saved',
    )
    expect((JSON.parse(result.outputs.resource!) as Endpoint).container_env_vars?.[0]?.value).toBe('***')
  })

  it('UNHEALTHY is a failure too', async () => {
    emu.failNextStart(endpoint.endpoint_id, 'UNHEALTHY')
    const result = await run()
    expect(result.code).toBe(1)
    expect(result.outputs['provider-status']).toBe('UNHEALTHY')
  })

  it('a start answered 404 says the settings were saved, the endpoint is inactive, and how to start it', async () => {
    await emu.close()
    await start({ startRoute: 'missing' })
    const result = await run()
    expect(result.code).toBe(1)
    expect(emu.appliedPatches(endpoint.endpoint_id)).toBe(1)
    expect(result.outputs['error-message']).toContain(
      'The settings were saved, but the endpoint could not be started: the start call answered HTTP 404',
    )
    expect(result.outputs['error-message']).toContain('start it from the Aieev console, or run with restart: false')
  })

  it('refuses bad settings before any request, never quoting an env var value', async () => {
    const bad = {
      container_port: 70000,
      container_health_check_timeout: 0,
      health_check_timeout: 1.5,
      container_metric_path: 'metrics',
      container_env_vars: [
        { key: 'A', value: 'x-secret-1' },
        { key: 'A', value: 'x-secret-2' },
        { key: '', value: 'y' },
        { key: 'N', value: 424242 },
      ],
      replicas: 3,
    }
    const result = await run({ 'payload-file': 'bad.json' }, { files: { 'bad.json': JSON.stringify(bad, null, 2) } }, [
      'x-secret-1',
      'x-secret-2',
      '424242',
    ])
    expect(result.code).toBe(1)
    expect(emu.requests).toHaveLength(0)
    const messages = result.commands
      .filter((c) => c.command === 'error' && c.properties.file === 'bad.json')
      .map((c) => `${c.properties.line}: ${c.message}`)
    expect(messages).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^2: \$\.container_port: expected a whole number 1 to 65535, got 70000/),
        expect.stringMatching(/^3: \$\.container_health_check_timeout: expected a whole number at least 1, got 0/),
        expect.stringMatching(/^4: \$\.health_check_timeout: expected a whole number/),
        expect.stringMatching(/^5: \$\.container_metric_path: 'metrics' must start with '\/'/),
        expect.stringMatching(
          /\$\.container_env_vars\[1\]\.key: the key 'A' is also set at \$\.container_env_vars\[0\]/,
        ),
        expect.stringMatching(/\$\.container_env_vars\[2\]\.key: expected a non-empty string/),
        expect.stringMatching(/\$\.container_env_vars\[3\]\.value: expected the value as a string \(quote it\)/),
        expect.stringMatching(/\$\.replicas: unknown field 'replicas'/),
      ]),
    )
  })

  it('refuses an empty payload', async () => {
    const result = await run({ 'payload-file': '', payload: '{"container_port": null}' })
    expect(result.code).toBe(1)
    expect(result.outputs['error-message']).toContain('the payload sets no field')
  })

  it('dry run reads the endpoint, shows the PATCH with env values redacted, and writes nothing', async () => {
    const result = await run({ 'dry-run': 'true' })
    expect(result.code).toBe(0)
    expect(patches()).toHaveLength(0)
    expect(starts()).toHaveLength(0)
    expect(result.outputs.status).toBe('dry-run')
    expect(result.summary).toContain(`PATCH ${emu.origin}/external/api/v1/endpoints/${endpoint.endpoint_id}`)
    expect(result.summary).toContain('"key": "DB_PASSWORD",\n      "value": "***"')
  })

  it('a bad API key fails at once with what to do', async () => {
    const result = await run({ token: 'aieev-wrong-key-000' }, {}, ['aieev-wrong-key-000'])
    expect(result.code).toBe(1)
    expect(emu.requests).toHaveLength(1)
    expect(result.outputs['http-status']).toBe('401')
    expect(result.outputs['error-message']).toContain('Invalid API key')
    expect(result.outputs['error-message']).toContain("create a new one in the project's API keys menu")
  })

  it('survives a gateway 502 (an HTML page) on a status read', async () => {
    emu.inject({
      method: 'GET',
      path: `/external/api/v1/endpoints/${endpoint.endpoint_id}`,
      times: 2,
      fault: { kind: 'status', status: 502 },
    })
    const result = await run()
    expect(result.code).toBe(0)
    expect(emu.appliedPatches(endpoint.endpoint_id)).toBe(1)
  })

  it('debug logging never shows env var values', async () => {
    const result = await run({}, { env: { ACTIONS_STEP_DEBUG: 'true' } })
    expect(result.code).toBe(0)
    expect(result.stdout).toContain('::debug::→ PATCH')
  })

  it('SIGTERM while waiting for the endpoint: cancelled, with the last status', async () => {
    await emu.close()
    await start({ startMs: 60_000 })
    const result = await run({}, { kill: { onStdout: /Status DEPLOYING/, signal: 'SIGTERM' } })
    expect(result.signal).toBeNull()
    expect(result.outputs.status).toBe('cancelled')
    expect(result.outputs['error-message']).toMatch(/The last status of .* was DEPLOYING/)
  })
})
