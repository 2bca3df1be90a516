/**
 * The payload schemas (schemas/<provider>.json) and the action never disagree (issue 15): every
 * case of the bad-input corpus and every valid fixture (the corpus's `accepted` list,
 * examples/deploy/*.yaml, the demo's payloads, payloads of the end-to-end tests) goes through both
 * — ajv on the document as an editor reads it, and the action's own checks in-process, exactly as
 * __tests__/reliability/bad-inputs.test.ts runs them — and each case must get the same verdict,
 * except the listed checks that JSON Schema cannot express. An excepted case that agrees fails
 * too, so the list cannot rot. A seeded fast-check property then probes the boundaries (lengths in
 * code points, ranges, enums, unknown keys) of every provider's fields the same way.
 */
import { readFile, readdir, rm, stat, writeFile, mkdir } from 'node:fs/promises'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { Ajv, type ValidateFunction } from 'ajv'
import fc from 'fast-check'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { parseDocument } from 'yaml'
import { InputError, PayloadError } from '../../src/errors.js'
import { parsePayload } from '../../src/payload.js'
import { checkBeforeSending } from '../../src/pipeline.js'
import { PROVIDERS, loadProvider, type ProviderName } from '../../src/providers/registry.js'
import { parseSettings, type Settings } from '../../src/settings.js'
import { inputsOf, manifest, prepareWorkspace, runInProcess, type Case } from '../helpers/bad-input-corpus.ts'
import { actionDefaults } from '../helpers/run-action.ts'

const ROOT = fileURLToPath(new URL('../../', import.meta.url))

// ─── the checks JSON Schema cannot express ───────────────────────────────────────────────────

/**
 * Case id → why the schema and the action disagree on it. Keep it short: everything draft-07 can
 * say is in the schemas. Each entry must still disagree (a stale one fails the test).
 */
const BEYOND_JSON_SCHEMA: Record<string, string> = {
  // The document an editor reads is not the value the action checks: the reader's own rules.
  'common/duplicate-key-json':
    'a duplicate key in JSON: an editor keeps the last value (JSON.parse); deploy-patch refuses both',
  'common/duplicate-key-escaped': 'a duplicate key in JSON, one written with an escape: the same as above',
  'common/duplicate-key-nested': 'a duplicate key in a nested JSON object: the same as above',
  'common/five-mb-file': "the file's byte size (4 MB): a size JSON Schema cannot see",
  'common/five-mb-inline': "the inline payload's byte size (4 MB)",
  'common/deep-nesting-json': 'nesting depth: no draft-07 keyword bounds the depth of an untyped value (resources)',
  'common/latin1-file': 'the file is not UTF-8: an editor shows replacement characters, the value is still valid',
  'common/unknown-tag': 'a YAML tag deploy-patch does not know: YAML parsers keep the value as a string',
  'qoder/metadata-big-integer-key': 'a YAML key written as an integer past 2^53: a parser rounds it into a key string',
  'huaweicloud-rts/complex-key': 'a list or mapping as a YAML key: a parser turns it into a string key',
  'huaweicloud-rts/huge-number': 'a number past 2^53 in an object of any values (input_values): rounded when read',
  'huaweicloud-rts/hex-big-integer': 'a YAML hex integer past 2^53: rounded when read',
  // ${NAME} is replaced when the action runs; an editor sees the placeholder.
  'common/unset-variable': 'substitute-env: a variable unset at run time (the editor sees ${NAME}, a valid string)',
  'common/bad-variable-name': 'substitute-env: a malformed ${…} placeholder, only an error when substitution is on',
  'common/unclosed-variable': 'substitute-env: an unclosed ${, only an error when substitution is on',
  // Values the action checks with code, not a pattern.
  'qoder/schedule-minute-61': "a cron field's range (croner)",
  'qoder/schedule-never-matches': 'a cron expression that never matches a date (croner)',
  'qoder/schedule-step-zero': 'a cron step of 0 (croner)',
  'qoder/schedule-bad-timezone': 'an IANA time zone name (Intl): the list of zones is not in the schema',
  // Limits on something else than the payload: the inputs, or the values as a set.
  'kintone/apps-duplicate': 'the same app as a number and as a string: uniqueItems compares values, not app ids',
  'kintone/apps-and-target': "an input-level conflict: 'apps' in the payload and app ids in 'target'",
  'kintone/no-apps': "an input-level rule: with no 'target' the payload must list 'apps'",
  'targets/kintone-301': "an input-level limit: 'target' lists 301 apps (the schema sees an empty payload)",
  'aieev/env-duplicate-key': 'the same variable key twice in container_env_vars: uniqueness of one field of the items',
}

