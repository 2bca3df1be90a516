/**
 * The bad-input corpus (__tests__/bad-inputs/cases.yaml) as data, and how one of its cases runs
 * in-process through the steps of src/main.ts (parseSettings → loadProvider → loadPayload →
 * checkBeforeSending). Shared by __tests__/reliability/bad-inputs.test.ts (every case refused as
 * expected) and __tests__/schemas/agreement.test.ts (the payload schemas agree with those checks).
 */
import { cp, mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { parse as parseYaml } from 'yaml'
import { InputError, PayloadError, type LocatedProblem } from '../../src/errors.js'
import { loadPayload, type Payload } from '../../src/payload.js'
import { checkBeforeSending } from '../../src/pipeline.js'
import { loadProvider } from '../../src/providers/registry.js'
import { parseSettings } from '../../src/settings.js'
import { actionDefaults } from './run-action.ts'

export const CORPUS = fileURLToPath(new URL('../bad-inputs/', import.meta.url))
const MANIFEST = path.join(CORPUS, 'cases.yaml')
const MB = 1024 * 1024

// ─── the manifest ─────────────────────────────────────────────────────────────────────────────

export type Inputs = Record<string, string | null>
export interface ExpectedPath {
  path?: string
  line?: number
}
export interface Case {
  id: string
  why: string
  base: string
  inputs?: Inputs
  'from-file'?: Record<string, string>
  env?: Record<string, string>
  kind?: 'input' | 'validation'
  input?: string
  paths?: (string | ExpectedPath)[]
  message?: string[]
  absent?: string[]
  problems?: number
  'no-line'?: string
  e2e?: boolean
  value?: unknown
}
export interface Manifest {
  bases: Record<string, Record<string, string>>
  rejected: Case[]
  accepted: Case[]
}

export const manifest = parseYaml(await readFile(MANIFEST, 'utf8')) as Manifest

/** Files the test writes at run time instead of committing them (`generated/…` in the manifest). */
export const GENERATED: Record<string, () => string> = {
  // A valid JSON object just over 5 MB: refused for its size alone.
  'generated/five-mb.json': () => `{"name": "nightly-report", "description": "${'x'.repeat(5 * MB)}"}\n`,
  // Billion laughs: 9 levels of 9 aliases each would expand to 9^9 strings.
  'generated/alias-bomb.yaml': () => {
    const lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for (let level = 1; level < 9; level++) {
      const [prev, name] = [String.fromCharCode(96 + level), String.fromCharCode(97 + level)]
      lines.push(`${name}: &${name} [${Array(9).fill(`*${prev}`).join(',')}]`)
    }
    return `name: nightly-report\n${lines.join('\n')}\n`
  },
  'generated/deep-nesting.json': () => `{"resources": ${'['.repeat(299)}${']'.repeat(299)}}\n`,
  'generated/deep-nesting.yaml': () => `name: nightly-report\nresources: ${'['.repeat(2000)}${']'.repeat(2000)}\n`,
  'generated/deep-nesting-unclosed.yaml': () => `name: nightly-report\nresources: ${'['.repeat(2000)}\n`,
}

/** The inputs of a case: the base, then the case's own (null removes one; a payload-file replaces the base's inline payload). */
export async function inputsOf(c: Case, workspace: string): Promise<Record<string, string>> {
  const base = manifest.bases[c.base]
  if (!base) throw new Error(`${c.id}: unknown base '${c.base}'`)
  const merged: Inputs = { ...base }
  const own = c.inputs ?? {}
  if ('payload-file' in own && !('payload' in own)) delete merged.payload
  Object.assign(merged, own)
  for (const [name, file] of Object.entries(c['from-file'] ?? {}))
    merged[name] = await readFile(path.join(workspace, file), 'utf8')
  const result: Record<string, string> = {}
  for (const [name, value] of Object.entries(merged)) {
    if (value === null) continue
    if (typeof value !== 'string')
      throw new Error(
        `${c.id}: input '${name}' must be a string in cases.yaml, got ${JSON.stringify(value)} (quote it)`,
      )
    result[name] = value
  }
  return result
}

// ─── running a case in-process, as src/main.ts does ───────────────────────────────────────────

export interface Outcome {
  /** What refused it: InputError, PayloadError, or anything else (a crash). */
  error?: unknown
  /** The problems, for a PayloadError. */
  problems: LocatedProblem[]
  /** Every value registered as a secret on the way (credentials, env var values). */
  secrets: string[]
  payloadFile?: string
  payload?: Payload
}

/** A fresh workspace (in a new temporary directory) holding the corpus's data files and the generated ones. */
export async function prepareWorkspace(): Promise<string> {
  const workspace = path.join(await mkdtemp(path.join(tmpdir(), 'deploy-patch-bad-inputs-')), 'workspace')
  await cp(CORPUS, workspace, { recursive: true })
  for (const [file, make] of Object.entries(GENERATED)) {
    await mkdir(path.dirname(path.join(workspace, file)), { recursive: true })
    await writeFile(path.join(workspace, file), make())
  }
  return workspace
}

/** parseSettings → loadProvider → loadPayload → secrets → checkBeforeSending, in src/main.ts's order. */
export async function runInProcess(c: Case, workspace: string): Promise<Outcome> {
  const inputs = await inputsOf(c, workspace)
  const defaults = actionDefaults()
  // core.getInput: the runner's value (or the action.yml default), trimmed.
  const read = (name: string): string => (inputs[name] ?? defaults[name] ?? '').trim()
  const outcome: Outcome = { problems: [], secrets: [] }
  try {
    const settings = parseSettings(read, (value) => void outcome.secrets.push(value), {
      GITHUB_WORKSPACE: workspace,
      RUNNER_TEMP: path.join(workspace, '..'),
    })
    outcome.payloadFile = settings.payloadFile
    const provider = await loadProvider(settings.provider)
    const payload = await loadPayload(settings, { ...c.env })
    outcome.payload = payload
    outcome.secrets.push(...provider.secrets(payload.value).map((s) => s.value))
    const problems = checkBeforeSending(provider, settings, payload)
    if (problems.length > 0) throw new PayloadError(problems, payload.file)
  } catch (error) {
    outcome.error = error
    if (error instanceof PayloadError) outcome.problems = error.problems
  }
  return outcome
}

export function kindOf(error: unknown): 'input' | 'validation' | 'crash' | 'accepted' {
  if (error === undefined) return 'accepted'
  if (error instanceof InputError) return 'input'
  // Problems found before sending are `input` when any names an input (issue 13), else `validation`.
  if (error instanceof PayloadError) return error.errorType === 'input' ? 'input' : 'validation'
  return 'crash'
}
