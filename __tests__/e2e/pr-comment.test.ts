/**
 * End to end: `pr-comment` through the committed dist/index.js, with the Qoder emulator as the
 * provider and the GitHub emulator as GITHUB_API_URL, on a `pull_request` event whose event file
 * (GITHUB_EVENT_PATH) names pull request 7. The plan becomes one comment, updated in place; a
 * GitHub that refuses is one warning and changes nothing else; a non-PR event or a real run never
 * talks to GitHub.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { GitHubEmulator, type GitHubEmulatorOptions, type StoredComment } from '../emulators/github.ts'
import { QoderEmulator, type Deployment } from '../emulators/qoder.ts'
import { cleanupRuns, findLeaks, runAction, type ActionRun, type RunOptions } from '../helpers/run-action.ts'

const QODER_TOKEN = 'pt-e2e-comment-0123456789abcdef'
const GH_TOKEN = 'ghs_E2eCommentToken000000000000000000000'
const GH_READ_ONLY = 'ghs_E2eReadOnlyToken0000000000000000000'
const GH_PERSONAL = 'ghp_E2ePersonalToken000000000000000000000'
const HEAD_SHA = '0123456789abcdef0123456789abcdef01234567'
const PR = 7
const SECRETS = [QODER_TOKEN, GH_TOKEN, GH_READ_ONLY, GH_PERSONAL]

let qoder: QoderEmulator
let github: GitHubEmulator
let dep: Deployment
let eventDir: string
let eventFile: string

async function startGitHub(options: GitHubEmulatorOptions = {}): Promise<void> {
  await github?.close()
  github = new GitHubEmulator({
    tokens: [GH_TOKEN],
    forbiddenTokens: [GH_READ_ONLY],
    users: { [GH_PERSONAL]: 'octocat' },
    issues: [PR],
    ...options,
  })
  await github.start()
}

beforeAll(async () => {
  eventDir = await mkdtemp(path.join(os.tmpdir(), 'deploy-patch-event-'))
  eventFile = path.join(eventDir, 'event.json')
})
beforeEach(async () => {
  qoder = new QoderEmulator({ tokens: [QODER_TOKEN] })
  await qoder.start()
  dep = qoder.seed({ name: 'nightly-report' })
  await startGitHub()
  await writeEvent({ action: 'synchronize', number: PR, pull_request: { number: PR, head: { sha: HEAD_SHA } } })
})
afterEach(async () => {
  await Promise.all([qoder.close(), github.close()])
})
afterAll(async () => {
  await cleanupRuns()
  await rm(eventDir, { recursive: true, force: true })
})

async function writeEvent(event: unknown): Promise<void> {
  await writeFile(eventFile, typeof event === 'string' ? event : JSON.stringify(event))
}

/** A dry run of a Qoder payload on a pull_request event; fails the test on any credential leak, comments included. */
async function run(inputs: Record<string, string> = {}, options: Partial<RunOptions> = {}): Promise<ActionRun> {
  const result = await runAction({
    inputs: {
      provider: 'qoder',
      payload: '{"name": "nightly-report-v2"}',
      target: dep.id,
      token: QODER_TOKEN,
      'base-url': qoder.origin,
      'dry-run': 'true',
      'github-token': GH_TOKEN,
      ...inputs,
    },
    ...options,
    env: {
      GITHUB_API_URL: github.apiUrl,
      GITHUB_EVENT_NAME: 'pull_request',
      GITHUB_EVENT_PATH: eventFile,
      GITHUB_WORKFLOW: 'plan',
      GITHUB_JOB: 'plan',
      ...options.env,
    },
  })
  expect(findLeaks(result, SECRETS)).toEqual([])
  expect(commentLeaks(github.comments())).toEqual([])
  return result
}

function commentLeaks(comments: StoredComment[]): string[] {
  return comments.flatMap((c) => SECRETS.filter((s) => c.body.includes(s)).map((s) => `comment ${c.id} has ${s}`))
}

const warnings = (result: ActionRun) => result.commands.filter((c) => c.command === 'warning').map((c) => c.message)
const writes = () => github.requests.filter((r) => r.method !== 'GET')

