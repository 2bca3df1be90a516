/**
 * The bad-input corpus (__tests__/bad-inputs/cases.yaml): every case must be refused before any
 * request, with a message that names the input or the JSON path (and the payload file's line where
 * there is one), and without echoing a secret. Each case runs in-process through the steps of
 * src/main.ts in its order (parseSettings → loadProvider → loadPayload → checkBeforeSending); a
 * sample also runs through the committed dist/index.js against a loopback emulator that must
 * receive nothing. The inputs the project accepts on purpose (BOM, CRLF, Unicode values) are a
 * separate list that must pass every check.
 */
import { readFile, readdir, rm } from 'node:fs/promises'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { parse as parseYaml } from 'yaml'
import { InputError, formatPath, type LocatedProblem } from '../../src/errors.js'
import { QoderEmulator } from '../emulators/qoder.ts'
import {
  CORPUS,
  GENERATED,
  inputsOf as corpusInputs,
  kindOf,
  manifest,
  prepareWorkspace,
  runInProcess as corpusRun,
  type Case,
  type ExpectedPath,
  type Outcome,
} from '../helpers/bad-input-corpus.ts'
import { cleanupRuns, findLeaks, runAction, type ActionRun } from '../helpers/run-action.ts'

// The manifest, its data files and how a case runs in-process: __tests__/helpers/bad-input-corpus.ts.
const DECLARED_INPUTS = Object.keys(
  (parseYaml(await readFile(path.join(CORPUS, '../../action.yml'), 'utf8')) as { inputs: object }).inputs,
)
const CATEGORIES = ['common', 'qoder', 'kintone', 'huaweicloud-rts', 'aieev', 'inputs', 'targets', 'conflicts'] as const
const categoryOf = (c: Case): string => c.id.split('/')[0]!

let workspace: string
const inputsOf = (c: Case) => corpusInputs(c, workspace)
const runInProcess = (c: Case) => corpusRun(c, workspace)

/** The input's name as a word of the message: 'token', token, or token/secret-key. */
function namesInput(message: string, input: string): boolean {
  return new RegExp(`(^|[^a-z-])${input.replace(/[-/]/g, '\\$&')}([^a-z-]|$)`).test(message)
}

const pathText = (p: LocatedProblem) => formatPath(p.path)
const expectedPaths = (c: Case): ExpectedPath[] => (c.paths ?? []).map((e) => (typeof e === 'string' ? { path: e } : e))
/** Secrets a message must never hold: everything registered (as src/secrets.ts masks: 3+ characters) and the case's `absent`. */
const forbidden = (c: Case, outcome: Outcome) => [...outcome.secrets.filter((s) => s.length >= 3), ...(c.absent ?? [])]

// ─── tally for the summary line ───────────────────────────────────────────────────────────────

interface Tally {
  refused: boolean
  withLine: boolean
  asExpected: boolean
}
const tally = new Map<string, Tally>()
const acceptedOk = new Set<string>()
const started = performance.now()

beforeAll(async () => {
  workspace = await prepareWorkspace()
})

afterAll(async () => {
  const rejected = manifest.rejected.length
  const refused = [...tally.values()].filter((t) => t.refused).length
  const withLine = [...tally.values()].filter((t) => t.refused && t.withLine).length
  const off = manifest.rejected.filter((c) => tally.get(c.id) && !tally.get(c.id)!.asExpected).map((c) => c.id)
  const byCategory = CATEGORIES.map(
    (category) => `${category} ${manifest.rejected.filter((c) => categoryOf(c) === category).length}`,
  ).join(', ')
  const seconds = ((performance.now() - started) / 1000).toFixed(1)
  if (tally.size === rejected) {
    const accepted =
      acceptedOk.size === manifest.accepted.length
        ? `${acceptedOk.size}`
        : `${acceptedOk.size} of ${manifest.accepted.length}`
    console.log(
      `bad inputs: ${rejected} cases, ${refused} rejected before any request (${withLine} with a file line), ` +
        `${accepted} accepted as intended (BOM, CRLF, Unicode values, substitution)` +
        (off.length === 0 ? '' : `; ${off.length} not as expected: ${off.join(', ')}`),
    )
    console.log(`bad inputs by category: ${byCategory}; ${seconds}s`)
  }
  await rm(path.dirname(workspace), { recursive: true, force: true })
  await cleanupRuns()
})

// ─── the manifest itself ──────────────────────────────────────────────────────────────────────

