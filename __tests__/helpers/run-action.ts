/**
 * Runs the committed action (`dist/index.js`) the way the GitHub runner runs a `node24` action:
 * a child process with a clean environment, `INPUT_*` variables named as the runner names them,
 * and the file-command files (`GITHUB_OUTPUT`, `GITHUB_STEP_SUMMARY`, …) it reads back afterwards.
 *
 * Used by the end-to-end tests and by `npm run demo`; it knows nothing about any provider.
 */
import { spawn } from 'node:child_process'
import { randomUUID } from 'node:crypto'
import { existsSync, readFileSync } from 'node:fs'
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { StringDecoder } from 'node:string_decoder'
import { fileURLToPath } from 'node:url'
import { parse as parseYaml } from 'yaml'
import { textOf } from '../../src/text.ts'

/** Root of the repository (this file lives in `__tests__/helpers/`). */
export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url))

/** What `${{ github.token }}` evaluates to in these runs: shaped like an installation token, fake. */
export const FAKE_GITHUB_TOKEN = 'ghs_FakeRunnerToken000000000000000000000'

export type KillOption = (
  { afterMs: number; signal: NodeJS.Signals } | { onStdout: RegExp; signal: NodeJS.Signals }
) & {
  /** Send the same signal again this many ms after the first, once per entry (^C^C), while the child runs. */
  again?: number[]
}

export interface RunOptions {
  /** Kebab-case input names as in action.yml; an undeclared name is an error. */
  inputs: Record<string, string>
  /**
   * Extra environment (e.g. `ACTIONS_STEP_DEBUG: 'true'`, variables for `substitute-env`, or a
   * proxy for a proxy test). Applied last, so it can override anything the harness sets.
   */
  env?: Record<string, string>
  /** Files written into the fresh workspace before the run (relative paths; directories are created). */
  files?: Record<string, string | Buffer>
  /** Script to run; default `<repo>/dist/index.js`. */
  entry?: string
  /** Send a signal to the child after a delay, or as soon as its stdout matches. */
  kill?: KillOption
  /** Hard limit: the child is killed with SIGKILL and the promise rejects. Default 60 s. */
  timeoutMs?: number
  /**
   * Called after the workspace and RUNNER_TEMP exist, before the run (to place files outside the
   * workspace, symlinks, …); the inputs it returns override `inputs`.
   */
  prepare?: (dirs: { workspace: string; runnerTemp: string }) => Promise<Record<string, string> | void>
}

export interface WorkflowCommand {
  command: string
  properties: Record<string, string>
  message: string
}

export interface ActionRun {
  /** Every input as the step received it (action.yml's defaults included). */
  inputs: Record<string, string>
  code: number | null
  signal: NodeJS.Signals | null
  stdout: string
  stderr: string
  /** Parsed from the `GITHUB_OUTPUT` file. */
  outputs: Record<string, string>
  /** Contents of `GITHUB_STEP_SUMMARY`. */
  summary: string
  /** Raw contents of the `GITHUB_ENV` and `GITHUB_STATE` files (normally empty for this action). */
  githubEnv: string
  githubState: string
  workspace: string
  runnerTemp: string
  /** Contents of the file named by `outputs['resource-file']`, if the action set it and the file exists. */
  resourceFile?: string
  durationMs: number
  /** Workflow commands (`::error file=…,line=…::msg`, `::add-mask::…`, …) found in stdout. */
  commands: WorkflowCommand[]
}

interface ActionManifest {
  inputs: Map<string, { default?: string }>
  nodeMajor: number
}

let manifestCache: ActionManifest | undefined

/** action.yml, read once: the declared inputs (with defaults) and the Node major of `runs.using`. */
function manifest(): ActionManifest {
  if (manifestCache) return manifestCache
  const file = path.join(REPO_ROOT, 'action.yml')
  const doc = parseYaml(readFileSync(file, 'utf8')) as {
    inputs?: Record<string, { default?: unknown } | null>
    runs?: { using?: unknown }
  }
  const inputs = new Map<string, { default?: string }>()
  for (const [name, spec] of Object.entries(doc.inputs ?? {})) {
    const raw = spec?.default
    inputs.set(name, raw === undefined || raw === null ? {} : { default: evaluateDefault(name, textOf(raw)) })
  }
  const using = textOf(doc.runs?.using ?? '')
  const match = /^node(\d+)$/.exec(using)
  if (!match) throw new Error(`action.yml: runs.using is '${using}', expected nodeNN`)
  manifestCache = { inputs, nodeMajor: Number(match[1]) }
  return manifestCache
}

