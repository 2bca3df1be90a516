/**
 * End to end: `github-environment` through the committed dist/index.js, with the Qoder emulator
 * as the provider and the GitHub emulator as GITHUB_API_URL. The record brackets the provider's
 * work (in_progress before its first request, the final state after), a GitHub failure is only
 * a warning, and without `github-environment` GitHub is never contacted nor Octokit loaded.
 */
import { cp, mkdtemp, readdir, readFile, rm } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest'
import { GitHubEmulator, type GitHubEmulatorOptions } from '../emulators/github.ts'
import { QoderEmulator, type Deployment } from '../emulators/qoder.ts'
import { cleanupRuns, findLeaks, REPO_ROOT, runAction, type ActionRun, type RunOptions } from '../helpers/run-action.ts'

const QODER_TOKEN = 'pt-e2e-0123456789abcdef'
const GH_TOKEN = 'ghs_E2eDeploymentsToken00000000000000000'
const GH_FORBIDDEN = 'ghs_E2eReadOnlyToken0000000000000000000'
const SHA = 'ffac537e6cbbf934b08745a378932722df287a53' // GITHUB_SHA as runAction sets it
const LOG_URL = 'https://github.com/octo/app/actions/runs/1658821493/attempts/1'

let qoder: QoderEmulator
let github: GitHubEmulator
let dep: Deployment

async function startGitHub(options: GitHubEmulatorOptions = {}): Promise<void> {
  await github?.close()
  github = new GitHubEmulator({ tokens: [GH_TOKEN], forbiddenTokens: [GH_FORBIDDEN], ...options })
  await github.start()
}

beforeEach(async () => {
  qoder = new QoderEmulator({ tokens: [QODER_TOKEN] })
  await qoder.start()
  dep = qoder.seed({ name: 'nightly-report' })
  await startGitHub()
})
afterEach(async () => {
  await Promise.all([qoder.close(), github.close()])
})
afterAll(() => cleanupRuns())

/** Run with Qoder inputs and `github-environment: production`; fails the test on any credential leak. */
async function run(inputs: Record<string, string> = {}, options: Partial<RunOptions> = {}): Promise<ActionRun> {
  const result = await runAction({
    inputs: {
      provider: 'qoder',
      payload: '{"name": "nightly-report-v2"}',
      target: dep.id,
      token: QODER_TOKEN,
      'base-url': qoder.origin,
      'github-environment': 'production',
      'github-token': GH_TOKEN,
      ...inputs,
    },
    ...options,
    env: { GITHUB_API_URL: github.apiUrl, ...options.env },
  })
  expect(findLeaks(result, [QODER_TOKEN, GH_TOKEN, GH_FORBIDDEN])).toEqual([])
  return result
}

const warnings = (result: ActionRun) => result.commands.filter((c) => c.command === 'warning').map((c) => c.message)

