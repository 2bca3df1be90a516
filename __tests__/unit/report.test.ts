import { mkdtemp, readFile, rm, stat } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { RunStatus } from '../../src/errors.js'
import { overallStatus, type Outcome, type RunReport } from '../../src/outcome.js'
import { MAX_RESOURCE_OUTPUT_BYTES, truncateUtf8, writeReport, type ReportSink } from '../../src/report.js'
import { renderSummary } from '../../src/summary.js'

const SECRET = 'pt-very-secret-token'

interface FakeSink extends ReportSink {
  outputs: Map<string, string>
  warnings: string[]
  errors: {
    message: string
    annotation?: { title?: string; file?: string; startLine?: number; startColumn?: number }
  }[]
  summaries: string[]
}

/** Collects what the runner would get; redacts one known secret as the Secrets registry would. */
function fakeSink(): FakeSink {
  const sink: FakeSink = {
    outputs: new Map(),
    warnings: [],
    errors: [],
    summaries: [],
    setOutput: (name, value) => void sink.outputs.set(name, value),
    warning: (message) => void sink.warnings.push(message),
    error: (message, annotation) => void sink.errors.push({ message, annotation }),
    writeSummary: async (markdown) => void sink.summaries.push(markdown),
    redact: (text) => text.split(SECRET).join('***'),
  }
  return sink
}

function outcome(overrides: Partial<Outcome> = {}): Outcome {
  return {
    target: 'dep_01ABC',
    status: 'succeeded',
    providerStatus: 'active',
    changed: true,
    changes: [{ path: 'schedule.expression', segments: [], before: '0 * * * *', after: '5 * * * *' }],
    resource: { id: 'dep_01ABC', name: 'nightly', schedule: { expression: '5 * * * *' } },
    httpStatus: 200,
    requestId: 'req-123',
    notes: [],
    durationMs: 1_500,
    ...overrides,
  }
}

function report(overrides: Partial<RunReport> = {}): RunReport {
  return { provider: 'qoder', outcomes: [outcome()], problems: [], dryRun: false, durationMs: 2_000, ...overrides }
}

let runnerTemp: string

beforeAll(async () => {
  runnerTemp = await mkdtemp(path.join(tmpdir(), 'deploy-patch-report-'))
})

afterAll(async () => {
  await rm(runnerTemp, { recursive: true, force: true })
})

async function write(r: RunReport, summary = true): Promise<{ sink: FakeSink; status: RunStatus }> {
  const sink = fakeSink()
  const status = await writeReport(r, sink, { runnerTemp, summary })
  return { sink, status }
}