// ─── the schemas ──────────────────────────────────────────────────────────────────────────────

/** Each schema compiled in strict mode (union types such as ["string", "null"] allowed: they are draft-07). */
const validators = new Map<ProviderName, ValidateFunction>()
const schemaText = new Map<ProviderName, string>()
for (const provider of PROVIDERS) {
  const text = await readFile(path.join(ROOT, 'schemas', `${provider}.json`), 'utf8')
  schemaText.set(provider, text)
  const ajv = new Ajv({ strict: true, allowUnionTypes: true, allErrors: true })
  validators.set(provider, ajv.compile(JSON.parse(text) as object))
}

// ─── both sides of a case ─────────────────────────────────────────────────────────────────────

type Verdict = 'accepted' | 'refused'

/**
 * The document as an editor reads it: the text (BOM dropped, as a file's decoder does), parsed as
 * JSON or YAML by the action's rule (the extension, else the first character), YAML 1.2 with the
 * `yaml` package's defaults as yaml-language-server uses it. A syntax error is a refusal: the
 * editor marks it and the schema never applies.
 */
function editorValue(text: string, file: string | undefined): { value: unknown } | { syntaxError: string } {
  const body = text.replace(/^\uFEFF/, '')
  const ext = file ? path.extname(file).toLowerCase() : ''
  const isJson = ext === '.json' || (ext !== '.yaml' && ext !== '.yml' && /^\s*[{[]/.test(body))
  if (isJson) {
    try {
      return { value: JSON.parse(body) as unknown }
    } catch (error) {
      return { syntaxError: (error as Error).message }
    }
  }
  const doc = parseDocument(body)
  if (doc.errors.length > 0) return { syntaxError: doc.errors[0]!.message }
  try {
    // An unresolved alias or too many aliases (a billion laughs) are errors an editor reports too.
    return { value: doc.toJS() as unknown }
  } catch (error) {
    return { syntaxError: (error as Error).message }
  }
}

/** The schema's verdict on a document, with ajv's errors. */
function schemaVerdict(provider: ProviderName, text: string, file: string | undefined): [Verdict, string] {
  const read = editorValue(text, file)
  if ('syntaxError' in read) return ['refused', `syntax: ${read.syntaxError}`]
  const validate = validators.get(provider)!
  if (validate(read.value)) return ['accepted', '']
  return ['refused', (validate.errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message ?? ''}`).join('; ')]
}

/**
 * The action's verdict on the payload: refused when a problem is the payload's (no input named),
 * or the payload could not be read as one; accepted when it passed, or only inputs were refused.
 * Undefined when the case never got to a payload (an input refused first, a missing file).
 */
function actionVerdict(outcome: Awaited<ReturnType<typeof runInProcess>>): [Verdict, string] | undefined {
  const { error } = outcome
  if (error === undefined) return ['accepted', '']
  if (error instanceof InputError) return undefined
  if (!(error instanceof PayloadError))
    throw new Error(`the action crashed instead of refusing: ${(error as Error)?.stack ?? JSON.stringify(error)}`)
  const own = outcome.problems.filter((p) => p.input === undefined)
  return own.length > 0 ? ['refused', error.message] : ['accepted', '(only inputs refused)']
}

/** The payload text a case gives (file, inline, or the provider's default), or undefined when there is none to read. */
async function documentOf(c: Case, workspace: string): Promise<{ text: string; file?: string } | undefined> {
  const inputs = await inputsOf(c, workspace)
  const file = inputs['payload-file']
  if (file) {
    const full = path.resolve(workspace, file)
    if (!full.startsWith(workspace + path.sep)) return undefined
    const info = await stat(full).catch(() => undefined)
    return info?.isFile() ? { text: await readFile(full, 'utf8'), file } : undefined
  }
  if (inputs.payload !== undefined) return { text: inputs.payload }
  return inputs.provider === 'kintone' ? { text: '{}' } : undefined
}

interface Compared {
  provider: ProviderName
  schema: [Verdict, string]
  action: [Verdict, string]
}

/** Both verdicts on a case, or undefined when it is not about a payload of a built-in provider. */
async function compare(c: Case, workspace: string): Promise<Compared | undefined> {
  const provider = (await inputsOf(c, workspace)).provider as ProviderName
  if (!PROVIDERS.includes(provider)) return undefined
  const action = actionVerdict(await runInProcess(c, workspace))
  const document = await documentOf(c, workspace)
  if (!action || !document) return undefined
  return { provider, action, schema: schemaVerdict(provider, document.text, document.file) }
}

// ─── the valid fixtures outside the corpus ───────────────────────────────────────────────────

interface Fixture {
  id: string
  provider: ProviderName
  file: string
  text: string
}

/** The base of a fixture: kintone's without 'target' when the payload lists apps (the two never go together). */
const baseOf = (f: Fixture) =>
  f.provider === 'kintone' && /(^|\n|[{,]\s*)"?apps"?\s*:/.test(f.text) ? 'kintone-apps' : f.provider

const examples: Fixture[] = (await readdir(path.join(ROOT, 'examples', 'deploy'))).sort().map((name) => ({
  id: `examples/deploy/${name}`,
  provider: path.basename(name, path.extname(name)) as ProviderName,
  file: `deploy/${name}`,
  text: '',
}))
for (const example of examples) example.text = await readFile(path.join(ROOT, 'examples', example.file), 'utf8')

/** The demo's payloads (script/demo.ts, `const <PROVIDER>_PAYLOAD = \`…\``), read from its source: importing it would run it. */
const DEMO_PROVIDERS: Record<string, ProviderName> = {
  QODER: 'qoder',
  KINTONE: 'kintone',
  AIEEV: 'aieev',
  RTS: 'huaweicloud-rts',
}
const demo: Fixture[] = [
  ...(await readFile(path.join(ROOT, 'script', 'demo.ts'), 'utf8')).matchAll(/^const (\w+)_PAYLOAD = `([^`]*)`$/gm),
].map((m) => ({
  id: `script/demo.ts ${m[1]}_PAYLOAD`,
  provider: DEMO_PROVIDERS[m[1]!]!,
  file: `demo/${m[1]!.toLowerCase()}.yaml`,
  text: m[2]!.replace(/\\\$/g, '$'),
}))

/** Payloads of the end-to-end tests (valid and refused), each from the file named. */
const E2E: [string, ProviderName, string][] = [
  ['offline-dry-run valid', 'qoder', '{"name": "nightly-report"}'],
  ['offline-dry-run bad', 'qoder', '{"name": "", "colour": "blue"}'],
  ['offline-dry-run valid', 'aieev', '{"container_port": 8080}'],
  ['offline-dry-run bad', 'aieev', '{"container_port": null}'],
  ['offline-dry-run valid', 'huaweicloud-rts', '{"status": "COMPLETE"}'],
  ['offline-dry-run bad', 'huaweicloud-rts', '{"status": "NOPE"}'],
  ['offline-dry-run valid', 'kintone', '{"apps": [{"app": 12, "revision": -1}]}'],
  ['offline-dry-run bad', 'kintone', '{"apps": [{"app": 1, "revision": -2}]}'],
  [
    'schema-key JSON',
    'qoder',
    '{\n  "$schema": "https://raw.githubusercontent.com/OWNER/deploy-patch/v1/schemas/qoder.json",\n  "name": "with-schema"\n}\n',
  ],
  ['schema-key kintone', 'kintone', '{"$schema": "./schemas/kintone.json"}'],
  [
    'aieev PAYLOAD',
    'aieev',
    '{"container_port": 9090, "container_health_check_path": "/ready", "container_env_vars": [{"key": "DB_PASSWORD", "value": "s3cr3t-db-password-value"}, {"key": "API_SECRET", "value": "sk_live_abcdefghijklmnop"}]}',
  ],
  ['huaweicloud-rts inline', 'huaweicloud-rts', '{"status": "COMPLETE", "status_reason": "Set by release"}'],
  ['huaweicloud-rts refusal', 'huaweicloud-rts', '{"config_id": "abc"}'],
  ['huaweicloud-rts refusal', 'huaweicloud-rts', '{"input_values": [1]}'],
  ['huaweicloud-rts refusal', 'huaweicloud-rts', '{"output_values": {}}'],
  ['huaweicloud-rts refusal', 'huaweicloud-rts', '{"server_id": "x"}'],
  ['huaweicloud-rts refusal', 'huaweicloud-rts', '{}'],
  ['kintone refusal', 'kintone', '{"apps": [{"app": 1}, {"app": "1"}]}'],
  ['kintone refusal', 'kintone', '{"apps": [{"app": 0}]}'],
  ['kintone refusal', 'kintone', '{"apps": [{"app": 1}], "revert": "yes"}'],
  ['kintone refusal', 'kintone', '{"apps": [], "deploy": true}'],
  ['kintone inline', 'kintone', '{"apps": [{"app": 1, "revision": 5}]}'],
  ['multi-target', 'qoder', '{"description": "patched by release"}'],
  ['github-deployment refusal', 'qoder', '{"colour": "blue"}'],
]
const e2e: Fixture[] = E2E.map(([source, provider, text], i) => ({
  id: `e2e ${source} (${provider}) #${i}`,
  provider,
  file: `e2e/${i}.json`,
  text,
}))
/** Fixtures the action refuses whose reason the schema cannot see (see BEYOND_JSON_SCHEMA). */
const FIXTURE_EXCEPTIONS: Record<string, string> = {
  'e2e kintone refusal (kintone) #17': BEYOND_JSON_SCHEMA['kintone/apps-duplicate']!,
}

