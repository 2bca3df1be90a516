/**
 * The flow, one way through: inputs → settings → payload → provider.validate → update → wait →
 * report. One deadline and the runner's cancellation bound all of it; whatever happens, the
 * report is written and the step fails with one readable message when anything failed.
 * With `github-environment`, a GitHub Deployment record brackets the provider's work (best effort).
 */
import * as core from '@actions/core'
import { ApiClient } from './http/client.js'
import { Deadline, cancellationSignal } from './deadline.js'
import { DeployPatchError, InputError, PayloadError, messageOf, type LocatedProblem, type RunStatus } from './errors.js'
import { startDeploymentRecord, type DeploymentRecord } from './github-deployment.js'
import { loadPayload } from './payload.js'
import { checkBeforeSending, mapConcurrent, runTarget, unitsOf } from './pipeline.js'
import { loadProvider, type ProviderContext } from './providers/provider.js'
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
  let record: DeploymentRecord | undefined
  try {
    settings = parseSettings((name) => core.getInput(name), (value) => void secrets.add(value))
    // The deadline starts before the payload is read: a large payload counts against `timeout`.
    const deadline = new Deadline(settings.timeoutMs)
    const provider = await loadProvider(settings.provider)
    // A payload file is read only from the workspace or RUNNER_TEMP (when the runner sets it; not TMPDIR or /tmp).
    const payload = await loadPayload({ ...settings, runnerTemp: process.env.RUNNER_TEMP || undefined }, process.env, { deadline, signal: cancellation.signal })
    for (const value of provider.secretsIn?.(payload.value) ?? []) secrets.add(value)
    problems = checkBeforeSending(provider, settings, payload)
    if (problems.length > 0) throw new PayloadError(problems, payload.file)

    const units = unitsOf(provider, settings.targets, payload)
    if (units.length > 1) log = runnerLog(secrets, false)
    if (settings.githubEnvironment) {
      const { githubEnvironment: environment, githubToken: token, dryRun } = settings
      record = await startDeploymentRecord({ environment, token, provider: provider.name, targets: units, dryRun, log, deadline, signal: cancellation.signal })
    }
    const base = { settings, deadline, signal: cancellation.signal, log, secret: (value: string) => secrets.add(value) ?? value }
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
        userAgent: `deploy-patch (${process.env.GITHUB_REPOSITORY ?? 'local'})`,
      })
      clients.push(client)
      return { ...base, client }
    }
    outcomes = await mapConcurrent(units, settings.concurrency, (unit) => runTarget(provider, contextFor(), unit, payload))
  } catch (caught) {
    error = describeFailure(caught)
    if (caught instanceof PayloadError) problems = caught.problems
  } finally {
    for (const client of clients) client.dispose()
  }

  const report = { provider: settings?.provider, outcomes, problems, error, dryRun: settings?.dryRun ?? false, durationMs: Date.now() - started, githubDeployment: record }
  // The final GitHub status goes out while the report is written, so a slow GitHub API never delays the outputs.
  const recorded = record?.finish(overallStatus(report), outcomes.find((o) => o.consoleUrl)?.consoleUrl)
  let status: string
  try {
    status = await writeReport(report, sink, { runnerTemp: settings?.runnerTemp ?? process.env.RUNNER_TEMP ?? '/tmp', summary: settings?.summary ?? true })
  } catch (reportError) {
    core.setFailed(`deploy-patch: could not write the report: ${secrets.redact(messageOf(reportError))}`)
    return
  } finally {
    await recorded
  }
  const failures = [error, ...outcomes.map((o) => o.error)].filter((e) => e !== undefined)
  if (failures.length > 0) core.setFailed(secrets.redact(`deploy-patch: ${failures.map((f) => f.message).join(' ')}`))
  else log.info(`deploy-patch: ${status}.`)
}

function describeFailure(error: unknown): { type: string; message: string; status?: RunStatus } {
  if (error instanceof PayloadError) {
    const count = error.problems.length
    return { type: 'validation', message: `${count === 1 ? 'The payload has a problem' : `The payload has ${count} problems`}; nothing was sent. ${error.message.split('\n').join(' ')}` }
  }
  if (error instanceof InputError) return { type: 'input', message: `${error.message} Nothing was sent.` }
  // A cancellation or the deadline during the login (before any target) keeps its own status.
  if (error instanceof DeployPatchError) return { type: error.errorType, message: error.message, status: error.status }
  return { type: 'internal', message: `unexpected error: ${messageOf(error)}. Please report this.` }
}

/** The runner's log with every line redacted; collapsible groups only when one target runs, as groups cannot interleave. */
function runnerLog(secrets: Secrets, grouped: boolean): ProviderContext['log'] {
  return {
    info: (message) => core.info(secrets.redact(message)),
    warning: (message) => core.warning(secrets.redact(message)),
    debug: (message) => core.debug(secrets.redact(message)),
    group: grouped
      ? (title, work) => core.group(secrets.redact(title), work)
      : (title, work) => {
          core.info(secrets.redact(`${title}…`))
          return work()
        },
  }
}