/** The runner evaluates `${{ … }}` in defaults; only the expressions action.yml actually uses are known here. */
function evaluateDefault(input: string, value: string): string {
  return value.replace(/\$\{\{\s*(.*?)\s*\}\}/g, (_whole, expression: string) => {
    if (expression === 'github.token') return FAKE_GITHUB_TOKEN
    throw new Error(
      `action.yml: input '${input}' has a default expression the harness cannot evaluate: \${{ ${expression} }}`,
    )
  })
}

/** Every input of action.yml that has a default, evaluated as the runner would (`${{ github.token }}` → a fake `ghs_` token). */
export function actionDefaults(): Record<string, string> {
  const defaults: Record<string, string> = {}
  for (const [name, spec] of manifest().inputs) {
    if (spec.default !== undefined) defaults[name] = spec.default
  }
  return defaults
}

/** The runner's name for an input's variable: uppercased, spaces → `_`, dashes kept (`INPUT_PAYLOAD-FILE`). */
export function inputEnvName(name: string): string {
  return `INPUT_${name.replace(/ /g, '_').toUpperCase()}`
}

const runRoots = new Set<string>()

/** Remove every temp directory created by `runAction` in this process (call from `afterAll`). */
export async function cleanupRuns(): Promise<void> {
  const roots = [...runRoots]
  runRoots.clear()
  await Promise.all(roots.map((root) => rm(root, { recursive: true, force: true })))
}

