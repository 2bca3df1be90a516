import { mkdir, mkdtemp, rm, truncate, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { InputError, PayloadError } from '../../src/errors.js'
import {
  MAX_PAYLOAD_BYTES,
  loadPayload,
  locateProblem,
  parsePayload,
  substituteEnv,
  type Payload,
} from '../../src/payload.js'

let workspace: string

beforeAll(async () => {
  workspace = await mkdtemp(path.join(tmpdir(), 'deploy-patch-payload-'))
})

afterAll(async () => {
  await rm(workspace, { recursive: true, force: true })
})

/** Write `text` to `name` under the workspace; returns the name. */
async function put(name: string, text: string | Buffer): Promise<string> {
  await mkdir(path.dirname(path.join(workspace, name)), { recursive: true })
  await writeFile(path.join(workspace, name), text)
  return name
}

/** The PayloadError a promise rejects with (fails the test when it resolves or throws something else). */
async function payloadError(promise: Promise<unknown>): Promise<PayloadError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  )
  expect(error).toBeInstanceOf(PayloadError)
  return error as PayloadError
}

function syncPayloadError(work: () => void): PayloadError {
  try {
    work()
  } catch (error) {
    expect(error).toBeInstanceOf(PayloadError)
    return error as PayloadError
  }
  throw new Error('expected a PayloadError')
}

describe('format detection', () => {
  it.each([
    ['p.json', '{"a": 1}', 'json'],
    ['p.JSON', '{"a": 1}', 'json'],
    ['p.yaml', 'a: 1', 'yaml'],
    ['p.yml', 'a: 1', 'yaml'],
    ['p.YML', 'a: 1', 'yaml'],
    // The extension wins over the content: a flow mapping in a .yaml file is YAML.
    ['p.yaml', '{"a": 1}', 'yaml'],
    ['p.txt', '{"a": 1}', 'json'],
    ['p.txt', 'a: 1', 'yaml'],
    [undefined, '  \n {"a": 1}', 'json'],
    [undefined, 'a: 1', 'yaml'],
  ])('%s with %j is read as %s', async (file, text, format) => {
    const payload = await parsePayload(text, file)
    expect(payload.format).toBe(format)
    expect(payload.value).toEqual({ a: 1 })
    expect(payload.file).toBe(file)
  })

  it('refuses YAML in a .json file as invalid JSON', async () => {
    const error = await payloadError(parsePayload('a: 1\n', 'p.json'))
    expect(error.message).toMatch(/^p\.json:1:1 invalid JSON/)
  })
})

