/**
 * Every `.github/workflows/example-*.yml` (the README's workflows) run against its provider's
 * emulator with the payload file it names, as the runner would run it:
 * - each step that `uses: OWNER/deploy-patch@…` becomes one run of dist/index.js, its `with:` the
 *   INPUT_* variables and its `env:` the environment, with every `${{ … }}` evaluated from the
 *   event: `secrets.X` → the emulator's credential for that secret, `vars.X` (and a missing
 *   `base-url`) → the emulator's origin, `github.ref_name` → v1.0.0 (7/merge on a pull request),
 *   `github.event_name` → the trigger's event, `inputs.x` → the dispatch
 *   input's default (nothing on a tag push), `matrix.x` → each matrix entry. An expression the
 *   test cannot evaluate fails it, so a new example cannot slip through unrun;
 * - `steps.<id>.outputs.x` of a `run:` step (which this test does not run) comes from
 *   RUN_STEP_OUTPUTS; a scheduled workflow runs as its schedule would start it;
 * - the workspace holds examples/deploy/, as actions/checkout would give it;
 * - the emulator is seeded with the workflow's own literal ids (and kintone revisions);
 * - each run must end `succeeded` (`dry-run` when the event makes it one), the emulator must hold
 *   what the payload says (or nothing new in a dry run), the write on the wire must be the payload,
 *   and every `steps.<id>.outputs.*` a later step reads must be set;
 * - a `pull_request` trigger runs with an event file of pull request 7 and the GitHub emulator, which
 *   must then hold one comment with the plan (`pr-comment`), and no other trigger writes one.
 */
import { spawnSync } from 'node:child_process'
import { readdirSync, readFileSync } from 'node:fs'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { parse } from 'yaml'
import { textOf } from '../../src/text.ts'
import { AieevEmulator } from '../emulators/aieev.ts'
import { GitHubEmulator } from '../emulators/github.ts'
import { RtsEmulator } from '../emulators/huaweicloud-rts.ts'
import { KintoneEmulator } from '../emulators/kintone.ts'
import { QoderEmulator } from '../emulators/qoder.ts'
import { cleanupRuns, FAKE_GITHUB_TOKEN, findLeaks, REPO_ROOT, runAction } from '../helpers/run-action.ts'

const WORKFLOW_DIR = path.join(REPO_ROOT, '.github', 'workflows')
const EXAMPLES = path.join(REPO_ROOT, 'examples')
const THIS_ACTION = /^OWNER\/deploy-patch@.+$/
const REF_NAME = 'v1.0.0'
/** The pull request a `pull_request` trigger is for, and its ref name. */
const PULL_REQUEST = 7
const PR_REF_NAME = `${PULL_REQUEST}/merge`

/**
 * What a person types into the dispatch form for inputs that have no default (the workflow's
 * literal ids, so the emulator can be seeded with them).
 */
const TYPED_INPUTS: Record<string, Record<string, string>> = {
  'example-dispatch.yml': { deployment: 'dep_019ec556114c78f8b60ee34fcb98bf59' },
}

/** What the `run:` steps before this action's step output (this test runs only the action's steps). */
const RUN_STEP_OUTPUTS: Record<string, Record<string, Record<string, string>>> = {
  // `git describe` finds the latest release tag.
  'example-drift.yml': { release: { tag: REF_NAME } },
}

afterAll(() => cleanupRuns())

// ── workflows ────────────────────────────────────────────────────────────────────────────────
type Json = null | boolean | number | string | Json[] | { [key: string]: Json }
type Values = Record<string, Json>

interface Step {
  id?: string
  if?: string
  run?: string
  uses?: string
  with?: Record<string, Json>
  env?: Record<string, Json>
}
interface Job {
  env?: Record<string, Json>
  strategy?: { matrix?: { include?: Values[] } & Record<string, Json> }
  steps: Step[]
}
interface Workflow {
  name: string
  on: Record<string, { inputs?: Record<string, { default?: Json; type?: string }> } | null>
  env?: Record<string, Json>
  jobs: Record<string, Job>
}

const files = readdirSync(WORKFLOW_DIR)
  .filter((name) => /^example-.*\.ya?ml$/.test(name))
  .sort()
const workflows = files.map((file) => ({
  file,
  doc: parse(readFileSync(path.join(WORKFLOW_DIR, file), 'utf8')) as Workflow,
}))

