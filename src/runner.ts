/**
 * The runner's side of the action, the only module but main.ts that talks to @actions/core: the
 * log every line of a run goes through, the sink the report is written to, and the last word
 * when the report itself could not be written.
 */
import * as core from '@actions/core'
import type { RunLog } from './deploy.js'
import type { Failure } from './failure.js'
import type { ReportSink } from './report.js'
import type { Secrets } from './secrets.js'

/** The runner's log: every line redacted and inert; groups only for one target, as groups cannot interleave. */
export function runnerLog(secrets: Secrets, grouped: boolean): RunLog {
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

/** The report's sink on a runner: outputs, annotations and the job summary, every value redacted by the report. */
export function runnerSink(secrets: Secrets): ReportSink {
  return {
    setOutput: core.setOutput,
    warning: (message) => core.warning(message),
    error: (message, annotation) => core.error(message, annotation),
    writeSummary: async (markdown) => {
      // Outside a runner (a local run of dist/index.js) there is no summary file: say so, and report the rest.
      if (!process.env.GITHUB_STEP_SUMMARY)
        return core.info('GITHUB_STEP_SUMMARY is not set: the job summary is not written.')
      await core.summary.addRaw(markdown).write()
    },
    redact: (text) => secrets.redact(text),
  }
}

/** The report could not be written: the outputs that still can be set say so, and the step fails. */
export function failUnreported(failure: Failure): void {
  for (const [name, value] of [
    ['status', failure.status],
    ['error-type', failure.type],
    ['error-message', failure.message],
  ] as const) {
    try {
      core.setOutput(name, value)
    } catch {
      // GITHUB_OUTPUT itself cannot be written: the failed step still says it.
    }
  }
  core.setFailed(failure.message)
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