describe('positions (locate)', () => {
  const JSON_TEXT = [
    '{',
    '  "name": "x",',
    '  "schedule": {',
    '    "expression": "* * * * *"',
    '  },',
    '  "items": [',
    '    "a",',
    '    {"b": 1, "c": [1, 2]}',
    '  ]',
    '}',
  ].join('\n')
  const YAML_TEXT = [
    'name: x',
    'schedule:',
    '  type: cron',
    '  expression: "* * * * *"',
    'items:',
    '  - a',
    '  - {b: 1, c: [1, 2]}',
    '  - nested:',
    '      deep: true',
    '',
  ].join('\n')

  it.each([
    [['name'], 2, 3],
    [['schedule'], 3, 3],
    [['schedule', 'expression'], 4, 5],
    [['items'], 6, 3],
    [['items', 0], 7, 5],
    [['items', 1], 8, 5],
    [['items', 1, 'c'], 8, 14],
    [['items', 1, 'c', 1], 8, 23],
    [[], 1, 1],
  ])('JSON %j is at %i:%i', async (at, line, column) => {
    const payload = await parsePayload(JSON_TEXT, 'p.json')
    expect(payload.locate(at)).toEqual({ line, column })
  })

  it.each([
    [['name'], 1, 1],
    [['schedule'], 2, 1],
    [['schedule', 'expression'], 4, 3],
    [['items', 0], 6, 5],
    [['items', 1], 7, 5],
    [['items', 1, 'c'], 7, 12],
    [['items', 1, 'c', 1], 7, 19],
    [['items', 2, 'nested', 'deep'], 9, 7],
    [[], 1, 1],
  ])('YAML %j is at %i:%i', async (at, line, column) => {
    const payload = await parsePayload(YAML_TEXT, 'p.yaml')
    expect(payload.locate(at)).toEqual({ line, column })
  })

  it.each([
    [['schedule', 'timezone'], 3, 3],
    [['items', 1, 'missing', 'deeper'], 8, 5],
    [['items', 9], 6, 3],
    [['nope'], 1, 1],
  ])('JSON: a missing %j points at its closest existing parent (%i:%i)', async (at, line, column) => {
    const payload = await parsePayload(JSON_TEXT, 'p.json')
    expect(payload.locate(at)).toEqual({ line, column })
  })

  it.each([
    [['schedule', 'timezone'], 2, 1],
    [['items', 1, 'missing'], 7, 5],
    [['items', 7], 5, 1],
    [['nope', 'x'], 1, 1],
  ])('YAML: a missing %j points at its closest existing parent (%i:%i)', async (at, line, column) => {
    const payload = await parsePayload(YAML_TEXT, 'p.yaml')
    expect(payload.locate(at)).toEqual({ line, column })
  })

  it('locateProblem attaches file, line and column to a problem', async () => {
    const payload = await parsePayload(YAML_TEXT, 'deploy/p.yaml')
    expect(locateProblem(payload, { path: ['schedule', 'expression'], message: 'bad cron' })).toEqual({
      path: ['schedule', 'expression'],
      message: 'bad cron',
      file: 'deploy/p.yaml',
      line: 4,
      column: 3,
    })
  })

  it('counts lines the same with CRLF line ends', async () => {
    const json = await parsePayload(JSON_TEXT.replace(/\n/g, '\r\n'), 'p.json')
    expect(json.value).toEqual(JSON.parse(JSON_TEXT))
    expect(json.locate(['items', 1, 'c', 1])).toEqual({ line: 8, column: 23 })
    const yaml = await parsePayload(YAML_TEXT.replace(/\n/g, '\r\n'), 'p.yaml')
    expect(yaml.value).toEqual({
      name: 'x',
      schedule: { type: 'cron', expression: '* * * * *' },
      items: ['a', { b: 1, c: [1, 2] }, { nested: { deep: true } }],
    })
    expect(yaml.locate(['schedule', 'expression'])).toEqual({ line: 4, column: 3 })
  })

  it('accepts a leading BOM without shifting columns', async () => {
    const json = await parsePayload('\uFEFF{"a": {"b": 2}}', 'p.json')
    expect(json.value).toEqual({ a: { b: 2 } })
    expect(json.locate(['a', 'b'])).toEqual({ line: 1, column: 8 })
    const yaml = await parsePayload('\uFEFFa:\n  b: 2\n', 'p.yaml')
    expect(yaml.value).toEqual({ a: { b: 2 } })
    expect(yaml.locate(['a', 'b'])).toEqual({ line: 2, column: 3 })
  })
})

