/**
 * The job summary: the run as Markdown for a person, built from the report alone. Every piece of
 * server or payload text goes through one of the escapes at the end, so none of it can become a
 * link, a heading or HTML.
 */
import { formatProblem, problemsHeadline, type LocatedProblem, type RunStatus } from './errors.js'
import { formatMs } from './format.js'
import { overallStatus, type RunReport } from './outcome.js'
import type { OutcomeItem } from './providers/provider.js'

/**
 * The job summary as Markdown. `redact` hides secrets in values before they are shortened;
 * `collapsed` (for a summary too large for GitHub) shows counts and only the targets that did not succeed.
 */
export function renderSummary(
  report: RunReport,
  status: RunStatus = overallStatus(report),
  options: SummaryOptions = {},
): string {
  inertMentions = options.inertMentions ?? false
  try {
    return render(report, status, options)
  } finally {
    inertMentions = false
  }
}

/** How the summary is rendered; the defaults are the job summary's. */
export interface SummaryOptions {
  /** Hides secrets in values before they are shortened. */
  redact?: (text: string) => string
  /** For a summary too large for GitHub: counts, and only the targets that did not succeed. */
  collapsed?: boolean
  /** Whether the first line is the summary's own heading (default); a comment has a heading of its own. */
  heading?: boolean
  /** With `collapsed`: why, and where every result is (default: the job summary's 1 MB and the results file). */
  collapsedNote?: string
  /**
   * For a pull-request comment, where `@name` notifies someone (a job summary notifies no one): an
   * `@` in server or payload text gets a zero-width space after it, so it mentions no user or team.
   */
  inertMentions?: boolean
}

/** Set only while renderSummary runs (it is synchronous): whether `cell` and `plain` make `@` mentions inert. */
let inertMentions = false

function render(report: RunReport, status: RunStatus, options: SummaryOptions): string {
  const lines: string[] = []
  const value = (v: unknown) => shown(v, options.redact)
  const all = report.outcomes
  const outcomes = options.collapsed ? all.filter((o) => o.status !== 'succeeded' && o.status !== 'dry-run') : all
  const icon = { succeeded: '✅', 'dry-run': '🔎', failed: '❌', 'timed-out': '⏱️', cancelled: '⏹️' }[status]
  if (options.heading !== false)
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
      `**${all.length} targets: ${[...counts].map(([s, n]) => `${n} ${s}`).join(', ')}.** ${options.collapsedNote ?? "The summary would pass GitHub's 1 MB, so it lists only the targets that did not succeed; every result is in the file named by the `results-file` output."}`,
      '',
    )
  }
  if (outcomes.length > 0) {
    lines.push('| Target | Status | Provider status | Changed | Duration |', '| --- | --- | --- | --- | --- |')
    for (const o of outcomes) {
      lines.push(
        `| ${code(o.target)} | ${o.status} | ${cell(o.providerStatus ?? '—')} | ${o.liveDiffSkipped ? 'not read' : report.dryRun ? `${o.changes.length} would change` : o.changed ? `yes (${o.changes.length})` : 'no'} | ${formatMs(o.durationMs)} |`,
      )
    }
    lines.push('')
  }
  // The same reason for every target (no credentials) is said once, not once per target.
  const skippedNotes = new Set<string>()
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
    if (o.liveDiffSkipped && !skippedNotes.has(o.liveDiffSkipped)) {
      skippedNotes.add(o.liveDiffSkipped)
      lines.push('> [!NOTE]', `> ${cell(o.liveDiffSkipped)}`, '')
    }
    for (const note of o.notes) lines.push('> [!WARNING]', `> ${cell(note)}`, '')
    if (o.consoleUrl)
      lines.push(
        `[${cell(o.consoleLabel ?? `Open ${o.target}`)}](${o.consoleUrl.replace(/[()\s]/g, encodeURIComponent)})`,
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
    } else if ((o.status === 'succeeded' || o.status === 'dry-run') && !o.items && !o.liveDiffSkipped) {
      // Items (kintone apps) are their own record of what was deployed: their table says it, and
      // "No field changed" under a row saying "Changed: yes" would contradict it.
      lines.push(`No field ${report.dryRun ? 'would change' : 'changed'}${heading}.`, '')
    }
    if (o.restored && o.restored.length > 0) {
      // on-failure: rollback — what was put back (a dry run: would be, on a failure), and the state it left.
      const [title, put] = report.dryRun
        ? ['Would roll back on failure', 'Would put back']
        : o.rolledBack
          ? ['Rolled back', 'Put back']
          : ['Rollback failed', 'To put back']
      lines.push(`#### ${title}${heading}`, '', `| Field | Set by this run | ${put} |`, '| --- | --- | --- |')
      for (const field of o.restored.slice(0, 100))
        lines.push(`| ${code(field.path)} | ${value(field.before)} | ${value(field.after)} |`)
      lines.push('')
      if (!report.dryRun) lines.push(`Final state: ${cell(o.providerStatus ?? 'unknown')}.`, '')
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
  return mentionsInert(text)
    .replace(/\s+/g, ' ')
    .replace(/[\\`*_{}[\]()#+\-.!|~]/g, (c) => `\\${c}`)
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
}

/** A table cell: one line; brackets, pipes and HTML escaped (and mentions made inert, in a comment). */
function cell(text: string): string {
  return mentionsInert(escapeCell(text))
}

/** `@name` → `@\u200Bname` while rendering a comment: GitHub sees no mention, a reader sees the same text. */
function mentionsInert(text: string): string {
  return inertMentions ? text.replace(/@(?=[\p{L}\p{N}_-])/gu, '@\u200B') : text
}

/**
 * One line of table text, shown as written: brackets escaped, so server text such as
 * `[Sign in](https://…)` is not a link whose words hide its address; the marks of emphasis, code
 * and strike-through escaped, so `"*!*"` is not italics (an `_` between ASCII letters or digits,
 * as in `dep_01`, never is, and stays: an ASCII test, as a Unicode-class regex costs the cold start
 * a millisecond to compile); HTML, pipes and backslashes escaped.
 * The same inside <code>, where GitHub still reads Markdown.
 */
function escapeCell(text: string): string {
  return text
    .replace(/[\\[\]*`~]|(?<![A-Za-z0-9])_|_(?![A-Za-z0-9])/g, (c) => `\\${c}`)
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

/**
 * Inline code in a table cell: <code> rather than backticks, so escaped HTML and backticks inside
 * show as written. GitHub never reads a mention inside <code>, so the text is left as it is.
 */
function code(text: string): string {
  return `<code>${escapeCell(text)}</code>`
}