/** Run the action once in a fresh workspace and collect everything the runner would see. */
export async function runAction(opts: RunOptions): Promise<ActionRun> {
  const { inputs: declared, nodeMajor } = manifest()
  for (const name of Object.keys(opts.inputs)) {
    if (!declared.has(name)) {
      const hint = closest(name, [...declared.keys()])
      throw new Error(
        `runAction: input '${name}' is not declared in action.yml${hint ? ` (did you mean '${hint}'?)` : ''}`,
      )
    }
  }
  const entry = path.resolve(opts.entry ?? path.join(REPO_ROOT, 'dist', 'index.js'))
  if (!existsSync(entry)) {
    throw new Error(
      opts.entry
        ? `runAction: entry ${entry} does not exist`
        : `runAction: ${entry} does not exist; build it with \`npm run bundle\``,
    )
  }
  const running = Number(process.versions.node.split('.')[0])
  if (running < nodeMajor) {
    throw new Error(
      `runAction: action.yml says node${nodeMajor}, but ${process.execPath} is Node ${process.versions.node}; ` +
        `run with node_modules/.bin on PATH (npm test / npm run demo do that)`,
    )
  }

  const root = await mkdtemp(path.join(os.tmpdir(), 'deploy-patch-run-'))
  runRoots.add(root)
  const workspace = path.join(root, 'work', 'app', 'app')
  const runnerTemp = path.join(root, 'work', '_temp')
  // The runner keeps its file-command files in RUNNER_TEMP/_runner_file_commands.
  const commandDir = path.join(runnerTemp, '_runner_file_commands')
  await mkdir(workspace, { recursive: true })
  await mkdir(commandDir, { recursive: true })
  const id = randomUUID()
  const files = {
    output: path.join(commandDir, `set_output_${id}`),
    summary: path.join(commandDir, `step_summary_${id}`),
    env: path.join(commandDir, `set_env_${id}`),
    state: path.join(commandDir, `save_state_${id}`),
    event: path.join(root, 'work', '_temp', '_github_workflow', 'event.json'),
  }
  for (const file of [files.output, files.summary, files.env, files.state]) await writeFile(file, '')
  await mkdir(path.dirname(files.event), { recursive: true })
  await writeFile(files.event, JSON.stringify({ ref: 'refs/heads/main', repository: { full_name: 'octo/app' } }))
  await writeWorkspaceFiles(workspace, opts.files ?? {})
  const prepared = (await opts.prepare?.({ workspace, runnerTemp })) ?? {}

  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: process.env.HOME ?? os.homedir(),
    CI: 'true',
    GITHUB_ACTIONS: 'true',
    GITHUB_WORKSPACE: workspace,
    RUNNER_TEMP: runnerTemp,
    RUNNER_OS: 'Linux',
    RUNNER_ARCH: 'X64',
    GITHUB_OUTPUT: files.output,
    GITHUB_STEP_SUMMARY: files.summary,
    GITHUB_ENV: files.env,
    GITHUB_STATE: files.state,
    GITHUB_EVENT_PATH: files.event,
    GITHUB_EVENT_NAME: 'push',
    GITHUB_SHA: 'ffac537e6cbbf934b08745a378932722df287a53',
    GITHUB_REF: 'refs/heads/main',
    GITHUB_REF_NAME: 'main',
    GITHUB_REPOSITORY: 'octo/app',
    GITHUB_REPOSITORY_OWNER: 'octo',
    GITHUB_ACTOR: 'octocat',
    GITHUB_WORKFLOW: 'deploy',
    GITHUB_JOB: 'deploy',
    GITHUB_RUN_ID: '1658821493',
    GITHUB_RUN_NUMBER: '42',
    GITHUB_RUN_ATTEMPT: '1',
    GITHUB_SERVER_URL: 'https://github.com',
    GITHUB_API_URL: 'https://api.github.com',
    GITHUB_GRAPHQL_URL: 'https://api.github.com/graphql',
  }
  const inputValues = { ...actionDefaults(), ...opts.inputs, ...prepared }
  for (const [name, value] of Object.entries(inputValues)) env[inputEnvName(name)] = value
  // Step debug logging (the ACTIONS_STEP_DEBUG variable) reaches the step as RUNNER_DEBUG=1.
  if (opts.env?.ACTIONS_STEP_DEBUG === 'true') env.RUNNER_DEBUG = '1'
  Object.assign(env, opts.env ?? {})

  const child = await spawnAndCollect(entry, workspace, env, opts)
  const readText = (file: string): Promise<string> => readFile(file, 'utf8')
  const outputText = await readText(files.output)
  let outputs: Record<string, string>
  try {
    outputs = parseOutputFile(outputText)
  } catch (error) {
    throw new Error(
      `runAction: the action wrote a GITHUB_OUTPUT file the runner would reject: ${(error as Error).message}\n` +
        tail('stdout', child.stdout) +
        tail('stderr', child.stderr),
      { cause: error },
    )
  }
  let resourceFile: string | undefined
  const resourcePath = outputs['resource-file']
  if (resourcePath) {
    const absolute = path.resolve(workspace, resourcePath)
    if (existsSync(absolute)) resourceFile = await readText(absolute)
  }
  return {
    ...child,
    inputs: inputValues,
    outputs,
    summary: await readText(files.summary),
    githubEnv: await readText(files.env),
    githubState: await readText(files.state),
    workspace,
    runnerTemp,
    resourceFile,
    commands: parseCommands(child.stdout),
  }
}

async function writeWorkspaceFiles(workspace: string, files: Record<string, string | Buffer>): Promise<void> {
  for (const [relative, content] of Object.entries(files)) {
    const target = path.resolve(workspace, relative)
    if (path.isAbsolute(relative) || !target.startsWith(workspace + path.sep)) {
      throw new Error(`runAction: file '${relative}' must be a relative path inside the workspace`)
    }
    await mkdir(path.dirname(target), { recursive: true })
    await writeFile(target, content)
  }
}

interface ChildResult {
  code: number | null
  signal: NodeJS.Signals | null
  stdout: string
  stderr: string
  durationMs: number
}