const fixtures = [...examples, ...demo, ...e2e]
const fixtureCase = (f: Fixture): Case => ({
  id: f.id,
  why: 'a fixture',
  base: baseOf(f),
  inputs: { 'payload-file': `schema-fixtures/${f.file}` },
})

// ─── the tests ────────────────────────────────────────────────────────────────────────────────

let workspace: string
beforeAll(async () => {
  workspace = await prepareWorkspace()
  for (const f of fixtures) {
    const file = path.join(workspace, 'schema-fixtures', f.file)
    await mkdir(path.dirname(file), { recursive: true })
    await writeFile(file, f.text)
  }
})
/** For the summary line: how many cases were compared, and how many of them are listed. */
const tally = { compared: 0, noPayload: 0, listed: 0, fixtures: 0, generated: 0 }
afterAll(async () => {
  console.log(
    `schema agreement: ${tally.compared} corpus cases compared (${tally.listed} listed as beyond JSON Schema), ` +
      `${tally.noPayload} never reach a payload; ${tally.fixtures} fixtures; ${tally.generated} generated payloads`,
  )
  await rm(path.dirname(workspace), { recursive: true, force: true })
})

/** What a test expects of one compared case: agreement, or (listed) disagreement. */
function expectAgreement(id: string, compared: Compared, exceptions: Record<string, string>): void {
  const [schema, schemaWhy] = compared.schema
  const [action, actionWhy] = compared.action
  const why = `schema ${schema}${schemaWhy ? ` (${schemaWhy})` : ''}; action ${action}${actionWhy ? ` (${actionWhy})` : ''}`
  if (Object.hasOwn(exceptions, id))
    expect(
      schema,
      `${id} is listed as beyond JSON Schema but both now agree (${why}): remove it from the list`,
    ).not.toBe(action)
  else expect(schema, `${id}: schemas/${compared.provider}.json and the action disagree: ${why}`).toBe(action)
}

