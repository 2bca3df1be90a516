/**
 * End to end on dist/index.js (issue 15, offline validation): a dry run with no credential input at
 * all (a pull request from a fork gets no secrets) checks everything it can offline — inputs,
 * target ids, the payload — sends nothing (not even a name lookup or a login), says in the log and
 * the summary that the live diff was skipped and why, and ends `dry-run` with exit 0; a bad payload
 * still fails `validation`. Without dry-run, or with any credential given (half a pair included),
 * the run fails `input` as before.
 */
import { readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { randomUUID } from 'node:crypto'
import { afterAll, afterEach, describe, expect, it } from 'vitest'
import type { Emulator } from '../emulators/base.ts'
import { AieevEmulator } from '../emulators/aieev.ts'
import { KintoneEmulator } from '../emulators/kintone.ts'
import { QoderEmulator } from '../emulators/qoder.ts'
import { RtsEmulator } from '../emulators/huaweicloud-rts.ts'
import { cleanupRuns, REPO_ROOT, runAction, type ActionRun } from '../helpers/run-action.ts'

const PROJECT = '0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e'
/** Preloaded into the action: answers no name lookup and logs every one. */
const DNS_GUARD = path.join(REPO_ROOT, '__tests__', 'helpers', 'dns-guard.ts')

const emulators: Emulator[] = []
afterEach(async () => {
  await Promise.all(emulators.splice(0).map((e) => e.close()))
})
afterAll(() => cleanupRuns())

/** One provider's case: its emulator, its inputs without any credential, a valid and a bad payload, half a credential pair. */
interface Case {
  provider: string
  emulator: () => Emulator
  inputs: Record<string, string>
  valid: string
  bad: string
  /** A credential input that alone is half of a pair (or set): still an input problem in a dry run. */
  half?: { input: string; value: string; names: string }
}

const CASES: Case[] = [
  {
    provider: 'qoder',
    emulator: () => new QoderEmulator({ tokens: ['pt-offline-0123456789'] }),
    inputs: { target: 'dep_019ec556114c78f8b60ee34fcb98bf59' },
    valid: '{"name": "nightly-report"}',
    bad: '{"name": "", "colour": "blue"}',
  },
  {
    provider: 'aieev',
    emulator: () => new AieevEmulator({ keys: ['aieev-offline-key'] }),
    inputs: { target: '7c1f0d2e-3b4a-4c5d-8e9f-0a1b2c3d4e5f' },
    valid: '{"container_port": 8080}',
    bad: '{"container_port": null}',
  },
  {
    provider: 'huaweicloud-rts',
    emulator: () => new RtsEmulator({ projectId: PROJECT, keys: {} }),
    inputs: { target: '3d5ec2a8-7004-43b6-a7f6-542bdbe9d434', 'project-id': PROJECT, region: 'cn-north-4' },
    valid: '{"status": "COMPLETE"}',
    bad: '{"status": "NOPE"}',
    half: { input: 'access-key', value: 'HPUAOFFLINE000000001', names: 'secret-key' },
  },
  {
    provider: 'kintone',
    emulator: () => new KintoneEmulator({}),
    inputs: { target: '' },
    valid: '{"apps": [{"app": 12, "revision": -1}]}',
    bad: '{"apps": [{"app": 1, "revision": -2}]}',
    half: { input: 'username', value: 'offline-user', names: 'password' },
  },
]

/** Run against the case's emulator (as base-url) with the DNS guard; returns the run, the emulator's requests and every name looked up. */
async function runCase(
  c: Case,
  inputs: Record<string, string>,
): Promise<{ run: ActionRun; requests: number; lookups: string[] }> {
  const emu = c.emulator()
  emulators.push(emu)
  await emu.start()
  const log = path.join(tmpdir(), `deploy-patch-dns-${randomUUID()}.log`)
  try {
    const run = await runAction({
      inputs: { provider: c.provider, 'base-url': emu.origin, ...c.inputs, ...inputs },
      env: { NODE_OPTIONS: `--import=${DNS_GUARD}`, DNS_GUARD_LOG: log },
    })
    const text = await readFile(log, 'utf8').catch(() => '')
    return { run, requests: emu.requests.length, lookups: text.split('\n').filter(Boolean) }
  } finally {
    await rm(log, { force: true })
  }
}

describe.each(CASES)('$provider: a dry run without credentials', (c) => {
  it('validates offline, sends nothing and ends dry-run with exit 0', async () => {
    const { run, requests, lookups } = await runCase(c, { 'dry-run': 'true', payload: c.valid })
    expect(run.code, run.stdout + run.stderr).toBe(0)
    expect(requests).toBe(0)
    expect(lookups).toEqual([])
    const o = run.outputs
    expect(o.status).toBe('dry-run')
    expect(o.changed).toBe('false')
    expect(o.changes).toBeUndefined()
    expect(o['provider-status']).toBeUndefined()
    expect(o.resource).toBeUndefined()
    expect(o['resource-file']).toBeUndefined()
    expect(o['error-type']).toBeUndefined()
    const results = JSON.parse(o.results!) as { status: string; 'provider-status': unknown; changed: boolean }[]
    expect(results.length).toBeGreaterThan(0)
    for (const r of results) expect(r).toMatchObject({ status: 'dry-run', 'provider-status': null, changed: false })
    expect(run.summary).toMatch(/Live diff skipped \(no credentials: .*\); the payload is valid\./)
    expect(run.summary).not.toContain('would change')
    expect(run.stdout).toMatch(/Live diff skipped \(no credentials: .*\); the payload is valid\./)
  })

  it('still fails validation on a bad payload, sending nothing', async () => {
    const { run, requests, lookups } = await runCase(c, { 'dry-run': 'true', payload: c.bad })
    expect(run.code).toBe(1)
    expect(run.outputs.status).toBe('failed')
    expect(run.outputs['error-type']).toBe('validation')
    expect(requests).toBe(0)
    expect(lookups).toEqual([])
  })

  it('is an input problem without dry-run', async () => {
    const { run, requests } = await runCase(c, { payload: c.valid })
    expect(run.code).toBe(1)
    expect(run.outputs['error-type']).toBe('input')
    expect(requests).toBe(0)
  })

  it.runIf(c.half)('is an input problem with only half a credential pair', async () => {
    const half = c.half!
    const { run, requests } = await runCase(c, { 'dry-run': 'true', payload: c.valid, [half.input]: half.value })
    expect(run.code).toBe(1)
    expect(run.outputs['error-type']).toBe('input')
    expect(run.outputs['error-message']).toContain(`'${half.names}'`)
    expect(requests).toBe(0)
  })
})

it('kintone: basic-auth alone is a credential given, so a dry run still needs the others', async () => {
  const c = CASES.find((x) => x.provider === 'kintone')!
  const { run, requests } = await runCase(c, { 'dry-run': 'true', payload: c.valid, 'basic-auth': 'site:pass' })
  expect(run.code).toBe(1)
  expect(run.outputs['error-type']).toBe('input')
  expect(requests).toBe(0)
})

it('several targets: one row each, and the reason said once', async () => {
  const c = CASES.find((x) => x.provider === 'qoder')!
  const targets = ['dep_019ec556114c78f8b60ee34fcb98bf59', 'dep_019ec5561a2b7c3d9e4f50617283a4b5']
  const { run, requests } = await runCase(c, { 'dry-run': 'true', payload: c.valid, target: targets.join(',') })
  expect(run.code, run.stdout + run.stderr).toBe(0)
  expect(requests).toBe(0)
  expect(run.summary.match(/Live diff skipped/g)).toHaveLength(1)
  for (const target of targets)
    expect(run.summary).toMatch(new RegExp(`${target}</code> \\| dry-run \\| — \\| not read`))
})
