/**
 * Several targets in one step: the same payload applied to each, at most `concurrency` at a time;
 * one target's failure does not stop the others, `results` lists every target, the step fails,
 * and the summary has one row per target.
 */
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest'
import { QoderEmulator, type Deployment } from '../emulators/qoder.ts'
import { cleanupRuns, findLeaks, runAction } from '../helpers/run-action.ts'

const TOKEN = 'pt-multi-target-0123456789'
let emu: QoderEmulator
let deps: Deployment[]

beforeEach(async () => {
  emu = new QoderEmulator({ tokens: [TOKEN] })
  await emu.start()
  deps = [1, 2, 3, 4].map((i) => emu.seed({ name: `report-${i}` }))
})
afterEach(() => emu.close())
afterAll(() => cleanupRuns())

async function run(targets: string[], inputs: Record<string, string> = {}) {
  const result = await runAction({
    inputs: {
      provider: 'qoder',
      payload: '{"description": "patched by release"}',
      target: targets.join('\n'),
      token: TOKEN,
      'base-url': emu.origin,
      ...inputs,
    },
  })
  expect(findLeaks(result, [TOKEN])).toEqual([])
  return result
}

describe('several targets', () => {
  it('three targets with one failing: two successes, one failure, a failed step and three summary rows', async () => {
    const [a, b, c] = deps.map((d) => d.id)
    emu.inject({ method: 'POST', path: `/api/v1/cloud/deployments/${b}`, fault: { kind: 'status', status: 404 } })
    const result = await run([a!, b!, c!])
    expect(result.code).toBe(1)
    expect(result.outputs.status).toBe('failed')
    const results = JSON.parse(result.outputs.results!) as { target: string; status: string; error?: string }[]
    expect(results.map((r) => [r.target, r.status])).toEqual([
      [a, 'succeeded'],
      [b, 'failed'],
      [c, 'succeeded'],
    ])
    expect(results[1]!.error).toContain(`qoder ${b}: Could not update the deployment: HTTP 404`)
    expect(emu.appliedUpdates(a)).toBe(1)
    expect(emu.appliedUpdates(c)).toBe(1)
    expect(emu.appliedUpdates(b)).toBe(0)

    const rows = result.summary.split('\n').filter((line) => /^\| <code>dep_/.test(line))
    expect(rows).toHaveLength(3)
    expect(rows.map((row) => row.split('|')[2]!.trim())).toEqual(['succeeded', 'failed', 'succeeded'])
    expect(result.outputs['resource-id']).toBe(`${a},${b},${c}`)
    // `resource` is for a single target; the file holds every target's resource.
    expect(result.outputs.resource).toBeUndefined()
    const file = JSON.parse(result.resourceFile!) as { target: string; resource: { id: string } }[]
    expect(file.map((entry) => entry.target)).toEqual([a, c])
    expect(file[0]!.resource.id).toBe(a)
    expect(result.outputs['error-message']).toContain(b)
    expect(result.outputs.changes).toContain(`${a}: description`)
  })

  it('updates at most `concurrency` targets at a time', async () => {
    // Every read takes 400 ms: with concurrency 2, the 3rd and 4th reads can only start after the first two end.
    emu.inject({ method: 'GET', times: Infinity, fault: { kind: 'delay', ms: 400 } })
    const result = await run(
      deps.map((d) => d.id),
      { concurrency: '2' },
    )
    expect(result.code).toBe(0)
    const reads = emu
      .requestsTo('GET', /\/deployments\//)
      .map((r) => r.at)
      .sort((x, y) => x - y)
    expect(reads).toHaveLength(4)
    expect(reads[2]! - reads[0]!).toBeGreaterThanOrEqual(350)
    // issue 12: the first request goes alone until the credential is known to work; then two run side by side.
    expect(reads[2]! - reads[1]!).toBeLessThan(350)
    expect(reads[3]! - reads[1]!).toBeGreaterThanOrEqual(350)
    expect(JSON.parse(result.outputs.results!)).toHaveLength(4)
  })

  it('refuses a duplicated target before any request', async () => {
    const result = await run([deps[0]!.id, deps[0]!.id])
    expect(result.code).toBe(1)
    expect(emu.requests).toHaveLength(0)
    expect(result.outputs['error-message']).toContain('is listed twice')
  })
})