describe('the schemas', () => {
  it.each(PROVIDERS)(
    'schemas/%s.json is draft-07 with an $id, a title, a description and examples it accepts',
    (provider) => {
      const schema = JSON.parse(schemaText.get(provider)!) as Record<string, unknown>
      expect(schema.$schema).toBe('http://json-schema.org/draft-07/schema#')
      expect(schema.$id).toBe(`https://raw.githubusercontent.com/OWNER/deploy-patch/v1/schemas/${provider}.json`)
      expect(schema.title).toEqual(expect.any(String))
      expect(schema.description).toEqual(expect.any(String))
      expect(schema.additionalProperties).toBe(false)
      // A payload may carry its own $schema key (accepted, never sent).
      expect((schema.properties as Record<string, { type?: string }>).$schema?.type).toBe('string')
      const validate = validators.get(provider)!
      for (const example of schema.examples as unknown[])
        expect(validate(example), JSON.stringify(validate.errors)).toBe(true)
      for (const [field, property] of Object.entries(schema.properties as Record<string, Record<string, unknown>>)) {
        expect(property.description, `${provider} ${field}: description`).toEqual(expect.any(String))
        for (const example of (property.examples as unknown[] | undefined) ?? [])
          expect(validate({ [field]: example }), `${provider} ${field} example ${JSON.stringify(example)}`).toBe(true)
      }
    },
  )
})

