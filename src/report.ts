/**
 * Everything the next steps and the person reading the run see: the outputs, the resource
 * file, the job summary and annotations. Built from the outcomes alone, after the work is done
 * (or cancelled), so a failure still reports everything it has.
 */
import { mkdir, writeFile } from 'node:fs/promises'
import path from 'node:path'
import type { Change } from './diff.js'
import { formatProblem, problemsHeadline, type LocatedProblem, type RunStatus } from './errors.js'
import type { OutcomeItem, RequestPreview } from './providers/provider.js'
import { formatMs } from './format.js'
import type { ProviderName } from './settings.js'

/** One target's result. */
export interface Outcome {
  target: string
  status: RunStatus
  providerStatus?: string
  changed: boolean
  changes: Change[]
  resource?: unknown
  httpStatus?: number
  requestId?: string
  error?: { type: string; message: string }
  /** Callouts for the summary (paused, archived, not waited …). */
  notes: string[]
  /** The request a dry run would have sent. */
  request?: RequestPreview
  /** Where a person can see the resource, if the provider has such a page. */
  consoleUrl?: string
  /** The words of the link to `consoleUrl` ('Open app 7 in kintone'). */
  consoleLabel?: string
  /** Plain facts about the final resource, listed in the summary. */
  details?: string[]
  /** Items inside this unit (kintone apps), each its own entry in `results`. */
  items?: OutcomeItem[]
  itemLabels?: { item: string; detail: string }
  durationMs: number
}

export interface RunReport {
  /** Unset when the inputs could not be read. */
  provider?: ProviderName
  outcomes: Outcome[]
  /** Problems found before anything was sent (inputs, payload). */
  problems: LocatedProblem[]
  /**
   * The failure when nothing got as far as a target (bad input, unsupported provider, a login
   * cancelled or out of time); `status` when it is not a plain failure.
   */
  error?: { type: string; message: string; status?: RunStatus }
  dryRun: boolean
  durationMs: number
  /** The GitHub Deployment recorded for `github-environment`, when one was created. */
  githubDeployment?: { id: number; environment: string; historyUrl?: string }
}

/** Where the report goes: `@actions/core` on a runner. */
export interface ReportSink {
  setOutput(name: string, value: string): void
  warning(message: string): void
  error(message: string, annotation?: { title?: string; file?: string; startLine?: number; startColumn?: number }): void
  writeSummary(markdown: string): Promise<void>
  redact(text: string): string
}

/** Outputs larger than this are cut (with a warning); the resource file always has everything. */
export const MAX_RESOURCE_OUTPUT_BYTES = 512 * 1024
/** The most `results` holds; past it, whole entries are left out (with a warning) and `results-file` has them all. */
export const MAX_RESULTS_OUTPUT_BYTES = 200_000
/** The most `changes`, `resource-id` and `error-message` each hold. With the above, all outputs stay under GitHub's 1 MB per job. */
export const MAX_LIST_OUTPUT_BYTES = 50_000
/** GitHub refuses a step summary over 1 MiB: past this, the summary lists only the targets that did not succeed. */
export const MAX_SUMMARY_BYTES = 1_000_000

/** The overall status: the worst of the targets (a run with no target failed before starting). */
export function overallStatus(report: Pick<RunReport, 'outcomes' | 'error'>): RunStatus {
  if (report.error) return report.error.status ?? 'failed'
  if (report.outcomes.length === 0) return 'failed'
  for (const status of ['cancelled', 'timed-out', 'failed'] as const)
    if (report.outcomes.some((o) => o.status === status)) return status
  return report.outcomes.every((o) => o.status === 'dry-run') ? 'dry-run' : 'succeeded'
}

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
  set('changes', JSON.stringify(shownChanges))
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
  const error = o.error ? { error: o.error.message } : {}
  if (!o.items)
    return [
      { target: o.target, status: o.status, 'provider-status': o.providerStatus ?? null, changed: o.changed, ...error },
    ]
  return o.items.map((item) => ({
    target: item.id,
    status: o.status === 'succeeded' && !item.succeeded ? 'failed' : o.status,
    'provider-status': item.providerStatus ?? null,
    changed: o.changed && item.succeeded,
    ...error,
  }))
}

/**
 * The job summary as Markdown. `redact` hides secrets in values before they are shortened;
 * `collapsed` (for a summary too large for GitHub) shows counts and only the targets that did not succeed.
 */