describe('JSON problems', () => {
  it('reports a syntax error with its line and column', async () => {
    const error = await payloadError(parsePayload('{\n  "a": 1,\n  "b": tru\n}', 'p.json'))
    expect(error.problems).toHaveLength(1)
    expect(error.problems[0]).toMatchObject({ file: 'p.json', line: 3, column: 8 })
    expect(error.message).toMatch(/^p\.json:3:8 invalid JSON: /)
    expect(error.file).toBe('p.json')
    expect(error.errorType).toBe('validation')
  })

  it.each([
    ['a trailing comma', '{\n  "a": 1,\n}', 3, 1],
    ['a comment', '{\n  // note\n  "a": 1\n}', 2, 3],
    ['a missing comma', '{\n  "a": 1\n  "b": 2\n}', 3, 3],
    ['an unclosed object', '{\n  "a": 1\n', 3, 1],
  ])('refuses %s, with its position', async (_what, text, line, column) => {
    const error = await payloadError(parsePayload(text, 'p.json'))
    expect(error.problems[0]).toMatchObject({ line, column })
    expect(error.message).toContain('invalid JSON')
  })

  it('refuses a duplicate key at the second occurrence, with its path', async () => {
    const error = await payloadError(parsePayload('{\n  "a": 1,\n  "a": 2\n}', 'p.json'))
    expect(error.problems[0]).toMatchObject({ path: ['a'], line: 3, column: 3 })
    expect(error.message).toBe("p.json:3:3 $.a: the key 'a' appears twice in the same object; keep one.")
  })

  it('refuses a duplicate key deep inside arrays and objects', async () => {
    const text = '{\n  "list": [\n    {"ok": 1},\n    {"k": 1,\n     "k": 2}\n  ]\n}'
    const error = await payloadError(parsePayload(text, 'p.json'))
    expect(error.problems[0]).toMatchObject({ path: ['list', 1, 'k'], line: 5, column: 6 })
    expect(error.message).toContain('$.list[1].k')
  })

  // A pathological (or hostile, via an inline workflow_dispatch input) payload well under 4 MB must
  // still end as a PayloadError naming the file, not as a bare "Maximum call stack size exceeded".
  it('refuses absurdly deep nesting as a PayloadError, not a stack overflow', async () => {
    const depth = 50_000
    const error = await parsePayload(`{"a": ${'['.repeat(depth)}${']'.repeat(depth)}}`, 'deep.json').catch(
      (e: unknown) => e,
    )
    expect(error).toBeInstanceOf(PayloadError)
    expect((error as PayloadError).file).toBe('deep.json')
  })

  it('allows the same key in different objects', async () => {
    const payload = await parsePayload('{"a": {"k": 1}, "b": {"k": 2}}', 'p.json')
    expect(payload.value).toEqual({ a: { k: 1 }, b: { k: 2 } })
  })
})

describe('YAML problems', () => {
  it('reports a syntax error with its line', async () => {
    const error = await payloadError(parsePayload('a: 1\nb: [1, 2\nc: 3\n', 'p.yaml'))
    expect(error.problems.length).toBeGreaterThan(0)
    expect(error.problems[0]!.line).toBeGreaterThanOrEqual(2)
    expect(error.message).toMatch(/^p\.yaml:\d+:\d+ invalid YAML: /)
    // The parser's own " at line …" suffix and code frame are not repeated.
    expect(error.message).not.toMatch(/at line \d+/)
    expect(error.message).not.toContain('^')
  })

  it('reports a bad indentation at its line', async () => {
    const error = await payloadError(parsePayload('a:\n  b: 1\n c: 2\n', 'p.yaml'))
    expect(error.problems[0]!.line).toBe(3)
  })

  it('refuses a duplicate key with its line', async () => {
    const error = await payloadError(parsePayload('a: 1\nb:\n  c: 2\n  c: 3\n', 'p.yaml'))
    expect(error.problems[0]).toMatchObject({ file: 'p.yaml', line: 4 })
    expect(error.message).toMatch(/^p\.yaml:4:\d+ invalid YAML: .*unique/i)
  })

  it('refuses an alias bomb', async () => {
    const lines = ['a: &a [x, x, x, x, x, x, x, x, x]']
    const names = 'bcdefghij'
    for (let i = 0; i < names.length; i++) {
      const prev = i === 0 ? 'a' : names[i - 1]
      lines.push(`${names[i]}: &${names[i]} [${Array(9).fill(`*${prev}`).join(', ')}]`)
    }
    const error = await payloadError(parsePayload(lines.join('\n') + '\n', 'bomb.yaml'))
    expect(error.message).toMatch(/^bomb\.yaml the YAML expands too far through aliases \(more than 100\)/)
  })

  it('allows modest reuse through aliases', async () => {
    const payload = await parsePayload('base: &base {image: app, port: 80}\none: *base\ntwo: *base\n', 'p.yaml')
    expect(payload.value).toEqual({
      base: { image: 'app', port: 80 },
      one: { image: 'app', port: 80 },
      two: { image: 'app', port: 80 },
    })
  })

  it('refuses values JSON cannot carry, at their path', async () => {
    const error = await payloadError(parsePayload('ok: 1\nlimit: .inf\n', 'p.yaml'))
    expect(error.problems[0]).toMatchObject({ path: ['limit'], line: 2 })
    expect(error.message).toContain('$.limit: the number Infinity cannot be sent as JSON')
  })

  it('reads YAML 1.2 core-schema scalars (no date or "yes" magic)', async () => {
    const payload = await parsePayload('day: 2001-12-14\nflag: yes\nn: 010\nt: true\nz: ~\n', 'p.yaml')
    expect(payload.value).toEqual({ day: '2001-12-14', flag: 'yes', n: 10, t: true, z: null })
  })
})