describe('the corpus: the schema and the action give the same verdict', () => {
  const cases = [...manifest.rejected, ...manifest.accepted]
  it.each(cases.map((c) => [c.id, c] as const))('%s', async (id, c) => {
    const compared = await compare(c, workspace)
    if (compared) tally.compared++
    else tally.noPayload++
    if (Object.hasOwn(BEYOND_JSON_SCHEMA, id)) tally.listed++
    if (!compared) {
      expect(BEYOND_JSON_SCHEMA, `${id} never reaches a payload: it cannot be listed`).not.toHaveProperty([id])
      return
    }
    expectAgreement(id, compared, BEYOND_JSON_SCHEMA)
  })

  it('lists only corpus cases as beyond JSON Schema', () => {
    const ids = new Set(cases.map((c) => c.id))
    expect(Object.keys(BEYOND_JSON_SCHEMA).filter((id) => !ids.has(id))).toEqual([])
  })
})

describe('the valid fixtures: examples, the demo, the end-to-end tests', () => {
  it('lists only fixtures there are as exceptions', () => {
    expect(Object.keys(FIXTURE_EXCEPTIONS).filter((id) => !fixtures.some((f) => f.id === id))).toEqual([])
  })
  it('finds every example and every demo payload', () => {
    expect(examples.map((f) => f.provider).sort()).toEqual([...PROVIDERS].sort())
    expect(demo.map((f) => f.provider).sort()).toEqual([...PROVIDERS].sort())
  })
  it.each(fixtures.map((f) => [f.id, f] as const))('%s', async (id, f) => {
    const compared = await compare(fixtureCase(f), workspace)
    tally.fixtures++
    expect(compared, `${id} reaches the payload check`).toBeDefined()
    expectAgreement(id, compared!, FIXTURE_EXCEPTIONS)
    if (!id.startsWith('e2e ')) expect(compared!.action[0], `${id} is valid`).toBe('accepted')
  })
})

// ─── a property: payloads near every boundary ────────────────────────────────────────────────

/** A string of exactly `n` code points, mixing ASCII, an accented letter and an astral emoji (two UTF-16 units). */
const textOf = (lengths: number[]) =>
  fc
    .constantFrom(...lengths)
    .chain((n) => fc.array(fc.constantFrom('a', 'é', '😀', ' '), { minLength: n, maxLength: n }))
    .map((chars) => chars.join(''))
