/**
 * `npm run demo`: runs the committed `dist/index.js` exactly as a runner would, against local
 * emulators of the provider APIs on 127.0.0.1, and shows its log, outputs and job summary.
 * Needs nothing but `npm ci` — no account, no network.
 *
 * Each provider is one entry in SCENARIOS: start its seeded emulator (__tests__/emulators/seeded.ts),
 * give the inputs and workspace files, and the runner loop below does the rest.
 */
import type { Emulator } from '../__tests__/emulators/base.ts'
import { seededAieev, seededKintone, seededQoder, seededRts, type Seeded } from '../__tests__/emulators/seeded.ts'
import { cleanupRuns, runAction, type ActionRun } from '../__tests__/helpers/run-action.ts'

/** A started, seeded emulator (__tests__/emulators/seeded.ts): what the run needs, and how to stop it. */
interface Stage {
  origin: string
  /** The target as the demo names it before the run. */
  target: string
  /** The inputs that reach the emulator: provider, base-url, credentials, the target unless the payload has it. */
  inputs: Record<string, string>
  /** Facts read back from the emulator after the run (e.g. how many writes it applied). */
  facts(): string[]
  close(): Promise<void>
}

/** The stage of a seeded emulator whose one target the run names; `fact` reads the emulator back after the run. */
function staged<E extends Emulator>(seeded: Seeded<E>, fact: (emulator: E, id: string) => string): Stage {
  const id = seeded.inputs.target!
  return {
    origin: seeded.origin,
    target: id,
    inputs: seeded.inputs,
    facts: () => [fact(seeded.emulator, id)],
    close: seeded.close,
  }
}

interface Scenario {
  name: string
  setup(): Promise<Stage>
  /** Inputs besides those that reach the emulator. */
  inputs: Record<string, string>
  /** Workspace files, as they would be committed in the user's repository. */
  files: Record<string, string>
  /** The step's env (e.g. secrets for substitute-env). */
  env?: Record<string, string>
}

const QODER_PAYLOAD = `# deploy/qoder.yaml: a merge patch for one Qoder Cloud deployment
name: nightly-report-berlin
schedule:
  type: cron
  expression: "0 6 * * 1-5"   # 06:00 on weekdays
  timezone: Europe/Berlin
metadata:
  owner: platform-team         # added or updated
  legacy_ticket: null          # null deletes the key
`

const KINTONE_PAYLOAD = `# deploy/kintone.yaml: deploy these apps' preview settings to production, all or nothing
apps:
  - app: 11
    revision: 4     # fails if someone changed the settings since revision 4
  - app: 12
  - app: 13
`

const AIEEV_PAYLOAD = `# deploy/aieev.yaml: new container settings; saving them stops the endpoint, deploy-patch starts it again
container_port: 9090
container_health_check_path: /ready
health_check_timeout: 120
container_env_vars:
  - key: LOG_LEVEL
    value: info
  - key: DB_PASSWORD
    value: \${DB_PASSWORD}   # from the step's env (a secret); shown as *** everywhere
`

const RTS_PAYLOAD = `# deploy/rts.yaml: point the deployment at a new software config; the server's agent runs it and signals back
action: UPDATE
config_id: 6f0c1a9e-2b7d-4c3e-9a51-0d8e4b2f7c13
status: IN_PROGRESS
status_reason: Release v2.4.0
`

const SCENARIOS: Scenario[] = [
  {
    name: 'Qoder Cloud: rename a deployment and move its schedule to Berlin mornings',
    setup: async () =>
      staged(
        await seededQoder(),
        (emulator, id) => `The emulator applied ${emulator.appliedUpdates(id)} update(s) to ${id}.`,
      ),
    inputs: { 'payload-file': 'deploy/qoder.yaml' },
    files: { 'deploy/qoder.yaml': QODER_PAYLOAD },
  },
  {
    name: 'kintone: deploy three apps from preview to production and wait until each is live',
    async setup() {
      const apps = [11, 12, 13]
      const stage = staged(
        await seededKintone({ apps: { 11: 4, 12: 4, 13: 4 }, asyncMs: 1_500 }),
        (emulator) =>
          `The emulator accepted ${emulator.deploysApplied()} deploy request(s); revisions live now: ${apps.map((app) => `app ${app} → ${emulator.deployedRevision(app)}`).join(', ')}.`,
      )
      // The apps (and app 11's revision) come from the payload file.
      const { target: _apps, ...inputs } = stage.inputs
      return { ...stage, target: apps.join(', '), inputs }
    },
    inputs: { 'payload-file': 'deploy/kintone.yaml' },
    files: { 'deploy/kintone.yaml': KINTONE_PAYLOAD },
  },
  {
    name: "Aieev: change an endpoint's port and secrets, start it and wait until it serves",
    setup: async () =>
      staged(
        await seededAieev({ asyncMs: 2_000 }),
        (emulator, id) =>
          `The emulator applied ${emulator.appliedPatches(id)} PATCH(es) and ${emulator.starts(id)} start(s); the endpoint is ${emulator.stored(id)?.status}.`,
      ),
    inputs: { 'payload-file': 'deploy/aieev.yaml', 'substitute-env': 'true' },
    env: { DB_PASSWORD: 'demo-db-password-never-shown' },
    files: { 'deploy/aieev.yaml': AIEEV_PAYLOAD },
  },
  {
    name: 'Huawei Cloud RTS: roll a new config out to a server (AK/SK signed) and wait for COMPLETE',
    setup: async () =>
      staged(
        await seededRts({ asyncMs: 2_000 }),
        (emulator, id) =>
          `The emulator verified every signature (${emulator.authFailures.length} refused) and applied ${emulator.appliedUpdates(id)} update(s).`,
      ),
    inputs: { 'payload-file': 'deploy/rts.yaml' },
    files: { 'deploy/rts.yaml': RTS_PAYLOAD },
  },
]

