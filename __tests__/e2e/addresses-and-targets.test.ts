/**
 * End to end on dist/index.js: a base-url that is an IPv6 literal reaches the API (the host is
 * handed to Node without its brackets), and one resource listed twice in `target` in two
 * spellings is refused before anything is sent, rather than written twice.
 */
import { randomUUID } from 'node:crypto'
import { afterAll, afterEach, describe, expect, it } from 'vitest'
import { QoderEmulator } from '../emulators/qoder.ts'
import { RtsEmulator } from '../emulators/huaweicloud-rts.ts'
import type { Emulator } from '../emulators/base.ts'
import { cleanupRuns, findLeaks, runAction } from '../helpers/run-action.ts'

const QODER_TOKEN = 'pt-ipv6-0123456789abcdef'
const PROJECT = '0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e'
const AK = 'HPUAIPV6ACCESSKEY001'
const SK = 'ipv6/secret+key=abcdef0123456789'

const emulators: Emulator[] = []
afterEach(async () => {
  await Promise.all(emulators.splice(0).map((e) => e.close()))
})
afterAll(() => cleanupRuns())

async function rts(host?: string): Promise<RtsEmulator> {
  const emu = new RtsEmulator({ projectId: PROJECT, keys: { [AK]: { sk: SK } }, settleMs: 100 })
  emulators.push(emu)
  await emu.start(host)
  return emu
}

const rtsInputs = (emu: RtsEmulator, target: string) => ({
  provider: 'huaweicloud-rts',
  target,
  'access-key': AK,
  'secret-key': SK,
  region: 'cn-north-4',
  'project-id': PROJECT,
  'base-url': emu.origin,
  'poll-interval': '100ms',
  payload: JSON.stringify({ config_id: randomUUID(), status: 'IN_PROGRESS', action: 'UPDATE' }),
})

describe('a base-url on an IPv6 literal', () => {
  it('updates a Qoder deployment at http://[::1]:PORT', async () => {
    const emu = new QoderEmulator({ tokens: [QODER_TOKEN] })
    emulators.push(emu)
    await emu.start('::1')
    expect(emu.origin).toMatch(/^http:\/\/\[::1\]:\d+$/)
    const dep = emu.seed({ name: 'nightly-report' })
    const result = await runAction({
      inputs: {
        provider: 'qoder',
        target: dep.id,
        token: QODER_TOKEN,
        'base-url': emu.origin,
        payload: '{"name": "over-ipv6"}',
      },
    })
    expect(result.stderr + result.stdout).not.toContain('ENOTFOUND')
    expect(result.code).toBe(0)
    expect(result.outputs.status).toBe('succeeded')
    expect(emu.appliedUpdates(dep.id)).toBe(1)
    expect(JSON.parse(result.outputs.resource!)).toMatchObject({ id: dep.id, name: 'over-ipv6' })
    expect(findLeaks(result, [QODER_TOKEN])).toEqual([])
  })

  it('signs RTS requests for [::1]:PORT with the Host the server receives', async () => {
    const emu = await rts('::1')
    const dep = emu.seed()
    const result = await runAction({ inputs: rtsInputs(emu, dep.id) })
    expect(result.code).toBe(0)
    expect(result.outputs.status).toBe('succeeded')
    expect(emu.appliedUpdates(dep.id)).toBe(1)
    const put = emu.requestsTo('PUT', `/v1/${PROJECT}/software_deployments/${dep.id}`)[0]!
    expect(put.headers.host).toMatch(/^\[::1\]:\d+$/)
  })
})

describe('one resource listed twice in target', () => {
  it('refuses an RTS deployment id given in two letter cases, before any request', async () => {
    const emu = await rts()
    const dep = emu.seed()
    const result = await runAction({ inputs: rtsInputs(emu, `${dep.id}\n${dep.id.toUpperCase()}`) })
    expect(result.code).toBe(1)
    expect(emu.requests).toEqual([])
    expect(emu.appliedUpdates(dep.id)).toBe(0)
    expect(result.outputs.status).toBe('failed')
    expect(result.outputs['error-message']).toContain(
      `Invalid input 'target': '${dep.id.toUpperCase()}' and '${dep.id}' are the same huaweicloud-rts resource`,
    )
    expect(result.outputs['error-message']).toContain('nothing was sent')
  })

  it('updates two different RTS deployments, each under its lower-case id', async () => {
    const emu = await rts()
    const [a, b] = [emu.seed(), emu.seed()]
    const result = await runAction({ inputs: rtsInputs(emu, `${a.id}\n${b.id.toUpperCase()}`) })
    expect(result.code).toBe(0)
    expect(emu.appliedUpdates(a.id)).toBe(1)
    expect(emu.appliedUpdates(b.id)).toBe(1)
    expect(result.outputs['resource-id']).toBe(`${a.id},${b.id}`)
  })
})