/** Integers around the edges of [min, max], with what is almost one (a fraction, a digit string, null, a boolean). */
const numberNear = (...edges: number[]) =>
  fc.constantFrom<unknown>(
    ...edges.flatMap((e) => [e - 1, e, e + 1]),
    1.5,
    -0.5,
    '8080',
    '1',
    null,
    true,
    2 ** 53 - 1,
    2 ** 53,
  )
/** A payload of up to three of the fields (each one of its values), sometimes an unknown key or a `$schema` key. */
const payloadOf = (fields: Record<string, fc.Arbitrary<unknown>>, unknown: string[]) =>
  fc
    .tuple(
      fc
        .uniqueArray(fc.constantFrom(...Object.keys(fields)), { maxLength: 3 })
        .chain((keys) => fc.tuple(...keys.map((key) => fields[key]!.map((value) => [key, value] as const)))),
      fc.oneof(
        { arbitrary: fc.constant(undefined), weight: 6 },
        { arbitrary: fc.tuple(fc.constantFrom(...unknown), fc.constantFrom<unknown>('x', 1, null)), weight: 1 },
      ),
      fc.oneof(
        { arbitrary: fc.constant(undefined), weight: 3 },
        {
          arbitrary: fc.constantFrom<unknown>('https://example.com/schema.json', './schemas/x.json', 5, null),
          weight: 1,
        },
      ),
    )
    .map(([entries, extra, schema]) => {
      const value: Record<string, unknown> = Object.fromEntries(entries)
      if (extra) value[extra[0]] = extra[1]
      if (schema !== undefined) value.$schema = schema
      return value
    })

const CRON = [
  '30 9 * * 1-5',
  ' 0 6 * * MON-FRI ',
  '*/15 * * * *',
  '0 0 1 1 *',
  '@daily',
  '* * * *',
  '* * * * * *',
  'x * * * *',
  '',
  ' ',
]
const ZONES = ['UTC', 'Asia/Shanghai', 'Europe/Berlin', 'Etc/GMT-8', '+08:00', '-5', '']
const metadataArb = fc
  .tuple(
    fc.constantFrom(0, 1, 15, 16, 17),
    fc.boolean(),
    textOf([1, 63, 64, 65]),
    fc.constantFrom<unknown>(
      'v',
      null,
      5,
      true,
      ['a'],
      'x'.repeat(512),
      'x'.repeat(513),
      '😀'.repeat(512),
      '😀'.repeat(513),
    ),
  )
  .map(([count, cas, longKey, value]) => {
    const metadata: Record<string, unknown> = {}
    for (let i = 0; i < count; i++) metadata[`k${i}`] = 'v'
    if (count > 0) metadata[longKey] = value
    if (cas) metadata.cas_config = { session_strategy: 'new_session' }
    return metadata
  })