export function renderSummary(
  report: RunReport,
  status: RunStatus = overallStatus(report),
  options: { redact?: (text: string) => string; collapsed?: boolean } = {},
): string {
  const lines: string[] = []
  const value = (v: unknown) => shown(v, options.redact)
  const all = report.outcomes
  const outcomes = options.collapsed ? all.filter((o) => o.status !== 'succeeded' && o.status !== 'dry-run') : all
  const icon = { succeeded: '✅', 'dry-run': '🔎', failed: '❌', 'timed-out': '⏱️', cancelled: '⏹️' }[status]
  lines.push(
    `### ${icon} deploy-patch${report.provider ? ` · ${report.provider}` : ''} · ${status}${report.dryRun ? ' (dry run: nothing was sent)' : ''}`,
    '',
  )
  // With problems, the bold line is a headline and the table below has each problem: the message is not shown twice.
  if (report.error)
    lines.push(`**${cell(report.problems.length > 0 ? problemsHeadline(report.problems) : report.error.message)}**`, '')
  if (report.problems.length > 0) {
    lines.push('| Where | Problem |', '| --- | --- |')
    const where = (p: LocatedProblem) =>
      p.input !== undefined ? `input ${p.input}` : `${p.file ?? 'payload'}${p.line ? `:${p.line}` : ''}`
    for (const p of report.problems)
      lines.push(`| ${cell(where(p))} | ${cell(formatProblem({ ...p, file: undefined }))} |`)
    lines.push('')
  }
  if (options.collapsed) {
    const counts = new Map<string, number>()
    for (const o of all) counts.set(o.status, (counts.get(o.status) ?? 0) + 1)
    lines.push(
      `**${all.length} targets: ${[...counts].map(([s, n]) => `${n} ${s}`).join(', ')}.** The summary would pass GitHub's 1 MB, so it lists only the targets that did not succeed; every result is in the file named by the \`results-file\` output.`,
      '',
    )
  }
  if (outcomes.length > 0) {
    lines.push('| Target | Status | Provider status | Changed | Duration |', '| --- | --- | --- | --- | --- |')
    for (const o of outcomes) {
      lines.push(
        `| ${code(o.target)} | ${o.status} | ${cell(o.providerStatus ?? '—')} | ${report.dryRun ? `${o.changes.length} would change` : o.changed ? `yes (${o.changes.length})` : 'no'} | ${formatMs(o.durationMs)} |`,
      )
    }
    lines.push('')
  }
  for (const o of outcomes) {
    const heading = all.length > 1 ? ` — ${code(o.target)}` : ''
    if (o.error) {
      // The first line is the message; what follows (an RTS stderr tail) keeps its line breaks.
      const [first, ...rest] = o.error.message.split(/\r\n?|\n/)
      lines.push(`> [!CAUTION]`, `> ${cell(first!)}`)
      // A line ending in a colon ('Last lines of deploy_stderr:') introduces the block rather than opening it.
      const intro = rest.length > 1 && rest[0]!.endsWith(':') ? rest.shift()! : undefined
      if (intro !== undefined) lines.push('>', `> ${plain(intro)}`)
      if (rest.length > 0) lines.push('>', ...fenced(rest.join('\n')).map((line) => `> ${line}`))
      lines.push('')
    }
    for (const note of o.notes) lines.push('> [!WARNING]', `> ${cell(note)}`, '')
    if (o.consoleUrl)
      lines.push(
        `[${linkText(o.consoleLabel ?? `Open ${o.target}`)}](${o.consoleUrl.replace(/[()\s]/g, encodeURIComponent)})`,
        '',
      )
    if (o.details && o.details.length > 0) {
      // One-line facts as a list; a multi-line one (an output such as deploy_stderr) as a block that keeps its lines.
      const multiLine = (line: string) => /[\r\n]/.test(line)
      const single = o.details.filter((line) => !multiLine(line))
      if (single.length > 0) lines.push(...single.map((line) => `- ${cell(line)}`), '')
      for (const detail of o.details.filter(multiLine)) {
        const [label, text] = splitLabel(detail)
        // The failure message above already shows this block (RTS: the deploy_stderr tail): once is enough.
        if (o.error?.message.replace(/\r\n?/g, '\n').includes(text.replace(/\r\n?/g, '\n'))) continue
        lines.push(`${plain(label)}:`, '', ...fenced(text), '')
      }
    }
    if (o.items && o.items.length > 0) {
      const labels = o.itemLabels ?? { item: 'Item', detail: 'Detail' }
      lines.push(`| ${labels.item} | Status | ${labels.detail} |`, '| --- | --- | --- |')
      for (const item of o.items) lines.push(`| ${cell(item.id)} | ${itemStatus(item)} | ${cell(item.detail ?? '—')} |`)
      lines.push('')
    }
    if (o.changes.length > 0 && !o.items) {
      lines.push(
        `#### ${report.dryRun ? 'Would change' : 'Changed'}${heading}`,
        '',
        '| Field | Before | After |',
        '| --- | --- | --- |',
      )
      for (const change of o.changes.slice(0, 100))
        lines.push(`| ${code(change.path)} | ${value(change.before)} | ${value(change.after)} |`)
      if (o.changes.length > 100) lines.push(`| … | ${o.changes.length - 100} more | |`)
      lines.push('')
    } else if ((o.status === 'succeeded' || o.status === 'dry-run') && !o.items) {
      // Items (kintone apps) are their own record of what was deployed: their table says it, and
      // "No field changed" under a row saying "Changed: yes" would contradict it.
      lines.push(`No field ${report.dryRun ? 'would change' : 'changed'}${heading}.`, '')
    }
    if (o.request) {
      lines.push(
        `<details><summary>Request that would be sent${heading}</summary>`,
        '',
        '```http',
        `${o.request.method} ${o.request.url}`,
      )
      for (const [name, v] of Object.entries(o.request.headers)) lines.push(`${name}: ${v}`)
      lines.push('', JSON.stringify(o.request.body, null, 2), '```', '', '</details>', '')
    }
  }
  if (report.githubDeployment) {
    const { id, environment, historyUrl } = report.githubDeployment
    const where = historyUrl
      ? `[${code(environment)}](${historyUrl.replace(/[()\s]/g, encodeURIComponent)})`
      : code(environment)
    lines.push(`Recorded as GitHub deployment ${id} in environment ${where}.`, '')
  }
  lines.push(`<sub>Took ${formatMs(report.durationMs)}.</sub>`, '')
  return lines.join('\n')
}