function spawnAndCollect(
  entry: string,
  cwd: string,
  env: Record<string, string>,
  opts: RunOptions,
): Promise<ChildResult> {
  const timeoutMs = opts.timeoutMs ?? 60_000
  return new Promise((resolve, reject) => {
    const started = performance.now()
    const child = spawn(process.execPath, [entry], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] })
    const outDecoder = new StringDecoder('utf8')
    const errDecoder = new StringDecoder('utf8')
    let stdout = ''
    let stderr = ''
    let timedOut = false
    let signalSent = false
    const timers: NodeJS.Timeout[] = []

    const sendKill = (signal: NodeJS.Signals): void => {
      if (signalSent || child.exitCode !== null || child.signalCode !== null) return
      signalSent = true
      child.kill(signal)
      for (const ms of opts.kill?.again ?? []) {
        timers.push(
          setTimeout(() => void (child.exitCode === null && child.signalCode === null && child.kill(signal)), ms),
        )
      }
    }
    const kill = opts.kill
    if (kill && 'afterMs' in kill) timers.push(setTimeout(() => sendKill(kill.signal), kill.afterMs))
    timers.push(
      setTimeout(() => {
        timedOut = true
        child.kill('SIGKILL')
      }, timeoutMs),
    )

    child.stdout.on('data', (chunk: Buffer) => {
      stdout += outDecoder.write(chunk)
      if (kill && 'onStdout' in kill && !signalSent) {
        kill.onStdout.lastIndex = 0
        if (kill.onStdout.test(stdout)) sendKill(kill.signal)
      }
    })
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += errDecoder.write(chunk)
    })
    child.on('error', (error) => {
      for (const timer of timers) clearTimeout(timer)
      reject(new Error(`runAction: could not start ${process.execPath} ${entry}: ${error.message}`, { cause: error }))
    })
    child.on('close', (code, signal) => {
      for (const timer of timers) clearTimeout(timer)
      stdout += outDecoder.end()
      stderr += errDecoder.end()
      const durationMs = Math.round(performance.now() - started)
      if (timedOut) {
        reject(
          new Error(
            `runAction: the action did not finish within ${timeoutMs} ms and was killed with SIGKILL\n` +
              tail('stdout', stdout) +
              tail('stderr', stderr),
          ),
        )
        return
      }
      resolve({ code, signal, stdout, stderr, durationMs })
    })
  })
}

function tail(label: string, text: string, lines = 20): string {
  if (text === '') return `--- ${label}: (empty)\n`
  return `--- ${label} (last ${lines} lines):\n${text.trimEnd().split('\n').slice(-lines).join('\n')}\n`
}

/**
 * Parse a `GITHUB_OUTPUT`-format file as the runner does: `name=value` lines and
 * `name<<DELIMITER` … `DELIMITER` heredoc blocks; blank lines between entries are skipped.
 */
export function parseOutputFile(text: string): Record<string, string> {
  const outputs: Record<string, string> = {}
  const lines = text.split(/\r?\n/)
  for (let index = 0; index < lines.length; index++) {
    const line = lines[index] ?? ''
    if (line === '') continue
    const equals = line.indexOf('=')
    const heredoc = line.indexOf('<<')
    if (equals >= 0 && (heredoc < 0 || equals < heredoc)) {
      const name = line.slice(0, equals)
      if (name === '') throw new Error(`line ${index + 1}: empty name in '${line}'`)
      outputs[name] = line.slice(equals + 1)
      continue
    }
    if (heredoc <= 0) throw new Error(`line ${index + 1}: invalid format '${line}'`)
    const name = line.slice(0, heredoc)
    const delimiter = line.slice(heredoc + 2)
    if (delimiter === '') throw new Error(`line ${index + 1}: empty delimiter for '${name}'`)
    const value: string[] = []
    let closed = false
    while (++index < lines.length) {
      const valueLine = lines[index] ?? ''
      if (valueLine === delimiter) {
        closed = true
        break
      }
      value.push(valueLine)
    }
    if (!closed) throw new Error(`matching delimiter '${delimiter}' not found for output '${name}'`)
    outputs[name] = value.join('\n')
  }
  return outputs
}

/** Commands the runner acts on; any other `::x::` line is plain log text to it. */
const KNOWN_COMMANDS = new Set([
  'add-mask',
  'add-path',
  'add-matcher',
  'remove-matcher',
  'debug',
  'notice',
  'warning',
  'error',
  'group',
  'endgroup',
  'set-output',
  'save-state',
  'set-env',
  'echo',
  'stop-commands',
])