const PROPERTY_PAYLOADS: Record<ProviderName, fc.Arbitrary<Record<string, unknown>>> = {
  qoder: payloadOf(
    {
      name: fc.oneof(textOf([0, 1, 255, 256, 257]), fc.constantFrom<unknown>(null, 5)),
      description: fc.constantFrom<unknown>('d', '', null, 5),
      agent: fc.constantFrom<unknown>(
        'agent_1',
        '',
        null,
        5,
        { id: 'a' },
        { id: '' },
        { id: 'a', type: 'agent', version: 1 },
        { id: 'a', version: 0 },
        { id: 'a', version: 1.5 },
        { id: 'a', version: '2' },
        { id: 'a', type: 'tool' },
        { type: 'agent' },
        { id: 'a', extra: 1 },
      ),
      environment_id: fc.constantFrom<unknown>('env_1', '', null),
      schedule: fc.oneof(
        fc.constant(null),
        fc.constantFrom<unknown>('30 9 * * *', 5),
        fc.record(
          {
            type: fc.constantFrom<unknown>('cron', 'interval', null),
            expression: fc.constantFrom(...CRON),
            timezone: fc.constantFrom(...ZONES),
          },
          { requiredKeys: [] },
        ),
      ),
      initial_events: fc.oneof(
        fc
          .tuple(
            fc.constantFrom(0, 1, 2, 50, 51),
            fc.constantFrom<unknown>('user.message', 'system.message', 'user.define_outcome', 'other', null),
          )
          .map(([n, type]) =>
            Array.from({ length: n }, (_, i) => (i === n - 1 ? { type, content: 'hi' } : { type: 'user.message' })),
          ),
        fc.constantFrom<unknown>(null, 'user.message', [5]),
      ),
      resources: fc.constantFrom<unknown>([], [{ type: 'file' }], {}, null),
      vault_ids: fc.oneof(
        fc.constantFrom(0, 1, 49, 50, 51).map((n) => Array.from({ length: n }, (_, i) => `vlt_${i}`)),
        fc.constantFrom<unknown>([''], [5], 'vlt_1', null),
      ),
      metadata: fc.oneof(metadataArb, fc.constantFrom<unknown>(null, [], 'x', { cas_config: 5 }, { cas_config: null })),
    },
    ['nmae', 'id', 'status', 'created_at', 'colour'],
  ),
  kintone: payloadOf(
    {
      apps: fc.oneof(
        {
          weight: 4,
          arbitrary: fc
            .tuple(
              fc.constantFrom(0, 1, 1, 2, 2, 300, 301),
              fc.oneof(
                fc.constantFrom<unknown>(1, '1', '001', 2 ** 53 - 1, '9007199254740991'),
                fc.constantFrom<unknown>(0, '0', -1, '-1', 1.5, '1.5', '１', 'a', null, 2 ** 53, '9007199254740993'),
              ),
              fc.oneof(
                fc.constantFrom<unknown>(undefined, -1, 0, 7, '-1', '-01', '-0', '7'),
                fc.constantFrom<unknown>(-2, '-2', 1.5, null, 'x'),
              ),
              fc.constantFrom(false, false, false, true),
            )
            .map(([n, app, revision, extra]) =>
              // Ids 10, 11, … for every entry but the last, which takes the value near a boundary: never the same app twice.
              Array.from({ length: n }, (_, i) => {
                const entry: Record<string, unknown> = { app: i === n - 1 ? app : 10 + i }
                if (i === n - 1 && revision !== undefined) entry.revision = revision
                if (i === n - 1 && extra) entry.note = 'x'
                return entry
              }),
            ),
        },
        { weight: 1, arbitrary: fc.constantFrom<unknown>(null, {}, [12], '12') },
      ),
      revert: fc.oneof(fc.boolean(), fc.constantFrom<unknown>('yes', 'true', null, 1)),
    },
    ['app', 'apps_', 'target'],
  ).filter((value) => Object.hasOwn(value, 'apps')), // without apps, the 'target' input decides (listed above)
  'huaweicloud-rts': payloadOf(
    {
      action: fc.constantFrom<unknown>('UPDATE', '', null, 5),
      config_id: fc.constantFrom<unknown>(
        '3d5ec2a8-7004-43b6-a7f6-542bdbe9d434',
        '3D5EC2A8-7004-43B6-A7F6-542BDBE9D434',
        '3d5ec2a8-7004-43b6-a7f6-542bdbe9d43',
        'abc',
        '',
        null,
      ),
      input_values: fc.constantFrom<unknown>({ a: 1 }, {}, [], null, 'x'),
      output_values: fc.constantFrom<unknown>({ deploy_stdout: 'ok' }, {}, [], null),
      status: fc.constantFrom<unknown>('COMPLETE', 'IN_PROGRESS', 'FAILED', 'complete', 'DONE', '', null),
      status_reason: fc.oneof(textOf([0, 1, 300]), fc.constantFrom<unknown>(null, 5)),
    },
    ['id', 'server_id', 'stack_user_project_id', 'stauts'],
  ),
  aieev: payloadOf(
    {
      container_start_command: fc.constantFrom<unknown>('python app.py', '', null, 5),
      container_port: numberNear(1, 65535),
      container_health_check_timeout: numberNear(1),
      health_check_timeout: numberNear(1),
      container_health_check_path: fc.constantFrom<unknown>(
        '/healthz',
        '/',
        'healthz',
        '',
        null,
        5,
        'http://x/healthz',
      ),
      container_metric_path: fc.constantFrom<unknown>('/metrics', 'metrics', '', null),
      container_env_vars: fc.oneof(
        fc.array(
          fc.oneof(
            fc.record(
              { key: fc.constantFrom('A', 'B', 'C', 'D'), value: fc.constantFrom<unknown>('v', '', 5, null) },
              { requiredKeys: ['key'] },
            ),
            fc.constantFrom<unknown>(
              'A=v',
              { key: '', value: 'v' },
              { key: 'E', value: 'v', secret: true },
              { value: 'v' },
            ),
          ),
          { maxLength: 4 },
        ),
        fc.constantFrom<unknown>(null, {}, 'A=v'),
      ),
    },
    ['endpoint_id', 'is_active', 'name', 'container_prot'],
  ).filter((value) => {
    // A key set twice is listed above (aieev/env-duplicate-key): keep the generated lists free of it.
    const keys = Array.isArray(value.container_env_vars)
      ? value.container_env_vars.flatMap((e: unknown) =>
          typeof e === 'object' && e !== null && typeof (e as { key?: unknown }).key === 'string'
            ? [(e as { key: string }).key]
            : [],
        )
      : []
    return new Set(keys).size === keys.length
  }),
}