describe('the corpus', () => {
  it('has at least 100 bad inputs, each id unique and in a known category', () => {
    expect(manifest.rejected.length).toBeGreaterThanOrEqual(100)
    const ids = [...manifest.rejected, ...manifest.accepted].map((c) => c.id)
    expect(ids.filter((id, i) => ids.indexOf(id) !== i)).toEqual([])
    expect(
      manifest.rejected.filter((c) => !(CATEGORIES as readonly string[]).includes(categoryOf(c))).map((c) => c.id),
    ).toEqual([])
    for (const c of manifest.rejected) expect(c.kind, `${c.id}: kind`).toMatch(/^(input|validation)$/)
  })

  it('uses every data file, and every file it names exists', async () => {
    const named = new Set<string>()
    for (const c of [...manifest.rejected, ...manifest.accepted]) {
      for (const file of [c.inputs?.['payload-file'], ...Object.values(c['from-file'] ?? {})]) if (file) named.add(file)
    }
    const onDisk: string[] = []
    for (const folder of ['common', 'qoder', 'kintone', 'huaweicloud-rts', 'aieev']) {
      for (const name of await readdir(path.join(CORPUS, folder))) onDisk.push(`${folder}/${name}`)
    }
    // Files that must not exist are named on purpose (a missing file, a directory, a path outside the workspace).
    const deliberate = ['deploy/missing.yaml', 'qoder', '../outside/payload.json']
    expect(onDisk.filter((file) => !named.has(file))).toEqual([])
    expect(
      [...named].filter((file) => !onDisk.includes(file) && !(file in GENERATED) && !deliberate.includes(file)),
    ).toEqual([])
  })

  it.each(Object.keys(manifest.bases))(
    'base %s is accepted on its own, so each case fails for its own reason',
    async (base) => {
      const outcome = await runInProcess({ id: `bases/${base}`, why: 'base', base })
      expect(outcome.error).toBeUndefined()
    },
  )
})

// ─── every bad input, in-process ──────────────────────────────────────────────────────────────

describe.each(CATEGORIES)('bad inputs: %s', (category) => {
  const cases = manifest.rejected.filter((c) => categoryOf(c) === category)
  it.each(cases.map((c) => [`${c.id}: ${c.why}`, c] as const))('%s', async (_title, c) => {
    const outcome = await runInProcess(c)
    const kind = kindOf(outcome.error)
    const message = outcome.error instanceof Error ? outcome.error.message : ''
    const fromFile = outcome.payloadFile !== undefined
    const payloadProblems = outcome.problems.filter((p) => p.input === undefined)
    const record: Tally = {
      refused: kind === 'input' || kind === 'validation',
      withLine: fromFile && payloadProblems.some((p) => p.file === outcome.payloadFile && p.line !== undefined),
      asExpected: false,
    }
    tally.set(c.id, record)

    // Refused before any request, by a deliberate check rather than a crash.
    if (kind === 'accepted') expect.fail(`${c.id} was accepted: nothing refused it, so it would be sent`)
    if (kind === 'crash')
      expect.fail(
        `${c.id} crashed instead of being refused: ${String((outcome.error as Error)?.stack ?? outcome.error)}`,
      )
    expect(kind, 'error kind (error-type)').toBe(c.kind)

    // The input it names.
    if (c.input !== undefined) {
      if (outcome.error instanceof InputError) expect(outcome.error.input).toBe(c.input)
      else
        expect(
          outcome.problems.filter((p) => p.input === c.input).map((p) => p.input),
          `a problem for input '${c.input}'`,
        ).toEqual([c.input])
      expect(namesInput(message, c.input), `the message names '${c.input}': ${message}`).toBe(true)
    }
    // Every problem names an input, or is located in the payload (a JSON path, the file and its line).
    for (const p of outcome.problems) {
      if (p.input !== undefined) {
        expect(
          DECLARED_INPUTS.some((name) => namesInput(p.message, name)),
          `names an input of action.yml: ${p.message}`,
        ).toBe(true)
        continue
      }
      if (fromFile) {
        expect(p.file, `${pathText(p)} names the payload file`).toBe(outcome.payloadFile)
        if (c['no-line'] === undefined)
          expect(p.line, `${pathText(p)} has the file's line: ${p.message}`).toBeTypeOf('number')
      }
    }
    // The JSON paths (and lines) asked for.
    for (const want of expectedPaths(c)) {
      const found = outcome.problems.filter(
        (p) =>
          (want.path === undefined || pathText(p) === want.path) && (want.line === undefined || p.line === want.line),
      )
      const seen = outcome.problems.map((p) => `${pathText(p)}${p.line ? ` (line ${p.line})` : ''}: ${p.message}`)
      expect(
        found.length,
        `a problem at ${want.path ?? 'any path'}${want.line ? ` on line ${want.line}` : ''}; got:\n${seen.join('\n')}`,
      ).toBeGreaterThan(0)
      if (want.path !== undefined && want.path !== '$') expect(message).toContain(want.path)
      if (want.line !== undefined && fromFile) expect(found.some((p) => p.file === outcome.payloadFile)).toBe(true)
    }
    if (c.problems !== undefined) expect(outcome.problems.length, `number of problems:\n${message}`).toBe(c.problems)
    for (const piece of c.message ?? []) expect(message).toContain(piece)
    for (const secret of forbidden(c, outcome))
      expect(message, 'a secret or internal detail in the message').not.toContain(secret)
    record.asExpected = true
  })
})