/** The runner's expression context for one run. */
interface Context {
  event: 'push' | 'workflow_dispatch' | 'schedule' | 'pull_request'
  inputs: Values
  secrets: Record<string, string>
  vars: Record<string, string>
  matrix: Values
  github: Values
  /** The outputs of earlier steps, by step id. */
  steps: Record<string, Record<string, string>>
}

/** One way the workflow starts: a tag push, or a dispatch with its defaults (and dry-run unticked). */
interface Trigger {
  label: string
  event: Context['event']
  inputs: Values
}

function triggers(file: string, doc: Workflow): Trigger[] {
  const found: Trigger[] = []
  if ('push' in doc.on) found.push({ label: `tag ${REF_NAME} pushed`, event: 'push', inputs: {} })
  if ('schedule' in doc.on) found.push({ label: 'started by its schedule', event: 'schedule', inputs: {} })
  if ('pull_request' in doc.on)
    found.push({ label: `pull request #${PULL_REQUEST} opened`, event: 'pull_request', inputs: {} })
  if ('workflow_dispatch' in doc.on) {
    const declared = doc.on.workflow_dispatch?.inputs ?? {}
    const inputs: Values = { ...TYPED_INPUTS[file] }
    for (const [name, spec] of Object.entries(declared)) {
      if (name in inputs) continue
      if (spec.default === undefined)
        throw new Error(
          `${file}: dispatch input '${name}' has no default; add what a person would type to TYPED_INPUTS`,
        )
      inputs[name] = spec.type === 'boolean' ? spec.default === true || spec.default === 'true' : spec.default
    }
    found.push({ label: 'dispatched with the defaults', event: 'workflow_dispatch', inputs })
    if (declared['dry-run']?.type === 'boolean' && inputs['dry-run'] === true) {
      found.push({
        label: 'dispatched with dry-run unticked',
        event: 'workflow_dispatch',
        inputs: { ...inputs, 'dry-run': false },
      })
    }
  }
  if (found.length === 0) throw new Error(`${file}: no push, pull_request, schedule or workflow_dispatch trigger`)
  return found
}

/** The matrix entries of a job (one empty entry without a matrix); only `include` lists are known here. */
function matrixEntries(file: string, job: Job): Values[] {
  const matrix = job.strategy?.matrix
  if (!matrix) return [{}]
  const { include, ...rest } = matrix
  if (Object.keys(rest).length > 0 || !include?.length)
    throw new Error(`${file}: only a matrix of 'include' entries is supported here`)
  return include
}

// ── expressions ──────────────────────────────────────────────────────────────────────────────
const PATH = /^[A-Za-z_][\w-]*(?:\.[A-Za-z_][\w-]*)*$/
const LITERAL = /^(?:true|false|null|-?\d+(?:\.\d+)?|'(?:[^']|'')*')$/

function literal(text: string): Json {
  if (text.startsWith("'")) return text.slice(1, -1).replace(/''/g, "'")
  return JSON.parse(text) as Json
}

function lookup(expression: string, ctx: Context): Json {
  const [root = '', ...rest] = expression.split('.')
  const key = rest.join('.')
  switch (root) {
    case 'secrets':
    case 'vars': {
      const value = ctx[root][key]
      if (value === undefined) throw new Error(`no emulator value for \${{ ${expression} }}`)
      return value
    }
    case 'inputs':
      // On a push the inputs context is empty: every input is null.
      if (ctx.event !== 'workflow_dispatch') return null
      if (!(key in ctx.inputs)) throw new Error(`\${{ ${expression} }}: the workflow declares no such dispatch input`)
      return ctx.inputs[key] ?? null
    case 'matrix':
    case 'github':
      if (!(key in ctx[root])) throw new Error(`\${{ ${expression} }} is not known to this test`)
      return ctx[root][key] ?? null
    case 'steps': {
      // steps.<id>.outputs.<name>: an output a step did not set is '' on a runner.
      const [id = '', kind, name = ''] = rest
      if (kind !== 'outputs' || rest.length !== 3 || !(id in ctx.steps))
        throw new Error(`\${{ ${expression} }}: no step '${id}' before this one`)
      return ctx.steps[id]![name] ?? ''
    }
    default:
      throw new Error(`\${{ ${expression} }}: context '${root}' is not known to this test`)
  }
}

