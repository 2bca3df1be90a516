/**
 * The README's payload field tables come from schemas/<provider>.json (one source, written by
 * `npm run docs`), the schema URLs it gives follow the ref the README pins in `uses:`, and this
 * repository's editor settings attach each schema to its example payload (issue 15).
 */
import { existsSync, readFileSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { readSchemas, renderPayloadFields, type FieldSchema } from '../../script/docs.ts'
import { PROVIDERS } from '../../src/providers/registry.js'

const root = fileURLToPath(new URL('../../', import.meta.url))
const readme = readFileSync(path.join(root, 'README.md'), 'utf8')
const schemas = readSchemas(root)

/** The text between a provider's payload markers in the README, or undefined when they are missing. */
function readmeTable(provider: string): string | undefined {
  const start = `<!-- payload-${provider}:start (generated from schemas/${provider}.json by npm run docs) -->\n`
  const from = readme.indexOf(start)
  const to = readme.indexOf(`<!-- payload-${provider}:end -->`)
  return from < 0 || to < from ? undefined : readme.slice(from + start.length, to).trimEnd()
}

describe('the README payload tables', () => {
  it('has one schema per provider', () => expect(Object.keys(schemas)).toEqual([...PROVIDERS].sort()))

  it.each(PROVIDERS)(
    '%s: the table is the one generated from its schema (run `npm run docs` when this fails)',
    (provider) => {
      const table = readmeTable(provider)
      expect(table, `README.md lacks the payload-${provider} markers`).toBeDefined()
      expect(table).toBe(renderPayloadFields(schemas[provider]!))
      // Every field, nested ones included, has its row.
      const fields = (schema: FieldSchema, prefix: string): string[] =>
        Object.entries(schema.properties ?? {}).flatMap(([name, field]) => [
          `${prefix}${name}`,
          ...fields(field.anyOf?.find((branch) => branch.properties) ?? field, `${prefix}${name}.`),
          ...(field.items ? fields(field.items, `${prefix}${name}[].`) : []),
        ])
      for (const field of fields(schemas[provider]!, '').filter((f) => f !== '$schema'))
        expect(table, `a row for ${field}`).toContain(`| \`${field}\` |`)
    },
  )

  it('renders types, ranges in characters, enums, nested fields and examples; skips $schema and the 2^53 bound', () => {
    const schema: FieldSchema = {
      properties: {
        $schema: { type: 'string', description: 'for editors' },
        name: { type: 'string', minLength: 1, maxLength: 256, description: 'A name.', examples: ['x'] },
        port: { type: ['integer', 'null'], minimum: 1, maximum: 65535, description: 'A | port.' },
        timeout: { type: 'integer', minimum: 1, maximum: Number.MAX_SAFE_INTEGER },
        kind: { type: 'string', enum: ['a', 'b'] },
        path: { type: 'string', minLength: 1, pattern: '^/' },
        list: {
          type: 'array',
          maxItems: 50,
          items: { type: 'object', required: ['key'], properties: { key: { type: 'string', minLength: 1 } } },
        },
      },
    }
    expect(renderPayloadFields(schema).split('\n')).toEqual([
      '| Field | Type | Allowed | Description | Example |',
      '| --- | --- | --- | --- | --- |',
      '| `name` | string | 1–256 characters | A name. | `"x"` |',
      '| `port` | integer or null | 1–65535 | A \\| port. |  |',
      '| `timeout` | integer | ≥ 1 |  |  |',
      '| `kind` | string | `a`, `b` |  |  |',
      '| `path` | string | not empty; matches `^/` |  |  |',
      '| `list` | list of objects | ≤ 50 items |  |  |',
      '| `list[].key` | string | required; not empty |  |  |',
    ])
  })
})

describe('Editor support', () => {
  const pinned = [...readme.matchAll(/uses: OWNER\/deploy-patch@(v\d+)\b/g)].map((m) => m[1])
  const urls = [
    ...readme.matchAll(/https:\/\/raw\.githubusercontent\.com\/OWNER\/deploy-patch\/([^/\s]+)\/schemas\/([^\s"`)]+)/g),
  ]

  it('gives schema URLs on the ref the README pins in uses:, each naming a schema that exists', () => {
    expect(new Set(pinned).size, 'the README pins one major version').toBe(1)
    expect(urls.length).toBeGreaterThanOrEqual(3)
    for (const [url, ref, file] of urls) {
      expect(ref, url).toBe(pinned[0])
      if (file !== '<provider>.json') expect(existsSync(path.join(root, 'schemas', file!)), url).toBe(true)
    }
    expect(readme).toContain('# yaml-language-server: $schema=https://raw.githubusercontent.com/OWNER/deploy-patch/')
  })

  it.each(PROVIDERS)("%s: the schema's $id is its URL on that ref", (provider) => {
    const { $id } = JSON.parse(readFileSync(path.join(root, 'schemas', `${provider}.json`), 'utf8')) as { $id: string }
    expect($id).toBe(`https://raw.githubusercontent.com/OWNER/deploy-patch/${pinned[0]}/schemas/${provider}.json`)
  })

  it("this repository's .vscode/settings.json attaches each schema to its example payload", () => {
    const settings = JSON.parse(readFileSync(path.join(root, '.vscode', 'settings.json'), 'utf8')) as {
      'yaml.schemas': Record<string, string>
    }
    expect(settings['yaml.schemas']).toEqual(
      Object.fromEntries(PROVIDERS.map((p) => [`./schemas/${p}.json`, `examples/deploy/${p}.yaml`])),
    )
    for (const [schema, file] of Object.entries(settings['yaml.schemas'])) {
      expect(existsSync(path.join(root, schema)), schema).toBe(true)
      expect(existsSync(path.join(root, file)), file).toBe(true)
    }
  })
})