describe('writeReport: a succeeded single target', () => {
  it('writes status, ids, change outputs and the request facts', async () => {
    const { sink, status } = await write(report())
    expect(status).toBe('succeeded')
    const o = sink.outputs
    expect(o.get('status')).toBe('succeeded')
    expect(o.get('resource-id')).toBe('dep_01ABC')
    expect(o.get('provider-status')).toBe('active')
    expect(o.get('changed')).toBe('true')
    expect(JSON.parse(o.get('changes')!)).toEqual(['schedule.expression'])
    expect(JSON.parse(o.get('results')!)).toEqual([
      { target: 'dep_01ABC', status: 'succeeded', 'provider-status': 'active', changed: true },
    ])
    expect(o.get('http-status')).toBe('200')
    expect(o.get('request-id')).toBe('req-123')
    expect(o.has('error-type')).toBe(false)
    expect(o.has('error-message')).toBe(false)
  })

  it('writes the resource as compact JSON', async () => {
    const { sink } = await write(report())
    const resource = sink.outputs.get('resource')!
    expect(resource).not.toMatch(/\n/)
    expect(JSON.parse(resource)).toEqual(outcome().resource)
    expect(resource).toBe(JSON.stringify(outcome().resource))
  })

  it('writes the resource file under RUNNER_TEMP as pretty JSON, readable only by the runner user', async () => {
    const { sink } = await write(report())
    const file = sink.outputs.get('resource-file')!
    expect(path.dirname(path.dirname(file))).toBe(runnerTemp)
    expect(path.basename(file)).toMatch(/^qoder-dep_01ABC-\d+\.json$/)
    const text = await readFile(file, 'utf8')
    expect(text).toBe(JSON.stringify(outcome().resource, null, 2) + '\n')
    expect((await stat(file)).mode & 0o777).toBe(0o600)
  })

  it('makes a target with path characters safe in the file name', async () => {
    const { sink } = await write(report({ outcomes: [outcome({ target: '../../etc/x y' })] }))
    const file = sink.outputs.get('resource-file')!
    expect(path.dirname(path.dirname(file))).toBe(runnerTemp)
    expect(path.basename(file)).not.toContain('/')
  })

  it('says changed false and an empty list when nothing changed', async () => {
    const { sink } = await write(report({ outcomes: [outcome({ changed: false, changes: [] })] }))
    expect(sink.outputs.get('changed')).toBe('false')
    expect(sink.outputs.get('changes')).toBe('[]')
  })

  it('writes no resource outputs when there is no resource', async () => {
    const { sink } = await write(report({ outcomes: [outcome({ resource: undefined })] }))
    expect(sink.outputs.has('resource')).toBe(false)
    expect(sink.outputs.has('resource-file')).toBe(false)
  })
})

describe('writeReport: failures', () => {
  it('writes error-type and error-message of a failed target', async () => {
    const failed = outcome({
      status: 'failed',
      providerStatus: 'FAIL',
      changed: false,
      changes: [],
      resource: undefined,
      error: { type: 'GAIA_IL23', message: 'The app 42 could not be deployed.' },
    })
    const { sink, status } = await write(report({ provider: 'kintone', outcomes: [failed] }))
    expect(status).toBe('failed')
    expect(sink.outputs.get('status')).toBe('failed')
    expect(sink.outputs.get('error-type')).toBe('GAIA_IL23')
    expect(sink.outputs.get('error-message')).toBe('The app 42 could not be deployed.')
    expect(JSON.parse(sink.outputs.get('results')!)).toEqual([
      {
        target: 'dep_01ABC',
        status: 'failed',
        'provider-status': 'FAIL',
        changed: false,
        error: 'The app 42 could not be deployed.',
      },
    ])
  })

  it('writes the run-level error when nothing reached a target', async () => {
    const { sink, status } = await write(
      report({ provider: undefined, outcomes: [], error: { type: 'input', message: "Input 'provider' is required." } }),
    )
    expect(status).toBe('failed')
    expect(sink.outputs.get('status')).toBe('failed')
    expect(sink.outputs.get('error-type')).toBe('input')
    expect(sink.outputs.get('error-message')).toBe("Input 'provider' is required.")
    expect(sink.outputs.get('resource-id')).toBe('')
    expect(sink.outputs.get('results')).toBe('[]')
    expect(sink.outputs.has('resource-file')).toBe(false)
    expect(sink.summaries[0]).toContain("Input 'provider' is required.")
  })

  it('joins the messages of several failed targets, keeping the first error type', async () => {
    const outcomes = [
      outcome({ target: 'a', status: 'failed', error: { type: 'not_found', message: 'a is gone.' } }),
      outcome({ target: 'b' }),
      outcome({ target: 'c', status: 'failed', error: { type: 'rate_limit', message: 'c was throttled.' } }),
    ]
    const { sink } = await write(report({ outcomes }))
    expect(sink.outputs.get('error-type')).toBe('not_found')
    expect(sink.outputs.get('error-message')).toContain('a is gone.')
    expect(sink.outputs.get('error-message')).toContain('c was throttled.')
  })

  it('turns each problem into an error annotation at its file and line', async () => {
    const problems = [
      {
        path: ['schedule', 'expression'],
        message: 'not a 5-field cron expression.',
        file: 'deploy/p.yaml',
        line: 4,
        column: 3,
      },
      { path: ['name'], message: 'expected 1 to 256 characters, got 0.', file: 'deploy/p.yaml', line: 1, column: 1 },
    ]
    const { sink } = await write(
      report({ outcomes: [], problems, error: { type: 'validation', message: '2 problems' } }),
    )
    expect(sink.errors).toEqual([
      {
        message: '$.schedule.expression: not a 5-field cron expression.',
        annotation: { title: 'deploy-patch: nothing was sent', file: 'deploy/p.yaml', startLine: 4, startColumn: 3 },
      },
      {
        message: '$.name: expected 1 to 256 characters, got 0.',
        annotation: { title: 'deploy-patch: nothing was sent', file: 'deploy/p.yaml', startLine: 1, startColumn: 1 },
      },
    ])
    expect(sink.summaries[0]).toContain('| deploy/p.yaml:4 | $.schedule.expression: not a 5-field cron expression. |')
  })
})

