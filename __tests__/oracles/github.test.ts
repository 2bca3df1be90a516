/**
 * Oracle: every request body the action sends to the GitHub API validates against that operation's
 * request-body schema in GitHub's own OpenAPI description (@octokit/openapi, through
 * __tests__/helpers/github-openapi.ts, objects closed so an unknown field fails too). The bodies are
 * captured by the GitHub emulator from runs of the committed dist/index.js: a success with two
 * targets, a provider failure and a deadline, so every state the action posts is covered, and the
 * plan's pull-request comment, created and then updated.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest'
import { GitHubEmulator } from '../emulators/github.ts'
import { QoderEmulator } from '../emulators/qoder.ts'
import { describeErrors, requestBodySchema } from '../helpers/github-openapi.ts'
import { cleanupRuns, runAction } from '../helpers/run-action.ts'

const QODER_TOKEN = 'pt-oracle-0123456789abcdef'
const GH_TOKEN = 'ghs_OracleDeploymentsToken0000000000000'

/** GitHub's path template for each request the action may send it. */
const OPERATIONS: { method: string; path: RegExp; template: string }[] = [
  { method: 'POST', path: /^\/repos\/[^/]+\/[^/]+\/deployments$/, template: '/repos/{owner}/{repo}/deployments' },
  {
    method: 'POST',
    path: /^\/repos\/[^/]+\/[^/]+\/deployments\/\d+\/statuses$/,
    template: '/repos/{owner}/{repo}/deployments/{deployment_id}/statuses',
  },
  {
    method: 'POST',
    path: /^\/repos\/[^/]+\/[^/]+\/issues\/\d+\/comments$/,
    template: '/repos/{owner}/{repo}/issues/{issue_number}/comments',
  },
  {
    method: 'PATCH',
    path: /^\/repos\/[^/]+\/[^/]+\/issues\/comments\/\d+$/,
    template: '/repos/{owner}/{repo}/issues/comments/{comment_id}',
  },
]

/** Every write the GitHub emulator received validates against its operation's schema. */
function expectWritesValid(github: GitHubEmulator): void {
  for (const request of github.requests.filter((r) => r.method !== 'GET')) {
    const operation = OPERATIONS.find((o) => o.method === request.method && o.path.test(request.path))
    expect(operation, `${request.method} ${request.path} is not an operation this oracle knows`).toBeDefined()
    const body = JSON.parse(request.body) as unknown
    expect(
      schemaErrors(request.method, operation!.template, body),
      `${request.method} ${request.path}: ${request.body}`,
    ).toEqual([])
  }
}

/** A body that does not validate, with the reasons: empty when it does. */
function schemaErrors(method: string, template: string, body: unknown): string[] {
  const validate = requestBodySchema(method, template)
  return validate(body) ? [] : describeErrors(validate.errors)
}

