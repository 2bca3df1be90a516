/**
 * Careless inputs, in process (issue 12): where a payload file may be read from, duplicate YAML
 * keys found per mapping, the deadline and a cancellation while a payload is parsed, and
 * credentials with control characters. End to end: __tests__/reliability/hostile-inputs.test.ts.
 */
import { mkdir, mkdtemp, realpath, rm, symlink, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Deadline } from '../../src/deadline.js'
import { CancelledError, InputError, PayloadError, TimeoutError } from '../../src/errors.js'
import { loadPayload, parsePayload } from '../../src/payload.js'
import { parseSettings } from '../../src/settings.js'

let root: string
let workspace: string
let runnerTemp: string
let elsewhere: string

beforeAll(async () => {
  root = await mkdtemp(path.join(tmpdir(), 'deploy-patch-hostile-'))
  workspace = path.join(root, 'work', 'repo')
  runnerTemp = path.join(root, 'work', '_temp')
  elsewhere = path.join(root, 'elsewhere')
  for (const dir of [workspace, runnerTemp, elsewhere]) await mkdir(dir, { recursive: true })
  await writeFile(path.join(workspace, 'inside.json'), '{"name": "inside"}')
  await writeFile(path.join(runnerTemp, 'generated.json'), '{"name": "generated"}')
  await writeFile(path.join(elsewhere, 'secret.json'), '{"name": "outside"}')
  await symlink(path.join(elsewhere, 'secret.json'), path.join(workspace, 'link-out.json'))
  await symlink(path.join(workspace, 'inside.json'), path.join(workspace, 'link-in.json'))
  await symlink(elsewhere, path.join(workspace, 'dir-out'))
  await symlink(workspace, path.join(root, 'repo-link'))
})
afterAll(async () => {
  await rm(root, { recursive: true, force: true })
})

async function refusal(promise: Promise<unknown>): Promise<InputError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  )
  expect(error).toBeInstanceOf(InputError)
  return error as InputError
}

describe('payload-file: only files in the workspace or RUNNER_TEMP', () => {
  const load = (payloadFile: string, options: { workspace?: string; runnerTemp?: string } = {}) =>
    loadPayload({
      payloadFile,
      workspace: options.workspace ?? workspace,
      runnerTemp: 'runnerTemp' in options ? options.runnerTemp : runnerTemp,
      substituteEnv: false,
    })

  it.each([
    ['a relative path leading out', () => '../../elsewhere/secret.json'],
    ['an absolute path outside', () => path.join(elsewhere, 'secret.json')],
    ['a symlink in the workspace leading out', () => 'link-out.json'],
    ['a file under a symlinked directory leading out', () => 'dir-out/secret.json'],
  ])('refuses %s with an InputError naming payload-file and what to do', async (_, name) => {
    const error = await refusal(load(name()))
    expect(error.input).toBe('payload-file')
    expect(error.message).toMatch(/^Input 'payload-file': '.+' is outside the workspace/)
    expect(error.message).toContain('only files in GITHUB_WORKSPACE or RUNNER_TEMP are read')
    expect(error.message).toContain('have an earlier step write it to RUNNER_TEMP')
    expect(error.message).not.toContain('"outside"')
  })

  it('says when symbolic links led out', async () => {
    expect((await refusal(load('link-out.json'))).message).toContain('(after following symbolic links)')
  })

  it('reads a file in RUNNER_TEMP (a generated payload), by absolute path or relative to the workspace', async () => {
    expect((await load(path.join(runnerTemp, 'generated.json'))).value).toEqual({ name: 'generated' })
    expect((await load('../_temp/generated.json')).value).toEqual({ name: 'generated' })
  })

  it('refuses RUNNER_TEMP files when RUNNER_TEMP is not set', async () => {
    await refusal(load(path.join(runnerTemp, 'generated.json'), { runnerTemp: undefined }))
  })

  it('reads a symlink that stays in the workspace, an absolute path inside, and a workspace reached through a symlink', async () => {
    expect((await load('link-in.json')).value).toEqual({ name: 'inside' })
    expect((await load(path.join(workspace, 'inside.json'))).value).toEqual({ name: 'inside' })
    expect((await load('inside.json', { workspace: path.join(root, 'repo-link') })).value).toEqual({ name: 'inside' })
    expect(
      (await load(path.join(await realpath(workspace), 'inside.json'), { workspace: path.join(root, 'repo-link') }))
        .value,
    ).toEqual({ name: 'inside' })
  })

  it('still says "not found" for a missing file outside, before anything else', async () => {
    expect((await refusal(load('../../nowhere.json'))).message).toContain('was not found in the workspace')
  })
})