/**
 * Runs per provider, with fixed seeds so every run generates the same payloads. Cron expressions
 * and time zones are drawn from lists that hold no croner- or Intl-only refusal (those are listed
 * above, with the corpus cases that cover them).
 */
const RUNS: Record<ProviderName, number> = { qoder: 1500, kintone: 600, 'huaweicloud-rts': 800, aieev: 1000 }
describe('a property: near every boundary, the schema and the action agree', () => {
  const settings = new Map<ProviderName, Settings>()
  beforeAll(async () => {
    const defaults = actionDefaults()
    for (const provider of PROVIDERS) {
      const base = manifest.bases[provider === 'kintone' ? 'kintone-apps' : provider]!
      settings.set(
        provider,
        parseSettings(
          (name) => (base[name] ?? defaults[name] ?? '').trim(),
          () => undefined,
          { GITHUB_WORKSPACE: workspace },
        ),
      )
    }
  })

  it.each(PROVIDERS.map((provider, i) => [provider, 1500 + i] as const))('%s (seed %i)', async (provider, seed) => {
    const check = await loadProvider(provider)
    const validate = validators.get(provider)!
    const verdicts = { accepted: 0, refused: 0 }
    await fc.assert(
      fc.asyncProperty(PROPERTY_PAYLOADS[provider], async (value) => {
        const text = JSON.stringify(value)
        let action: Verdict
        let why: string
        try {
          const payload = await parsePayload(text, 'payload.json')
          const problems = checkBeforeSending(check, settings.get(provider)!, payload).filter(
            (p) => p.input === undefined,
          )
          action = problems.length === 0 ? 'accepted' : 'refused'
          why = problems.map((p) => p.message).join('; ')
        } catch (error) {
          if (!(error instanceof PayloadError)) throw error
          action = 'refused'
          why = error.message
        }
        const schema: Verdict = validate(JSON.parse(text)) ? 'accepted' : 'refused'
        verdicts[action]++
        tally.generated++
        expect(schema, `${text}\nschema: ${JSON.stringify(validate.errors)}\naction: ${why}`).toBe(action)
      }),
      { seed, numRuns: RUNS[provider] },
    )
    // Both verdicts are exercised, so agreement is not the trivial "everything refused".
    expect(verdicts.accepted).toBeGreaterThan(20)
    expect(verdicts.refused).toBeGreaterThan(20)
  })
})