describe("GitHub: the action's request bodies validate against GitHub's OpenAPI description", () => {
  let qoder: QoderEmulator
  let github: GitHubEmulator
  beforeEach(async () => {
    qoder = new QoderEmulator({ tokens: [QODER_TOKEN] })
    github = new GitHubEmulator({ tokens: [GH_TOKEN] })
    await Promise.all([qoder.start(), github.start()])
  })
  afterEach(() => Promise.all([qoder.close(), github.close()]))
  afterAll(() => cleanupRuns())

  it.each([
    ['a success with two targets', 0, ['in_progress', 'success']],
    ['a provider failure', 1, ['in_progress', 'failure']],
    ['a deadline passing', 1, ['in_progress', 'error']],
  ] as const)('%s', async (name, exitCode, states) => {
    const targets = [qoder.seed({ name: 'nightly-report' }).id, qoder.seed({ name: 'weekly-report' }).id]
    if (name === 'a provider failure')
      qoder.inject({
        method: 'POST',
        fault: {
          kind: 'status',
          status: 400,
          body: '{"type":"error","error":{"type":"invalid_request_error","message":"no"}}',
          contentType: 'application/json',
        },
      })
    if (name === 'a deadline passing') qoder.inject({ method: 'POST', fault: { kind: 'hang' } })
    const result = await runAction({
      inputs: {
        provider: 'qoder',
        payload: '{"name": "report-v2"}',
        target: name === 'a success with two targets' ? targets.join(',') : targets[0]!,
        token: QODER_TOKEN,
        'base-url': qoder.origin,
        'github-environment': 'production',
        'github-token': GH_TOKEN,
        ...(name === 'a deadline passing' ? { timeout: '2s' } : {}),
      },
      env: { GITHUB_API_URL: github.apiUrl },
    })
    expect(result.code, result.stdout).toBe(exitCode)

    const sent = github.requests.filter((r) => r.method !== 'GET')
    expect(sent.length).toBe(1 + states.length)
    expectWritesValid(github)
    expect(sent.slice(1).map((r) => (JSON.parse(r.body) as { state: string }).state)).toEqual(states)
  })

  it("the plan's pull-request comment: created on the first run, updated on the next", async () => {
    const target = qoder.seed({ name: 'nightly-report' }).id
    const dir = await mkdtemp(path.join(os.tmpdir(), 'deploy-patch-oracle-event-'))
    try {
      const eventPath = path.join(dir, 'event.json')
      await writeFile(eventPath, JSON.stringify({ number: 7, pull_request: { number: 7 } }))
      for (const name of ['report-v2', 'report-v3']) {
        const result = await runAction({
          inputs: {
            provider: 'qoder',
            payload: JSON.stringify({ name }),
            target,
            token: QODER_TOKEN,
            'base-url': qoder.origin,
            'dry-run': 'true',
            'github-token': GH_TOKEN,
          },
          env: { GITHUB_API_URL: github.apiUrl, GITHUB_EVENT_NAME: 'pull_request', GITHUB_EVENT_PATH: eventPath },
        })
        expect(result.code, result.stdout).toBe(0)
        expect(result.outputs['pr-comment-url']).toBeDefined()
      }
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
    expect(github.requests.filter((r) => r.method !== 'GET').map((r) => r.method)).toEqual(['POST', 'PATCH'])
    expectWritesValid(github)
  })
})

describe('the github-openapi helper', () => {
  it('refuses what GitHub would not take: a state outside the enum, a wrong type, an unknown field', () => {
    const statuses = '/repos/{owner}/{repo}/deployments/{deployment_id}/statuses'
    expect(schemaErrors('POST', statuses, { state: 'success', description: 'ok' })).toEqual([])
    expect(schemaErrors('POST', statuses, { state: 'succeeded' })).not.toEqual([])
    expect(schemaErrors('POST', statuses, { state: 'success', log_url: 42 })).not.toEqual([])
    expect(schemaErrors('POST', statuses, { state: 'success', logurl: 'https://x' })).not.toEqual([])
    const deployments = '/repos/{owner}/{repo}/deployments'
    expect(schemaErrors('POST', deployments, { ref: 'main', payload: { a: 1 }, required_contexts: [] })).toEqual([])
    expect(schemaErrors('POST', deployments, { ref: 'main', required_contexts: 'none' })).not.toEqual([])
    expect(schemaErrors('POST', deployments, { environment: 'production' })).not.toEqual([]) // ref is required
  })

  // The comment operations by hand too: the helper must refuse what GitHub would (the run above only sends valid bodies).
  it.each([
    ['POST', '/repos/{owner}/{repo}/issues/{issue_number}/comments'],
    ['PATCH', '/repos/{owner}/{repo}/issues/comments/{comment_id}'],
  ])('%s %s: a comment body validates, a body without text or with another field does not', (method, template) => {
    expect(schemaErrors(method, template, { body: '### deploy-patch\n\n| target | status |\n|---|---|' })).toEqual([])
    expect(schemaErrors(method, template, {})).not.toEqual([])
    expect(schemaErrors(method, template, { body: 42 })).not.toEqual([])
    expect(schemaErrors(method, template, { body: 'x', title: 'not a comment field' })).not.toEqual([])
  })

  it('names an operation GitHub does not have', () => {
    expect(() => requestBodySchema('POST', '/repos/{owner}/{repo}/deployment')).toThrow(/no operation/)
    expect(() => requestBodySchema('GET', '/repos/{owner}/{repo}/deployments')).toThrow(
      /no application\/json request body/,
    )
  })
})