/** The expressions the examples use: a property path, or a path compared with `==` to a literal. */
function evaluate(expression: string, ctx: Context): Json {
  const text = expression.trim()
  if (PATH.test(text)) return lookup(text, ctx)
  const comparison = /^(\S+)\s*(==|!=)\s*(\S+)$/.exec(text)
  if (comparison && PATH.test(comparison[1]!) && LITERAL.test(comparison[3]!)) {
    const left = lookup(comparison[1]!, ctx)
    const right = literal(comparison[3]!)
    // GitHub compares strings case-insensitively and coerces booleans to numbers; the examples compare like with like.
    const equal = typeof left === typeof right ? left === right : textOf(left) === textOf(right)
    return comparison[2] === '==' ? equal : !equal
  }
  throw new Error(`cannot evaluate \${{ ${text} }}: extend example-workflows.test.ts`)
}

/** A `with:`/`env:` value as the runner passes it: every `${{ … }}` replaced by its value as a string. */
function interpolate(value: Json, ctx: Context, where: string): string {
  const text = textOf(value)
  try {
    return text.replace(/\$\{\{(.*?)\}\}/g, (_whole, expression: string) => {
      const result = evaluate(expression, ctx)
      return result === null ? '' : textOf(result)
    })
  } catch (error) {
    throw new Error(`${where}: ${(error as Error).message}`, { cause: error })
  }
}

function interpolateAll(values: Record<string, Json> | undefined, ctx: Context, where: string): Record<string, string> {
  return Object.fromEntries(
    Object.entries(values ?? {}).map(([name, value]) => [name, interpolate(value, ctx, `${where}.${name}`)]),
  )
}

// ── payloads ─────────────────────────────────────────────────────────────────────────────────
/** The payload the step sends: its file under examples/ or the inline value, with `${NAME}` from the env when substitute-env is on. */
function expectedPayload(inputs: Record<string, string>, env: Record<string, string>): Values {
  const text = inputs['payload-file']
    ? readFileSync(path.join(EXAMPLES, inputs['payload-file']), 'utf8')
    : (inputs.payload ?? '')
  const payload = (text.trim() === '' ? {} : parse(text)) as Values
  if (inputs['substitute-env'] !== 'true') return payload
  const substitute = (value: Json): Json => {
    if (typeof value === 'string') {
      return value.replace(/\$\{([A-Za-z_]\w*)\}/g, (_whole, name: string) => {
        if (env[name] === undefined) throw new Error(`the payload uses \${${name}}, which the step's env does not set`)
        return env[name]
      })
    }
    if (Array.isArray(value)) return value.map(substitute)
    if (value && typeof value === 'object')
      return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, substitute(v)]))
    return value
  }
  return substitute(payload) as Values
}

/** `stored` after a merge patch of `patch` (RFC 7386): null deletes, objects merge, the rest replaces. */
function expectMerged(stored: unknown, patch: Values, where: string): void {
  const actual = stored as Values
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) expect(actual, `${where}.${key} deleted`).not.toHaveProperty([key])
    else if (typeof value === 'object' && !Array.isArray(value)) expectMerged(actual[key], value, `${where}.${key}`)
    else expect(actual[key], `${where}.${key}`).toEqual(value)
  }
}

/** Every key at any depth of a JSON value. */
function keysDeep(value: unknown, into = new Set<string>()): Set<string> {
  if (Array.isArray(value)) for (const item of value) keysDeep(item, into)
  else if (value && typeof value === 'object') {
    for (const [key, item] of Object.entries(value)) {
      into.add(key)
      keysDeep(item, into)
    }
  }
  return into
}

/**
 * Fields a later step's `jq '…'` reads from this step's outputs (through an env variable set to
 * `steps.<id>.outputs.resource-file`, `results` or `resource`, on the same line) that the data
 * does not have.
 */