describe('integers past 2^53', () => {
  it('refuses each one in JSON, at its path and line, saying what would be sent and to quote it', async () => {
    const text = '{\n  "ticket": 12345678901234567890,\n  "ids": [1, -9007199254740992]\n}'
    const error = await payloadError(parsePayload(text, 'p.json'))
    expect(error.problems).toEqual([
      expect.objectContaining({ path: ['ticket'], line: 2, column: 13 }),
      expect.objectContaining({ path: ['ids', 1], line: 3, column: 14 }),
    ])
    expect(error.problems[0]!.message).toBe(
      'the integer 12345678901234567890 is beyond what a JSON number carries exactly (±9007199254740991) and would be sent as 12345678901234567000; write it as a string ("12345678901234567890") if the API takes one, or a smaller number.',
    )
    expect(error.problems[1]!.message).toContain('would be sent as -9007199254740992')
  })

  it('accepts the largest safe integers, and numbers written as decimals or exponents', async () => {
    const payload = await parsePayload(
      '{"max": 9007199254740991, "min": -9007199254740991, "big": 1.5e300, "x": 12345678901234567890.5}',
      'p.json',
    )
    // A decimal point or exponent says the writer meant a floating-point number: it goes as JavaScript reads it.
    expect(payload.value).toEqual({
      max: Number.MAX_SAFE_INTEGER,
      min: -Number.MAX_SAFE_INTEGER,
      big: 1.5e300,
      x: Number('12345678901234567890.5'),
    })
  })

  it('refuses them in YAML as values (decimal, signed or hex) and as keys, each at its line', async () => {
    const text =
      'metadata:\n  ticket: 12345678901234567890\n  build: +9007199254740993\n  list: [1, 0x20000000000001]\n  9007199254740993: first\nok: 9007199254740991\n'
    const error = await payloadError(parsePayload(text, 'p.yaml'))
    expect(error.problems.map((p) => [p.path, p.line])).toEqual([
      [['metadata', 'ticket'], 2],
      [['metadata', 'build'], 3],
      [['metadata', 'list', 1], 4],
      [['metadata'], 5],
    ])
    expect(error.problems[2]!.message).toContain('the integer 0x20000000000001 is beyond')
    expect(error.problems[3]!.message).toMatch(
      /^a key: the integer 9007199254740993 is beyond .* would be sent as 9007199254740992/,
    )
  })

  it('leaves a quoted big number alone: it is a string', async () => {
    const payload = await parsePayload('ticket: "12345678901234567890"\n', 'p.yaml')
    expect(payload.value).toEqual({ ticket: '12345678901234567890' })
  })
})

