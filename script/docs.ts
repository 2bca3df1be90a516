/**
 * Generates the README's input and output tables from action.yml, and each provider's payload
 * field table from schemas/<provider>.json, so the README never disagrees with either.
 *   node script/docs.ts          rewrite README.md in place
 *   node script/docs.ts --check  exit 1 when README.md is stale (the test suite checks this too)
 */
import { readFileSync, readdirSync, writeFileSync } from 'node:fs'
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

/** The part of a JSON Schema (draft-07) the payload tables read. */
export interface FieldSchema {
  description?: string
  type?: string | string[]
  enum?: unknown[]
  minLength?: number
  maxLength?: number
  minimum?: number
  maximum?: number
  minItems?: number
  maxItems?: number
  minProperties?: number
  pattern?: string
  examples?: unknown[]
  properties?: Record<string, FieldSchema>
  required?: string[]
  items?: FieldSchema
  anyOf?: FieldSchema[]
}

/** Each payload schema in schemas/, by provider name (the file's name), in name order. */
export function readSchemas(root = ROOT): Record<string, FieldSchema> {
  const names = readdirSync(`${root}/schemas`)
    .filter((name) => name.endsWith('.json'))
    .sort()
  return Object.fromEntries(
    names.map((name) => [
      name.replace(/\.json$/, ''),
      JSON.parse(readFileSync(`${root}/schemas/${name}`, 'utf8')) as FieldSchema,
    ]),
  )
}

/** JavaScript's largest exact integer: a bound the schemas state, not one a reader needs to see. */
const SAFE_INTEGER = Number.MAX_SAFE_INTEGER

/** `string or null`, `list of objects`, `integer or string`: a field's JSON type in words. */
function typeText(schema: FieldSchema): string {
  if (schema.anyOf) return schema.anyOf.map(typeText).join(' or ')
  const types = Array.isArray(schema.type) ? schema.type : schema.type ? [schema.type] : []
  return types
    .map((type) => (type !== 'array' ? type : schema.items?.type ? `list of ${typeText(schema.items)}s` : 'list'))
    .join(' or ')
}

/** What a field allows, beyond its type: values, ranges, lengths in characters, items, required. */
function allowedText(schema: FieldSchema, required: boolean): string {
  const parts: string[] = []
  const range = (min: number | undefined, max: number | undefined, unit: string) => {
    const top = max === SAFE_INTEGER ? undefined : max
    if (min !== undefined && top !== undefined)
      parts.push(min === top ? `exactly ${min}${unit}` : `${min}–${top}${unit}`)
    else if (min === 1 && unit === ' characters') parts.push('not empty')
    else if (min !== undefined && (min > 0 || unit === '')) parts.push(`≥ ${min}${unit}`)
    else if (top !== undefined) parts.push(`≤ ${top}${unit}`)
  }
  if (required) parts.push('required')
  if (schema.enum) parts.push(schema.enum.map((value) => `\`${String(value)}\``).join(', '))
  for (const branch of schema.anyOf ?? [])
    if (branch.minLength) range(branch.minLength, branch.maxLength, ' characters')
  range(schema.minLength, schema.maxLength, ' characters')
  range(schema.minimum, schema.maximum, '')
  range(schema.minItems, schema.maxItems, ' items')
  if (schema.minProperties) parts.push(`≥ ${schema.minProperties} key${schema.minProperties > 1 ? 's' : ''}`)
  // Short patterns say something at a glance; long ones (a UUID, digits up to 2^53) are in the description.
  if (schema.pattern && schema.pattern.length <= 12) parts.push(`matches \`${schema.pattern}\``)
  return parts.join('; ')
}

/** A field's first example as inline JSON, or nothing. */
function exampleText(schema: FieldSchema): string {
  const example = schema.examples?.[0]
  return example === undefined ? '' : `\`${JSON.stringify(example).replace(/\|/g, '\\|')}\``
}

/** The table of a payload schema's fields: one row per field, nested ones as `schedule.type` or `apps[].app`. */
export function renderPayloadFields(schema: FieldSchema): string {
  const rows: string[] = []
  const walk = (properties: Record<string, FieldSchema>, required: string[], prefix: string) => {
    for (const [name, field] of Object.entries(properties)) {
      if (prefix === '' && name === '$schema') continue // how an editor finds the schema, not a field (README "Editor support")
      const path = `${prefix}${name}`
      rows.push(
        `| \`${path}\` | ${typeText(field)} | ${allowedText(field, required.includes(name))} | ${cell(field.description ?? '')} | ${exampleText(field)} |`,
      )
      const object = field.properties ? field : field.anyOf?.find((branch) => branch.properties)
      if (object?.properties) walk(object.properties, object.required ?? [], `${path}.`)
      if (field.items?.properties) walk(field.items.properties, field.items.required ?? [], `${path}[].`)
    }
  }
  walk(schema.properties ?? {}, schema.required ?? [], '')
  return ['| Field | Type | Allowed | Description | Example |', '| --- | --- | --- | --- | --- |', ...rows].join('\n')
}

/** README text with the generated blocks replaced; throws when a marker is missing. */
export function updateReadme(readme: string, action: ActionMetadata, schemas = readSchemas()): string {
  let text = readme
  const blocks: [name: string, source: string, table: string][] = [
    ['inputs', 'action.yml', renderInputs(action)],
    ['outputs', 'action.yml', renderOutputs(action)],
    ...Object.entries(schemas).map(([provider, schema]): [string, string, string] => [
      `payload-${provider}`,
      `schemas/${provider}.json`,
      renderPayloadFields(schema),
    ]),
  ]
  for (const [name, source, table] of blocks) {
    const start = `<!-- ${name}:start (generated from ${source} by npm run docs) -->`
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
      console.error('README.md input/output or payload tables are stale: run `npm run docs` and commit README.md.')
      process.exit(1)
    }
    console.log('README.md tables match action.yml and schemas/.')
  } else {
    writeFileSync(readmePath, next)
    console.log(
      next === current ? 'README.md already up to date.' : 'README.md tables regenerated from action.yml and schemas/.',
    )
  }
}
