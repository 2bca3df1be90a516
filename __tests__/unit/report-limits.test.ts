/**
 * Issue 12: the report stays inside GitHub's limits (1 MiB step summary, 1 MB of outputs per job)
 * with full results in a file, cuts values only after redaction, and claims no status when writing
 * it fails.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Outcome, RunReport } from '../../src/outcome.js'
import { writeReport, type ReportSink } from '../../src/report.js'

const SECRET = 'pt-very-secret-token-0123456789'

function sink(overrides: Partial<ReportSink> = {}) {
  const outputs = new Map<string, string>()
  const warnings: string[] = []
  const summaries: string[] = []
  const s: ReportSink = {
    setOutput: (name, value) => void outputs.set(name, value),
    warning: (message) => void warnings.push(message),
    error: () => {},
    writeSummary: async (markdown) => void summaries.push(markdown),
    redact: (text) => text.split(SECRET).join('***'),
    ...overrides,
  }
  return { s, outputs, warnings, summaries }
}

function outcome(i: number, status: Outcome['status'] = 'succeeded'): Outcome {
  const changes = ['name', 'schedule.expression', 'metadata.owner'].map((p) => ({
    path: p,
    segments: [],
    before: `old value of ${p} number ${i}`,
    after: `new value of ${p} number ${i}`,
  }))
  return {
    target: `dep_${String(i).padStart(26, '0')}`,
    status,
    providerStatus: 'active',
    changed: true,
    changes,
    resource: { id: i },
    notes: [],
    durationMs: 1_000,
    ...(status === 'failed'
      ? {
          error: {
            type: 'http-500',
            message: `qoder dep_${i}: Could not update: HTTP 500: the server had a bad day, try again later.`,
          },
        }
      : {}),
  }
}

let runnerTemp: string
beforeAll(async () => {
  runnerTemp = await mkdtemp(path.join(tmpdir(), 'deploy-patch-limits-'))
})
afterAll(() => rm(runnerTemp, { recursive: true, force: true }))

describe('3,000 targets', () => {
  const report = (failing: number): RunReport => ({
    provider: 'qoder',
    outcomes: Array.from({ length: 3000 }, (_, i) => outcome(i, i < failing ? 'failed' : 'succeeded')),
    problems: [],
    dryRun: false,
    durationMs: 60_000,
  })

  it.each([0, 40, 3000])(
    'with %i failed: the summary stays under 1,000,000 bytes and lists the failed targets',
    async (failing) => {
      const { s, outputs, warnings, summaries } = sink()
      await writeReport(report(failing), s, { runnerTemp, summary: true })
      const md = summaries[0]!
      expect(Buffer.byteLength(md)).toBeLessThanOrEqual(1_000_000)
      expect(md).toContain('3000 targets')
      expect(md).toContain('results-file')
      if (failing > 0 && failing < 3000)
        for (let i = 0; i < failing; i++) expect(md).toContain(`dep_${String(i).padStart(26, '0')}`)
      expect(warnings.join('\n')).toMatch(/over GitHub's 1 MB/)
      expect(outputs.get('status')).toBe(failing > 0 ? 'failed' : 'succeeded')
    },
  )

  it('keeps all outputs together under 1,000,000 bytes, each valid, and writes every result to results-file', async () => {
    const { s, outputs, warnings } = sink()
    await writeReport(report(3000), s, { runnerTemp, summary: true })
    const total = [...outputs].reduce(
      (sum, [name, value]) => sum + Buffer.byteLength(name) + Buffer.byteLength(value),
      0,
    )
    expect(total).toBeLessThan(1_000_000)
    const shown = JSON.parse(outputs.get('results')!) as unknown[]
    expect(shown.length).toBeGreaterThan(0)
    expect(shown.length).toBeLessThan(3000)
    expect(JSON.parse(outputs.get('changes')!)).toBeInstanceOf(Array)
    const file = JSON.parse(await readFile(outputs.get('results-file')!, 'utf8')) as {
      target: string
      status: string
    }[]
    expect(file).toHaveLength(3000)
    expect(file[2999]).toMatchObject({ target: `dep_${String(2999).padStart(26, '0')}`, status: 'failed' })
    expect(warnings.join('\n')).toMatch(/'results' holds the first \d+ of 3000 entries.*results-file/)
  })
})

describe('redact first, then cut', () => {
  it("a changed value holding a secret past the summary's 80-character cut shows none of it", async () => {
    const o = outcome(1)
    o.changes = [{ path: 'description', segments: [], before: 'a', after: `${'z'.repeat(70)}${SECRET}` }]
    const { s, summaries } = sink()
    await writeReport({ provider: 'qoder', outcomes: [o], problems: [], dryRun: false, durationMs: 1 }, s, {
      runnerTemp,
      summary: true,
    })
    expect(summaries[0]).toContain('zzz\\*\\*\\*')
    expect(summaries[0]).not.toContain(SECRET.slice(0, 6))
  })
})

describe('a report that cannot be written claims nothing', () => {
  it('sets no output when the summary cannot be written', async () => {
    const { s, outputs } = sink({
      writeSummary: async () => Promise.reject(new Error('EISDIR: illegal operation on a directory')),
    })
    await expect(
      writeReport({ provider: 'qoder', outcomes: [outcome(1)], problems: [], dryRun: false, durationMs: 1 }, s, {
        runnerTemp,
        summary: true,
      }),
    ).rejects.toThrow('EISDIR')
    expect(outputs.size).toBe(0)
  })
})
