/**
 * The action as the runner runs it, in the shape of actions/checkout's main: read the inputs and
 * run the work (deploy.ts), write the report, then fail the step with one readable message or say
 * how it ended. Whatever happens, the report is written.
 */
import * as core from '@actions/core'
import { cancellationSignal } from './deadline.js'
import { deploy } from './deploy.js'
import { describeReportFailure, stepFailure } from './failure.js'
import type { RunStatus } from './errors.js'
import { overallStatus } from './outcome.js'
import { writePlanCommentOnDemand } from './pr-comment-on-demand.js'
import { writeReport } from './report.js'
import { failUnreported, runnerLog, runnerSink } from './runner.js'
import { Secrets } from './secrets.js'

/** Run the action: deploy, report, then fail or succeed. */
export async function run(): Promise<void> {
  const secrets = new Secrets(core.setSecret)
  // Never disposed: the handlers stay for the life of the process, so no SIGINT/SIGTERM (a second
  // one included) can end it before the outputs and the exit code are written. They do not keep it alive.
  const { signal } = cancellationSignal()
  const { settings, report, recorded } = await deploy({
    readInput: (name) => core.getInput(name),
    env: process.env,
    secrets,
    signal,
    log: (grouped) => runnerLog(secrets, grouped),
  })
  let status: RunStatus
  try {
    status = await writeReport(report, runnerSink(secrets), {
      runnerTemp: settings?.runnerTemp ?? process.env.RUNNER_TEMP ?? '/tmp',
      summary: settings?.summary ?? true,
    })
  } catch (reportError) {
    // No output may contradict the exit code: whatever the work did, a run without its report failed.
    const failure = describeReportFailure(reportError, overallStatus(report))
    return failUnreported({ ...failure, message: secrets.redact(failure.message) })
  } finally {
    await recorded
  }
  // After the report: the comment shows the plan the summary rendered, and never changes the result.
  const log = runnerLog(secrets, true)
  const redact = (text: string) => secrets.redact(text)
  const commentUrl = await writePlanCommentOnDemand({ settings, report, status, env: process.env, redact, log, signal })
  if (commentUrl) core.setOutput('pr-comment-url', redact(commentUrl))
  const failure = stepFailure([report.error, ...report.outcomes.map((o) => o.error)])
  if (failure) core.setFailed(secrets.redact(failure))
  else log.info(`deploy-patch: ${status}.`)
}