/** Parse workflow commands (`::error file=p.json,line=3::msg`) from stdout, unescaping as the runner does. */
export function parseCommands(stdout: string): WorkflowCommand[] {
  const commands: WorkflowCommand[] = []
  let resumeToken: string | undefined
  for (const rawLine of stdout.split(/\r?\n/)) {
    const line = rawLine.trimStart()
    if (resumeToken !== undefined) {
      if (line === `::${resumeToken}::`) resumeToken = undefined
      continue
    }
    if (!line.startsWith('::')) continue
    const end = line.indexOf('::', 2)
    if (end < 0) continue
    const info = line.slice(2, end)
    const space = info.indexOf(' ')
    const command = space < 0 ? info : info.slice(0, space)
    if (!KNOWN_COMMANDS.has(command)) continue
    const properties: Record<string, string> = {}
    if (space > 0) {
      for (const pair of info
        .slice(space + 1)
        .trim()
        .split(',')) {
        const eq = pair.indexOf('=')
        if (eq <= 0 || eq === pair.length - 1) continue
        properties[pair.slice(0, eq)] = unescape(pair.slice(eq + 1), true)
      }
    }
    const message = unescape(line.slice(end + 2), false)
    if (command === 'stop-commands') {
      resumeToken = message
      continue
    }
    commands.push({ command, properties, message })
  }
  return commands
}

function unescape(text: string, property: boolean): string {
  const pattern = property ? /%(25|0D|0A|3A|2C)/g : /%(25|0D|0A)/g
  const map: Record<string, string> = { '25': '%', '0D': '\r', '0A': '\n', '3A': ':', '2C': ',' }
  return text.replace(pattern, (_whole, code: string) => map[code] ?? '')
}

/**
 * Every place a secret appears in what the run exposes: stdout (except the runner-consumed
 * `::add-mask::` lines), stderr, each output, the summary, the resource file and the
 * GITHUB_ENV / GITHUB_STATE files. Pass encoded forms (base64, URL-encoded) yourself if they matter.
 */
/** Inputs whose values are credentials: findLeaks always looks for them (each comma-separated part too). */
export const CREDENTIAL_INPUTS = [
  'token',
  'password',
  'oauth-token',
  'basic-auth',
  'secret-key',
  'security-token',
  'github-token',
]

export function findLeaks(run: ActionRun, secrets: string[]): string[] {
  // Every credential the run was given counts, whether or not the caller listed it.
  const given = CREDENTIAL_INPUTS.flatMap((name) => {
    const value = run.inputs[name] ?? ''
    return [value, ...(value.includes(',') ? value.split(',').map((part) => part.trim()) : [])]
  })
  const wanted = [...new Set([...secrets, ...given])].filter((secret) => secret.length >= 3)
  const leaks: string[] = []
  const redact = (text: string): string => {
    let out = text
    for (const secret of wanted) out = out.split(secret).join('***')
    return out.length > 200 ? out.slice(0, 200) + '…' : out
  }
  const scanLines = (where: string, text: string, skip?: (line: string) => boolean): void => {
    text.split('\n').forEach((line, index) => {
      if (skip?.(line)) return
      wanted.forEach((secret, secretIndex) => {
        if (line.includes(secret))
          leaks.push(`${where} line ${index + 1} has secret #${secretIndex + 1}: ${redact(line)}`)
      })
    })
  }
  scanLines('stdout', run.stdout, (line) => line.trimStart().startsWith('::add-mask::'))
  scanLines('stderr', run.stderr)
  for (const [name, value] of Object.entries(run.outputs)) scanLines(`output '${name}'`, value)
  scanLines('job summary', run.summary)
  if (run.resourceFile !== undefined) scanLines('resource file', run.resourceFile)
  scanLines('GITHUB_ENV', run.githubEnv)
  scanLines('GITHUB_STATE', run.githubState)
  return leaks
}

/** The declared name nearest to a misspelled one, if it is plausibly a typo. */
function closest(name: string, candidates: string[]): string | undefined {
  let best: string | undefined
  let bestDistance = Infinity
  for (const candidate of candidates) {
    const distance = editDistance(name.toLowerCase().replace(/_/g, '-'), candidate)
    if (distance < bestDistance) {
      best = candidate
      bestDistance = distance
    }
  }
  return bestDistance <= Math.max(2, Math.floor(name.length / 3)) ? best : undefined
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, i) => i)
  for (let i = 1; i <= a.length; i++) {
    const current = [i]
    for (let j = 1; j <= b.length; j++) {
      const substitution = (previous[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1)
      current.push(Math.min((previous[j] ?? 0) + 1, (current[j - 1] ?? 0) + 1, substitution))
    }
    previous = current
  }
  return previous[b.length] ?? 0
}
