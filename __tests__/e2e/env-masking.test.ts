/**
 * End to end on dist/index.js (issue 13): Aieev `container_env_vars` values. Every value is
 * redacted in what deploy-patch itself writes (outputs, resource file, summary, log), but only a
 * value that could be a credential is registered with the runner (`::add-mask::`), whose masking
 * covers every later line of the job, other steps included: a value `prod` under `STAGE` must not
 * star out "prod" everywhere. And deploy-patch's own redaction of such a value is of the value
 * standing alone, never inside a longer word or id ("production-ep1" stays whole).
 */
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest'
import { formsOf } from '../../src/secrets.ts'
import { AieevEmulator, type Endpoint } from '../emulators/aieev.ts'
import { cleanupRuns, findLeaks, runAction, type ActionRun } from '../helpers/run-action.ts'

const KEY = 'aieev-masking-key-0123456789'
const TOKEN_VALUE = 'abc123def456ghi789'
const TARGET = 'production-ep1'
const PAYLOAD = {
  container_port: 9090,
  container_env_vars: [
    { key: 'STAGE', value: 'prod' },
    { key: 'API_TOKEN', value: TOKEN_VALUE },
  ],
}

let emu: AieevEmulator
beforeEach(async () => {
  emu = new AieevEmulator({ keys: [KEY], startMs: 100, getIncludesSettings: true })
  await emu.start()
  emu.seed({ endpoint_id: TARGET })
})
afterEach(() => emu.close())
afterAll(() => cleanupRuns())

const masked = (run: ActionRun) => run.commands.filter((c) => c.command === 'add-mask').map((c) => c.message)

async function run(inputs: Record<string, string> = {}): Promise<ActionRun> {
  const result = await runAction({
    inputs: {
      provider: 'aieev',
      target: TARGET,
      token: KEY,
      'base-url': emu.origin,
      'poll-interval': '100ms',
      payload: JSON.stringify(PAYLOAD),
      ...inputs,
    },
  })
  expect(findLeaks(result, [KEY, TOKEN_VALUE])).toEqual([])
  return result
}

describe('aieev env var values: masked on the runner only when they could be a credential', () => {
  it('registers API_TOKEN with the runner, not STAGE=prod, and still hides both in its own outputs', async () => {
    const result = await run()
    expect(result.code, result.stdout.slice(-2000)).toBe(0)
    expect(JSON.parse(emu.requestsTo('PATCH', /\/endpoints\//)[0]!.body)).toEqual(PAYLOAD)

    // The runner: the credential-like value (and its spellings) masked; nothing of 'prod'.
    expect(masked(result)).toContain(TOKEN_VALUE)
    const prodForms = formsOf('prod')
    expect(masked(result).filter((m) => prodForms.includes(m))).toEqual([])

    // deploy-patch's own outputs: every env value redacted, as a whole value.
    const resource = JSON.parse(result.outputs.resource!) as Endpoint
    expect(resource.container_env_vars).toEqual([
      { key: 'STAGE', value: '***' },
      { key: 'API_TOKEN', value: '***' },
    ])
    expect((JSON.parse(result.resourceFile!) as Endpoint).container_env_vars?.[0]).toEqual({
      key: 'STAGE',
      value: '***',
    })

    // …and no word or id that merely contains 'prod' is garbled in what deploy-patch writes.
    expect(result.outputs['resource-id']).toBe(TARGET)
    expect((JSON.parse(result.outputs.results!) as { target: string }[])[0]?.target).toBe(TARGET)
    expect(result.summary).toContain(TARGET)
    expect(result.summary).not.toContain('***uction')
    expect(result.stdout).toContain(`aieev ${TARGET}`)
    expect(result.stdout).not.toContain('***uction')
  })

  it("hides 'prod' where the provider's answer quotes it on its own", async () => {
    emu.inject({
      method: 'PATCH',
      fault: {
        kind: 'status',
        status: 422,
        contentType: 'application/json',
        body: JSON.stringify({ detail: "STAGE must not be 'prod' for production-ep1 endpoints" }),
      },
    })
    const result = await run()
    expect(result.code).toBe(1)
    expect(result.outputs['http-status']).toBe('422')
    expect(result.outputs['error-message']).toContain("STAGE must not be '***' for production-ep1 endpoints")
    expect(result.outputs['error-message']).not.toMatch(/'prod'/)
    expect(result.summary).not.toMatch(/'prod'/)
  })

  it('masks a value under a key that names a credential even when short, and a long token-like value under any key', async () => {
    const payload = {
      container_env_vars: [
        { key: 'DB_PASSWORD', value: 'hunter2' },
        { key: 'BUILD_REF', value: 'a1b2c3d4e5f6a7b8c9d0' },
        { key: 'TOKEN_TTL', value: '3600' },
        { key: 'LOG_LEVEL', value: 'debug' },
      ],
    }
    const result = await run({ payload: JSON.stringify(payload) })
    expect(result.code, result.stdout.slice(-2000)).toBe(0)
    expect(masked(result)).toEqual(expect.arrayContaining(['hunter2', 'a1b2c3d4e5f6a7b8c9d0']))
    expect(masked(result)).not.toContain('3600')
    expect(masked(result)).not.toContain('debug')
    expect((JSON.parse(result.outputs.resource!) as Endpoint).container_env_vars?.map((v) => v.value)).toEqual([
      '***',
      '***',
      '***',
      '***',
    ])
  })
})