describe('top level', () => {
  it.each([
    ['[1, 2]', 'p.json', 'a list'],
    ['- 1\n- 2\n', 'p.yaml', 'a list'],
    ['"text"', 'p.json', 'a string'],
    ['42', 'p.json', 'a number'],
    ['null', 'p.json', 'null'],
    ['just words', 'p.yaml', 'a string'],
    ['# a comment only\n', 'p.yaml', 'null'],
  ])('refuses %j as %s', async (text, file, kind) => {
    const error = await payloadError(parsePayload(text, file))
    expect(error.message).toContain(`the payload is ${kind}; expected an object`)
  })

  it.each(['', '   \n\t\n', '\uFEFF', '\uFEFF\n'])('refuses an empty payload (%j)', async (text) => {
    const error = await payloadError(parsePayload(text, 'p.yaml'))
    expect(error.message).toContain('the payload is empty')
    expect(error.file).toBe('p.yaml')
  })
})

describe('loadPayload', () => {
  it('reads a file relative to the workspace and keeps that relative name', async () => {
    await put('deploy/payload.yaml', 'name: nightly\n')
    const payload = await loadPayload({ payloadFile: 'deploy/payload.yaml', workspace, substituteEnv: false })
    expect(payload.value).toEqual({ name: 'nightly' })
    expect(payload.format).toBe('yaml')
    expect(payload.file).toBe(path.join('deploy', 'payload.yaml'))
  })

  it('names the file in problems, as the workspace-relative path', async () => {
    await put('deploy/bad.json', '{\n  "a": }\n')
    const error = await payloadError(loadPayload({ payloadFile: './deploy/bad.json', workspace, substituteEnv: false }))
    expect(error.file).toBe(path.join('deploy', 'bad.json'))
    expect(error.problems[0]).toMatchObject({ file: path.join('deploy', 'bad.json'), line: 2 })
  })

  it('reads an inline payload, with no file name', async () => {
    const payload = await loadPayload({ payloadInline: '{"name": "inline"}', workspace, substituteEnv: false })
    expect(payload.value).toEqual({ name: 'inline' })
    expect(payload.file).toBeUndefined()
    expect(payload.format).toBe('json')
  })

  it('reads a file with a BOM and CRLF line ends', async () => {
    await put('win.yaml', '\uFEFFname: x\r\nschedule:\r\n  type: cron\r\n')
    const payload = await loadPayload({ payloadFile: 'win.yaml', workspace, substituteEnv: false })
    expect(payload.value).toEqual({ name: 'x', schedule: { type: 'cron' } })
    expect(payload.locate(['schedule', 'type'])).toEqual({ line: 3, column: 3 })
  })

  it('refuses a missing file with an InputError naming payload-file and the path', async () => {
    const error = await loadPayload({ payloadFile: 'deploy/missing.json', workspace, substituteEnv: false }).catch(
      (e: unknown) => e,
    )
    expect(error).toBeInstanceOf(InputError)
    expect((error as InputError).input).toBe('payload-file')
    expect((error as InputError).message).toContain("'payload-file'")
    expect((error as InputError).message).toContain("'deploy/missing.json' was not found")
  })

  it('refuses a directory with an InputError naming payload-file', async () => {
    await mkdir(path.join(workspace, 'a-directory'), { recursive: true })
    const error = await loadPayload({ payloadFile: 'a-directory', workspace, substituteEnv: false }).catch(
      (e: unknown) => e,
    )
    expect(error).toBeInstanceOf(InputError)
    expect((error as InputError).input).toBe('payload-file')
    expect((error as InputError).message).toContain("'a-directory' is not a file")
  })

  it('refuses a file over 4 MB without reading it as a payload', async () => {
    // Sparse file: over the limit, and not valid JSON, so only the size check can explain the error.
    const name = await put('huge.json', '{')
    await truncate(path.join(workspace, name), MAX_PAYLOAD_BYTES + 1)
    const error = await payloadError(loadPayload({ payloadFile: name, workspace, substituteEnv: false }))
    expect(error.message).toBe('huge.json the payload is 4.0 MB; at most 4 MB is accepted. Send less in one update.')
    expect(error.file).toBe('huge.json')
  })

  it('refuses an inline payload over 4 MB without parsing it', async () => {
    const error = await payloadError(
      loadPayload({ payloadInline: '{' + ' '.repeat(MAX_PAYLOAD_BYTES), workspace, substituteEnv: false }),
    )
    expect(error.message).toContain('at most 4 MB is accepted')
    expect(error.message).not.toContain('invalid JSON')
  })

  it('counts bytes, not characters, toward the limit', async () => {
    // 2.2 million two-byte characters: under 4 MB of characters, over 4 MB of UTF-8.
    const text = `{"a": "${'é'.repeat(2_200_000)}"}`
    expect(text.length).toBeLessThan(MAX_PAYLOAD_BYTES)
    const error = await payloadError(loadPayload({ payloadInline: text, workspace, substituteEnv: false }))
    expect(error.message).toContain('the payload is 4.2 MB')
  })

  it('accepts a payload of exactly 4 MB', async () => {
    const padding = MAX_PAYLOAD_BYTES - '{"a": ""}'.length
    const name = await put('limit.json', `{"a": "${'x'.repeat(padding)}"}`)
    const payload = await loadPayload({ payloadFile: name, workspace, substituteEnv: false })
    expect((payload.value.a as string).length).toBe(padding)
  })

  it('substitutes from the given env only when asked', async () => {
    await put('subst.yaml', 'name: "${DEPLOY_NAME}"\n')
    const env = { DEPLOY_NAME: 'from-env' }
    expect((await loadPayload({ payloadFile: 'subst.yaml', workspace, substituteEnv: false }, env)).value).toEqual({
      name: '${DEPLOY_NAME}',
    })
    expect((await loadPayload({ payloadFile: 'subst.yaml', workspace, substituteEnv: true }, env)).value).toEqual({
      name: 'from-env',
    })
  })
})