describe('YAML duplicate keys, found per mapping', () => {
  it.each([
    ['a: 1\nb: 2\na: 3\n', 3, 1],
    ['outer:\n  x: 1\n  y: 2\n  x: 3\n', 4, 3],
    ['list:\n  - k: 1\n    k: 2\n', 3, 5],
    ['flow: {a: 1, b: 2, a: 3}\n', 1, 20],
    ['"a": 1\na: 2\n', 2, 1],
    ['&x a: 1\n&y a: 2\n', 2, 4],
    ['? a\n: 1\n? a\n: 2\n', 3, 3],
    ['[{a: 1, a: 2}]\n', 1, 9],
    ['a: 1\n!!str a: 2\n', 2, 7],
  ])('%j: the same message, line and column as yaml uniqueKeys gave', async (text, line, column) => {
    const error = (await parsePayload(text, 'p.yaml').catch((e: unknown) => e)) as PayloadError
    expect(error).toBeInstanceOf(PayloadError)
    // Issue 13: yaml's words, then a plain hint on the same line.
    expect(error.problems).toEqual([
      {
        path: [],
        file: 'p.yaml',
        line,
        column,
        message: `invalid YAML: Map keys must be unique. The key on line ${line} is already set above in the same mapping; keep one of them.`,
      },
    ])
  })

  it('keeps keys that only look alike (1 and "1" are one key in YAML text; true and "true" are not)', async () => {
    expect((await parsePayload('a: 1\nb: 1\nc: {a: 1}\n', 'p.yaml')).value).toEqual({ a: 1, b: 1, c: { a: 1 } })
    await expect(parsePayload('true: 1\n"true": 2\n', 'p.yaml')).resolves.toBeDefined()
  })
})

describe('parsing under the step deadline and the runner cancellation', () => {
  const big = `metadata:\n${Array.from({ length: 5_000 }, (_, i) => `  k${i}: ${i}`).join('\n')}\n`

  it('stops with a TimeoutError once the deadline has passed', async () => {
    const deadline = new Deadline(1_000, () => 0)
    Object.defineProperty(deadline, 'at', { value: -1 })
    const error = await parsePayload(big, 'big.yaml', { deadline }).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(TimeoutError)
    expect((error as TimeoutError).message).toContain("The step's timeout (1s) passed while reading the payload")
  })

  it('stops with a CancelledError once the run is cancelled', async () => {
    const controller = new AbortController()
    controller.abort(new CancelledError('The run was cancelled (SIGTERM).'))
    const error = await parsePayload(big, 'big.yaml', { signal: controller.signal }).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(CancelledError)
    expect((error as CancelledError).message).toBe('The run was cancelled (SIGTERM).')
  })

  it('parses the same without a deadline or signal', async () => {
    const payload = await parsePayload(big, 'big.yaml')
    expect(Object.keys(payload.value.metadata as object)).toHaveLength(5_000)
  })
})

describe('credentials with control characters', () => {
  it.each([
    'token',
    'password',
    'oauth-token',
    'basic-auth',
    'access-key',
    'secret-key',
    'security-token',
    'github-token',
  ])("refuses '%s' with a line break, naming it, echoing no part, masking each line", (name) => {
    const value = name === 'basic-auth' ? 'user-name:first-half\nsecond-half' : 'first-half-0123\nsecond-half-4567'
    const registered: string[] = []
    const inputs: Record<string, string> = { provider: 'qoder', payload: '{}', [name]: value }
    let error: unknown
    try {
      parseSettings(
        (n) => inputs[n] ?? '',
        (v) => void registered.push(v),
        {},
      )
    } catch (e) {
      error = e
    }
    expect(error).toBeInstanceOf(InputError)
    expect((error as InputError).input).toBe(name)
    const message = (error as InputError).message
    expect(message).toBe(
      `Invalid input '${name}': it contains a line break or another control character. Set it to the credential alone, on one line (check the secret for a trailing newline or a pasted second line).`,
    )
    for (const part of value.split(/[\n:]/)) expect(message).not.toContain(part)
    expect(registered).toEqual(expect.arrayContaining([value, ...value.split('\n')]))
  })

  it.each([
    ['a tab', 'tok\tvalue-123'],
    ['a NUL', 'tok\u0000value-123'],
    ['DEL', 'tok\u007fvalue-123'],
    ['a carriage return', 'tok\rvalue-123'],
  ])('refuses %s too', (_, value) => {
    expect(() =>
      parseSettings(
        (n) => ({ provider: 'qoder', payload: '{}', token: value })[n] ?? '',
        () => {},
        {},
      ),
    ).toThrow(InputError)
  })
})