describe('writeReport: several targets', () => {
  it('prefixes changes with their target and keeps every resource in the file', async () => {
    const outcomes = [
      outcome({ target: 'dep_a', resource: { id: 'dep_a' } }),
      outcome({ target: 'dep_b', changed: false, changes: [], resource: { id: 'dep_b' } }),
    ]
    const { sink } = await write(report({ outcomes }))
    expect(sink.outputs.get('resource-id')).toBe('dep_a,dep_b')
    expect(sink.outputs.get('changed')).toBe('true')
    expect(JSON.parse(sink.outputs.get('changes')!)).toEqual(['dep_a: schedule.expression'])
    expect(JSON.parse(sink.outputs.get('results')!)).toHaveLength(2)
    expect(sink.outputs.has('resource')).toBe(false)
    expect(sink.outputs.has('provider-status')).toBe(false)
    const file = JSON.parse(await readFile(sink.outputs.get('resource-file')!, 'utf8')) as unknown
    expect(file).toEqual([
      { target: 'dep_a', resource: { id: 'dep_a' } },
      { target: 'dep_b', resource: { id: 'dep_b' } },
    ])
  })
})

describe('writeReport: items inside one target (kintone apps)', () => {
  it('writes one results entry per item and a per-item table', async () => {
    const unit = outcome({
      target: '101,102',
      status: 'succeeded',
      providerStatus: 'SUCCESS',
      items: [
        { id: '101', providerStatus: 'SUCCESS', succeeded: true, detail: 'revision 7' },
        { id: '102', providerStatus: 'FAIL', succeeded: false },
      ],
      itemLabels: { item: 'App', detail: 'Revision' },
    })
    const { sink } = await write(report({ provider: 'kintone', outcomes: [unit] }))
    expect(JSON.parse(sink.outputs.get('results')!)).toEqual([
      { target: '101', status: 'succeeded', 'provider-status': 'SUCCESS', changed: true },
      { target: '102', status: 'failed', 'provider-status': 'FAIL', changed: false },
    ])
    const md = sink.summaries[0]!
    expect(md).toContain('| App | Status | Revision |')
    expect(md).toContain('| 101 | ✅ SUCCESS | revision 7 |')
    expect(md).toContain('| 102 | ❌ FAIL | — |')
  })
})