describe('the plan as a pull-request comment, end to end', () => {
  it('a dry run on a pull request writes the plan as one comment and outputs its link', async () => {
    const result = await run()
    expect(result.code).toBe(0)
    expect(result.outputs.status).toBe('dry-run')
    expect(warnings(result)).toEqual([])
    const [comment, ...others] = github.comments(PR)
    expect(others).toEqual([])
    expect(comment!.user).toMatchObject({ login: 'github-actions[bot]', type: 'Bot' })
    expect(result.outputs['pr-comment-url']).toBe(`https://github.com/octo/app/pull/${PR}#issuecomment-${comment!.id}`)
    const body = comment!.body
    expect(body.split('\n')[0]).toMatch(/^<!-- deploy-patch plan [0-9a-f]{32} -->$/)
    expect(body).toContain('## deploy-patch plan · qoder: 1 change')
    expect(body).toContain('#### Would change')
    // One heading: the comment's own, not the job summary's after it.
    expect(body.match(/^#{1,3} /gm)).toEqual(['## '])
    expect(body).toContain('| <code>name</code> | <code>"nightly-report"</code> | <code>"nightly-report-v2"</code> |')
    expect(body).toContain('Request that would be sent')
    expect(body).toContain(`POST ${qoder.origin}/api/v1/cloud/deployments/${dep.id}`)
    expect(body).toContain('authorization: Bearer ***')
    expect(body).toContain(
      'From workflow <code>plan</code>, job <code>plan</code>, commit <code>0123456</code> ([run](https://github.com/octo/app/actions/runs/1658821493/attempts/1))',
    )
    // The whole comment is the summary's plan, not a second rendering of it.
    expect(body).toContain(result.summary.split('\n').find((line) => line.startsWith('| <code>name</code>'))!)
    expect(qoder.appliedUpdates(dep.id)).toBe(0)
  })

  it('a second run with a changed payload updates the same comment in place', async () => {
    const first = await run()
    const [created] = github.comments(PR)
    const second = await run({ payload: '{"name": "nightly-report-v3"}' })
    expect(second.code).toBe(0)
    const [comment, ...others] = github.comments(PR)
    expect(others).toEqual([])
    expect(comment!.id).toBe(created!.id)
    expect(comment!.body).toContain('<code>"nightly-report-v3"</code>')
    expect(comment!.body).not.toContain('nightly-report-v2')
    expect(second.outputs['pr-comment-url']).toBe(first.outputs['pr-comment-url'])
    expect(writes().map((r) => r.method)).toEqual(['POST', 'PATCH'])
  })

  it('two steps with different target sets (or jobs) get a comment each, and each keeps its own', async () => {
    const other = qoder.seed({ name: 'weekly-report' })
    await run()
    await run({ target: other.id })
    await run({}, { env: { GITHUB_JOB: 'plan-staging' } })
    expect(github.comments(PR)).toHaveLength(3)
    // The same target set in another order is the same step: updated, not a fourth comment.
    await run({ target: `${other.id},${dep.id}` })
    await run({ target: `${dep.id},${other.id}` })
    const comments = github.comments(PR)
    expect(comments).toHaveLength(4)
    expect(new Set(comments.map((c) => c.body.split('\n')[0])).size).toBe(4)
  })

  it('changes-only: a plan without change writes no new comment, but updates an existing one', async () => {
    const same = '{"name": "nightly-report"}'
    const quiet = await run({ payload: same, 'pr-comment': 'changes-only' })
    expect(quiet.code).toBe(0)
    expect(github.comments(PR)).toEqual([])
    expect(writes()).toEqual([])
    expect(quiet.outputs).not.toHaveProperty('pr-comment-url')
    expect(quiet.stdout).toContain(
      "No change in the plan: no comment on the pull request ('pr-comment: changes-only').",
    )

    await run({ 'pr-comment': 'changes-only' })
    const [withChange] = github.comments(PR)
    expect(withChange!.body).toContain('1 change')
    const after = await run({ payload: same, 'pr-comment': 'changes-only' })
    const [updated, ...others] = github.comments(PR)
    expect(others).toEqual([])
    expect(updated!.id).toBe(withChange!.id)
    expect(updated!.body).toContain('## deploy-patch plan · qoder: no change')
    expect(updated!.body).toContain('No field would change.')
    expect(after.outputs['pr-comment-url']).toContain(`#issuecomment-${withChange!.id}`)
  })

  it('a token without pull-requests: write: one warning saying what to grant; exit code and outputs as without a comment', async () => {
    const without = await run({ 'pr-comment': 'false' })
    const denied = await run({ 'github-token': GH_READ_ONLY })
    expect(denied.code).toBe(without.code)
    expect(denied.code).toBe(0)
    // The files' names carry a timestamp, and the emulator's resource its run statistics: all else is equal.
    const { 'resource-file': _a, 'results-file': _b, resource: _e, ...deniedOutputs } = denied.outputs
    const { 'resource-file': _c, 'results-file': _d, resource: _f, ...withoutOutputs } = without.outputs
    expect(deniedOutputs).toEqual(withoutOutputs)
    expect(warnings(denied)).toEqual([
      expect.stringMatching(
        /^Could not write the plan on the pull request: GitHub answered 403 \(Resource not accessible by integration\) while commenting on pull request #7\. .*add `permissions: pull-requests: write` to the job.* The plan is in the job summary\.$/,
      ),
    ])
    expect(github.comments()).toEqual([])
    expect(denied.summary).toContain('Would change')
  })

  it("a fork's pull request: no secrets (an offline dry run) and a read-only token: a warning, the step passes", async () => {
    const result = await run({ token: '', 'github-token': GH_READ_ONLY })
    expect(result.code).toBe(0)
    expect(result.outputs.status).toBe('dry-run')
    expect(qoder.requests).toHaveLength(0)
    expect(warnings(result)).toHaveLength(1)
    expect(warnings(result)[0]).toContain('A pull request from a fork gets a read-only token')
    expect(result.outputs).not.toHaveProperty('pr-comment-url')
  })

  it('GitHub failing (500) or the pull request unknown (404): one warning each, never a failed step', async () => {
    github.inject({ method: 'GET', fault: { kind: 'status', status: 500 } })
    const failing = await run()
    expect(failing.code).toBe(0)
    expect(warnings(failing)).toEqual([
      'Could not write the plan on the pull request: GitHub answered 500 (Server Error) while listing the comments of pull request #7. The plan is in the job summary.',
    ])
    await writeEvent({ pull_request: { number: 8 } })
    const unknown = await run()
    expect(unknown.code).toBe(0)
    expect(warnings(unknown)).toEqual([expect.stringContaining('GitHub answered 404 (Not Found)')])
    expect(github.comments()).toEqual([])
  })

  it('an event file without a pull request number: a warning and no request to GitHub', async () => {
    for (const event of ['not json', { pull_request: { number: '7' } }, { number: 7 }]) {
      await writeEvent(event)
      const result = await run()
      expect(result.code).toBe(0)
      expect(warnings(result)).toEqual([expect.stringContaining('the event file (GITHUB_EVENT_PATH)')])
    }
    const missing = await run({}, { env: { GITHUB_EVENT_PATH: path.join(eventDir, 'missing.json') } })
    expect(warnings(missing)).toEqual([expect.stringContaining('the event file (GITHUB_EVENT_PATH) could not be read')])
    expect(github.requests).toHaveLength(0)
  })

  it('GitHub not answering: the comment gives up after 10 s with one warning, and the step keeps its result', async () => {
    github.inject({ method: 'GET', fault: { kind: 'hang' } })
    const started = Date.now()
    const result = await run()
    expect(Date.now() - started).toBeLessThan(15_000)
    expect(result.code).toBe(0)
    expect(result.outputs.status).toBe('dry-run')
    expect(warnings(result)).toEqual([
      'Could not write the plan on the pull request: GitHub did not answer within 10s while listing the comments of pull request #7. The plan is in the job summary.',
    ])
    expect(result.outputs).not.toHaveProperty('pr-comment-url')
  })

  it('a validation failure: the comment shows the problem with its file and line, and the step fails validation', async () => {
    const result = await run(
      { payload: '', 'payload-file': 'deploy/qoder.yaml' },
      { files: { 'deploy/qoder.yaml': 'name: nightly-report\ncolour: blue\n' } },
    )
    expect(result.code).toBe(1)
    expect(result.outputs['error-type']).toBe('validation')
    const [comment] = github.comments(PR)
    expect(comment!.body).toContain('## deploy-patch plan · qoder: refused, nothing would be sent')
    expect(comment!.body).toMatch(/\| deploy\/qoder\.yaml:2 \| .*colour/)
    expect(result.outputs['pr-comment-url']).toContain(`#issuecomment-${comment!.id}`)
  })

  it('an offline dry run (no credentials): the comment says the live diff was skipped', async () => {
    const result = await run({ token: '' })
    expect(result.code).toBe(0)
    expect(qoder.requests).toHaveLength(0)
    const [comment] = github.comments(PR)
    expect(comment!.body).toContain('## deploy-patch plan · qoder: valid; live diff skipped (no credentials)')
    expect(comment!.body).toContain('Live diff skipped (no credentials')
    // changes-only: an offline run knows of no change, so it starts no comment.
    await startGitHub()
    await run({ token: '', 'pr-comment': 'changes-only' })
    expect(github.comments()).toEqual([])
  })

  it('a push event, a real run or pr-comment false never talks to GitHub', async () => {
    await run({}, { env: { GITHUB_EVENT_NAME: 'push' } })
    await run({ 'dry-run': 'false' })
    await run({ 'pr-comment': 'false' })
    expect(github.requests).toHaveLength(0)
    expect(qoder.appliedUpdates(dep.id)).toBe(1)
    // pull_request_target comments as pull_request does.
    await run({}, { env: { GITHUB_EVENT_NAME: 'pull_request_target' } })
    expect(github.comments(PR)).toHaveLength(1)
  })

  it('pr-comment takes auto, changes-only or false; anything else is an input error naming it', async () => {
    const result = await run({ 'pr-comment': 'always' })
    expect(result.code).toBe(1)
    expect(result.outputs['error-type']).toBe('input')
    expect(result.outputs['error-message']).toContain(
      "Invalid input 'pr-comment': 'always'. Expected auto, changes-only or false.",
    )
    expect(github.requests).toHaveLength(0)
  })

  it('hostile payload and server text: no mention, no HTML in the comment', async () => {
    const hostile = '@octo/admins <img src=x onerror=alert(1)> **bold** [x](https://evil.example)'
    const valued = await run({ payload: JSON.stringify({ name: hostile }) })
    expect(valued.code).toBe(0)
    qoder.inject({
      method: 'GET',
      fault: {
        kind: 'status',
        status: 404,
        body: JSON.stringify({ type: 'error', error: { type: 'not_found_error', message: `Ask ${hostile}` } }),
        contentType: 'application/json',
      },
    })
    const refused = await run({}, { env: { GITHUB_JOB: 'other' } })
    expect(refused.code).toBe(1)
    const bodies = github.comments(PR).map((c) => c.body)
    expect(bodies).toHaveLength(2)
    // GitHub reads neither HTML nor mentions inside a fenced block or <code>: what is left is what it renders.
    const rendered = (body: string) =>
      body.replace(/^(`{3,})[^\n]*\n[\s\S]*?^\1$/gm, '').replace(/<code>[\s\S]*?<\/code>/g, '')
    for (const body of bodies) {
      expect(rendered(body)).not.toMatch(/<img/i)
      expect(rendered(body)).not.toMatch(/(^|[^\w`])@octo\/admins/)
    }
    expect(rendered(bodies[0]!)).not.toContain('octo/admins')
    expect(rendered(bodies[1]!)).toContain('Ask @\u200Bocto/admins &lt;img')
  })

  it("someone else's comment with our marker is never edited; ours is", async () => {
    await run()
    const [ours] = github.comments(PR)
    const marker = ours!.body.split('\n')[0]!
    // A later copy of the marker by a person, then one by a person claiming to be a bot by name.
    const copied = github.seedComment({ issue: PR, body: `${marker}\nfake plan: no change` })
    const named = github.seedComment({
      issue: PR,
      body: `${marker}\nfake`,
      user: { login: 'github-actions', id: 67, type: 'User' },
    })
    await run({ payload: '{"name": "nightly-report-v3"}' })
    const after = new Map(github.comments(PR).map((c) => [c.id, c.body]))
    expect(after.get(copied.id)).toBe(copied.body)
    expect(after.get(named.id)).toBe(named.body)
    expect(after.get(ours!.id)).toContain('nightly-report-v3')

    // Only someone else's marked comment on a new pull request: a new comment of ours, theirs untouched.
    await startGitHub({ issues: [PR, 9] })
    const theirs = github.seedComment({ issue: 9, body: `${marker}\nfake` })
    await writeEvent({ pull_request: { number: 9 } })
    await run()
    const comments = github.comments(9)
    expect(comments.map((c) => c.user.type)).toEqual(['User', 'Bot'])
    expect(comments[0]!.body).toBe(theirs.body)
  })

  it("a personal token: the comment is its user's, found again through GET /user and updated", async () => {
    await run({ 'github-token': GH_PERSONAL })
    await run({ 'github-token': GH_PERSONAL, payload: '{"name": "nightly-report-v3"}' })
    const [comment, ...others] = github.comments(PR)
    expect(others).toEqual([])
    expect(comment!.user).toMatchObject({ login: 'octocat', type: 'User' })
    expect(comment!.body).toContain('nightly-report-v3')
  })

  it('a cancelled run starts no comment', async () => {
    qoder.inject({ method: 'GET', fault: { kind: 'hang' } })
    const result = await run({}, { kill: { onStdout: /Read qoder|Dry run/, signal: 'SIGTERM' } })
    expect(result.outputs.status).toBe('cancelled')
    expect(github.requests).toHaveLength(0)
    expect(result.stdout).toContain('The run was cancelled: no plan comment is written on the pull request.')
  })
})
