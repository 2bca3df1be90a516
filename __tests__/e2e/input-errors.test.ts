/**
 * End to end on dist/index.js (issue 13): a missing or wrong input the provider needs (token,
 * target, project-id, region, base-url) is an input problem, not a payload problem: `error-type:
 * input`, a message that names the input, a summary whose Where column says `input <name>`, no
 * annotation on the payload file, and nothing sent. Problems of the payload keep `validation`;
 * inputs and payload together are `input`, every problem listed, inputs first. The summary says
 * each problem once: a short bold headline, then the table.
 */
import { readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { randomUUID } from 'node:crypto'
import { afterAll, afterEach, describe, expect, it } from 'vitest'
import type { Emulator } from '../emulators/base.ts'
import { KintoneEmulator } from '../emulators/kintone.ts'
import { QoderEmulator } from '../emulators/qoder.ts'
import { RtsEmulator } from '../emulators/huaweicloud-rts.ts'
import { cleanupRuns, findLeaks, REPO_ROOT, runAction, type ActionRun } from '../helpers/run-action.ts'

const QODER_TOKEN = 'pt-input-errors-0123456789'
const QODER_TARGET = 'dep_019ec556114c78f8b60ee34fcb98bf59'
const PROJECT = '0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e'
const AK = 'HPUAINPUTERRORS00001'
const SK = 'input-errors-secret-key-0123456789'
const RTS_TARGET = '3d5ec2a8-7004-43b6-a7f6-542bdbe9d434'
const KINTONE_TOKEN = 'inputErrorsKintoneToken0001'
/** Preloaded into the action: answers no name lookup and logs every one, so a run without a base-url shows it looked nothing up. */
const DNS_GUARD = path.join(REPO_ROOT, '__tests__', 'helpers', 'dns-guard.ts')

const emulators: Emulator[] = []
afterEach(async () => {
  await Promise.all(emulators.splice(0).map((e) => e.close()))
})
afterAll(() => cleanupRuns())

async function started<E extends Emulator>(emu: E): Promise<E> {
  emulators.push(emu)
  await emu.start()
  return emu
}

/** Run with the DNS guard: returns the run and every host name the action tried to look up. */
async function runGuarded(
  inputs: Record<string, string>,
  files?: Record<string, string>,
): Promise<{ run: ActionRun; lookups: string[] }> {
  const log = path.join(tmpdir(), `deploy-patch-dns-${randomUUID()}.log`)
  try {
    const run = await runAction({ inputs, files, env: { NODE_OPTIONS: `--import=${DNS_GUARD}`, DNS_GUARD_LOG: log } })
    const text = await readFile(log, 'utf8').catch(() => '')
    return { run, lookups: text.split('\n').filter(Boolean) }
  } finally {
    await rm(log, { force: true })
  }
}

/** What every input problem shows: exit 1, error-type input, the input named, "nothing was sent", the summary's Where column, no annotation on a file. */
function expectInputProblem(run: ActionRun, input: string, says: string | RegExp): void {
  expect(run.code, run.stdout).toBe(1)
  const o = run.outputs
  expect(o.status).toBe('failed')
  expect(o['error-type']).toBe('input')
  expect(o['error-message']).toMatch(says)
  expect(o['error-message']).toContain(`'${input}'`)
  expect(o['error-message']).toContain('nothing was sent')
  expect(o['error-message']).not.toContain('The payload has')
  expect(run.summary).toContain(`| input ${input} |`)
  expect(run.summary).not.toMatch(/\| payload(:\d+)? \|/)
  expect(run.summary).not.toContain('The payload has')
  const annotations = run.commands.filter(
    (c) => c.command === 'error' && c.properties.title === 'deploy-patch: nothing was sent',
  )
  expect(annotations.length).toBeGreaterThan(0)
  for (const a of annotations)
    expect(a.properties.file, `an input problem is not annotated on a file: ${a.message}`).toBeUndefined()
}

/** The bold line of the summary and how often each problem's text appears in the summary. */
function boldLines(summary: string): string[] {
  return summary.split('\n').filter((line) => /^\*\*.*\*\*$/.test(line))
}

describe('input problems are called input problems, and nothing is sent', () => {
  it('qoder without a token', async () => {
    const emu = await started(new QoderEmulator({ tokens: [QODER_TOKEN] }))
    const dep = emu.seed({ name: 'nightly-report' })
    const run = await runAction({
      inputs: { provider: 'qoder', target: dep.id, 'base-url': emu.origin, payload: '{"name": "x"}' },
    })
    expectInputProblem(run, 'token', /^Input 'token' is required for qoder: .*; nothing was sent\.$/)
    expect(emu.requests).toEqual([])
    // The summary's bold line is a headline; the full message is in the table only, once.
    expect(boldLines(run.summary)).toEqual(["**Input 'token' has a problem; nothing was sent.**"])
    expect(run.summary.split("Input 'token' is required for qoder").length - 1).toBe(1)
  })

  it('qoder without a target', async () => {
    const emu = await started(new QoderEmulator({ tokens: [QODER_TOKEN] }))
    const run = await runAction({
      inputs: { provider: 'qoder', token: QODER_TOKEN, 'base-url': emu.origin, payload: '{"name": "x"}' },
    })
    expectInputProblem(run, 'target', /^Input 'target' is required for qoder/)
    expect(emu.requests).toEqual([])
    expect(findLeaks(run, [QODER_TOKEN])).toEqual([])
  })

  it('huaweicloud-rts without project-id', async () => {
    const emu = await started(new RtsEmulator({ projectId: PROJECT, keys: { [AK]: { sk: SK } } }))
    const run = await runAction({
      inputs: {
        provider: 'huaweicloud-rts',
        target: RTS_TARGET,
        'access-key': AK,
        'secret-key': SK,
        region: 'cn-north-4',
        'base-url': emu.origin,
        payload: '{"status": "COMPLETE"}',
      },
    })
    expectInputProblem(run, 'project-id', /^Input 'project-id' is required for huaweicloud-rts/)
    expect(emu.requests).toEqual([])
    expect(findLeaks(run, [SK])).toEqual([])
  })

  it('huaweicloud-rts without region and without base-url: nothing is even looked up', async () => {
    const { run, lookups } = await runGuarded({
      provider: 'huaweicloud-rts',
      target: RTS_TARGET,
      'access-key': AK,
      'secret-key': SK,
      'project-id': PROJECT,
      payload: '{"status": "COMPLETE"}',
    })
    expectInputProblem(run, 'region', /^Input 'region' is required for huaweicloud-rts/)
    expect(lookups).toEqual([])
  })

  it('kintone without base-url: nothing is even looked up', async () => {
    const { run, lookups } = await runGuarded({ provider: 'kintone', target: '12', token: KINTONE_TOKEN })
    expectInputProblem(run, 'base-url', /^Input 'base-url' is required for kintone/)
    expect(lookups).toEqual([])
    expect(findLeaks(run, [KINTONE_TOKEN])).toEqual([])
  })

  it('kintone with a base-url that is not a kintone site names base-url too', async () => {
    const emu = await started(
      new KintoneEmulator({ apiTokens: { [KINTONE_TOKEN]: { apps: [12], appManagement: true } } }),
    )
    const { run, lookups } = await runGuarded({
      provider: 'kintone',
      target: '12',
      token: KINTONE_TOKEN,
      'base-url': 'https://kintone.example.org',
    })
    expectInputProblem(run, 'base-url', /^Invalid input 'base-url'/)
    expect(lookups).toEqual([])
    expect(emu.requests).toEqual([])
  })
})

describe('inputs and payload together', () => {
  it('is an input failure listing every problem, inputs first, whatever the order found', async () => {
    const emu = await started(new QoderEmulator({ tokens: [QODER_TOKEN] }))
    const payload = 'name: ""\ncolour: blue\n'
    const run = await runAction({
      inputs: { provider: 'qoder', target: 'dep_nothex', 'base-url': emu.origin, 'payload-file': 'deploy/qoder.yaml' },
      files: { 'deploy/qoder.yaml': payload },
    })
    expect(run.code).toBe(1)
    expect(emu.requests).toEqual([])
    const o = run.outputs
    expect(o['error-type']).toBe('input')
    expect(o['error-message']).toMatch(
      /^Inputs 'token', 'target' and the payload have 4 problems; nothing was sent\. Input 'token' is required .* Invalid input 'target': .* deploy\/qoder\.yaml:1:1 \$\.name: .* deploy\/qoder\.yaml:2:1 \$\.colour: /,
    )
    expect(boldLines(run.summary)).toEqual([
      "**Inputs 'token', 'target' and the payload have 4 problems; nothing was sent.**",
    ])
    const rows = run.summary
      .split('\n')
      .filter((line) => line.startsWith('| ') && !line.startsWith('| Where') && !line.startsWith('| ---'))
    expect(rows.map((row) => row.split(' | ')[0])).toEqual([
      '| input token',
      '| input target',
      '| deploy/qoder.yaml:1',
      '| deploy/qoder.yaml:2',
    ])
    const annotations = run.commands.filter(
      (c) => c.command === 'error' && c.properties.title === 'deploy-patch: nothing was sent',
    )
    expect(annotations.map((a) => a.properties.file ?? null)).toEqual([
      null,
      null,
      'deploy/qoder.yaml',
      'deploy/qoder.yaml',
    ])
  })

  it('a payload that does not parse does not hide a missing token: both are reported', async () => {
    const emu = await started(new QoderEmulator({ tokens: [QODER_TOKEN] }))
    const run = await runAction({
      inputs: { provider: 'qoder', target: QODER_TARGET, 'base-url': emu.origin, 'payload-file': 'deploy/qoder.yaml' },
      files: { 'deploy/qoder.yaml': 'name: a\ntitle: Release: v1\n' },
    })
    expect(run.code).toBe(1)
    expect(emu.requests).toEqual([])
    expect(run.outputs['error-type']).toBe('input')
    expect(run.outputs['error-message']).toMatch(
      /^Input 'token' and the payload have 2 problems; nothing was sent\. Input 'token' is required .* deploy\/qoder\.yaml:2:\d+ invalid YAML: /,
    )
    expect(run.summary).toContain('| input token |')
    expect(run.summary).toContain('| deploy/qoder.yaml:2 |')
  })
})

describe('payload problems alone', () => {
  it('keep error-type validation; the summary has a headline and each problem once, in the table', async () => {
    const emu = await started(new QoderEmulator({ tokens: [QODER_TOKEN] }))
    const payload = 'name: ""\ncolour: blue\ninitial_events: []\n'
    const run = await runAction({
      inputs: {
        provider: 'qoder',
        target: QODER_TARGET,
        token: QODER_TOKEN,
        'base-url': emu.origin,
        'payload-file': 'deploy/qoder.yaml',
      },
      files: { 'deploy/qoder.yaml': payload },
    })
    expect(run.code).toBe(1)
    expect(emu.requests).toEqual([])
    expect(run.outputs['error-type']).toBe('validation')
    expect(run.outputs['error-message']).toMatch(/^The payload has 3 problems; nothing was sent\. /)
    expect(boldLines(run.summary)).toEqual(['**The payload has 3 problems; nothing was sent.**'])
    for (const piece of [
      "unknown field 'colour'",
      'expected 1 to 50 items, got 0',
      'expected 1 to 256 characters, got 0',
    ]) {
      expect(run.summary.split(piece).length - 1, `'${piece}' once in the summary`).toBe(1)
    }
  })
})
