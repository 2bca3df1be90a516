/**
 * `npm run local [-- ENV_FILE]`: runs the action's TypeScript sources (src/main.ts) through
 * @github/local-action with the inputs in ENV_FILE, default `.env`, else the committed
 * `.env.example` (which is set up for the local Qoder emulator).
 *
 * - When INPUT_BASE-URL is a loopback address where nothing listens and INPUT_PROVIDER has an
 *   emulator, that emulator (script/emulator.ts) is started on that port for the run and stopped
 *   after it, printing what it applied.
 * - The job summary file (GITHUB_STEP_SUMMARY) is created when missing: @actions/core only appends.
 * - local-action 7 exits 0 even when the action failed; this wrapper reads the `status` output the
 *   action printed and exits 1 unless it is `succeeded` or `dry-run` (or local-action itself failed).
 */
import { spawn } from 'node:child_process'
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { connect } from 'node:net'
import path from 'node:path'

const root = path.resolve(import.meta.dirname, '..')
const EMULATED = new Set(['qoder', 'kintone', 'huaweicloud-rts', 'aieev'])
const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]'])

/** KEY=value lines as dotenv reads them (# comments, optional quotes), enough to find a few inputs. */
function readEnvFile(file: string): Map<string, string> {
  const values = new Map<string, string>()
  for (const line of readFileSync(file, 'utf8').split(/\r?\n/)) {
    const match = /^\s*(?:export\s+)?([\w.-]+)\s*=\s*(.*)$/.exec(line)
    if (!match || line.trimStart().startsWith('#')) continue
    let value = match[2]!.trim()
    const quoted = /^(['"`])(.*)\1$/.exec(value)
    value = quoted ? quoted[2]! : value.replace(/\s+#.*$/, '')
    values.set(match[1]!, value)
  }
  return values
}

/** true when something accepts a TCP connection on host:port within 1 s. */
function listening(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port })
    const done = (result: boolean): void => {
      socket.destroy()
      resolve(result)
    }
    socket.setTimeout(1_000, () => done(false))
    socket.once('connect', () => done(true))
    socket.once('error', () => done(false))
  })
}

interface Emulator {
  target: string
  stop(): Promise<string>
}

/** Starts script/emulator.ts on the port and waits for `emulator ready`; undefined (after saying why) when it cannot. */
function startEmulator(provider: string, port: number, command: string): Promise<Emulator | undefined> {
  const child = spawn(process.execPath, ['script/emulator.ts', provider, '--port', String(port)], {
    cwd: root,
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let output = ''
  const exited = new Promise<void>((resolve) => child.once('close', () => resolve()))
  let ready = false
  return new Promise((resolve) => {
    const fail = (why: string): void => {
      if (ready) return
      ready = true
      clearTimeout(timer)
      child.kill('SIGTERM')
      console.error(
        `npm run local: ${why}\n${output.trim()}\nStart it yourself with \`${command}\` in another terminal, or change INPUT_BASE-URL.`,
      )
      resolve(undefined)
    }
    const timer = setTimeout(() => fail('the emulator did not get ready within 15 s.'), 15_000)
    const onData = (chunk: Buffer): void => {
      output += chunk.toString('utf8')
      if (ready || !/^emulator ready/m.test(output)) return
      ready = true
      clearTimeout(timer)
      child.stdout.off('data', onData)
      child.stdout.on('data', (more: Buffer) => (output += more.toString('utf8')))
      resolve({
        target: /^target=(.*)$/m.exec(output)?.[1] ?? '',
        async stop() {
          child.kill('SIGTERM')
          await exited
          return /^\S+ emulator: applied .*$/m.exec(output)?.[0] ?? output.trim()
        },
      })
    }
    child.stdout.on('data', onData)
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')))
    void exited.then(() => fail('the emulator exited.'))
  })
}

/** `local-action run . src/main.ts <envFile>`, its output passed through and kept. */
function runLocalAction(envFile: string): Promise<{ code: number | null; output: string }> {
  const bin = path.join(root, 'node_modules', '.bin')
  return new Promise((resolve, reject) => {
    const child = spawn(path.join(bin, 'local-action'), ['run', '.', 'src/main.ts', envFile], {
      cwd: root,
      env: { ...process.env, PATH: `${bin}${path.delimiter}${process.env.PATH ?? ''}` },
      stdio: ['inherit', 'pipe', 'pipe'],
    })
    let output = ''
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString('utf8')
      process.stdout.write(chunk)
    })
    child.stderr.on('data', (chunk: Buffer) => {
      output += chunk.toString('utf8')
      process.stderr.write(chunk)
    })
    child.once('error', reject)
    child.once('close', (code) => resolve({ code, output }))
  })
}

