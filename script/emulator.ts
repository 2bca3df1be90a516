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
 * (`… applied N update(s) …`) and exits 0. Every credential here is a fixed fake that only this
 * emulator accepts.
 */
import { appendFileSync } from 'node:fs'
import { AieevEmulator } from '../__tests__/emulators/aieev.ts'
import { RtsEmulator } from '../__tests__/emulators/huaweicloud-rts.ts'
import { KintoneEmulator } from '../__tests__/emulators/kintone.ts'
import { QoderEmulator } from '../__tests__/emulators/qoder.ts'

interface Started {
  /** Step outputs, named as the action's inputs they feed. */
  outputs: Record<string, string>
  /** The inputs and environment of a run of dist/index.js with examples/deploy/<provider>.yaml (besides `provider`). */
  run: Record<string, string>
  /** What the emulator applied, printed when it stops. */
  facts(): string
  close(): Promise<void>
}

/** The ids the README's example workflows name (and .env.example, for Qoder): the same on every start. */
export const SEEDED = {
  qoder: 'dep_019ec556114c78f8b60ee34fcb98bf59',
  /** examples/deploy/kintone.yaml deploys these apps at these preview revisions (kintone's own docs example). */
  kintone: { 8: 13, 9: 5, 10: 11 } as Record<number, number>,
  'huaweicloud-rts': '06e87bcc-33a2-4bce-aebd-533e698282d3',
  aieev: '3f9a1c2e-7b4d-4e8a-9c61-2d5b8e0f4a17',
} as const

/** What `${RELEASE}` (and Aieev's `${HF_TOKEN}`) in the example payloads become in the printed run. */
const RELEASE = 'v1.0.0'

const STARTERS: Record<string, (port: number) => Promise<Started>> = {
  async qoder(port) {
    const token = 'pt-emulator-token'
    const emulator = new QoderEmulator({ tokens: [token] })
    const origin = await emulator.start(undefined, port)
    const deployment = emulator.seed({
      id: SEEDED.qoder,
      name: 'nightly-report',
      metadata: { legacy_ticket: 'OPS-1234' },
    })
    return {
      outputs: { origin, target: deployment.id, token },
      run: {
        'base-url': origin,
        target: deployment.id,
        token,
        'payload-file': 'deploy/qoder.yaml',
        'substitute-env': 'true',
        RELEASE,
      },
      facts: () => `qoder emulator: applied ${emulator.appliedUpdates(deployment.id)} update(s) to ${deployment.id}`,
      close: () => emulator.close(),
    }
  },
  async kintone(port) {
    const token = 'EmulatorKintoneApiToken0123456789'
    const apps = Object.keys(SEEDED.kintone).map(Number)
    const emulator = new KintoneEmulator({ apiTokens: { [token]: { apps, appManagement: true } }, deployMs: 1_000 })
    const origin = await emulator.start(undefined, port)
    for (const app of apps) emulator.addApp(app, { revision: SEEDED.kintone[app] })
    return {
      outputs: { origin, target: apps.join(','), token },
      // The apps and their revisions come from the payload file.
      run: { 'base-url': origin, token, 'payload-file': 'deploy/kintone.yaml' },
      facts: () => `kintone emulator: applied ${emulator.deploysApplied()} deploy(s) of apps ${apps.join(', ')}`,
      close: () => emulator.close(),
    }
  },
  async aieev(port) {
    const token = 'aieev-emulator-api-key'
    const emulator = new AieevEmulator({ keys: [token], startMs: 1_000 })
    const origin = await emulator.start(undefined, port)
    const endpoint = emulator.seed({ endpoint_id: SEEDED.aieev, name: 'llm-chat-api' })
    return {
      outputs: { origin, target: endpoint.endpoint_id, token },
      run: {
        'base-url': origin,
        target: endpoint.endpoint_id,
        token,
        'payload-file': 'deploy/aieev.yaml',
        'substitute-env': 'true',
        RELEASE,
        HF_TOKEN: 'hf_fake_local_token',
      },
      facts: () =>
        `aieev emulator: applied ${emulator.appliedPatches(endpoint.endpoint_id)} update(s) and ${emulator.starts(endpoint.endpoint_id)} start(s) to ${endpoint.endpoint_id}`,
      close: () => emulator.close(),
    }
  },
  async 'huaweicloud-rts'(port) {
    const accessKey = 'HPUAEMULATORACCESSKEY1'
    const secretKey = 'emulator/secret+key'
    const emulator = new RtsEmulator({ keys: { [accessKey]: { sk: secretKey } }, settleMs: 1_000 })
    const origin = await emulator.start(undefined, port)
    const deployment = emulator.seed({ id: SEEDED['huaweicloud-rts'] })
    const outputs = {
      origin,
      target: deployment.id,
      'access-key': accessKey,
      'secret-key': secretKey,
      region: emulator.region,
      'project-id': emulator.projectId,
    }
    const { origin: _origin, ...inputs } = outputs
    return {
      outputs,
      run: {
        'base-url': origin,
        ...inputs,
        'payload-file': 'deploy/huaweicloud-rts.yaml',
        'substitute-env': 'true',
        RELEASE,
      },
      facts: () =>
        `huaweicloud-rts emulator: applied ${emulator.appliedUpdates(deployment.id)} update(s) to ${deployment.id}`,
      close: () => emulator.close(),
    }
  },
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

/** `[provider] [--port N | --port=N]`, or a usage message. */
function parseArgs(args: string[]): { provider: string; port: number } | string {
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
  if (!STARTERS[provider]) return `unknown provider "${provider}"`
  return { provider, port }
}

async function main(): Promise<void> {
  const parsed = parseArgs(process.argv.slice(2))
  if (typeof parsed === 'string') {
    console.error(`${parsed}\nusage: node script/emulator.ts [${Object.keys(STARTERS).join('|')}] [--port N]`)
    process.exit(2)
  }
  const { provider, port } = parsed
  let started: Started
  try {
    started = await STARTERS[provider]!(port)
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

// Run only as a script (__tests__/local-action.test.ts imports SEEDED).
if (import.meta.main) await main()
