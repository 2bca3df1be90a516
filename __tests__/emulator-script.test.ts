/**
 * `node script/emulator.ts <provider> [--port N]` (= `npm run emulator -- …`), as a person uses it to
 * try a provider locally: it listens on the port asked for, seeds the target the README's example
 * workflow for that provider names (the same on every start), prints the credentials, and prints a
 * one-line run of dist/index.js that, pasted into a shell at the repository root, succeeds against
 * it with examples/deploy/<provider>.yaml. GITHUB_OUTPUT gets exactly the `name=value` lines, as
 * the ci.yml self-test reads them.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterAll, afterEach, describe, expect, it } from 'vitest'
import { parse } from 'yaml'

const root = path.resolve(import.meta.dirname, '..')
const bin = path.join(root, 'node_modules', '.bin')
const { GITHUB_OUTPUT: _notHere, ...inherited } = process.env
const env: NodeJS.ProcessEnv = { ...inherited, PATH: `${bin}${path.delimiter}${process.env.PATH ?? ''}`, NO_COLOR: '1' }

const temp = mkdtempSync(path.join(tmpdir(), 'deploy-patch-emulator-script-'))
afterAll(() => rmSync(temp, { recursive: true, force: true }))

/** The target (or kintone apps) each provider's README example workflow names, read from the files. */
function exampleTarget(provider: string): string {
  if (provider === 'kintone') {
    const payload = parse(readFileSync(path.join(root, 'examples', 'deploy', 'kintone.yaml'), 'utf8')) as {
      apps: { app: number }[]
    }
    return payload.apps.map((a) => a.app).join(',')
  }
  const file = provider === 'qoder' ? 'example-release.yml' : `example-${provider}.yml`
  const text = readFileSync(path.join(root, '.github', 'workflows', file), 'utf8')
  const match = /^\s*target:\s*(\S+)/m.exec(text)
  if (!match) throw new Error(`${file}: no literal target`)
  return match[1]!
}

async function freePort(): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const address = server.address()
  await new Promise<void>((resolve) => server.close(() => resolve()))
  if (!address || typeof address === 'string') throw new Error('no port')
  return address.port
}

interface Started {
  child: ChildProcess
  output: () => string
  exited: Promise<number | null>
}

const children: ChildProcess[] = []
afterEach(() => {
  for (const child of children.splice(0))
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
})

/** Spawns the script and resolves once it printed `emulator ready` (or exited). */
function startScript(args: string[], extraEnv: Record<string, string> = {}): Promise<Started> {
  const child = spawn(path.join(bin, 'node'), ['script/emulator.ts', ...args], {
    cwd: root,
    env: { ...env, ...extraEnv },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  children.push(child)
  let output = ''
  const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)))
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the emulator did not get ready:\n${output}`)), 20_000)
    const onData = (chunk: Buffer): void => {
      output += chunk.toString('utf8')
      if (/^emulator ready/m.test(output)) {
        clearTimeout(timer)
        resolve({ child, output: () => output, exited })
      }
    }
    child.stdout.on('data', onData)
    child.stderr.on('data', onData)
    void exited.then(() => {
      clearTimeout(timer)
      resolve({ child, output: () => output, exited })
    })
  })
}

/** Runs a command line in sh at the repository root, as a person pasting it would. */
function shell(line: string): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn('sh', ['-c', line], { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] })
    let output = ''
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')))
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')))
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000)
    child.on('close', (code) => {
      clearTimeout(timer)
      resolve({ code, output })
    })
  })
}

describe('script/emulator.ts', () => {
  it.each(['qoder', 'kintone', 'huaweicloud-rts', 'aieev'])(
    "%s: --port, the example workflow's target, and a printed one-liner that succeeds against it",
    async (provider) => {
      const port = await freePort()
      const outputFile = path.join(temp, `output-${provider}`)
      const started = await startScript([provider, '--port', String(port)], { GITHUB_OUTPUT: outputFile })
      const printed = started.output()
      const values = Object.fromEntries([...printed.matchAll(/^([a-z-]+)=(.*)$/gm)].map((m) => [m[1]!, m[2]!]))
      expect(values.origin, printed).toBe(`http://127.0.0.1:${port}`)
      expect(values.target).toBe(exampleTarget(provider))
      // The step outputs, and only they, went to GITHUB_OUTPUT.
      expect(readFileSync(outputFile, 'utf8')).toBe(
        Object.entries(values)
          .map(([name, value]) => `${name}=${value}\n`)
          .join(''),
      )

      // The printed run, after the credentials and before `emulator ready`.
      const lines = printed.split('\n')
      const index = lines.findIndex((line) => line.startsWith('  touch local-summary.log && env '))
      expect(index, printed).toBeGreaterThan(lines.findIndex((line) => line.startsWith('origin=')))
      expect(index).toBeLessThan(lines.findIndex((line) => line.startsWith('emulator ready')))
      // Run as pasted, but in a copy of the line whose summary file is this test's own.
      const summaryFile = path.join(temp, `summary-${provider}.md`)
      const line = lines[index]!.trim().replaceAll('local-summary.log', summaryFile)
      const run = await shell(line)
      expect(run.code, run.output).toBe(0)
      expect(run.output).toContain('::set-output name=status::succeeded')
      expect(readFileSync(summaryFile, 'utf8')).toContain(`deploy-patch · ${provider} · succeeded`)

      started.child.kill('SIGTERM')
      expect(await started.exited).toBe(0)
      expect(started.output()).toMatch(/applied 1 (update|deploy)\(s\)/)
    },
  )

  it('seeds the same target on every start, on a free port by default', async () => {
    const first = await startScript(['huaweicloud-rts'])
    const second = await startScript(['huaweicloud-rts'])
    const value = (output: string, name: string): string | undefined =>
      new RegExp(`^${name}=(.*)$`, 'm').exec(output)?.[1]
    expect(value(first.output(), 'target')).toBe(value(second.output(), 'target'))
    expect(value(first.output(), 'origin')).not.toBe(value(second.output(), 'origin'))
    first.child.kill('SIGTERM')
    second.child.kill('SIGTERM')
    expect([await first.exited, await second.exited]).toEqual([0, 0])
  })

  it('says so when the port is taken, and refuses a bad --port or provider', async () => {
    const port = await freePort()
    const running = await startScript(['qoder', `--port=${port}`])
    const clash = await startScript(['kintone', '--port', String(port)])
    expect(await clash.exited).toBe(1)
    expect(clash.output()).toContain(`port ${port} on 127.0.0.1 is in use`)
    running.child.kill('SIGTERM')
    await running.exited

    for (const args of [['qoder', '--port', 'http'], ['qoder', '--port', '70000'], ['qoder', '--port'], ['nope']]) {
      const bad = await startScript(args)
      expect(await bad.exited, args.join(' ')).toBe(2)
      expect(bad.output()).toContain('usage: node script/emulator.ts')
    }
  })
})