/** Run one scenario and print it; true when the action succeeded. */
async function runScenario(scenario: Scenario): Promise<boolean> {
  heading(scenario.name, '═')
  let stage: Stage | undefined
  try {
    stage = await scenario.setup()
    const inputs = { ...stage.inputs, ...scenario.inputs }
    console.log(`Emulator: ${stage.origin}   target: ${stage.target}`)
    console.log(`Payload file ${Object.keys(scenario.files).join(', ')}:`)
    for (const content of Object.values(scenario.files)) console.log(indent(content.trimEnd()))

    const run = await runAction({ inputs, files: scenario.files, env: scenario.env })
    // What the runner would hide in the web log: registered masks and the token or secret key given.
    const given = [inputs.token, inputs['secret-key']].filter((secret) => secret !== undefined)
    const mask = masker([...given, ...run.commands.filter((c) => c.command === 'add-mask').map((c) => c.message)])

    heading('Action log (stdout)')
    console.log(mask(renderLog(run.stdout)) || '(empty)')
    if (run.stderr.trim() !== '') {
      heading('stderr')
      console.log(mask(run.stderr.trimEnd()))
    }
    heading('Outputs')
    console.log(mask(renderOutputs(run.outputs)))
    heading('Job summary (markdown)')
    console.log(mask(run.summary.trimEnd()) || '(no summary written)')
    heading('Check')
    for (const fact of stage.facts()) console.log(mask(fact))
    return verdict(run, mask)
  } catch (error) {
    heading('Check')
    console.log(`✗ The scenario could not run: ${error instanceof Error ? error.message : String(error)}`)
    return false
  } finally {
    await stage?.close()
  }
}

function verdict(run: ActionRun, mask: (text: string) => string): boolean {
  const took = `${(run.durationMs / 1000).toFixed(1)} s`
  if (run.code === 0) {
    console.log(`✓ The action exited 0 in ${took} (status: ${run.outputs.status ?? 'not set'}).`)
    return true
  }
  const how = run.signal ? `was killed by ${run.signal}` : `exited with code ${run.code}`
  console.log(`✗ The action ${how} after ${took}.`)
  const why = run.outputs['error-message'] ?? run.commands.find((c) => c.command === 'error')?.message
  if (why) console.log(mask(`  Reason: ${why}`))
  return false
}

/** The log as the runner would show it: commands it consumes dropped, annotations spelled out. */
function renderLog(stdout: string): string {
  const lines: string[] = []
  for (const line of stdout.trimEnd().split(/\r?\n/)) {
    const command = /^::([a-z-]+)(?: ([^:]*))?::(.*)$/.exec(line)
    if (!command) {
      lines.push(line)
      continue
    }
    const [, name = '', properties = '', message = ''] = command
    const text = decodeData(message)
    if (name === 'group') lines.push(`▶ ${text}`)
    else if (name === 'error' || name === 'warning' || name === 'notice') {
      const where = /file=([^,]*)(?:,line=(\d+))?/.exec(properties)
      const at = where ? ` (${where[1]}${where[2] ? `:${where[2]}` : ''})` : ''
      lines.push(`${name[0]?.toUpperCase()}${name.slice(1)}${at}: ${text}`)
    } else if (!['add-mask', 'endgroup', 'debug', 'set-output', 'save-state'].includes(name)) lines.push(line)
  }
  return lines.join('\n')
}

const JSON_OUTPUTS = new Set(['changes', 'results'])
const RESOURCE_PREVIEW = 160

function renderOutputs(outputs: Record<string, string>): string {
  const names = Object.keys(outputs)
  if (names.length === 0) return '(none)'
  const width = Math.max(...names.map((name) => name.length))
  return names
    .map((name) => {
      const value = outputs[name] ?? ''
      const label = `${name.padEnd(width)} : `
      if (JSON_OUTPUTS.has(name)) {
        try {
          return label + JSON.stringify(JSON.parse(value), null, 2).replace(/\n/g, '\n' + ' '.repeat(label.length))
        } catch {
          return label + value
        }
      }
      if (name === 'resource' && value.length > RESOURCE_PREVIEW) {
        return `${label}${value.slice(0, RESOURCE_PREVIEW)}… (${value.length} chars in all; resource-file has it whole)`
      }
      if (name === 'resource-file') return `${label}${value}  (temporary; removed when the demo ends)`
      return label + value
    })
    .join('\n')
}

function decodeData(text: string): string {
  return text.replace(/%(25|0D|0A)/g, (_whole, code: string) => ({ '25': '%', '0D': '\r', '0A': '\n' })[code] ?? '')
}

function masker(secrets: string[]): (text: string) => string {
  const values = [...new Set(secrets.filter((secret) => secret.length > 0))].sort((a, b) => b.length - a.length)
  return (text) => values.reduce((out, secret) => out.split(secret).join('***'), text)
}

function heading(title: string, rule = '─'): void {
  const line = rule.repeat(Math.max(8, 78 - title.length - 4))
  console.log(`\n${rule.repeat(2)} ${title} ${line}`)
}

function indent(text: string): string {
  return text.replace(/^/gm, '    ')
}

async function main(): Promise<number> {
  let failed = 0
  try {
    for (const scenario of SCENARIOS) {
      if (!(await runScenario(scenario))) failed++
    }
  } finally {
    await cleanupRuns()
  }
  heading(
    failed === 0
      ? `All ${SCENARIOS.length} scenario(s) succeeded`
      : `${failed} of ${SCENARIOS.length} scenario(s) failed`,
    '═',
  )
  return failed === 0 ? 0 : 1
}

process.exitCode = await main()
