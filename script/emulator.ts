/**
 * Starts one provider emulator on 127.0.0.1, seeds a resource, prints the inputs a workflow step
 * needs to reach it, and keeps serving until it is sent SIGTERM or SIGINT. Used by the `self-test`
 * job in .github/workflows/ci.yml, which runs the action with `uses: ./` against it, by
 * `npm run local` (script/local.ts) and to try a provider by hand:
 *
 *   npm run emulator -- [provider] [--port N]
 *   node script/emulator.ts [provider] [--port N]    qoder (default), kintone, aieev or huaweicloud-rts
 *
 * `--port` fixes the port (default: a free one, different each start); .env.example expects the
 * Qoder emulator on 8787. The seeded resource is the same on every start: the target the README's
 * example workflow for that provider names (examples/deploy/<provider>.yaml is its payload).
 *
 * The values (`origin`, `target`, `token`, and for Huawei `access-key`, `secret-key`, `region`,
 * `project-id`) are printed as `name=value` lines and, when `GITHUB_OUTPUT` is set, appended to it
 * as step outputs. Then a one-line command that runs the bundled action (dist/index.js) against the
 * emulator with examples/deploy/<provider>.yaml, and a line starting with `emulator ready`: wait for
 * it before using the outputs. On SIGTERM/SIGINT the emulator prints what it applied
 * (`… applied N update(s) …`) and exits 0. The ids and the fixed fake credentials live in
 * __tests__/emulators/seeded.ts.
 */
import { appendFileSync } from 'node:fs'
import { SEEDERS } from '../__tests__/emulators/seeded.ts'

interface Started {
  /** Step outputs, named as the action's inputs they feed. */
  outputs: Record<string, string>
  /** The inputs and environment of a run of dist/index.js with examples/deploy/<provider>.yaml (besides `provider`). */
  run: Record<string, string>
  /** What the emulator applied, printed when it stops. */
  facts(): string
  close(): Promise<void>
}

/** What `${RELEASE}` (and Aieev's `${HF_TOKEN}`) in the example payloads become in the printed run. */
const RELEASE = 'v1.0.0'

/**
 * Per provider (in the order the usage line names them): the printed run's inputs besides those that
 * reach the emulator, and whether the target comes from the payload file instead (kintone's apps and
 * their revisions).
 */
const EXAMPLES: Record<keyof typeof SEEDERS, { run: Record<string, string>; targetInPayload?: boolean }> = {
  qoder: { run: { 'payload-file': 'deploy/qoder.yaml', 'substitute-env': 'true', RELEASE } },
  kintone: { run: { 'payload-file': 'deploy/kintone.yaml' }, targetInPayload: true },
  aieev: {
    run: { 'payload-file': 'deploy/aieev.yaml', 'substitute-env': 'true', RELEASE, HF_TOKEN: 'hf_fake_local_token' },
  },
  'huaweicloud-rts': { run: { 'payload-file': 'deploy/huaweicloud-rts.yaml', 'substitute-env': 'true', RELEASE } },
}

/** Starts `provider`'s seeded emulator (__tests__/emulators/seeded.ts) on `port` and names what to print. */
async function start(provider: keyof typeof SEEDERS, port: number): Promise<Started> {
  const seeded = await SEEDERS[provider]({ port })
  const { provider: _provider, 'base-url': _baseUrl, ...reach } = seeded.inputs
  const { target: _target, ...credentials } = reach
  const example = EXAMPLES[provider]
  return {
    outputs: { origin: seeded.origin, ...reach },
    run: { 'base-url': seeded.origin, ...(example.targetInPayload ? credentials : reach), ...example.run },
    facts: seeded.facts,
    close: seeded.close,
  }
}

/** Where the printed run appends its job summary (at the repository root; `*.log` is gitignored). */
const SUMMARY_FILE = 'local-summary.log'

/** `word` as one POSIX shell word: bare when it is only safe characters, else single-quoted. */
function shellWord(word: string): string {
  return /^[\w.,:/@%+=-]+$/.test(word) ? word : `'${word.replaceAll("'", "'\\''")}'`
}

