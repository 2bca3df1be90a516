/**
 * The flow, one way through: inputs → settings → payload → provider.validate → update → wait →
 * report. One deadline and the runner's cancellation bound all of it; whatever happens, the
 * report is written and the step fails with one readable message when anything failed.
 * With `github-environment`, a GitHub Deployment record brackets the provider's work (best effort).
 */
import * as core from '@actions/core'
import { ApiClient, type CredentialState } from './http/client.js'
import { Deadline, cancellationSignal } from './deadline.js'
import {
  DeployPatchError,
  InputError,
  PayloadError,
  messageOf,
  problemsHeadline,
  type LocatedProblem,
  type RunStatus,
} from './errors.js'
import { startDeploymentRecord, type DeploymentRecord } from './github-deployment.js'
import { loadPayload } from './payload.js'
import { checkBeforeSending, checkInputs, mapConcurrent, runTarget, unitsOf } from './pipeline.js'
import type { ProviderContext } from './providers/provider.js'
import { loadProvider } from './providers/registry.js'
import { overallStatus, writeReport, type Outcome, type ReportSink } from './report.js'
import { Secrets } from './secrets.js'
import { parseSettings, type Settings } from './settings.js'

export async function run(): Promise<void> {
  const started = Date.now()
  const secrets = new Secrets(core.setSecret)
  let log = runnerLog(secrets, true)
  const sink: ReportSink = {
    setOutput: core.setOutput,
    warning: (message) => core.warning(message),
    error: (message, annotation) => core.error(message, annotation),
    writeSummary: async (markdown) => void (await core.summary.addRaw(markdown).write()),
    redact: (text) => secrets.redact(text),
  }
  let settings: Settings | undefined
  let outcomes: Outcome[] = []
  let problems: LocatedProblem[] = []
  let error: { type: string; message: string } | undefined
  // Never disposed: the handlers stay for the life of the process, so no SIGINT/SIGTERM (a second
  // one included) can end it before the outputs and the exit code are written. They do not keep it alive.
  const cancellation = cancellationSignal()
  const clients: ApiClient[] = []
  const credential: CredentialState = {}
  let record: DeploymentRecord | undefined
  try {
    settings = parseSettings(
      (name) => core.getInput(name),
      (value) => void secrets.add(value),
    )
    // The deadline starts before the payload is read: a large payload counts against `timeout`.
    const deadline = new Deadline(settings.timeoutMs)
    const provider = await loadProvider(settings.provider)
    // A payload file is read only from the workspace or RUNNER_TEMP (when the runner sets it; not TMPDIR or /tmp).
    // A payload that cannot be read or parsed is reported together with every input problem (inputs first), not instead of them.
    const payload = await loadPayload({ ...settings, runnerTemp: process.env.RUNNER_TEMP || undefined }, process.env, {
      deadline,
      signal: cancellation.signal,
    }).catch((loadError: unknown) => {
      throw withInputProblems(checkInputs(provider, settings!), loadError)
    })
    for (const { key, value } of provider.secretsIn?.(payload.value) ?? []) secrets.addSetting(key, value)
    problems = checkBeforeSending(provider, settings, payload)
    if (problems.length > 0) throw new PayloadError(problems, payload.file)

    const units = unitsOf(provider, settings.targets, payload)
    if (units.length > 1) log = runnerLog(secrets, false)
    if (settings.githubEnvironment) {
      const { githubEnvironment: environment, githubToken: token, dryRun } = settings
      record = await startDeploymentRecord({
        environment,
        token,
        provider: provider.name,
        targets: units,
        dryRun,
        log,
        deadline,
        signal: cancellation.signal,
      })
    }
    const base = {
      settings,
      deadline,
      signal: cancellation.signal,
      log,
      secret: (value: string) => secrets.add(value) ?? value,
      redact: (text: string) => secrets.redact(text),
    }
    const authorize = await provider.authorize(base)
    const contextFor = (): ProviderContext => {
      const client = new ApiClient({
        baseUrl: provider.baseUrl(settings!),
        deadline,
        signal: cancellation.signal,
        maxRetries: settings!.maxRetries,
        log,
        authorize,
        parseError: provider.parseError.bind(provider),
        redact: base.redact,
        credential,
        userAgent: `deploy-patch (${process.env.GITHUB_REPOSITORY ?? 'local'})`,
      })
      clients.push(client)
      return { ...base, client }
    }
    outcomes = await mapConcurrent(units, settings.concurrency, (unit) =>
      runTarget(provider, contextFor(), unit, payload),
    )
  } catch (caught) {
    error = describeFailure(caught)
    if (caught instanceof PayloadError) problems = caught.problems
  } finally {
    for (const client of clients) client.dispose()
  }

  const report = {
    provider: settings?.provider,
    outcomes,
    problems,
    error,
    dryRun: settings?.dryRun ?? false,
    durationMs: Date.now() - started,
    githubDeployment: record,
  }
  // The final GitHub status goes out while the report is written, so a slow GitHub API never delays the outputs.
  const recorded = record?.finish(overallStatus(report), outcomes.find((o) => o.consoleUrl)?.consoleUrl)
  let status: string
  try {
    status = await writeReport(report, sink, {
      runnerTemp: settings?.runnerTemp ?? process.env.RUNNER_TEMP ?? '/tmp',
      summary: settings?.summary ?? true,
    })
  } catch (reportError) {
    // No output may contradict the exit code: whatever the work did, a run without its report failed.
    const message = secrets.redact(
      `deploy-patch: could not write the report: ${messageOf(reportError).replace(/\.$/, '')}. The work itself ended as ${overallStatus(report)}; check the target at the provider.`,
    )
    for (const [name, value] of [
      ['status', 'failed'],
      ['error-type', 'internal'],
      ['error-message', message],
    ] as const) {
      try {
        core.setOutput(name, value)
      } catch {
        // GITHUB_OUTPUT itself cannot be written: the failed step still says it.
      }
    }
    core.setFailed(message)
    return
  } finally {
    await recorded
  }
  const failures = [error, ...outcomes.map((o) => o.error)].filter((e) => e !== undefined)
  if (failures.length > 0) core.setFailed(secrets.redact(`deploy-patch: ${failures.map((f) => f.message).join(' ')}`))
  else log.info(`deploy-patch: ${status}.`)
}