describe('writeReport: a resource over 512 KB', () => {
  const big = { id: 'dep_big', blob: 'é'.repeat(300 * 1024), tail: 'end' }

  it('truncates the resource output with a warning, never splitting a character', async () => {
    const { sink } = await write(report({ outcomes: [outcome({ resource: big })] }))
    const output = sink.outputs.get('resource')!
    const whole = JSON.stringify(big)
    expect(Buffer.byteLength(output)).toBeLessThanOrEqual(MAX_RESOURCE_OUTPUT_BYTES)
    expect(Buffer.byteLength(output)).toBeGreaterThan(MAX_RESOURCE_OUTPUT_BYTES - 4)
    expect(whole.startsWith(output)).toBe(true)
    expect(output).not.toContain('\uFFFD')
    expect(sink.warnings).toHaveLength(1)
    expect(sink.warnings[0]).toContain("'resource-file'")
    expect(sink.warnings[0]).toContain(`${Math.round(Buffer.byteLength(whole) / 1024)} KB`)
  })

  it('keeps the resource file whole', async () => {
    const { sink } = await write(report({ outcomes: [outcome({ resource: big })] }))
    expect(JSON.parse(await readFile(sink.outputs.get('resource-file')!, 'utf8'))).toEqual(big)
  })

  it('does not warn for a resource just under the limit', async () => {
    const padding = MAX_RESOURCE_OUTPUT_BYTES - JSON.stringify({ a: '' }).length
    const resource = { a: 'x'.repeat(padding) }
    const { sink } = await write(report({ outcomes: [outcome({ resource })] }))
    expect(sink.warnings).toEqual([])
    expect(sink.outputs.get('resource')).toBe(JSON.stringify(resource))
  })
})

describe('writeReport: secrets', () => {
  it('redacts outputs, the resource file and the summary', async () => {
    const leaky = outcome({
      resource: { id: 'dep_01ABC', env: [{ key: 'TOKEN', value: SECRET }] },
      changes: [{ path: 'env[0].value', segments: [], before: 'old', after: SECRET }],
      error: { type: 'x', message: `rejected token ${SECRET}` },
      status: 'failed',
    })
    const { sink } = await write(report({ outcomes: [leaky] }))
    for (const [name, value] of sink.outputs) expect(value, name).not.toContain(SECRET)
    expect(sink.outputs.get('resource')).toContain('***')
    expect(sink.outputs.get('error-message')).toBe('rejected token ***')
    const file = await readFile(sink.outputs.get('resource-file')!, 'utf8')
    expect(file).not.toContain(SECRET)
    expect(file).toContain('***')
    expect(sink.summaries[0]).not.toContain(SECRET)
  })

  it('shows an input problem as the input, never as the payload or on the payload file (issue 13)', async () => {
    const problems = [
      { path: [], input: 'token', message: "Input 'token' is required for qoder.", file: 'deploy/p.yaml', line: 1 },
      { path: ['name'], message: 'expected 1 to 256 characters, got 0.', file: 'deploy/p.yaml', line: 2, column: 1 },
    ]
    const { sink } = await write(
      report({ outcomes: [], problems, error: { type: 'input', message: 'the long message, once per problem' } }),
    )
    expect(sink.errors.map((e) => e.annotation)).toEqual([
      { title: 'deploy-patch: nothing was sent' },
      { title: 'deploy-patch: nothing was sent', file: 'deploy/p.yaml', startLine: 2, startColumn: 1 },
    ])
    const md = sink.summaries[0]!
    expect(md).toContain("| input token | Input 'token' is required for qoder. |")
    expect(md).toContain('| deploy/p.yaml:2 | $.name: expected 1 to 256 characters, got 0. |')
    // The bold line is a headline; the full message is not repeated above the table.
    expect(md).toContain("**Input 'token' and the payload have 2 problems; nothing was sent.**")
    expect(md).not.toContain('the long message')
  })

  it('redacts problem annotations', async () => {
    const problems = [{ path: ['agent'], message: `value ${SECRET} looks like a token`, file: 'p.yaml', line: 2 }]
    const { sink } = await write(report({ outcomes: [], problems, error: { type: 'validation', message: 'bad' } }))
    expect(sink.errors[0]!.message).toBe('$.agent: value *** looks like a token')
  })
})