// ─── what is accepted on purpose ──────────────────────────────────────────────────────────────

describe('accepted as intended (README "Choices")', () => {
  it.each(manifest.accepted.map((c) => [`${c.id}: ${c.why}`, c] as const))('%s', async (_title, c) => {
    const outcome = await runInProcess(c)
    if (outcome.error !== undefined)
      expect.fail(`${c.id} was refused: ${String((outcome.error as Error).message ?? outcome.error)}`)
    expect(outcome.payload!.value).toEqual(c.value)
    acceptedOk.add(c.id)
  })
})

// ─── a sample through the committed dist/index.js ─────────────────────────────────────────────

describe('a sample through dist/index.js: refused before any request', () => {
  let emu: QoderEmulator
  beforeAll(async () => {
    emu = new QoderEmulator({ tokens: ['pt-test-token'] })
    await emu.start()
  })
  afterAll(() => emu.close())

  /** The case's inputs with every origin pointed at the emulator, so any request that slipped out would be recorded. */
  async function runOnRunner(c: Case): Promise<{ run: ActionRun; inputs: Record<string, string> }> {
    const inputs = await inputsOf(c)
    const base = manifest.bases[c.base] ?? {}
    if (inputs['base-url'] === undefined || inputs['base-url'] === base['base-url']) inputs['base-url'] = emu.origin
    if (inputs.username !== undefined && inputs['auth-url'] === undefined) inputs['auth-url'] = emu.origin
    const files: Record<string, string | Buffer> = {}
    const file = inputs['payload-file']
    if (file) files[file] = await readFile(path.join(workspace, file))
    const run = await runAction({ inputs, files, env: { ...c.env } })
    return { run, inputs }
  }

  const sample = manifest.rejected.filter((c) => c.e2e)
  it('has about ten cases', () => expect(sample.length).toBeGreaterThanOrEqual(10))

  it.each(sample.map((c) => [`${c.id}: ${c.why}`, c] as const))('%s', async (_title, c) => {
    const before = emu.requests.length
    const { run, inputs } = await runOnRunner(c)
    expect(emu.requests.length - before, 'requests that reached the emulator').toBe(0)
    expect(run.code, run.stdout).toBe(1)
    expect(run.outputs['error-type']).toBe(c.kind)
    expect(run.outputs.status).toBe('failed')
    const message = run.outputs['error-message'] ?? ''
    expect(message).toMatch(/nothing was sent/i)
    for (const piece of c.message ?? []) expect(message).toContain(piece)
    if (c.input) expect(namesInput(message, c.input)).toBe(true)
    const errors = run.commands.filter((command) => command.command === 'error')
    for (const want of expectedPaths(c)) {
      if (want.line === undefined || !inputs['payload-file']) continue
      const annotated = errors.filter(
        (e) => e.properties.file === inputs['payload-file'] && e.properties.line === String(want.line),
      )
      expect(
        annotated.length,
        `an annotation on ${inputs['payload-file']} line ${want.line}; got ${JSON.stringify(errors.map((e) => e.properties))}`,
      ).toBeGreaterThan(0)
      if (want.path && want.path !== '$') expect(annotated.some((e) => e.message.includes(want.path!))).toBe(true)
    }
    if (inputs['payload-file'] && c['no-line'] !== undefined)
      expect(errors.some((e) => e.properties.file === inputs['payload-file'])).toBe(true)
    const credentials = [
      'token',
      'password',
      'oauth-token',
      'basic-auth',
      'access-key',
      'secret-key',
      'security-token',
    ].map((name) => inputs[name] ?? '')
    expect(findLeaks(run, [...credentials, ...(c.absent ?? [])])).toEqual([])
  })

  it('accepts a payload with a BOM and CRLF line ends, and sends it once', async () => {
    const c = manifest.accepted.find((a) => a.e2e)!
    const deployment = emu.seed({ name: 'daily-status-report' })
    const inputs: Record<string, string> = {
      ...(await inputsOf(c)),
      target: deployment.id,
      token: 'pt-test-token',
      'base-url': emu.origin,
    }
    const file = inputs['payload-file']!
    const run = await runAction({ inputs, files: { [file]: await readFile(path.join(workspace, file)) } })
    expect(run.code, run.stdout).toBe(0)
    expect(run.outputs.status).toBe('succeeded')
    expect(emu.appliedUpdates(deployment.id)).toBe(1)
    expect(JSON.parse(run.outputs.resource!)).toMatchObject(c.value as object)
  })
})