describe('GitHub deployment record, end to end', () => {
  it('records a deployment of GITHUB_SHA: in_progress before the provider is called, success after, and outputs its id', async () => {
    const result = await run()
    expect(result.code).toBe(0)
    expect(warnings(result)).toEqual([])
    const [deployment, ...others] = github.deployments()
    expect(others).toEqual([])
    expect(deployment).toMatchObject({
      owner: 'octo',
      repo: 'app',
      ref: SHA,
      sha: SHA,
      environment: 'production',
      auto_merge: false,
      required_contexts: [],
      transient_environment: false,
      payload: { provider: 'qoder', targets: [dep.id] },
      description: `deploy-patch: qoder ${dep.id}`,
      createdWith: GH_TOKEN,
    })
    expect(deployment!.statuses.map((s) => ({ state: s.state, log: s.log_url, description: s.description }))).toEqual([
      { state: 'in_progress', log: LOG_URL, description: `Updating qoder ${dep.id}` },
      { state: 'success', log: LOG_URL, description: `Updated qoder ${dep.id}` },
    ])
    expect(result.outputs['github-deployment-id']).toBe(String(deployment!.id))
    expect(result.outputs.status).toBe('succeeded')
    expect(result.summary).toContain(
      `Recorded as GitHub deployment ${deployment!.id} in environment [<code>production</code>](https://github.com/octo/app/deployments/production).`,
    )
    expect(result.stdout).toContain(
      `GitHub deployment ${deployment!.id} of ffac537 in environment 'production': in_progress.`,
    )

    // The record brackets the provider's work: created and in_progress before Qoder's first request, finished after its update.
    const [create, inProgress, success] = github.requests
    expect(create!.headers.authorization).toBe(`token ${GH_TOKEN}`)
    expect(inProgress!.at).toBeLessThanOrEqual(qoder.requests[0]!.at)
    expect(success!.at).toBeGreaterThanOrEqual(qoder.requests.at(-1)!.at)
    expect(qoder.appliedUpdates(dep.id)).toBe(1)
  })

  it('a provider failure posts failure and the step fails', async () => {
    qoder.inject({
      method: 'POST',
      fault: {
        kind: 'status',
        status: 400,
        body: JSON.stringify({
          type: 'error',
          error: { type: 'invalid_request_error', message: 'Referenced agent is archived.' },
        }),
        contentType: 'application/json',
      },
    })
    const result = await run()
    expect(result.code).toBe(1)
    expect(result.outputs.status).toBe('failed')
    const [deployment] = github.deployments()
    expect(github.states(deployment!.id)).toEqual(['in_progress', 'failure'])
    expect(deployment!.statuses.at(-1)).toMatchObject({
      log_url: LOG_URL,
      description: `Failed to update qoder ${dep.id}`,
    })
    expect(result.outputs['github-deployment-id']).toBe(String(deployment!.id))
  })

  it('a deadline passing posts error', async () => {
    qoder.inject({ method: 'POST', fault: { kind: 'hang' } })
    const result = await run({ timeout: '2s' })
    expect(result.code).toBe(1)
    expect(result.outputs.status).toBe('timed-out')
    expect(github.states(github.deployments()[0]!.id)).toEqual(['in_progress', 'error'])
    expect(result.durationMs).toBeLessThan(10_000)
  })

  it('GitHub answering 500: a warning, no record, and the provider decides (the step succeeds)', async () => {
    github.inject({ method: 'POST', fault: { kind: 'status', status: 500 } })
    const result = await run()
    expect(result.code).toBe(0)
    expect(result.outputs.status).toBe('succeeded')
    expect(qoder.appliedUpdates(dep.id)).toBe(1)
    expect(warnings(result)).toEqual([
      'Could not record the GitHub deployment: GitHub answered 500 (Server Error) while creating a deployment in octo/app.',
    ])
    expect(github.requests).toHaveLength(1) // a deployment create is not retried: it could create two
    expect(result.outputs).not.toHaveProperty('github-deployment-id')
  })

  it('a token without deployments: write (403): a warning saying what to add, and the step still succeeds', async () => {
    const result = await run({ 'github-token': GH_FORBIDDEN })
    expect(result.code).toBe(0)
    expect(result.outputs.status).toBe('succeeded')
    const [warning, ...more] = warnings(result)
    expect(more).toEqual([])
    expect(warning).toContain('GitHub answered 403 (Resource not accessible by integration)')
    expect(warning).toContain('add `permissions: deployments: write` to the job')
    expect(github.deployments()).toEqual([])
  })

  it('a failing final status is a warning too; the provider result stands', async () => {
    github.inject({ method: 'POST', path: /\/statuses$/, times: 2, fault: { kind: 'status', status: 502 } })
    const result = await run()
    expect(result.code).toBe(0)
    expect(warnings(result)).toHaveLength(2)
    expect(result.outputs['github-deployment-id']).toBe(String(github.deployments()[0]!.id))
  })

  it('GitHub Enterprise Server: GITHUB_API_URL with /api/v3 and GITHUB_SERVER_URL for the links', async () => {
    await startGitHub({ pathPrefix: '/api/v3' })
    const result = await run({}, { env: { GITHUB_SERVER_URL: 'https://ghe.example.com' } })
    expect(result.code).toBe(0)
    expect(warnings(result)).toEqual([])
    expect(github.requests.map((r) => r.path)).toEqual([
      '/api/v3/repos/octo/app/deployments',
      expect.stringMatching(/^\/api\/v3\/repos\/octo\/app\/deployments\/\d+\/statuses$/),
      expect.stringMatching(/^\/api\/v3\/repos\/octo\/app\/deployments\/\d+\/statuses$/),
    ])
    const [deployment] = github.deployments()
    expect(deployment!.statuses.map((s) => s.log_url)).toEqual(
      Array(2).fill('https://ghe.example.com/octo/app/actions/runs/1658821493/attempts/1'),
    )
    expect(result.summary).toContain('(https://ghe.example.com/octo/app/deployments/production)')
  })

  it('a dry run records no deployment and sends GitHub nothing', async () => {
    const result = await run({ 'dry-run': 'true' })
    expect(result.code).toBe(0)
    expect(result.outputs.status).toBe('dry-run')
    expect(github.requests).toHaveLength(0)
    expect(result.stdout).toContain("Dry run: no GitHub deployment is recorded for environment 'production'")
    expect(result.outputs).not.toHaveProperty('github-deployment-id')
  })

  it('a payload refused before sending records nothing', async () => {
    const result = await run({ payload: '{"colour": "blue"}' })
    expect(result.code).toBe(1)
    expect(github.requests).toHaveLength(0)
  })

  it('without github-environment, no request reaches GitHub', async () => {
    const result = await run({ 'github-environment': '' })
    expect(result.code).toBe(0)
    expect(github.requests).toHaveLength(0)
    expect(result.outputs).not.toHaveProperty('github-deployment-id')
    expect(result.summary).not.toContain('GitHub deployment')
  })

  it('Octokit is a separate chunk of dist that a run without github-environment never loads', async () => {
    const chunks = (await readdir(path.join(REPO_ROOT, 'dist'))).filter((f) => /^\d+\.index\.js$/.test(f))
    // Octokit's user agent and @actions/github's token check mark its code (the PR comment reads
    // GITHUB_EVENT_PATH itself, so that name no longer marks @actions/github).
    const isOctokit = (code: string) =>
      code.includes('octokit-core.js') && code.includes('Parameter token or opts.auth is required')
    const octokit = []
    for (const chunk of chunks)
      if (isOctokit(await readFile(path.join(REPO_ROOT, 'dist', chunk), 'utf8'))) octokit.push(chunk)
    expect(octokit).toHaveLength(1)
    const main = await readFile(path.join(REPO_ROOT, 'dist', 'index.js'), 'utf8')
    expect(main).not.toContain('octokit-core.js')
    expect(main).not.toContain('Parameter token or opts.auth is required')

    // A copy of dist without that chunk: it can only succeed if the chunk is never loaded.
    const copy = await mkdtemp(path.join(os.tmpdir(), 'deploy-patch-dist-'))
    try {
      await cp(path.join(REPO_ROOT, 'dist'), copy, { recursive: true })
      await rm(path.join(copy, octokit[0]!))
      const without = await run({ 'github-environment': '' }, { entry: path.join(copy, 'index.js') })
      expect(without.code).toBe(0)
      expect(without.stderr).toBe('')
      // With github-environment the missing chunk is needed: the record is skipped with a warning, the update still happens.
      const needed = await run({}, { entry: path.join(copy, 'index.js') })
      expect(needed.code).toBe(0)
      expect(warnings(needed)).toEqual([
        expect.stringMatching(/^Could not record the GitHub deployment: the GitHub client could not be loaded/),
      ])
      expect(qoder.appliedUpdates(dep.id)).toBe(2)
    } finally {
      await rm(copy, { recursive: true, force: true })
    }
  })

  it('SIGTERM while GitHub is slow too: outputs at once, the error status bounded, the step ends within 2 s of the signal', async () => {
    qoder.inject({ method: 'POST', fault: { kind: 'hang' } })
    github.hangStates.add('error')
    const result = await run({}, { kill: { onStdout: /Update qoder/, signal: 'SIGTERM' } })
    expect(result.signal).toBeNull() // it exited by itself
    expect(result.code).toBe(1)
    expect(result.outputs.status).toBe('cancelled')
    const [deployment] = github.deployments()
    expect(result.outputs['github-deployment-id']).toBe(String(deployment!.id))
    expect(github.states(deployment!.id)).toEqual(['in_progress', 'error'])
    expect(warnings(result)).toEqual([
      `Could not record the GitHub deployment: GitHub did not answer within 1.5s while setting deployment ${deployment!.id} to error.`,
    ])
    // From the signal (sent once "Update qoder" was logged, just before the hanging request) to the exit.
    const signalled = qoder.requestsTo('POST', new RegExp(dep.id))[0]!.at
    expect(Date.now() - signalled).toBeLessThan(2_500)
  })
})
