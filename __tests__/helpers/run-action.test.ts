/**
 * Tests of the end-to-end harness itself, with tiny throwaway entry scripts instead of the
 * bundled action, so they run before `dist/` exists and stay fast.
 */
import { existsSync } from 'node:fs'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import {
  FAKE_GITHUB_TOKEN,
  REPO_ROOT,
  actionDefaults,
  cleanupRuns,
  findLeaks,
  inputEnvName,
  parseCommands,
  parseOutputFile,
  runAction,
  type ActionRun,
} from './run-action.ts'

/** Echoes what it was given through the runner's files, then fails like an action would. */
const ECHO_SCRIPT = `
import fs from 'node:fs'
import path from 'node:path'
const env = process.env
const out = (text) => fs.appendFileSync(env.GITHUB_OUTPUT, text)
const delimiter = 'ghadelimiter_' + Math.random().toString(16).slice(2)
out('payload-file<<' + delimiter + '\\n' + env['INPUT_PAYLOAD-FILE'] + '\\nsecond line\\n' + delimiter + '\\n')
out('wait=' + env.INPUT_WAIT + '\\n')
out('env<<' + delimiter + '\\n' + JSON.stringify(env) + '\\n' + delimiter + '\\n')
out('cwd=' + process.cwd() + '\\n')
out('payload=' + fs.readFileSync('cfg/p.json', 'utf8') + '\\n')
const resourceFile = path.join(env.RUNNER_TEMP, 'resource.json')
fs.writeFileSync(resourceFile, JSON.stringify({ id: 'r1' }, null, 2))
out('resource-file=' + resourceFile + '\\n')
fs.appendFileSync(env.GITHUB_STEP_SUMMARY, '### deploy-patch\\n\\n| a | b |\\n')
console.log('::add-mask::s3cret')
console.log('starting')
console.log('::error file=p.json,line=3::bad')
console.error('a warning on stderr')
process.exitCode = 3
`

/** Never finishes on its own; reports the signals it handles. */
const HANG_SCRIPT = `
if (process.env.HANDLE_SIGTERM === '1') {
  process.on('SIGTERM', () => { console.log('got SIGTERM'); process.exit(143) })
}
console.log('ready')
setInterval(() => {}, 1000)
`

let scripts: string
const echo = (): string => path.join(scripts, 'echo.mjs')
const hang = (): string => path.join(scripts, 'hang.mjs')

beforeAll(async () => {
  scripts = await mkdtemp(path.join(os.tmpdir(), 'run-action-test-'))
  await writeFile(echo(), ECHO_SCRIPT)
  await writeFile(hang(), HANG_SCRIPT)
})

afterAll(async () => {
  await cleanupRuns()
  await rm(scripts, { recursive: true, force: true })
})

