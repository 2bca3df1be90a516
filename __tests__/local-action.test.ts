/**
 * `npm run local` and `.env.example`: the example declares only inputs action.yml has, named the
 * way the runner names them, with fake values; local-action, run from node_modules as
 * script/local.ts runs it, updates a deployment on the Qoder emulator with those values (offline,
 * in a few seconds); and `npm run local` itself, in a copy of the repository with `.env.example`
 * as committed and no `.env`, starts the emulator on the example's port, succeeds, and exits
 * non-zero when the action fails.
 */
import { execFileSync, spawn } from 'node:child_process'
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { parse } from 'yaml'
import { QoderEmulator } from './emulators/qoder.ts'
import { SEEDED } from './emulators/seeded.ts'

const root = path.resolve(import.meta.dirname, '..')
const action = parse(readFileSync(path.join(root, 'action.yml'), 'utf8')) as {
  inputs: Record<string, { required?: boolean; default?: string }>
}
const exampleText = readFileSync(path.join(root, '.env.example'), 'utf8')

/** `.env.example` as dotenv reads it (one KEY=value a line, optional surrounding quotes, # comments). */
function parseDotenv(text: string): Map<string, string> {
  const entries = new Map<string, string>()
  for (const line of text.split(/\r?\n/)) {
    if (/^\s*(#|$)/.test(line)) continue
    const match = /^([A-Za-z_][\w.-]*)=(.*)$/.exec(line)
    if (!match) throw new Error(`.env.example: not a KEY=value line: ${line}`)
    let value = match[2]!.trim()
    const quoted = /^(['"`])(.*)\1$/.exec(value)
    if (quoted) value = quoted[2]!
    else value = value.replace(/\s+#.*$/, '')
    entries.set(match[1]!, value)
  }
  return entries
}

const example = parseDotenv(exampleText)
/** What @actions/core's getInput reads for an action.yml input name. */
const runnerName = (input: string): string => `INPUT_${input.replace(/ /g, '_').toUpperCase()}`

describe('.env.example', () => {
  it('declares only inputs that exist in action.yml, each under the name the runner uses', () => {
    const expected = new Map(Object.keys(action.inputs).map((input) => [runnerName(input), input]))
    const declared = [...example.keys()].filter((key) => key.toUpperCase().startsWith('INPUT_'))
    expect(declared.length).toBeGreaterThan(0)
    for (const key of declared) {
      expect(
        expected.has(key),
        `${key} is not INPUT_ + an action.yml input name in upper case, hyphens kept (${[...expected.keys()].join(', ')})`,
      ).toBe(true)
    }
    expect(new Set(declared).size).toBe(declared.length)
    for (const [input, spec] of Object.entries(action.inputs)) {
      if (spec.required) expect(example.has(runnerName(input)), `required input ${input}`).toBe(true)
    }
  })

  it('points at a loopback emulator with obviously fake credentials', () => {
    expect(example.get('INPUT_PROVIDER')).toBe('qoder')
    expect(new URL(example.get('INPUT_BASE-URL')!).hostname).toBe('127.0.0.1')
    for (const name of ['INPUT_TOKEN', 'INPUT_GITHUB-TOKEN']) expect(example.get(name), name).toMatch(/fake|emulator/)
    expect(example.get('INPUT_TARGET')).toMatch(/^dep_[0-9a-f]{32}$/)
    // What `npm run emulator -- qoder --port 8787` serves, so the file works unchanged.
    expect(example.get('INPUT_TARGET')).toBe(SEEDED.qoder)
    expect(new URL(example.get('INPUT_BASE-URL')!).port).toBe('8787')
    expect(exampleText).toContain('npm run emulator -- qoder --port 8787')
    expect(() => void JSON.parse(example.get('INPUT_PAYLOAD')!)).not.toThrow()
  })

  it.skipIf(!existsSync(path.join(root, 'script', 'emulator.ts')))(
    'has the token script/emulator.ts accepts, as its comments say',
    () => {
      expect(exampleText).toContain('npx node script/emulator.ts qoder')
      // script/emulator.ts starts its emulators from seeded.ts, which holds the credentials.
      expect(readFileSync(path.join(root, '__tests__', 'emulators', 'seeded.ts'), 'utf8')).toContain(
        `'${example.get('INPUT_TOKEN')}'`,
      )
    },
  )

  it('is what `npm run local` reads when there is no .env', () => {
    // Was `local-action run . src/main.ts .env`: that needed a .env and an emulator started by hand,
    // and failed with ECONNREFUSED with the example as committed (issue 13).
    const manifest = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as {
      scripts: Record<string, string>
    }
    expect(manifest.scripts.local).toBe('node script/local.ts')
    const wrapper = readFileSync(path.join(root, 'script', 'local.ts'), 'utf8')
    expect(wrapper).toContain("['run', '.', 'src/main.ts', envFile]")
    expect(wrapper).toContain("envFile = '.env.example'")
    expect(readFileSync(path.join(root, '.gitignore'), 'utf8').split(/\r?\n/)).toContain('.env')
  })
})

describe('npm run local', () => {
  const dirs: string[] = []
  afterAll(() => {
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true })
  })

  it('runs src/main.ts through local-action against the Qoder emulator with .env.example', async () => {
    const token = example.get('INPUT_TOKEN')!
    const emulator = new QoderEmulator({ tokens: [token] })
    const origin = await emulator.start()
    try {
      const target = example.get('INPUT_TARGET')!
      emulator.seed({ id: target, name: 'nightly-report' })
      const temp = mkdtempSync(path.join(tmpdir(), 'deploy-patch-local-'))
      dirs.push(temp)
      const summaryFile = path.join(temp, 'summary.md')
      // @actions/core only appends to an existing summary file (script/local.ts creates it too).
      writeFileSync(summaryFile, '')
      // The example as a person would copy it, with the emulator's port and the files in temp.
      const envFile = path.join(temp, '.env')
      writeFileSync(
        envFile,
        exampleText
          .replace(/^INPUT_BASE-URL=.*$/m, `INPUT_BASE-URL=${origin}`)
          .replace(/^RUNNER_TEMP=.*$/m, `RUNNER_TEMP=${temp}`)
          .replace(/^GITHUB_STEP_SUMMARY=.*$/m, `GITHUB_STEP_SUMMARY=${summaryFile}`),
      )

      const run = await runLocalAction(envFile)
      const log = run.stdout + run.stderr
      expect(run.code, log).toBe(0)
      expect(log).toContain('::set-output name=status::succeeded')
      expect(log).toContain(`::set-output name=resource-id::${target}`)
      expect(log).toContain('::set-output name=changes::["metadata.owner","name"]')
      expect(log).not.toContain('::error::')
      // `::add-mask::<token>` is how the action registers it; the runner hides those lines (and local-action prints them).
      expect(withoutMaskCommands(log)).not.toContain(token)
      const payload = JSON.parse(example.get('INPUT_PAYLOAD')!) as { name: string }
      expect(emulator.appliedUpdates(target)).toBe(1)
      expect(emulator.stored(target)?.name).toBe(payload.name)
      expect(readFileSync(summaryFile, 'utf8')).toContain('deploy-patch · qoder · succeeded')
    } finally {
      await emulator.close()
    }
  })
})

describe('npm run local, in a copy of the repository', () => {
  const dirs: string[] = []
  afterAll(() => {
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true })
  })

  /** The repository's files as committed or added (not ignored ones such as .env), dist/ left out, node_modules linked. */
  function copyOfRepository(): string {
    const copy = mkdtempSync(path.join(tmpdir(), 'deploy-patch-npm-local-'))
    dirs.push(copy)
    const listed = execFileSync('git', ['ls-files', '--cached', '--others', '--exclude-standard', '-z'], {
      cwd: root,
      encoding: 'utf8',
    }).split('\0')
    for (const file of listed) {
      if (!file || file.startsWith('dist/') || !existsSync(path.join(root, file))) continue
      mkdirSync(path.dirname(path.join(copy, file)), { recursive: true })
      cpSync(path.join(root, file), path.join(copy, file))
    }
    symlinkSync(path.join(root, 'node_modules'), path.join(copy, 'node_modules'))
    return copy
  }

  /** .env.example's port must be free: `npm run local` starts the emulator there. */
  async function expectPortFree(port: number): Promise<void> {
    const server = createServer()
    const free = await new Promise<boolean>((resolve) => {
      server.once('error', () => resolve(false))
      server.listen(port, '127.0.0.1', () => resolve(true))
    })
    if (free) await new Promise<void>((resolve) => server.close(() => resolve()))
    expect(free, `port ${port} (.env.example's INPUT_BASE-URL) is in use: stop what listens there`).toBe(true)
  }

  const port = Number(new URL(example.get('INPUT_BASE-URL')!).port)
  const target = example.get('INPUT_TARGET')!

  it('works with .env.example as committed and no .env: it starts the Qoder emulator for the run', async () => {
    const copy = copyOfRepository()
    expect(existsSync(path.join(copy, '.env'))).toBe(false)
    await expectPortFree(port)
    const run = await runNpmLocal(copy)
    const log = run.stdout + run.stderr
    expect(run.code, log).toBe(0)
    expect(log).toContain('npm run local: no .env, so using .env.example')
    expect(log).toContain(
      `npm run local: nothing listens on http://127.0.0.1:${port}, so the qoder emulator is started there for this run (npm run emulator -- qoder --port ${port}).`,
    )
    expect(log).toContain('::set-output name=status::succeeded')
    expect(log).toContain(`::set-output name=resource-id::${target}`)
    expect(log).toContain('::set-output name=changes::["metadata.owner","name"]')
    expect(log).not.toContain('::error::')
    expect(withoutMaskCommands(log)).not.toContain(example.get('INPUT_TOKEN')!)
    // The emulator's own account, printed when the wrapper stopped it.
    expect(log).toContain(`npm run local: qoder emulator: applied 1 update(s) to ${target}`)
    expect(readFileSync(path.join(copy, '.env.example'), 'utf8')).toBe(exampleText)
    expect(readFileSync(path.join(copy, 'local-summary.log'), 'utf8')).toContain('deploy-patch · qoder · succeeded')
  })

  it('exits non-zero when the action fails, and says so', async () => {
    const copy = copyOfRepository()
    writeFileSync(
      path.join(copy, '.env'),
      exampleText.replace(/^INPUT_TOKEN=.*$/m, 'INPUT_TOKEN=pt-revoked-fake-token'),
    )
    await expectPortFree(port)
    const run = await runNpmLocal(copy)
    const log = run.stdout + run.stderr
    expect(run.code, log).not.toBe(0)
    expect(log).not.toContain('using .env.example')
    expect(log).toContain('::set-output name=status::failed')
    expect(log).toContain("npm run local: the action ended with status 'failed'")
    expect(log).toContain(`npm run local: qoder emulator: applied 0 update(s) to ${target}`)
  })
})

/** The log without `::add-mask::` lines: the only place a registered secret may appear. */
function withoutMaskCommands(log: string): string {
  return log
    .split('\n')
    .filter((line) => !line.startsWith('::add-mask::'))
    .join('\n')
}

/** `npm run local` in `dir`, offline. */
function runNpmLocal(dir: string): Promise<Ran> {
  return runOffline('npm', ['run', 'local'], dir, 28_000)
}

/** `local-action run . src/main.ts ENV` from the repository root, as `npm run local` runs it; async, so the emulator keeps answering. */
function runLocalAction(envFile: string): Promise<Ran> {
  return runOffline(
    path.join(root, 'node_modules', '.bin', 'local-action'),
    ['run', '.', 'src/main.ts', envFile],
    root,
    25_000,
  )
}

interface Ran {
  code: number | null
  stdout: string
  stderr: string
}

/** `command` in `cwd` with node_modules/.bin first on PATH; npm (which local-action calls for `npm ls` and `npm exec tsx`) must not reach the registry. */
function runOffline(command: string, args: string[], cwd: string, killAfterMs: number): Promise<Ran> {
  return new Promise((resolve, reject) => {
    const bin = path.join(root, 'node_modules', '.bin')
    const child = spawn(command, args, {
      cwd,
      env: {
        ...process.env,
        PATH: `${bin}${path.delimiter}${process.env.PATH ?? ''}`,
        npm_config_offline: 'true',
        npm_config_update_notifier: 'false',
        NO_COLOR: '1',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let stdout = ''
    let stderr = ''
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk))
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk))
    const timer = setTimeout(() => child.kill('SIGKILL'), killAfterMs)
    child.on('error', (error) => {
      clearTimeout(timer)
      reject(error)
    })
    child.on('close', (code) => {
      clearTimeout(timer)
      resolve({ code, stdout, stderr })
    })
  })
}