describe('summary', () => {
  it('is not written when summary is off', async () => {
    const { sink } = await write(report(), false)
    expect(sink.summaries).toEqual([])
  })

  it('has the provider, status, target table and a before → after table', async () => {
    const { sink } = await write(report())
    const md = sink.summaries[0]!
    expect(md).toContain('deploy-patch · qoder · succeeded')
    expect(md).toContain('| <code>dep_01ABC</code> | succeeded | active | yes (1) | 1.5s |')
    expect(md).toContain('| Field | Before | After |')
    // Marks of emphasis are escaped even inside <code>, where GitHub still reads Markdown.
    expect(md).toContain(
      '| <code>schedule.expression</code> | <code>"0 \\* \\* \\* \\*"</code> | <code>"5 \\* \\* \\* \\*"</code> |',
    )
    expect(md).toContain('Took 2s.')
  })

  it('shows a missing side as none', () => {
    const md = renderSummary(
      report({
        outcomes: [outcome({ changes: [{ path: 'metadata.team', segments: [], before: undefined, after: 'core' }] })],
      }),
    )
    expect(md).toContain('| <code>metadata.team</code> | *(none)* | <code>"core"</code> |')
  })

  it('shortens long values', () => {
    const long = 'a'.repeat(500)
    const md = renderSummary(
      report({
        outcomes: [outcome({ changes: [{ path: 'description', segments: [], before: 'short', after: long }] })],
      }),
    )
    const row = md.split('\n').find((line) => line.startsWith('| <code>description</code>'))!
    expect(row).toBeDefined()
    expect(row).not.toContain(long)
    expect(row).toContain('…')
    expect(row.length).toBeLessThan(200)
  })

  it('never cuts a long value inside a character (no lone surrogate half in the summary)', () => {
    // JSON text: '"x' then emoji (2 UTF-16 units each), so the 77th unit is the first half of one.
    const long = 'x' + '😀'.repeat(100)
    const md = renderSummary(
      report({ outcomes: [outcome({ changes: [{ path: 'description', segments: [], before: 'a', after: long }] })] }),
    )
    const row = md.split('\n').find((line) => line.startsWith('| <code>description</code>'))!
    expect(row).toContain('…')
    // A lone surrogate becomes U+FFFD when the summary is written as UTF-8.
    expect(row).not.toMatch(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/)
  })

  it('escapes pipes and HTML, and keeps each row on one line', () => {
    const md = renderSummary(
      report({
        outcomes: [
          outcome({
            changes: [{ path: 'a|b', segments: [], before: '<script>alert(1)</script>', after: 'x | y\nz' }],
            error: { type: 't', message: 'bad <b>|</b>\nnext' },
          }),
        ],
      }),
    )
    const row = md.split('\n').find((line) => line.startsWith('| <code>a'))!
    expect(row).toContain('<code>a\\|b</code>')
    expect(row).toContain('&lt;script&gt;')
    expect(row).not.toContain('<script>')
    expect(row).toContain('x \\| y')
    // Unescaped pipes split cells: a row of three cells has exactly four.
    expect(row.split(/(?<!\\)\|/).length - 1).toBe(4)
    // The message's first line is quoted as a cell; its further lines keep their breaks, in a block inside the quote.
    expect(md).toContain('> bad &lt;b&gt;\\|&lt;/b&gt;\n>\n> ```text\n> next\n> ```')
  })

  it('lists at most 100 changes and counts the rest', () => {
    const changes = Array.from({ length: 130 }, (_, i) => ({
      path: `metadata.k${i}`,
      segments: [],
      before: i,
      after: i + 1,
    }))
    const md = renderSummary(report({ outcomes: [outcome({ changes })] }))
    expect(md.split('\n').filter((line) => line.startsWith('| <code>metadata.k'))).toHaveLength(100)
    expect(md).toContain('| … | 30 more | |')
  })

  it('says nothing changed for a succeeded target without changes', () => {
    expect(renderSummary(report({ outcomes: [outcome({ changed: false, changes: [] })] }))).toContain(
      'No field changed.',
    )
  })

  it('shows a dry run with the request that would be sent', () => {
    const dry = outcome({
      status: 'dry-run',
      changed: false,
      request: {
        method: 'POST',
        url: 'https://api.qoder.com/api/v1/cloud/deployments/dep_01ABC',
        headers: { 'Idempotency-Key': 'k-1' },
        body: { name: 'nightly' },
      },
    })
    const md = renderSummary(report({ dryRun: true, outcomes: [dry] }))
    expect(md).toContain('dry-run (dry run: nothing was sent)')
    expect(md).toContain('1 would change')
    expect(md).toContain('#### Would change')
    expect(md).toContain('POST https://api.qoder.com/api/v1/cloud/deployments/dep_01ABC')
    expect(md).toContain('Idempotency-Key: k-1')
    expect(md).toContain('"name": "nightly"')
  })

  it('calls out notes and errors per target', () => {
    const md = renderSummary(
      report({
        outcomes: [
          outcome({
            notes: ['The deployment is paused.'],
            status: 'failed',
            error: { type: 'e', message: 'It broke.' },
          }),
        ],
      }),
    )
    expect(md).toContain('> [!WARNING]\n> The deployment is paused.')
    expect(md).toContain('> [!CAUTION]\n> It broke.')
  })
})