async function main(): Promise<number> {
  const asked = process.argv[2]
  let envFile: string
  if (asked) envFile = asked
  else if (existsSync(path.join(root, '.env'))) envFile = '.env'
  else {
    envFile = '.env.example'
    console.log(
      'npm run local: no .env, so using .env.example (copy it to .env to change the inputs; .env is gitignored).',
    )
  }
  if (!existsSync(path.resolve(root, envFile))) {
    console.error(`npm run local: ${envFile} does not exist (cp .env.example .env).`)
    return 2
  }
  const env = readEnvFile(path.resolve(root, envFile))
  const provider = env.get('INPUT_PROVIDER') ?? ''
  const baseUrl = env.get('INPUT_BASE-URL') ?? ''

  let emulator: Emulator | undefined
  let url: URL | undefined
  try {
    url = baseUrl ? new URL(baseUrl) : undefined
  } catch {
    url = undefined
  }
  if (url && url.protocol === 'http:' && LOOPBACK.has(url.hostname) && url.port !== '') {
    const host = url.hostname.replace(/^\[(.*)\]$/, '$1')
    const port = Number(url.port)
    if (!(await listening(host, port))) {
      const command = `npm run emulator -- ${provider || '<provider>'} --port ${port}`
      if (!EMULATED.has(provider) || host !== '127.0.0.1') {
        console.error(
          `npm run local: nothing listens on ${url.origin} (INPUT_BASE-URL in ${envFile}). Start an emulator there with \`${command}\`, or change INPUT_BASE-URL.`,
        )
        return 1
      }
      console.log(
        `npm run local: nothing listens on ${url.origin}, so the ${provider} emulator is started there for this run (${command}).`,
      )
      emulator = await startEmulator(provider, port, command)
      if (!emulator) return 1
      const target = env.get('INPUT_TARGET') ?? ''
      if (provider !== 'kintone' && target !== emulator.target) {
        console.log(
          `npm run local: INPUT_TARGET in ${envFile} is '${target}', but the emulator has '${emulator.target}': set INPUT_TARGET=${emulator.target} to update it.`,
        )
      }
    }
  }

  // @actions/core appends the job summary only to an existing file.
  const summary = env.get('GITHUB_STEP_SUMMARY')
  if (summary && !existsSync(path.resolve(root, summary))) writeFileSync(path.resolve(root, summary), '')

  let result: { code: number | null; output: string }
  try {
    result = await runLocalAction(envFile)
  } finally {
    if (emulator) console.log(`npm run local: ${await emulator.stop()}`)
  }
  // local-action prints each output as ::set-output (and exits 0 even when the action failed).
  const status = [...result.output.matchAll(/::set-output name=status::(\S*)/g)].at(-1)?.[1]
  if ((status === 'succeeded' || status === 'dry-run') && result.code === 0) return 0
  if (status === 'succeeded' || status === 'dry-run')
    console.error(`npm run local: local-action exited with ${result.code}.`)
  else
    console.error(
      `npm run local: the action ${status ? `ended with status '${status}'` : 'set no status'}; see the ::error:: line above.`,
    )
  return result.code || 1
}

process.exitCode = await main()
