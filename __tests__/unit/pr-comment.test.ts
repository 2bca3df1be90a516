/**
 * The comment's body and the rules around it, pure: GitHub's 65,536-character limit, redaction,
 * the marker per workflow, job and target set, and what `changes-only` counts as a change.
 */
import { describe, expect, it } from 'vitest'
import type { Outcome, RunReport } from '../../src/outcome.ts'
import { commentBody, markerOf, MAX_COMMENT_CHARS, worthComment } from '../../src/pr-comment.ts'

const ENV = {
  GITHUB_WORKFLOW: 'plan',
  GITHUB_JOB: 'plan',
  GITHUB_REPOSITORY: 'octo/app',
  GITHUB_RUN_ID: '5',
  GITHUB_SHA: 'ffac537e6cbbf934b08745a378932722df287a53',
}
const MARKER = markerOf(ENV, 'qoder', ['dep_1'], undefined)

function outcome(target: string, changes = 0, more: Partial<Outcome> = {}): Outcome {
  return {
    target,
    status: 'dry-run',
    changed: false,
    changes: Array.from({ length: changes }, (_, i) => ({
      path: `metadata.k${i}`,
      segments: ['metadata', `k${i}`],
      before: 'x'.repeat(90),
      after: i,
    })),
    notes: [],
    durationMs: 5,
    ...more,
  }
}

function report(outcomes: Outcome[], more: Partial<RunReport> = {}): RunReport {
  return { provider: 'qoder', outcomes, problems: [], dryRun: true, durationMs: 10, ...more }
}

const body = (r: RunReport, redact = (t: string) => t) =>
  commentBody(
    { report: r, status: 'dry-run', env: ENV, redact, now: new Date('2026-12-03T15:00:00Z') },
    MARKER,
    undefined,
  )

describe('the comment body', () => {
  it('starts with the marker, says "no change" for an empty plan, and names workflow, job, commit and time', () => {
    const text = body(report([outcome('dep_1')]))
    expect(text.split('\n')[0]).toBe(MARKER)
    expect(text).toContain('## deploy-patch plan · qoder: no change')
    expect(text).toContain('From workflow <code>plan</code>, job <code>plan</code>, commit <code>ffac537</code>')
    expect(text).toContain('([run](https://github.com/octo/app/actions/runs/5)), 2026-12-03 15:00 UTC.')
  })

  it('stays within 65,536 characters: first without the targets that passed, then only the heading', () => {
    const many = report(Array.from({ length: 60 }, (_, i) => outcome(`dep_${i}`, 100)))
    const collapsed = body(many)
    expect(collapsed.length).toBeLessThanOrEqual(MAX_COMMENT_CHARS)
    expect(collapsed).toContain("**60 targets: 60 dry-run.** The plan would pass GitHub's 65,536 characters")
    const failing = report(
      Array.from({ length: 60 }, (_, i) =>
        outcome(`dep_${i}`, 100, { status: 'failed', error: { type: 'http-500', message: 'x'.repeat(2000) } }),
      ),
    )
    const cut = body(failing)
    expect(cut.length).toBeLessThanOrEqual(MAX_COMMENT_CHARS)
    expect(cut).toContain('The plan is too large for a comment; it is in the job summary of [the run]')
    expect(cut.split('\n')[0]).toBe(MARKER)
  })

  it('is redacted as a whole', () => {
    const text = body(report([outcome('dep_1', 1, { notes: ['token s3cr3t-value seen'] })]), (t) =>
      t.replaceAll('s3cr3t-value', '***'),
    )
    expect(text).not.toContain('s3cr3t-value')
    expect(text).toContain('token *** seen')
  })

  it('makes a workflow name from the pull request inert: no HTML, no mention', () => {
    const text = commentBody(
      {
        report: report([outcome('dep_1')]),
        status: 'dry-run',
        env: { ...ENV, GITHUB_WORKFLOW: '@octo/team <img src=x>' },
        redact: (t) => t,
      },
      MARKER,
      undefined,
    )
    expect(text).toContain('<code>@octo/team &lt;img src=x&gt;</code>')
  })
})

describe('the marker', () => {
  it('differs per workflow, job, provider and target set; not per target order', () => {
    const markers = new Set([
      MARKER,
      markerOf({ ...ENV, GITHUB_WORKFLOW: 'other' }, 'qoder', ['dep_1'], undefined),
      markerOf({ ...ENV, GITHUB_JOB: 'other' }, 'qoder', ['dep_1'], undefined),
      markerOf(ENV, 'aieev', ['dep_1'], undefined),
      markerOf(ENV, 'qoder', ['dep_1', 'dep_2'], undefined),
      markerOf(ENV, 'kintone', [], 'deploy/a.yaml'),
      markerOf(ENV, 'kintone', [], 'deploy/b.yaml'),
      // A matrix over sites with the same app ids: kintone app 12 on staging and on production.
      markerOf(ENV, 'kintone', ['12'], undefined, ['https://staging.example.cybozu.com/']),
      markerOf(ENV, 'kintone', ['12'], undefined, ['https://example.cybozu.com/']),
      markerOf(ENV, 'huaweicloud-rts', ['dep_1'], undefined, [undefined, 'cn-north-4', 'p1']),
      markerOf(ENV, 'huaweicloud-rts', ['dep_1'], undefined, [undefined, 'cn-south-1', 'p1']),
    ])
    expect(markers.size).toBe(11)
    expect(markerOf(ENV, 'qoder', ['b', 'a'], undefined)).toBe(markerOf(ENV, 'qoder', ['a', 'b'], undefined))
    expect(MARKER).toMatch(/^<!-- deploy-patch plan [0-9a-f]{32} -->$/)
  })
})

describe('changes-only: what is worth a new comment', () => {
  it('a change, a refused payload or a failed read is; no change or an offline run is not', () => {
    expect(worthComment(report([outcome('a', 1)]))).toBe(true)
    expect(worthComment(report([], { error: { type: 'validation', message: 'x' } }))).toBe(true)
    expect(
      worthComment(report([outcome('a', 0, { status: 'failed', error: { type: 'http-404', message: 'x' } })])),
    ).toBe(true)
    expect(worthComment(report([outcome('a'), outcome('b')]))).toBe(false)
    expect(worthComment(report([outcome('a', 0, { liveDiffSkipped: 'no credentials' })]))).toBe(false)
  })
})
