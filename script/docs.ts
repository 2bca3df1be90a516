/**
 * Generates the README's input and output tables from action.yml, so the two never disagree.
 *   node script/docs.ts          rewrite README.md in place
 *   node script/docs.ts --check  exit 1 when README.md is stale (the test suite checks this too)
 */
import { readFileSync, writeFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { parse } from 'yaml'

const ROOT = fileURLToPath(new URL('..', import.meta.url))

interface ActionInput {
  description?: string
  required?: boolean
  default?: string
}
interface ActionOutput {
  description?: string
}
interface ActionMetadata {
  inputs: Record<string, ActionInput>
  outputs: Record<string, ActionOutput>
}

export function readAction(root = ROOT): ActionMetadata {
  return parse(readFileSync(`${root}/action.yml`, 'utf8')) as ActionMetadata
}

function cell(text: string): string {
  return text
    .trim()
    .replace(/\s*\n\s*/g, ' ')
    .replace(/\|/g, '\\|')
}

export function renderInputs(action: ActionMetadata): string {
  const rows = Object.entries(action.inputs).map(([name, input]) => {
    const fallback = input.required ? '**required**' : input.default !== undefined ? `\`${input.default}\`` : '—'
    return `| \`${name}\` | ${fallback} | ${cell(input.description ?? '')} |`
  })
  return ['| Input | Default | Description |', '| --- | --- | --- |', ...rows].join('\n')
}

export function renderOutputs(action: ActionMetadata): string {
  const rows = Object.entries(action.outputs).map(
    ([name, output]) => `| \`${name}\` | ${cell(output.description ?? '')} |`,
  )
  return ['| Output | Description |', '| --- | --- |', ...rows].join('\n')
}

/** README text with the generated blocks replaced; throws when a marker is missing. */
export function updateReadme(readme: string, action: ActionMetadata): string {
  let text = readme
  for (const [name, table] of [
    ['inputs', renderInputs(action)],
    ['outputs', renderOutputs(action)],
  ] as const) {
    const start = `<!-- ${name}:start (generated from action.yml by npm run docs) -->`
    const end = `<!-- ${name}:end -->`
    const from = text.indexOf(start)
    const to = text.indexOf(end)
    if (from < 0 || to < from) throw new Error(`README.md lacks the markers ${start} … ${end}`)
    text = `${text.slice(0, from + start.length)}\n${table}\n${text.slice(to)}`
  }
  return text
}

if (import.meta.main) {
  const readmePath = `${ROOT}/README.md`
  const current = readFileSync(readmePath, 'utf8')
  const next = updateReadme(current, readAction())
  if (process.argv.includes('--check')) {
    if (next !== current) {
      console.error('README.md input/output tables are stale: run `npm run docs` and commit README.md.')
      process.exit(1)
    }
    console.log('README.md tables match action.yml.')
  } else {
    writeFileSync(readmePath, next)
    console.log(next === current ? 'README.md already up to date.' : 'README.md tables regenerated from action.yml.')
  }
}