describe('runAction', () => {
  let run: ActionRun
  let childEnv: Record<string, string>

  beforeAll(async () => {
    vi.stubEnv('INPUT_STRAY', 'from-the-test-process')
    vi.stubEnv('HTTPS_PROXY', 'http://proxy.invalid:3128')
    vi.stubEnv('NO_PROXY', '*')
    vi.stubEnv('no_proxy', '*')
    try {
      run = await runAction({
        entry: echo(),
        inputs: { provider: 'qoder', 'payload-file': 'cfg/p.json', timeout: '90s' },
        files: { 'cfg/p.json': '{"name":"x"}', 'bin/data.bin': Buffer.from([1, 2, 3]) },
        env: { MY_VAR: 'value' },
      })
    } finally {
      vi.unstubAllEnvs()
    }
    childEnv = JSON.parse(run.outputs.env ?? '{}') as Record<string, string>
  })

  it('reports the exit code and output streams', () => {
    expect(run.code).toBe(3)
    expect(run.signal).toBeNull()
    expect(run.stdout).toContain('starting')
    expect(run.stderr).toContain('a warning on stderr')
    expect(run.durationMs).toBeGreaterThan(0)
  })

  it('names input variables like the runner: uppercased, dashes kept', () => {
    expect(inputEnvName('payload-file')).toBe('INPUT_PAYLOAD-FILE')
    expect(inputEnvName('my input')).toBe('INPUT_MY_INPUT')
    expect(childEnv['INPUT_PAYLOAD-FILE']).toBe('cfg/p.json')
    expect(childEnv.INPUT_PROVIDER).toBe('qoder')
  })

  it('passes every action.yml default, with given inputs overriding them', () => {
    expect(childEnv.INPUT_WAIT).toBe('true')
    expect(childEnv['INPUT_MAX-RETRIES']).toBe('5')
    expect(childEnv['INPUT_GITHUB-TOKEN']).toBe(FAKE_GITHUB_TOKEN)
    expect(childEnv.INPUT_TIMEOUT).toBe('90s')
    // Inputs with no default that were not given are not set at all.
    expect(childEnv).not.toHaveProperty('INPUT_TOKEN')
  })

  it('gives the child a clean runner environment, not the test process environment', () => {
    expect(childEnv).not.toHaveProperty('INPUT_STRAY')
    for (const name of ['HTTPS_PROXY', 'https_proxy', 'HTTP_PROXY', 'NO_PROXY', 'no_proxy', 'RUNNER_DEBUG']) {
      expect(childEnv).not.toHaveProperty(name)
    }
    expect(childEnv).toMatchObject({
      GITHUB_ACTIONS: 'true',
      CI: 'true',
      GITHUB_WORKSPACE: run.workspace,
      RUNNER_TEMP: run.runnerTemp,
      GITHUB_REPOSITORY: 'octo/app',
      GITHUB_SERVER_URL: 'https://github.com',
      GITHUB_API_URL: 'https://api.github.com',
      MY_VAR: 'value',
    })
    for (const name of [
      'GITHUB_OUTPUT',
      'GITHUB_STEP_SUMMARY',
      'GITHUB_ENV',
      'GITHUB_STATE',
      'GITHUB_SHA',
      'GITHUB_RUN_ID',
      'PATH',
      'HOME',
    ]) {
      expect(childEnv[name], name).toBeTruthy()
    }
    expect(childEnv.GITHUB_SHA).toMatch(/^[0-9a-f]{40}$/)
  })

  it('runs in the fresh workspace with the given files', () => {
    expect(run.workspace.startsWith(os.tmpdir())).toBe(true)
    expect(run.outputs.cwd).toBe(run.workspace)
    expect(run.outputs.payload).toBe('{"name":"x"}')
    expect(existsSync(path.join(run.workspace, 'bin', 'data.bin'))).toBe(true)
  })

  it('parses outputs, the summary, the resource file and workflow commands', () => {
    expect(run.outputs['payload-file']).toBe('cfg/p.json\nsecond line')
    expect(run.outputs.wait).toBe('true')
    expect(run.summary).toBe('### deploy-patch\n\n| a | b |\n')
    expect(JSON.parse(run.resourceFile ?? 'null')).toEqual({ id: 'r1' })
    expect(run.commands).toEqual([
      { command: 'add-mask', properties: {}, message: 's3cret' },
      { command: 'error', properties: { file: 'p.json', line: '3' }, message: 'bad' },
    ])
  })

  it('uses fresh directories for every run', async () => {
    const second = await runAction({
      entry: echo(),
      inputs: { 'payload-file': 'cfg/p.json' },
      files: { 'cfg/p.json': '{}' },
    })
    expect(second.workspace).not.toBe(run.workspace)
    expect(second.runnerTemp).not.toBe(run.runnerTemp)
    expect(second.outputs.payload).toBe('{}')
  })

  it('turns ACTIONS_STEP_DEBUG into RUNNER_DEBUG=1, as the runner does', async () => {
    const debug = await runAction({
      entry: echo(),
      inputs: {},
      files: { 'cfg/p.json': '{}' },
      env: { ACTIONS_STEP_DEBUG: 'true' },
    })
    expect(JSON.parse(debug.outputs.env ?? '{}')).toMatchObject({ RUNNER_DEBUG: '1' })
  })

  it('rejects an input that action.yml does not declare, suggesting the right name', async () => {
    await expect(runAction({ entry: echo(), inputs: { payload_file: 'p.json' } })).rejects.toThrow(
      /input 'payload_file' is not declared in action\.yml \(did you mean 'payload-file'\?\)/,
    )
    await expect(runAction({ entry: echo(), inputs: { nonsense: 'x' } })).rejects.toThrow(/'nonsense' is not declared/)
  })

  it('rejects files outside the workspace', async () => {
    await expect(runAction({ entry: echo(), inputs: {}, files: { '../escape.txt': 'x' } })).rejects.toThrow(
      /inside the workspace/,
    )
  })

  it('says when the entry script is missing', async () => {
    await expect(runAction({ entry: path.join(REPO_ROOT, 'no-such-dist', 'index.js'), inputs: {} })).rejects.toThrow(
      /no-such-dist.*does not exist/,
    )
  })
})