/** A payload that could not be loaded, with the input problems found without it: one PayloadError listing them all (or the error as it was). */
function withInputProblems(inputProblems: LocatedProblem[], error: unknown): unknown {
  if (inputProblems.length === 0) return error
  if (error instanceof PayloadError) return new PayloadError([...inputProblems, ...error.problems], error.file)
  if (error instanceof InputError)
    return new PayloadError([...inputProblems, { path: [], input: error.input, message: error.message }])
  return error
}

function describeFailure(error: unknown): { type: string; message: string; status?: RunStatus } {
  if (error instanceof PayloadError) {
    const details = error.message.split('\n').join(' ')
    // One input's problem: its message names it ("Input 'token' is required for qoder: …; nothing was sent.").
    // Otherwise a headline first ("Input 'token' and the payload have 3 problems; nothing was sent."), then every problem, inputs first.
    if (error.problems.length === 1 && error.problems[0]!.input !== undefined)
      return { type: error.errorType, message: `${details.replace(/\.$/, '')}; nothing was sent.` }
    return { type: error.errorType, message: `${problemsHeadline(error.problems)} ${details}` }
  }
  if (error instanceof InputError) return { type: 'input', message: `${error.message} Nothing was sent.` }
  // A cancellation or the deadline during the login (before any target) keeps its own status.
  if (error instanceof DeployPatchError) return { type: error.errorType, message: error.message, status: error.status }
  return { type: 'internal', message: `unexpected error: ${messageOf(error)}. Please report this.` }
}

/** The runner's log with every line redacted and inert; collapsible groups only when one target runs, as groups cannot interleave. */
function runnerLog(secrets: Secrets, grouped: boolean): ProviderContext['log'] {
  const text = (message: string) => inert(secrets.redact(message))
  return {
    info: (message) => core.info(text(message)),
    warning: (message) => core.warning(secrets.redact(message)),
    debug: (message) => core.debug(secrets.redact(message)),
    group: grouped
      ? (title, work) => core.group(secrets.redact(title), work)
      : (title, work) => {
          core.info(text(`${title}…`))
          return work()
        },
  }
}

/**
 * A plain log line can carry server or payload text. The runner reads every line of stdout as a
 * workflow command when, after leading whitespace, it starts with `::` (`::add-mask::x`,
 * `::stop-commands::x`), or when it contains `##[` anywhere (the old `##[cmd]` form); so in each
 * line such a start gets a zero-width space (U+200B) after its first character, which the runner
 * does not count as whitespace. Lines are split as the runner splits them (CR, LF), and also at
 * the Unicode line breaks, to be safe. (`core.warning`, `error`, `debug` and group titles escape
 * CR and LF into one command line themselves, and that line is the command, so they need nothing.)
 */
export function inert(text: string): string {
  return text.replace(/(^|[\r\n\u0085\u2028\u2029])([\s\u0085]*):(?=:)/g, '$1$2:\u200B').replace(/##\[/g, '#\u200B#[')
}