/**
 * One line to paste in a shell at the repository root: dist/index.js with the runner's INPUT_*
 * names (hyphens kept, hence `env`), the example payload from examples/ as the workspace, the job
 * summary appended to local-summary.log (gitignored; it must exist), outputs as `::set-output` lines, and the project's Node 24 run directly from
 * node_modules/.bin (`npx node` would not do: npx goes through sh, which drops variables whose
 * names have a hyphen, such as INPUT_BASE-URL).
 */
export function oneLiner(provider: string, run: Record<string, string>): string {
  const assignments = [`INPUT_PROVIDER=${provider}`]
  for (const [name, value] of Object.entries(run)) {
    assignments.push(/^[A-Z][A-Z0-9_]*$/.test(name) ? `${name}=${value}` : `INPUT_${name.toUpperCase()}=${value}`)
  }
  assignments.push('GITHUB_WORKSPACE=examples', `GITHUB_STEP_SUMMARY=${SUMMARY_FILE}`)
  return `touch ${SUMMARY_FILE} && env ${assignments.map(shellWord).join(' ')} node_modules/.bin/node dist/index.js`
}

/** Whether `name` is a provider this script starts. */
function isProvider(name: string): name is keyof typeof SEEDERS {
  return Object.hasOwn(EXAMPLES, name)
}

/** `[provider] [--port N | --port=N]`, or a usage message. */
function parseArgs(args: string[]): { provider: keyof typeof SEEDERS; port: number } | string {
  let provider: string | undefined
  let port = 0
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!
    const value = arg === '--port' ? args[++i] : arg.startsWith('--port=') ? arg.slice('--port='.length) : undefined
    if (arg === '--port' || arg.startsWith('--port=')) {
      if (value === undefined || !/^\d+$/.test(value) || Number(value) < 1 || Number(value) > 65535)
        return `--port needs a port number from 1 to 65535 (got ${value === undefined ? 'nothing' : `"${value}"`})`
      port = Number(value)
    } else if (arg.startsWith('-') || provider !== undefined) {
      return `unexpected argument "${arg}"`
    } else {
      provider = arg
    }
  }
  provider ??= 'qoder'
  if (!isProvider(provider)) return `unknown provider "${provider}"`
  return { provider, port }
}

async function main(): Promise<void> {
  const parsed = parseArgs(process.argv.slice(2))
  if (typeof parsed === 'string') {
    console.error(`${parsed}\nusage: node script/emulator.ts [${Object.keys(EXAMPLES).join('|')}] [--port N]`)
    process.exit(2)
  }
  const { provider, port } = parsed
  let started: Started
  try {
    started = await start(provider, port)
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw error
    console.error(
      `port ${port} on 127.0.0.1 is in use (another emulator still running?): stop it, or pick another --port.`,
    )
    process.exit(1)
  }
  const lines = Object.entries(started.outputs)
    .map(([name, value]) => `${name}=${value}\n`)
    .join('')
  const outputFile = process.env.GITHUB_OUTPUT
  if (outputFile) appendFileSync(outputFile, lines)
  process.stdout.write(lines)
  console.log(
    `Run the bundled action against it, in another terminal at the repository root (\`npm run bundle\` first after changing src/):`,
  )
  console.log(`  ${oneLiner(provider, started.run)}`)
  // The handlers come before the ready line: whoever reads it may signal at once.
  let stopping = false
  const stop = (signal: NodeJS.Signals): void => {
    if (stopping) return
    stopping = true
    console.log(`${started.facts()}; stopping on ${signal}`)
    void started.close().then(() => process.exit(0))
  }
  process.on('SIGTERM', stop)
  process.on('SIGINT', stop)
  console.log(
    `emulator ready: ${provider} on ${started.outputs.origin} (pid ${process.pid}); stop it with Ctrl-C or SIGTERM`,
  )
}

// Run only as a script: importing it (for oneLiner) starts nothing.
if (import.meta.main) await main()
