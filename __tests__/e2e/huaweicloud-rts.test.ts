/**
 * End to end: dist/index.js updating a Huawei Cloud RTS software deployment against the RTS
 * emulator (with its IAM token endpoint) on 127.0.0.1. The emulator verifies tokens and AK/SK
 * signatures with its own reference verifier, independently of the client's signer.
 */
import { randomUUID } from 'node:crypto'
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest'
import { RtsEmulator, type RtsEmulatorOptions, type SoftwareDeployment } from '../emulators/huaweicloud-rts.ts'
import { cleanupRuns, findLeaks, runAction, type ActionRun, type RunOptions } from '../helpers/run-action.ts'

const PROJECT = '0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e'
const AK = 'HPUAE2EACCESSKEY0001'
const SK = 'e2e/secret+key=abcdef0123456789'
const TEMP_AK = 'HSTAE2ETEMPORARY0002'
const TEMP_SK = 'temporary-secret-key-0002'
const SECURITY_TOKEN = 'gQpjbi1ub3J0aC00-e2e-security-token-value'
const TOKEN = 'MIIZe2e-static-iam-token-value'
const USER = { domain: 'acme-corp', name: 'deployer', password: 'S3cret!pass-e2e' }
const SECRETS = [SK, TEMP_SK, SECURITY_TOKEN, TOKEN, USER.password]

let emu: RtsEmulator
let dep: SoftwareDeployment
async function start(options: RtsEmulatorOptions = {}): Promise<void> {
  emu = new RtsEmulator({
    projectId: PROJECT,
    tokens: [TOKEN],
    keys: { [AK]: { sk: SK }, [TEMP_AK]: { sk: TEMP_SK, securityToken: SECURITY_TOKEN } },
    users: [USER],
    settleMs: 300,
    ...options,
  })
  await emu.start()
  dep = emu.seed()
}
beforeEach(() => start())
afterEach(() => emu.close())
afterAll(() => cleanupRuns())

const NEW_CONFIG = randomUUID()
const ROLLOUT = { config_id: NEW_CONFIG, status: 'IN_PROGRESS', action: 'UPDATE', input_values: { release: 'v2.0.0' } }

async function run(inputs: Record<string, string> = {}, options: Partial<RunOptions> = {}): Promise<ActionRun> {
  const result = await runAction({
    inputs: {
      provider: 'huaweicloud-rts',
      'payload-file': 'deploy/rts.json',
      target: dep.id,
      'access-key': AK,
      'secret-key': SK,
      region: 'cn-north-4',
      'project-id': PROJECT,
      'base-url': emu.origin,
      'poll-interval': '100ms',
      ...inputs,
    },
    files: { 'deploy/rts.json': JSON.stringify(ROLLOUT), ...options.files },
    ...options,
  })
  expect(findLeaks(result, [...SECRETS, ...emu.issuedTokens])).toEqual([])
  return result
}