describe('runAction signals and time limits', () => {
  it('sends a signal after a delay', async () => {
    const run = await runAction({ entry: hang(), inputs: {}, kill: { afterMs: 200, signal: 'SIGINT' } })
    expect(run.signal).toBe('SIGINT')
    expect(run.code).toBeNull()
    expect(run.stdout).toContain('ready')
  })

  it('sends a signal as soon as stdout matches', async () => {
    const run = await runAction({
      entry: hang(),
      inputs: {},
      env: { HANDLE_SIGTERM: '1' },
      kill: { onStdout: /^ready$/m, signal: 'SIGTERM' },
    })
    expect(run.code).toBe(143)
    expect(run.stdout).toBe('ready\ngot SIGTERM\n')
    expect(run.durationMs).toBeLessThan(5_000)
  })

  it('kills a run that passes timeoutMs and rejects with a clear error', async () => {
    const started = Date.now()
    await expect(runAction({ entry: hang(), inputs: {}, timeoutMs: 300 })).rejects.toThrow(
      /did not finish within 300 ms and was killed with SIGKILL[\s\S]*ready/,
    )
    expect(Date.now() - started).toBeLessThan(5_000)
  })
})

describe('actionDefaults', () => {
  it('has every input with a default and evaluates ${{ github.token }}', () => {
    const defaults = actionDefaults()
    expect(defaults).toMatchObject({ wait: 'true', timeout: '10m', 'poll-interval': '1s', 'dry-run': 'false' })
    expect(defaults['github-token']).toBe(FAKE_GITHUB_TOKEN)
    expect(FAKE_GITHUB_TOKEN).toMatch(/^ghs_[A-Za-z0-9]{36}$/)
    expect(defaults).not.toHaveProperty('provider')
    expect(defaults).not.toHaveProperty('token')
  })
})

describe('parseOutputFile', () => {
  it('reads plain and heredoc entries, CRLF included', () => {
    const text = 'a=1\nb=x=y\n\nc<<EOF\nline 1\r\nline=2\nEOF\nd<<X\n\nX\ne=\n'
    expect(parseOutputFile(text)).toEqual({ a: '1', b: 'x=y', c: 'line 1\nline=2', d: '', e: '' })
  })

  it('treats `=` before `<<` as a plain value', () => {
    expect(parseOutputFile('a=b<<c\n')).toEqual({ a: 'b<<c' })
  })

  it('rejects what the runner rejects', () => {
    expect(() => parseOutputFile('c<<EOF\nno end\n')).toThrow(/delimiter 'EOF' not found/)
    expect(() => parseOutputFile('just text\n')).toThrow(/invalid format/)
    expect(() => parseOutputFile('=value\n')).toThrow(/empty name/)
  })
})