function jqFieldProblems(
  later: (Step & { run?: string })[],
  id: string,
  outputs: Record<string, string>,
  resourceFile: string | undefined,
): string[] {
  const problems: string[] = []
  for (const step of later) {
    if (typeof step.run !== 'string') continue
    for (const [variable, value] of Object.entries(step.env ?? {})) {
      const output = new RegExp(`steps\\.${id}\\.outputs\\.([\\w-]+)`).exec(textOf(value))?.[1]
      if (!output || !step.run.includes(`$${variable}`)) continue
      const text = output === 'resource-file' ? resourceFile : outputs[output]
      let data: unknown
      try {
        data = JSON.parse(text ?? '')
      } catch {
        continue
      }
      const keys = keysDeep(data)
      // jq on the line that feeds it this variable ("$VAR" as its file, or <<< "$VAR").
      const lines = step.run.split('\n').filter((line) => line.includes(`$${variable}`))
      for (const program of lines.join('\n').matchAll(/\bjq\b[^'\n]*'([^']*)'/g)) {
        const fields = [...program[1]!.matchAll(/\.(?:"([^"]+)"|([A-Za-z_]\w*))/g)].map((m) => m[1] ?? m[2]!)
        for (const field of fields)
          if (!keys.has(field))
            problems.push(`a later step's jq reads .${field} from ${output}, which has no such field`)
      }
    }
  }
  return problems
}

// ── one emulator per provider ────────────────────────────────────────────────────────────────
interface World {
  origin: string
  secrets: Record<string, string>
  /** Seeds what the step's (evaluated) inputs and payload name. */
  seed(inputs: Record<string, string>, payload: Values): void
  /** Ground truth after the run: what the emulator holds and what went on the wire. */
  check(inputs: Record<string, string>, payload: Values, dryRun: boolean): void
  /**
   * For the drift checks: seeds the live resource as the payload left it (`in sync`) or as a
   * console edit changed it since (`drifted`), and returns what a check step must name when drifted.
   */
  live?(inputs: Record<string, string>, payload: Values, state: 'in sync' | 'drifted'): string[]
  close(): Promise<void>
}

/** A payload as the live resource holds it after the merge patch: a null deletes the key, so it is not there. */
function withoutNulls(value: Values): Values {
  return Object.fromEntries(
    Object.entries(value)
      .filter(([, v]) => v !== null)
      .map(([k, v]) => [k, v && typeof v === 'object' && !Array.isArray(v) ? withoutNulls(v) : v]),
  )
}

const targetsOf = (inputs: Record<string, string>): string[] =>
  (inputs.target ?? '')
    .split(/[\n,]/)
    .map((t) => t.trim())
    .filter(Boolean)

const WORLDS: Record<string, (raw: Record<string, Json>) => Promise<World>> = {
  async qoder() {
    const token = 'pt-emulator-token'
    const emulator = new QoderEmulator({ tokens: [token] })
    const origin = await emulator.start()
    return {
      origin,
      secrets: { QODER_PAT: token },
      seed(inputs) {
        for (const id of targetsOf(inputs))
          emulator.seed({
            id,
            name: 'weekly-report',
            description: 'Weekly report',
            metadata: { legacy_ticket: 'OPS-1234' },
          })
      },
      check(inputs, payload, dryRun) {
        for (const id of targetsOf(inputs)) {
          const writes = emulator.requestsTo('POST', `/api/v1/cloud/deployments/${id}`)
          expect(emulator.appliedUpdates(id), id).toBe(dryRun ? 0 : 1)
          expect(writes.map((w) => JSON.parse(w.body) as unknown)).toEqual(dryRun ? [] : [payload])
          if (!dryRun) expectMerged(emulator.stored(id), payload, id)
        }
      },
      live(inputs, payload, state) {
        type Live = NonNullable<Parameters<typeof emulator.seed>[0]>
        const live = withoutNulls(payload) as unknown as Live & { schedule: Live['schedule'] & object }
        for (const id of targetsOf(inputs)) {
          if (state === 'in sync') emulator.seed({ ...live, id })
          // Someone moved the schedule in the console, and a key the release deleted came back.
          else
            emulator.seed({
              ...live,
              id,
              schedule: { ...live.schedule, expression: '0 3 * * *' },
              metadata: { ...live.metadata, legacy_ticket: 'OPS-1234' },
            })
        }
        return ['schedule.expression', 'metadata.legacy_ticket']
      },
      close: () => emulator.close(),
    }
  },
  async kintone(raw) {
    // kintone API tokens belong to one app each: the secret holds one per app the example deploys,
    // comma-separated. The apps are the literal ones of its payload file (or its target).
    const literal = (name: string): string =>
      typeof raw[name] === 'string' && !String(raw[name]).includes('${{') ? String(raw[name]) : ''
    const fromFile = literal('payload-file')
      ? (parse(readFileSync(path.join(EXAMPLES, literal('payload-file')), 'utf8')) as Values).apps
      : undefined
    const apps = Array.isArray(fromFile)
      ? fromFile.map((a) => Number((a as Values).app))
      : targetsOf({ target: literal('target') }).map(Number)
    if (apps.length === 0)
      throw new Error('kintone example: no literal apps in its payload-file or target to seed the emulator with')
    const tokenFor = (app: number): string => `EmulatorKintoneTokenForApp${app}`
    const emulator = new KintoneEmulator({
      apiTokens: Object.fromEntries(apps.map((app) => [tokenFor(app), { apps: [app], appManagement: true }])),
      deployMs: 200,
    })
    const origin = await emulator.start()
    const appsOf = (inputs: Record<string, string>, payload: Values): { app: number; revision?: number }[] =>
      Array.isArray(payload.apps)
        ? (payload.apps as { app: number; revision?: number }[])
        : targetsOf(inputs).map((app) => ({ app: Number(app) }))
    return {
      origin,
      secrets: { KINTONE_API_TOKENS: apps.map(tokenFor).join(',') },
      seed(inputs, payload) {
        for (const { app, revision } of appsOf(inputs, payload))
          emulator.addApp(Number(app), { revision: revision === undefined || revision === -1 ? 4 : Number(revision) })
      },
      check(inputs, payload, dryRun) {
        expect(emulator.deploysApplied()).toBe(dryRun ? 0 : 1)
        for (const { app, revision } of appsOf(inputs, payload)) {
          expect(emulator.deployedRevision(Number(app)), `app ${app}`).toBe(
            dryRun ? undefined : revision === undefined || revision === -1 ? 4 : Number(revision),
          )
        }
        const deploys = emulator
          .requestsTo('POST', '/k/v1/preview/app/deploy.json')
          .filter((r) => !r.headers['x-http-method-override'])
        expect(deploys.map((d) => JSON.parse(d.body) as unknown)).toEqual(dryRun ? [] : [payload])
      },
      close: () => emulator.close(),
    }
  },
  async 'huaweicloud-rts'(raw) {
    const accessKey = 'HPUAEMULATORACCESSKEY1'
    const secretKey = 'emulator/secret+key'
    // region and project-id are literals in the example: the emulator serves exactly those.
    const emulator = new RtsEmulator({
      keys: { [accessKey]: { sk: secretKey } },
      settleMs: 300,
      ...(typeof raw['project-id'] === 'string' ? { projectId: raw['project-id'] } : {}),
      ...(typeof raw.region === 'string' ? { region: raw.region } : {}),
    })
    const origin = await emulator.start()
    return {
      origin,
      secrets: { HUAWEICLOUD_ACCESS_KEY: accessKey, HUAWEICLOUD_SECRET_KEY: secretKey },
      seed(inputs) {
        for (const id of targetsOf(inputs)) emulator.seed({ id })
      },
      check(inputs, payload, dryRun) {
        for (const id of targetsOf(inputs)) {
          expect(emulator.appliedUpdates(id), id).toBe(dryRun ? 0 : 1)
          const puts = emulator.requestsTo('PUT', new RegExp(`/software_deployments/${id}$`))
          expect(puts.map((p) => JSON.parse(p.body) as unknown)).toEqual(dryRun ? [] : [payload])
          if (dryRun) continue
          const stored = emulator.stored(id)!
          const { status: _sent, status_reason: _reason, ...written } = payload
          expectMerged(stored, written, id)
          // The server's agent ran the new config and signalled back.
          expect(stored.status).toBe('COMPLETE')
        }
      },
      live(inputs, payload, state) {
        // After the release: the agent ran the payload's config and signalled COMPLETE. Drifted: someone
        // pointed the deployment at another config by hand.
        const configId = state === 'in sync' ? textOf(payload.config_id) : '9a8b7c6d-0000-4000-8000-00000000d71f'
        for (const id of targetsOf(inputs))
          emulator.seed({
            id,
            action: 'UPDATE',
            config_id: configId,
            status: 'COMPLETE',
            status_reason: 'Outputs received',
          })
        return ['config_id']
      },
      close: () => emulator.close(),
    }
  },
  async aieev() {
    const key = 'aieev-emulator-api-key'
    const emulator = new AieevEmulator({ keys: [key], startMs: 300 })
    const origin = await emulator.start()
    return {
      origin,
      secrets: { AIEEV_API_KEY: key, HF_TOKEN: 'hf_ExampleWorkflowToken0000000000' },
      seed(inputs) {
        for (const id of targetsOf(inputs))
          emulator.seed({ endpoint_id: id, name: 'llm-chat-api', container_start_command: 'python serve.py' })
      },
      check(inputs, payload, dryRun) {
        for (const id of targetsOf(inputs)) {
          expect(emulator.appliedPatches(id), id).toBe(dryRun ? 0 : 1)
          expect(emulator.starts(id), id).toBe(dryRun ? 0 : 1)
          const patches = emulator.requestsTo('PATCH', `/external/api/v1/endpoints/${id}`)
          expect(patches.map((p) => JSON.parse(p.body) as unknown)).toEqual(dryRun ? [] : [payload])
          if (dryRun) continue
          const stored = emulator.stored(id)!
          for (const [name, value] of Object.entries(payload))
            expect(stored[name as keyof typeof stored], name).toEqual(value)
          expect(stored).toMatchObject({ is_active: true, status: 'RUNNING' })
        }
      },
      live(inputs, _payload, state) {
        // Drifted: someone stopped the endpoint.
        for (const id of targetsOf(inputs))
          emulator.seed({ endpoint_id: id, name: 'llm-chat-api', is_active: state === 'in sync' })
        return ['STOPPED']
      },
      close: () => emulator.close(),
    }
  },
}

// ── the runs ─────────────────────────────────────────────────────────────────────────────────
interface Case {
  title: string
  file: string
  jobName: string
  stepIndex: number
  trigger: Trigger
  matrix: Values
}

const cases: Case[] = workflows.flatMap(({ file, doc }) =>
  Object.entries(doc.jobs).flatMap(([jobName, job]) =>
    job.steps.flatMap((step, stepIndex) => {
      if (typeof step.uses !== 'string' || !THIS_ACTION.test(step.uses)) return []
      return triggers(file, doc).flatMap((trigger) =>
        matrixEntries(file, job).map((matrix) => ({
          title: `${file} jobs.${jobName}.steps[${stepIndex}], ${trigger.label}${Object.keys(matrix).length ? `, matrix ${JSON.stringify(matrix)}` : ''}`,
          file,
          jobName,
          stepIndex,
          trigger,
          matrix,
        })),
      )
    }),
  ),
)

/** GITHUB_REF_NAME for a trigger: the tag, or a pull request's merge ref. */
const refName = (trigger: Trigger): string => (trigger.event === 'pull_request' ? PR_REF_NAME : REF_NAME)

/** The step of a case, and its provider's emulator started. */
async function startStep({ file, jobName, stepIndex }: Pick<Case, 'file' | 'jobName' | 'stepIndex'>) {
  const doc = workflows.find((w) => w.file === file)!.doc
  const job = doc.jobs[jobName]!
  const step = job.steps[stepIndex]!
  const where = `${file}: jobs.${jobName}.steps[${stepIndex}]`
  const raw = step.with ?? {}
  const provider = textOf(raw.provider)
  const start = WORLDS[provider]
  if (!start) throw new Error(`${where}: no emulator for provider '${provider}'`)
  return { doc, job, step, where, raw, world: await start(raw) }
}

/** The step's expression context, its env and inputs evaluated as the runner would, and the payload it sends. */
function prepareStep({ file, jobName, stepIndex, trigger, matrix }: Omit<Case, 'title'>, world: World) {
  const doc = workflows.find((w) => w.file === file)!.doc
  const job = doc.jobs[jobName]!
  const step = job.steps[stepIndex]!
  const where = `${file}: jobs.${jobName}.steps[${stepIndex}]`
  const ctx: Context = {
    event: trigger.event,
    inputs: trigger.inputs,
    secrets: world.secrets,
    // Every configuration variable is the emulator's origin (kintone's KINTONE_BASE_URL is the only one).
    vars: new Proxy(
      {},
      {
        get: (_t, name) => (typeof name === 'string' && /^[A-Z][A-Z0-9_]*$/.test(name) ? world.origin : undefined),
      },
    ),
    matrix,
    github: { ref_name: refName(trigger), event_name: trigger.event },
    steps: structuredClone(RUN_STEP_OUTPUTS[file] ?? {}),
  }
  const env = {
    ...interpolateAll(doc.env, ctx, `${file}: env`),
    ...interpolateAll(job.env, ctx, `${file}: jobs.${jobName}.env`),
    ...interpolateAll(step.env, ctx, `${where}.env`),
  }
  const inputs = interpolateAll(step.with ?? {}, ctx, `${where}.with`)
  inputs['base-url'] ??= world.origin
  expect(new URL(inputs['base-url']).origin, `${where}: base-url reaches the emulator`).toBe(world.origin)
  return { ctx, env, inputs, payload: expectedPayload(inputs, env) }
}

/** dist/index.js run as the runner runs the step, with the repository's examples/ as the workspace (actions/checkout). */
function runStep(
  inputs: Record<string, string>,
  env: Record<string, string>,
  trigger: Trigger,
  githubApi?: string,
  eventPath?: string,
) {
  const examples = readdirSync(path.join(EXAMPLES, 'deploy')).map((name) => `deploy/${name}`)
  return runAction({
    inputs,
    env: {
      ...env,
      GITHUB_REF_NAME: refName(trigger),
      GITHUB_EVENT_NAME: trigger.event,
      ...(eventPath ? { GITHUB_EVENT_PATH: eventPath } : {}),
      ...(githubApi ? { GITHUB_API_URL: githubApi } : {}),
    },
    files: Object.fromEntries(examples.map((name) => [name, readFileSync(path.join(EXAMPLES, name))])),
  })
}

describe('the README example workflows, run against the emulators', () => {
  it('cover every provider, and each one runs this action', () => {
    expect(workflows.length).toBeGreaterThan(0)
    for (const { file } of workflows)
      expect(
        cases.some((c) => c.file === file),
        `${file} has a step using OWNER/deploy-patch@…`,
      ).toBe(true)
    const providers = new Set(
      cases.map(
        (c) => workflows.find((w) => w.file === c.file)!.doc.jobs[c.jobName]!.steps[c.stepIndex]!.with?.provider,
      ),
    )
    expect([...providers].sort()).toEqual(['aieev', 'huaweicloud-rts', 'kintone', 'qoder'])
  })

  it('the expression evaluator refuses what it does not know, instead of passing it through', () => {
    const ctx: Context = {
      event: 'push',
      inputs: {},
      secrets: { A: 'a' },
      vars: {},
      matrix: {},
      github: { ref_name: REF_NAME },
      steps: { plan: { changed: 'true' } },
    }
    expect(interpolate('${{ secrets.A }}-${{ github.ref_name }}', ctx, 'x')).toBe(`a-${REF_NAME}`)
    expect(interpolate('${{ inputs.dry-run == true }}', ctx, 'x')).toBe('false')
    expect(interpolate("${{ steps.plan.outputs.changed == 'true' }}", ctx, 'x')).toBe('true')
    expect(interpolate("${{ steps.plan.outputs.changed != 'true' }}", ctx, 'x')).toBe('false')
    expect(interpolate('${{ steps.plan.outputs.changes }}', ctx, 'x')).toBe('')
    expect(() => interpolate('${{ steps.release.outputs.tag }}', ctx, 'x')).toThrow(/no step 'release'/)
    expect(() => interpolate('${{ secrets.B }}', ctx, 'x')).toThrow(/no emulator value/)
    expect(() => interpolate('${{ vars.URL }}', ctx, 'x')).toThrow(/no emulator value/)
    expect(() => interpolate('${{ github.sha }}', ctx, 'x')).toThrow(/not known/)
    expect(() => interpolate("${{ format('{0}', github.ref_name) }}", ctx, 'x')).toThrow(/cannot evaluate/)
    expect(() => interpolate('${{ env.X }}', ctx, 'x')).toThrow(/context 'env'/)
  })

  for (const { title, file, jobName, stepIndex, trigger, matrix } of cases)
    it(title, async () => {
      const { job, step, where, raw, world } = await startStep({ file, jobName, stepIndex })
      const provider = textOf(raw.provider)
      const onPullRequest = trigger.event === 'pull_request'
      const github =
        raw['github-environment'] !== undefined || onPullRequest
          ? new GitHubEmulator({ tokens: [FAKE_GITHUB_TOKEN] })
          : undefined
      const eventDir = onPullRequest ? await mkdtemp(path.join(os.tmpdir(), 'deploy-patch-event-')) : undefined
      try {
        const githubApi = github ? await github.start() : undefined
        const { env, inputs, payload } = prepareStep({ file, jobName, stepIndex, trigger, matrix }, world)
        world.seed(inputs, payload)
        const eventPath = eventDir && path.join(eventDir, 'event.json')
        if (eventPath)
          await writeFile(eventPath, JSON.stringify({ number: PULL_REQUEST, pull_request: { number: PULL_REQUEST } }))
        const run = await runStep(inputs, env, trigger, githubApi, eventPath)
        const log = `${run.stdout}\n${run.stderr}`
        const dryRun = inputs['dry-run'] === 'true'
        expect(run.code, log).toBe(0)
        expect(run.outputs.status, log).toBe(dryRun ? 'dry-run' : 'succeeded')
        expect(
          findLeaks(
            run,
            Object.values(world.secrets).flatMap((s) => [s, ...s.split(',')]),
          ),
        ).toEqual([])
        world.check(inputs, payload, dryRun)

        // What later steps read from this step is set.
        if (step.id) {
          const later = JSON.stringify(job.steps.slice(stepIndex + 1))
          const read = [...later.matchAll(new RegExp(`steps\\.${step.id}\\.outputs\\.([\\w-]+)`, 'g'))].map(
            (m) => m[1]!,
          )
          for (const output of new Set(read))
            expect(run.outputs, `${where}: a later step reads steps.${step.id}.outputs.${output}`).toHaveProperty([
              output,
            ])
          if (read.includes('resource-file')) expect(run.resourceFile, 'resource-file exists').toBeDefined()
          for (const problem of jqFieldProblems(job.steps.slice(stepIndex + 1), step.id, run.outputs, run.resourceFile))
            expect.fail(`${where}: ${problem}`)
        }

        if (github) {
          // A pull request's dry run writes the plan as one comment; nothing else writes one.
          const comments = github.comments()
          if (onPullRequest && dryRun) {
            expect(comments.map((c) => c.issue)).toEqual([PULL_REQUEST])
            expect(comments[0]!.body).toContain(`## deploy-patch plan · ${provider}`)
            expect(run.outputs['pr-comment-url']).toMatch(new RegExp(`/pull/${PULL_REQUEST}#issuecomment-`))
            const secrets = Object.values(world.secrets).flatMap((s) => [s, ...s.split(',')])
            expect(secrets.filter((secret) => comments[0]!.body.includes(secret))).toEqual([])
          } else expect(comments).toEqual([])
          const records = github.deployments()
          if (dryRun) expect(records).toEqual([])
          else {
            expect(records.map((d) => d.environment)).toEqual([inputs['github-environment']])
            expect(github.states(records[0]!.id)).toEqual(['in_progress', 'success'])
          }
        }
      } finally {
        await world.close()
        await github?.close()
        if (eventDir) await rm(eventDir, { recursive: true, force: true })
      }
    })
})

// ── drift checks ─────────────────────────────────────────────────────────────────────────────
/** A `run:` step as the runner runs it (`shell: bash`), with its env; its exit code and output. */
function runScript(script: string, env: Record<string, string>): { code: number; output: string } {
  const result = spawnSync('bash', ['--noprofile', '--norc', '-eo', 'pipefail', '-c', script], {
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ...env },
    encoding: 'utf8',
    timeout: 10_000,
  })
  return { code: result.status ?? -1, output: `${result.stdout}${result.stderr}` }
}

describe('example-drift.yml: each job passes in sync and fails, naming what drifted, when drifted', () => {
  const file = 'example-drift.yml'
  const doc = workflows.find((w) => w.file === file)?.doc
  it('exists and runs on a schedule', () => {
    expect(doc?.on).toHaveProperty('schedule')
  })
  for (const jobName of Object.keys(doc?.jobs ?? {}))
    for (const state of ['in sync', 'drifted'] as const)
      it(`jobs.${jobName}, ${state}`, async () => {
        const job = doc!.jobs[jobName]!
        const stepIndex = job.steps.findIndex((step) => typeof step.uses === 'string' && THIS_ACTION.test(step.uses))
        const trigger = triggers(file, doc!).find((t) => t.event === 'schedule')!
        const { step, where, world } = await startStep({ file, jobName, stepIndex })
        try {
          const [matrix = {}] = matrixEntries(file, job)
          const { ctx, env, inputs, payload } = prepareStep({ file, jobName, stepIndex, trigger, matrix }, world)
          expect(inputs['dry-run'], `${where}: a drift check never writes`).toBe('true')
          const named = world.live!(inputs, payload, state)
          const run = await runStep(inputs, env, trigger)
          const log = `${run.stdout}\n${run.stderr}`
          expect(run.code, log).toBe(0)
          expect(run.outputs.status, log).toBe('dry-run')
          world.check(inputs, payload, true)

          // The steps after it, as the runner runs them: their `if:` evaluated, their script run by bash.
          ctx.steps[step.id!] = run.outputs
          const checks = job.steps.slice(stepIndex + 1).map((later, index) => {
            const ran = later.if === undefined || evaluate(later.if, ctx) === true
            const result = ran
              ? runScript(later.run ?? '', interpolateAll(later.env, ctx, `${where}+${index + 1}.env`))
              : undefined
            return { name: (later as { name?: string }).name, ...result }
          })
          const failed = checks.filter((check) => check.code !== undefined && check.code !== 0)
          if (state === 'in sync') expect(failed, `${log}\n${JSON.stringify(checks)}`).toEqual([])
          else {
            expect(failed.length, JSON.stringify(checks)).toBe(1)
            for (const what of named) expect(failed[0]!.output, `the failing check names ${what}`).toContain(what)
          }
        } finally {
          await world.close()
        }
      })
})