describe('overallStatus', () => {
  const of = (...statuses: RunStatus[]) => overallStatus({ outcomes: statuses.map((status) => outcome({ status })) })

  it.each([
    [['succeeded'], 'succeeded'],
    [['succeeded', 'succeeded'], 'succeeded'],
    [['dry-run', 'dry-run'], 'dry-run'],
    [['dry-run', 'succeeded'], 'succeeded'],
    [['succeeded', 'failed'], 'failed'],
    [['failed', 'timed-out', 'succeeded'], 'timed-out'],
    [['timed-out', 'cancelled', 'failed'], 'cancelled'],
    [['cancelled', 'succeeded'], 'cancelled'],
    [['dry-run', 'failed'], 'failed'],
  ] as [RunStatus[], RunStatus][])('%j → %s', (statuses, expected) => {
    expect(of(...statuses)).toBe(expected)
  })

  it('is failed with no outcome at all, or with a run-level error', () => {
    expect(overallStatus({ outcomes: [] })).toBe('failed')
    expect(overallStatus({ outcomes: [outcome()], error: { type: 'x', message: 'y' } })).toBe('failed')
  })

  it('keeps the status of a run-level error that was a cancellation or the deadline (a login cut short)', () => {
    expect(overallStatus({ outcomes: [], error: { type: 'cancelled', message: 'y', status: 'cancelled' } })).toBe(
      'cancelled',
    )
    expect(overallStatus({ outcomes: [], error: { type: 'timeout', message: 'y', status: 'timed-out' } })).toBe(
      'timed-out',
    )
  })
})

describe('truncateUtf8', () => {
  it('returns short text unchanged', () => {
    expect(truncateUtf8('héllo', 100)).toBe('héllo')
    expect(truncateUtf8('abc', 3)).toBe('abc')
  })

  it('cuts ASCII at the exact byte count', () => {
    expect(truncateUtf8('abcdef', 4)).toBe('abcd')
    expect(truncateUtf8('abcdef', 0)).toBe('')
  })

  it('never splits a 2-, 3- or 4-byte character, and keeps as much as fits', () => {
    const text = 'aé€😀bé€😀'
    const chars = [...text]
    for (let limit = 0; limit <= Buffer.byteLength(text) + 1; limit++) {
      const cut = truncateUtf8(text, limit)
      expect(Buffer.byteLength(cut), `limit ${limit}`).toBeLessThanOrEqual(limit)
      expect(text.startsWith(cut), `limit ${limit}`).toBe(true)
      expect(cut, `limit ${limit}`).not.toContain('\uFFFD')
      // Maximal: the next whole character would not have fitted.
      const kept = [...cut].length
      if (kept < chars.length) expect(Buffer.byteLength(cut + chars[kept]!), `limit ${limit}`).toBeGreaterThan(limit)
    }
  })
})