describe('parseCommands', () => {
  it('parses properties and unescapes data and properties', () => {
    const stdout = [
      'plain log line',
      '  ::warning file=a%2Cb.json,line=3,col=7,title=T%3A1::two%0Alines 100%25',
      '::group::Request',
      '::endgroup::',
      '::not-a-command::ignored',
      ':: broken',
      '::debug::detail',
    ].join('\n')
    expect(parseCommands(stdout)).toEqual([
      {
        command: 'warning',
        properties: { file: 'a,b.json', line: '3', col: '7', title: 'T:1' },
        message: 'two\nlines 100%',
      },
      { command: 'group', properties: {}, message: 'Request' },
      { command: 'endgroup', properties: {}, message: '' },
      { command: 'debug', properties: {}, message: 'detail' },
    ])
  })

  it('ignores commands between stop-commands and its resume token', () => {
    const stdout = '::stop-commands::tok\n::error::hidden\n::tok::\n::error::seen\n'
    expect(parseCommands(stdout)).toEqual([{ command: 'error', properties: {}, message: 'seen' }])
  })
})

describe('findLeaks', () => {
  const base: ActionRun = {
    inputs: {},
    code: 0,
    signal: null,
    stdout: '',
    stderr: '',
    outputs: {},
    summary: '',
    githubEnv: '',
    githubState: '',
    workspace: '/w',
    runnerTemp: '/t',
    durationMs: 1,
    commands: [],
  }

  it('always looks for the credential inputs the run was given, each comma-separated part too', () => {
    const run: ActionRun = {
      ...base,
      inputs: { token: 'tokAAA,tokBBB', 'github-token': 'ghs_given', target: 'not-a-secret' },
      stdout: 'x tokBBB y\nghs_given\nnot-a-secret\n',
    }
    expect(findLeaks(run, []).map((leak) => leak.replace(/: .*/, ''))).toEqual([
      'stdout line 1 has secret #3',
      'stdout line 2 has secret #4',
    ])
  })

  it('ignores ::add-mask:: lines', () => {
    expect(findLeaks({ ...base, stdout: '::add-mask::s3cret\n  ::add-mask::s3cret\nok\n' }, ['s3cret'])).toEqual([])
  })

  it('finds the secret in every other place, without repeating it', () => {
    const run: ActionRun = {
      ...base,
      stdout: '::add-mask::s3cret\nAuthorization: Bearer s3cret\n',
      stderr: 's3cret',
      outputs: { resource: '{"k":"s3cret"}', status: 'succeeded' },
      summary: '| token | czNjcmV0 |',
      resourceFile: '{\n  "k": "s3cret"\n}',
      githubEnv: 'X=s3cret',
    }
    const leaks = findLeaks(run, ['s3cret', 'czNjcmV0', ''])
    expect(leaks).toEqual([
      'stdout line 2 has secret #1: Authorization: Bearer ***',
      'stderr line 1 has secret #1: ***',
      'output \'resource\' line 1 has secret #1: {"k":"***"}',
      'job summary line 1 has secret #2: | token | *** |',
      'resource file line 2 has secret #1:   "k": "***"',
      'GITHUB_ENV line 1 has secret #1: X=***',
    ])
  })

  it('ignores the add-mask line of a real run but not the secret elsewhere', async () => {
    // This echo script dumps its whole environment into an output, so it is given no github-token to find there.
    const run = await runAction({ entry: echo(), inputs: { 'github-token': '' }, files: { 'cfg/p.json': 'starting' } })
    expect(findLeaks(run, ['s3cret'])).toEqual([])
    expect(findLeaks(run, ['starting']).map((leak) => leak.replace(/: .*/, ''))).toEqual([
      'stdout line 2 has secret #1',
      "output 'payload' line 1 has secret #1",
    ])
  })
})