/** An item's status cell: its provider status, or why there is none (never a status from before this run's write). */
function itemStatus(item: OutcomeItem): string {
  if (item.providerStatus !== undefined) return `${item.succeeded ? '✅' : '❌'} ${cell(item.providerStatus)}`
  return item.unread === 'unknown' ? '❔ unknown: check it at the provider' : '❌ not deployed'
}

/** Link text: a cell's escaping, and brackets escaped so the text cannot end the link early. */
function linkText(text: string): string {
  return cell(text).replace(/[[\]\\]/g, (c) => `\\${c}`)
}

/** 'Output deploy_stderr: line 1\nline 2' → ['Output deploy_stderr', 'line 1\nline 2']. */
function splitLabel(detail: string): [string, string] {
  const colon = detail.indexOf(': ')
  const newline = detail.search(/[\r\n]/)
  return colon > 0 && colon < newline ? [detail.slice(0, colon), detail.slice(colon + 2)] : ['Details', detail]
}

/**
 * Server text as a fenced code block, line breaks kept. Inside a fence nothing is Markdown or
 * HTML, and the fence is longer than any run of backticks in the text, so no line of the text
 * can close it early.
 */
function fenced(text: string): string[] {
  const longest = Math.max(0, ...Array.from(text.matchAll(/`+/g), (m) => m[0].length))
  const fence = '`'.repeat(Math.max(3, longest + 1))
  return [`${fence}text`, ...text.replace(/\r\n?/g, '\n').split('\n'), fence]
}

/** Server text as a line of plain words: HTML escaped and every Markdown mark backslash-escaped, so it cannot become a link or a heading. */
function plain(text: string): string {
  return text
    .replace(/\s+/g, ' ')
    .replace(/[\\`*_{}[\]()#+\-.!|~]/g, (c) => `\\${c}`)
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
}

/** A table cell: one line, pipes and HTML escaped. */
function cell(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/\|/g, '\\|')
    .replace(/\r?\n/g, ' ')
}

/** A value for the before/after table: JSON, redacted, then shortened to 80 characters (never inside a character). */
function shown(v: unknown, redact: (text: string) => string = (text) => text): string {
  if (v === undefined) return '*(none)*'
  const chars = Array.from(redact(JSON.stringify(v)))
  return code(chars.length > 80 ? `${chars.slice(0, 77).join('')}…` : chars.join(''))
}

/** Inline code in a table cell: <code> rather than backticks, so escaped HTML and backticks inside show as written. */
function code(text: string): string {
  return `<code>${cell(text)}</code>`
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