const puts = () => emu.requestsTo('PUT', /\/software_deployments\//)
/** Inputs for IAM password login against the emulator (no AK/SK). */
const passwordLogin = (password = USER.password) => ({
  'access-key': '',
  'secret-key': '',
  username: USER.name,
  password,
  domain: USER.domain,
  'auth-url': emu.origin,
})

describe('huaweicloud-rts end to end', () => {
  it('AK/SK: signs every request, PUTs the update and waits for COMPLETE', async () => {
    const result = await run()
    expect(result.code).toBe(0)
    expect(emu.authFailures).toEqual([])
    expect(emu.appliedUpdates(dep.id)).toBe(1)
    expect(puts()[0]!.path).toBe(`/v1/${PROJECT}/software_deployments/${dep.id}`)
    expect(puts()[0]!.headers.authorization).toMatch(
      /^SDK-HMAC-SHA256 Access=HPUAE2EACCESSKEY0001, SignedHeaders=content-type;host;x-project-id;x-sdk-date, Signature=[0-9a-f]{64}$/,
    )
    expect(JSON.parse(puts()[0]!.body)).toEqual(ROLLOUT)
    const gets = emu.requestsTo('GET', /\/software_deployments\//)
    expect(gets.length).toBeGreaterThanOrEqual(2) // before, and while IN_PROGRESS
    expect(new Set(emu.requests.map((r) => r.headers['x-sdk-date'])).size).toBeGreaterThanOrEqual(1)

    const o = result.outputs
    expect(o.status).toBe('succeeded')
    expect(o['provider-status']).toBe('COMPLETE')
    expect(o['request-id']).toMatch(/^(req-)?[0-9a-f-]{32,36}$/)
    const resource = JSON.parse(o.resource!) as SoftwareDeployment
    expect(resource).toMatchObject({
      id: dep.id,
      config_id: NEW_CONFIG,
      status: 'COMPLETE',
      status_reason: 'Outputs received',
    })
    expect(JSON.parse(o.changes!)).toEqual(expect.arrayContaining(['action', 'config_id', 'input_values.release']))
    expect(JSON.parse(o.changes!)).not.toContain('updated_time')
    expect(result.summary).toContain('- Action: UPDATE')
    expect(result.summary).toContain('- Status reason: Outputs received')
    expect(result.summary).toContain('- Output deploy_status_code: 0')
    // input_values is replaced whole by RTS: the summary says which keys the update dropped.
    expect(result.summary).toMatch(
      /RTS replaces input_values whole: this update dropped deploy_server_id, .*deploy_signal_id/,
    )
  })

  it('a PUT with status COMPLETE finishes at once, without waiting', async () => {
    const result = await run({
      'payload-file': '',
      payload: '{"status": "COMPLETE", "status_reason": "Set by release"}',
    })
    expect(result.code).toBe(0)
    expect(emu.requestsTo('GET', /\/software_deployments\//)).toHaveLength(1)
    expect(JSON.parse(result.outputs.changes!)).toEqual(['status_reason'])
  })

  // Only COMPLETE is a success. The read before the update is answered normally; the next read,
  // while waiting, is the odd answer.
  it.each([
    ['an undocumented status', { status: 'DONE' }, 'with status "DONE", not IN_PROGRESS, COMPLETE or FAILED'],
    ['no status at all', {}, 'with status null, not IN_PROGRESS, COMPLETE or FAILED'],
  ])('a status read with %s fails the step as invalid-response, never as a success', async (_, fields, message) => {
    const odd = JSON.stringify({
      software_deployment: { ...emu.stored(dep.id), ...ROLLOUT, status: undefined, ...fields },
    })
    emu.inject({ method: 'GET', path: /\/software_deployments\//, fault: { kind: 'delay', ms: 0 } })
    emu.inject({ method: 'GET', path: /\/software_deployments\//, fault: { kind: 'status', status: 200, body: odd } })
    const result = await run()
    expect(result.code).toBe(1)
    expect(result.outputs.status).toBe('failed')
    expect(result.outputs['error-type']).toBe('invalid-response')
    expect(result.outputs['error-message']).toContain(message)
    expect(result.outputs['error-message']).toContain(`check deployment ${dep.id} in the RTS console`)
    expect(emu.appliedUpdates(dep.id)).toBe(1)
  })

  it('FAILED fails the step with the reason, the exit code and the tail of deploy_stderr', async () => {
    const stderr = Array.from({ length: 30 }, (_, i) => `stderr line ${i + 1}`).join('\n')
    emu.failNext(dep.id, { statusCode: 2, stderr })
    const result = await run()
    expect(result.code).toBe(1)
    expect(result.outputs['provider-status']).toBe('FAILED')
    const message = result.outputs['error-message']!
    expect(message).toContain('The software deployment ended FAILED: ')
    expect(message).toContain('(deploy_status_code 2)')
    expect(message).toContain('stderr line 30')
    expect(message).toContain('stderr line 11')
    expect(message).not.toContain('stderr line 10\n')
    expect(result.summary).toContain('- Output deploy_status_code: 2')
  })

  it('an IAM token goes as X-Auth-Token', async () => {
    const result = await run({ 'access-key': '', 'secret-key': '', token: TOKEN })
    expect(result.code).toBe(0)
    expect(puts()[0]!.headers['x-auth-token']).toBe(TOKEN)
    expect(puts()[0]!.headers.authorization).toBeUndefined()
  })

  it('a temporary AK/SK sends its security token', async () => {
    const result = await run({ 'access-key': TEMP_AK, 'secret-key': TEMP_SK, 'security-token': SECURITY_TOKEN })
    expect(result.code).toBe(0)
    expect(puts()[0]!.headers['x-security-token']).toBe(SECURITY_TOKEN)
  })

  it('password login: one IAM token request scoped to the project, the token masked and reused', async () => {
    const result = await run(passwordLogin())
    expect(result.code).toBe(0)
    const logins = emu.requestsTo('POST', '/v3/auth/tokens')
    expect(logins).toHaveLength(1)
    expect((JSON.parse(logins[0]!.body) as { auth: { scope: unknown } }).auth.scope).toEqual({
      project: { id: PROJECT },
    })
    expect(emu.issuedTokens).toHaveLength(1)
    expect(puts()[0]!.headers['x-auth-token']).toBe(emu.issuedTokens[0])
    expect(result.commands.some((c) => c.command === 'add-mask' && c.message === emu.issuedTokens[0])).toBe(true)
  })

  it('cancelled while the IAM login hangs: status cancelled (not failed), within 2 s of the signal, nothing sent to RTS', async () => {
    emu.inject({ method: 'POST', path: '/v3/auth/tokens', fault: { kind: 'hang' }, times: Infinity })
    const login = passwordLogin()
    const result = await run(login, { kill: { afterMs: 1_000, signal: 'SIGTERM' }, timeoutMs: 10_000 })
    expect(result.signal).toBeNull() // it exited by itself
    expect(result.code).toBe(1)
    expect(result.outputs.status).toBe('cancelled')
    expect(result.outputs['error-type']).toBe('cancelled')
    expect(result.durationMs).toBeLessThan(3_000 + 1_000)
    expect(emu.requests.filter((r) => r.path.includes('software_deployments'))).toHaveLength(0)
  })

  it('a deadline passing while the IAM login hangs: status timed-out (not failed)', async () => {
    emu.inject({ method: 'POST', path: '/v3/auth/tokens', fault: { kind: 'hang' }, times: Infinity })
    const login = passwordLogin()
    const result = await run({ ...login, timeout: '2s' }, { timeoutMs: 10_000 })
    expect(result.code).toBe(1)
    expect(result.outputs.status).toBe('timed-out')
    expect(result.outputs['error-type']).toBe('timeout')
    expect(emu.requests.filter((r) => r.path.includes('software_deployments'))).toHaveLength(0)
  })

  it('a wrong password says which login IAM refused, and sends nothing to RTS', async () => {
    const result = await run(passwordLogin('wrong-password-1'))
    expect(result.code).toBe(1)
    expect(emu.requestsTo('POST', '/v3/auth/tokens')).toHaveLength(1)
    expect(emu.requests.filter((r) => r.path.includes('software_deployments'))).toHaveLength(0)
    expect(result.outputs['error-message']).toContain(
      "IAM refused the password login of user 'deployer' in account 'acme-corp'",
    )
  })

  it('a wrong secret key is refused once, never retried, and the message names the access key and the lockout', async () => {
    const result = await run({ 'secret-key': 'not-the-right-secret' })
    expect(result.code).toBe(1)
    expect(emu.requests).toHaveLength(1)
    expect(result.outputs['http-status']).toBe('401')
    expect(result.outputs['error-type']).toBe('APIGW.0301')
    expect(result.outputs['error-message']).toContain('verify aksk signature fail')
    expect(result.outputs['error-message']).toContain(
      "Huawei refused the AK/SK signature: check 'access-key' and 'secret-key'",
    )
    expect(result.outputs['error-message']).toContain('locks an AK/SK for 5 minutes')
  })

  it('Heat error bodies fill error-type, error-message and request-id (unknown deployment)', async () => {
    const missing = randomUUID()
    const result = await run({ target: missing })
    expect(result.code).toBe(1)
    expect(result.outputs['http-status']).toBe('404')
    expect(result.outputs['error-type']).toBe('NotFound')
    expect(result.outputs['error-message']).toContain(`No software deployment ${missing} in project ${PROJECT}`)
    expect(result.outputs['request-id']).toMatch(/^(req-)?[0-9a-f-]{32,36}$/)
  })

  it("Huawei's error shape fills them too", async () => {
    await emu.close()
    await start({ errorShape: 'huawei' })
    const result = await run({ target: randomUUID() })
    expect(result.code).toBe(1)
    expect(result.outputs['error-type']).toBe('RTS.404')
    expect(result.outputs['request-id']).toMatch(/^[0-9a-f]{32}$/)
  })

  it('refuses bad payloads and inputs before any request', async () => {
    const cases: [Record<string, string>, string][] = [
      [{ payload: '{"status": "DONE"}' }, "$.status: expected one of 'COMPLETE', 'IN_PROGRESS', 'FAILED'"],
      [{ payload: '{"config_id": "abc"}' }, "$.config_id: 'abc' is not a software config id"],
      [{ payload: '{"input_values": [1]}' }, '$.input_values: expected an object'],
      [{ payload: '{"output_values": {}}' }, 'RTS ignores an empty output_values'],
      [{ payload: '{"server_id": "x"}' }, "$.server_id: unknown field 'server_id'; read-only"],
      [{ payload: '{}' }, 'the payload sets no field'],
      [{ target: 'dep_1' }, "'dep_1' is not a software deployment id"],
      [{ 'project-id': '' }, "Input 'project-id' is required"],
      [{ 'secret-key': '' }, "Inputs 'access-key' and 'secret-key' go together"],
      [{ token: TOKEN }, 'Set one kind of Huawei credential'],
      [{ region: 'north' }, "Invalid input 'region': 'north'"],
    ]
    for (const [inputs, message] of cases) {
      const result = await run(inputs.payload ? { 'payload-file': '', ...inputs } : inputs)
      expect(result.code, message).toBe(1)
      expect(result.outputs['error-message'], message).toContain(message)
    }
    expect(emu.requests).toHaveLength(0)
  })

  it('a PUT whose answer was lost after it was applied is not sent again', async () => {
    emu.inject({ method: 'PUT', fault: { kind: 'reset-after' } })
    const result = await run()
    expect(result.code).toBe(0)
    expect(puts()).toHaveLength(1)
    expect(emu.appliedUpdates(dep.id)).toBe(1)
    expect(result.stdout).toContain('The update had been applied (updated_time moved): not sending it again.')
  })

  it('a PUT reset before it was applied is sent once more after a read', async () => {
    emu.inject({ method: 'PUT', fault: { kind: 'reset-before' } })
    const result = await run()
    expect(result.code).toBe(0)
    expect(puts()).toHaveLength(2)
    expect(emu.appliedUpdates(dep.id)).toBe(1)
  })

  it('dry run reads and diffs, writes nothing', async () => {
    const result = await run({ 'dry-run': 'true' })
    expect(result.code).toBe(0)
    expect(puts()).toHaveLength(0)
    expect(result.outputs.status).toBe('dry-run')
    // Heat replaces input_values whole: the dry run shows the keys the update would drop.
    const changes = JSON.parse(result.outputs.changes!) as string[]
    expect(changes).toEqual(
      expect.arrayContaining([
        'action',
        'config_id',
        'input_values.release',
        'input_values.deploy_server_id',
        'status',
      ]),
    )
    expect(result.summary).toContain(`PUT ${emu.origin}/v1/${PROJECT}/software_deployments/${dep.id}`)
  })

  it('still IN_PROGRESS at the deadline: timed-out with the last status', async () => {
    await emu.close()
    await start({ settleMs: 60_000 })
    const result = await run({ timeout: '2s' })
    expect(result.code).toBe(1)
    expect(result.outputs.status).toBe('timed-out')
    expect(result.outputs['provider-status']).toBe('IN_PROGRESS')
  })

  it('SIGINT during the wait: cancelled with the last status', async () => {
    await emu.close()
    await start({ settleMs: 60_000 })
    const result = await run({}, { kill: { onStdout: /Status IN_PROGRESS/, signal: 'SIGINT' } })
    expect(result.signal).toBeNull()
    expect(result.outputs.status).toBe('cancelled')
    expect(result.outputs['error-message']).toContain(`The last status of ${dep.id} was IN_PROGRESS`)
  })
})