describe('substituteEnv', () => {
  async function substituted(text: string, file: string, env: NodeJS.ProcessEnv): Promise<Payload> {
    const payload = await parsePayload(text, file)
    substituteEnv(payload, env)
    return payload
  }

  it('replaces ${NAME} in nested strings, in objects and arrays', async () => {
    const payload = await substituted(
      '{"name": "${APP}-${STAGE}", "agent": {"id": "${AGENT}"}, "events": [{"content": "deploy ${APP}"}, "${STAGE}"]}',
      'p.json',
      { APP: 'shop', STAGE: 'prod', AGENT: 'agt_1' },
    )
    expect(payload.value).toEqual({
      name: 'shop-prod',
      agent: { id: 'agt_1' },
      events: [{ content: 'deploy shop' }, 'prod'],
    })
  })

  it('leaves keys and non-string values untouched', async () => {
    const payload = await substituted('{"${KEY}": "v", "n": 3, "b": true, "z": null, "list": [1, false]}', 'p.json', {
      KEY: 'replaced',
    })
    expect(payload.value).toEqual({ '${KEY}': 'v', n: 3, b: true, z: null, list: [1, false] })
  })

  it('writes a literal ${ for $${, even for an unset name', async () => {
    const payload = await substituted('a: "cost $${PRICE} and ${X}"\nb: "$${"\n', 'p.yaml', { X: 'x' })
    expect(payload.value).toEqual({ a: 'cost ${PRICE} and x', b: '${' })
  })

  it('does not expand a reference inside a substituted value', async () => {
    const payload = await substituted('a: "${OUTER}"\n', 'p.yaml', { OUTER: '${INNER}', INNER: 'nope' })
    expect(payload.value).toEqual({ a: '${INNER}' })
  })

  it('substitutes an empty value as empty', async () => {
    expect((await substituted('a: "[${EMPTY}]"\n', 'p.yaml', { EMPTY: '' })).value).toEqual({ a: '[]' })
  })

  it('reports an unset variable with its name, path and line', async () => {
    const payload = await parsePayload('name: x\nagent:\n  id: "${AGENT_ID}"\n', 'p.yaml')
    const error = syncPayloadError(() => substituteEnv(payload, {}))
    expect(error.problems).toHaveLength(1)
    expect(error.problems[0]).toMatchObject({ path: ['agent', 'id'], file: 'p.yaml', line: 3 })
    expect(error.message).toContain('p.yaml:3:')
    expect(error.message).toContain('$.agent.id: the environment variable AGENT_ID is not set')
  })

  it.each([
    ['${unclosed', "'${unclosed'"],
    ['${}', "'${}'"],
    ['${1ABC}', "'${1ABC}'"],
    ['${A-B}', "'${A-B}'"],
    ['${ A }', "'${ A }'"],
  ])('refuses the malformed reference %s, quoting it', async (text, quoted) => {
    const payload = await parsePayload(JSON.stringify({ a: text }), 'p.json')
    const error = syncPayloadError(() => substituteEnv(payload, { A: 'a', unclosed: 'u', '1ABC': 'x' }))
    expect(error.message).toContain(`${quoted} is not a variable reference`)
    expect(error.problems[0]).toMatchObject({ path: ['a'], line: 1 })
  })

  it('reports every problem at once, each at its own line', async () => {
    const text = ['a: "${MISSING_ONE}"', 'b:', '  - ok', '  - "${MISSING_TWO} and ${bad"', 'c: "${SET}"', ''].join('\n')
    const payload = await parsePayload(text, 'p.yaml')
    const error = syncPayloadError(() => substituteEnv(payload, { SET: 'yes' }))
    expect(error.problems.map((p) => [p.line, p.path])).toEqual([
      [1, ['a']],
      [4, ['b', 1]],
      [4, ['b', 1]],
    ])
    expect(error.message.split('\n')).toHaveLength(3)
    expect(error.message).toContain('MISSING_ONE')
    expect(error.message).toContain('MISSING_TWO')
    expect(error.message).toContain("'${bad' is not a variable reference")
  })

  it('keeps a substituted value with JSON syntax a plain string (JSON payload)', async () => {
    const evil = '", "admin": true, "x": "'
    const payload = await substituted('{"name": "${NAME}"}', 'p.json', { NAME: evil })
    expect(payload.value).toEqual({ name: evil })
    expect(Object.keys(payload.value)).toEqual(['name'])
  })

  it('keeps a substituted value with YAML syntax a plain string (YAML payload)', async () => {
    const evil = 'x\nadmin: true\nlist: [1, 2]\n- item'
    const payload = await substituted('name: "${NAME}"\nother: 1\n', 'p.yaml', { NAME: evil })
    expect(payload.value).toEqual({ name: evil, other: 1 })
  })

  it('keeps a JSON key "__proto__" an own property, and pollutes no prototype', async () => {
    const payload = await substituted(
      '{"__proto__": "${X}", "nested": {"__proto__": {"polluted": "${X}"}}}',
      'p.json',
      { X: 'value' },
    )
    const value = payload.value
    expect(Object.hasOwn(value, '__proto__')).toBe(true)
    expect(Object.getOwnPropertyDescriptor(value, '__proto__')?.value).toBe('value')
    expect(Object.getPrototypeOf(value)).toBe(Object.prototype)
    const nested = value.nested as Record<string, unknown>
    expect(Object.hasOwn(nested, '__proto__')).toBe(true)
    expect(Object.getOwnPropertyDescriptor(nested, '__proto__')?.value).toEqual({ polluted: 'value' })
    expect(Object.getPrototypeOf(nested)).toBe(Object.prototype)
    expect(({} as Record<string, unknown>).polluted).toBeUndefined()
    expect(JSON.parse(JSON.stringify(value))).toEqual(
      JSON.parse('{"__proto__": "value", "nested": {"__proto__": {"polluted": "value"}}}'),
    )
  })
})
