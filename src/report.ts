/**
 * Everything the next steps and the person reading the run see: the outputs, the resource and
 * results files, the annotations, and the job summary (rendered by summary.ts) within GitHub's
 * limits. Built from the outcomes alone, after the work is done (or cancelled), so a failure
 * still reports everything it has.
 */
import { mkdir, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { formatProblem, type RunStatus } from './errors.js'
import { overallStatus, type Outcome, type RunReport } from './outcome.js'
import { renderSummary } from './summary.js'

/** Where the report goes: `@actions/core` on a runner. */
export interface ReportSink {
  setOutput(name: string, value: string): void
  warning(message: string): void
  error(message: string, annotation?: { title?: string; file?: string; startLine?: number; startColumn?: number }): void
  writeSummary(markdown: string): Promise<void>
  redact: (text: string) => string
}

/** Outputs larger than this are cut (with a warning); the resource file always has everything. */
export const MAX_RESOURCE_OUTPUT_BYTES = 512 * 1024
/** The most `results` holds; past it, whole entries are left out (with a warning) and `results-file` has them all. */
export const MAX_RESULTS_OUTPUT_BYTES = 200_000
/** The most `changes`, `resource-id` and `error-message` each hold. With the above, all outputs stay under GitHub's 1 MB per job. */
export const MAX_LIST_OUTPUT_BYTES = 50_000
/** GitHub refuses a step summary over 1 MiB: past this, the summary lists only the targets that did not succeed. */
export const MAX_SUMMARY_BYTES = 1_000_000

/**
 * Write outputs, resource and results files, annotations and (optionally) the summary. Returns the
 * overall status. Every value is built first; the outputs are set last, after the files and the
 * summary are written, so when anything throws no output has claimed a status yet (main then
 * reports the failure).
 */
export async function writeReport(
  report: RunReport,
  sink: ReportSink,
  options: { runnerTemp: string; summary: boolean },
): Promise<RunStatus> {
  const status = overallStatus(report)
  const outputs = new Map<string, string>()
  const warnings: string[] = []
  const set = (name: string, value: string) => outputs.set(name, sink.redact(value))
  const single = report.outcomes.length === 1 ? report.outcomes[0] : undefined
  const stamp = Date.now()
  const fileName = (kind: string) =>
    path.join(
      options.runnerTemp,
      'deploy-patch',
      `${report.provider ?? 'deploy-patch'}-${fileSafe(single?.target ?? 'targets')}-${kind}${stamp}.json`,
    )

  set('status', status)
  const ids = report.outcomes.map((o) => o.target)
  const shownIds = keepWithin(ids, MAX_LIST_OUTPUT_BYTES, (kept) => sink.redact(kept.join(',')))
  set('resource-id', shownIds.join(','))
  set('changed', String(report.outcomes.some((o) => o.changed)))
  const changes = single
    ? single.changes.map((c) => c.path)
    : report.outcomes.flatMap((o) => o.changes.map((c) => `${o.target}: ${c.path}`))
  const shownChanges = keepWithin(changes, MAX_LIST_OUTPUT_BYTES, (kept) => sink.redact(JSON.stringify(kept)))
  // A dry run without credentials read nothing: `[]` would claim "no change", so `changes` is left unset.
  if (!report.outcomes.some((o) => o.liveDiffSkipped)) set('changes', JSON.stringify(shownChanges))
  const results = report.outcomes.flatMap(resultsOf)
  const shownResults = keepWithin(results, MAX_RESULTS_OUTPUT_BYTES, (kept) => sink.redact(JSON.stringify(kept)))
  set('results', JSON.stringify(shownResults))
  const cut: string[] = []
  if (shownIds.length < ids.length)
    cut.push(`'resource-id' lists the first ${shownIds.length} of ${ids.length} targets`)
  if (shownChanges.length < changes.length)
    cut.push(`'changes' lists the first ${shownChanges.length} of ${changes.length} changes`)
  if (shownResults.length < results.length)
    cut.push(`'results' holds the first ${shownResults.length} of ${results.length} entries`)
  if (single?.providerStatus) set('provider-status', single.providerStatus)
  if (single?.httpStatus) set('http-status', String(single.httpStatus))
  if (single?.requestId) set('request-id', single.requestId)
  if (report.githubDeployment) set('github-deployment-id', String(report.githubDeployment.id))
  // on-failure: rollback — true when a failed release was put back (the step still fails).
  set('rolled-back', String(report.outcomes.some((o) => o.rolledBack)))
  const failed = report.outcomes.flatMap((o) => (o.error ? [o.error] : []))
  const failure = report.error ?? failed[0]
  if (failure) {
    set('error-type', failure.type)
    // Redacted before it is cut, so a cut never leaves part of a secret.
    const message = sink.redact(failed.length > 1 ? failed.map((e) => e.message).join(' ') : failure.message)
    if (Buffer.byteLength(message) > MAX_LIST_OUTPUT_BYTES)
      cut.push(`'error-message' holds the first ${Math.round(MAX_LIST_OUTPUT_BYTES / 1000)} KB of the messages`)
    set(
      'error-message',
      Buffer.byteLength(message) > MAX_LIST_OUTPUT_BYTES
        ? `${truncateUtf8(message, MAX_LIST_OUTPUT_BYTES - 3)}…`
        : message,
    )
  }

  const withResource = report.outcomes.filter((o) => o.resource !== undefined)
  let resourceFile: { file: string; content: string } | undefined
  if (withResource.length > 0) {
    const fileContent = single ? single.resource : withResource.map((o) => ({ target: o.target, resource: o.resource }))
    resourceFile = { file: fileName(''), content: sink.redact(JSON.stringify(fileContent, null, 2)) + '\n' }
    set('resource-file', resourceFile.file)
    if (single) {
      const compact = sink.redact(JSON.stringify(single.resource))
      if (Buffer.byteLength(compact) > MAX_RESOURCE_OUTPUT_BYTES) {
        warnings.push(
          `The resource is ${Math.round(Buffer.byteLength(compact) / 1024)} KB; the 'resource' output holds its first 512 KB only (not valid JSON). Read the whole resource from the file named by the 'resource-file' output.`,
        )
        set('resource', truncateUtf8(compact, MAX_RESOURCE_OUTPUT_BYTES))
      } else set('resource', compact)
    }
  }
  const resultsFile =
    results.length > 0
      ? { file: fileName('results-'), content: sink.redact(JSON.stringify(results, null, 2)) + '\n' }
      : undefined
  if (resultsFile) set('results-file', resultsFile.file)
  if (cut.length > 0)
    warnings.push(
      `GitHub keeps at most 1 MB of outputs per job, so ${cut.join(', ')}. Every result is in the file named by the 'results-file' output.`,
    )

  let summary: string | undefined
  if (options.summary) {
    summary = sink.redact(renderSummary(report, status, { redact: sink.redact }))
    if (Buffer.byteLength(summary) > MAX_SUMMARY_BYTES) {
      warnings.push(
        `The job summary would be ${Math.round(Buffer.byteLength(summary) / 1024)} KB, over GitHub's 1 MB; it lists only the targets that did not succeed. Every result is in the file named by the 'results-file' output.`,
      )
      summary = sink.redact(renderSummary(report, status, { redact: sink.redact, collapsed: true }))
      if (Buffer.byteLength(summary) > MAX_SUMMARY_BYTES) {
        const kept = truncateUtf8(summary, MAX_SUMMARY_BYTES - 200)
        summary = `${kept.slice(0, kept.lastIndexOf('\n') + 1)}\n… (cut at 1 MB, GitHub's limit for a step summary; every result is in the file named by the \`results-file\` output)\n`
      }
    }
  }

  for (const problem of report.problems) {
    sink.error(sink.redact(formatProblem({ ...problem, file: undefined, line: undefined, column: undefined })), {
      title: 'deploy-patch: nothing was sent',
      // An input's problem is not in the payload file: no file or line, whatever the problem carries.
      ...(problem.input === undefined
        ? { file: problem.file, startLine: problem.line, startColumn: problem.column }
        : {}),
    })
  }
  for (const file of [resourceFile, resultsFile]) {
    if (!file) continue
    await mkdir(path.dirname(file.file), { recursive: true })
    await writeFile(file.file, file.content, { mode: 0o600 })
  }
  if (summary !== undefined) await sink.writeSummary(summary)
  for (const warning of warnings) sink.warning(warning)
  for (const [name, value] of outputs) sink.setOutput(name, value)
  return status
}

/** The longest head of `items` whose rendering fits in `bytes`, by halving (rendering is linear, so this stays fast). */
function keepWithin<T>(items: T[], bytes: number, render: (kept: T[]) => string): T[] {
  if (Buffer.byteLength(render(items)) <= bytes) return items
  let low = 0
  let high = items.length
  while (low < high) {
    const mid = Math.ceil((low + high) / 2)
    if (Buffer.byteLength(render(items.slice(0, mid))) <= bytes) low = mid
    else high = mid - 1
  }
  return items.slice(0, low)
}

/** The `results` entries of one outcome: one per item when it has items (kintone apps), else one. */
function resultsOf(o: Outcome): object[] {
  // `rolled-back` only with on-failure: rollback, so entries of runs without it keep their shape.
  const extra = {
    ...(o.error ? { error: o.error.message } : {}),
    ...(o.rolledBack !== undefined ? { 'rolled-back': o.rolledBack } : {}),
  }
  if (!o.items)
    return [
      { target: o.target, status: o.status, 'provider-status': o.providerStatus ?? null, changed: o.changed, ...extra },
    ]
  return o.items.map((item) => ({
    target: item.id,
    status: o.status === 'succeeded' && !item.succeeded ? 'failed' : o.status,
    'provider-status': item.providerStatus ?? null,
    // A dry run's item status is the last deploy's, not this run's: every app in it would deploy.
    changed: o.changed && (o.status === 'dry-run' || item.succeeded),
    ...extra,
  }))
}

function fileSafe(text: string): string {
  return text.replace(/[^A-Za-z0-9._-]/g, '_').slice(0, 80)
}

/** At most `bytes` bytes of `text`, never splitting a character. */
export function truncateUtf8(text: string, bytes: number): string {
  const buffer = Buffer.from(text)
  if (buffer.length <= bytes) return text
  let end = bytes
  while (end > 0 && (buffer[end]! & 0xc0) === 0x80) end--
  return buffer.subarray(0, end).toString('utf8')
}
