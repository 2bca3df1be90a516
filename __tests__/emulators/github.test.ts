/**
 * The GitHub emulator answers as GitHub's REST API does, checked over real HTTP with plain
 * fetch; then src/github-deployment.ts (Octokit from @actions/github) is run against it, which
 * also shows that Octokit accepts an http://127.0.0.1 base and keeps a GHES `/api/v3` prefix.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { Deadline } from '../../src/deadline.ts'
import {
  CANCELLED_FINISH_MS,
  startDeploymentRecord,
  type DeploymentRecordOptions,
} from '../../src/github-deployment.ts'
import { DEFAULT_GITHUB_TOKEN, GitHubEmulator, type GitHubEmulatorOptions } from './github.ts'

const SHA = 'ffac537e6cbbf934b08745a378932722df287a53'
const FORBIDDEN = 'ghs_NoDeploymentsWrite000000000000000000'
const emulators: GitHubEmulator[] = []

async function start(options: GitHubEmulatorOptions = {}): Promise<GitHubEmulator> {
  const emu = new GitHubEmulator({ forbiddenTokens: [FORBIDDEN], ...options })
  emulators.push(emu)
  await emu.start()
  return emu
}
afterEach(async () => {
  await Promise.all(emulators.splice(0).map((e) => e.close()))
})

/** One request with fetch; `auth` is the whole Authorization header value. */
async function call(
  emu: GitHubEmulator,
  method: string,
  path: string,
  body?: unknown,
  auth = `token ${DEFAULT_GITHUB_TOKEN}`,
) {
  const response = await fetch(`${emu.apiUrl}${path}`, {
    method,
    headers: { authorization: auth, 'content-type': 'application/json', accept: 'application/vnd.github+json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  })
  return { status: response.status, body: (await response.json()) as Record<string, unknown> & { message?: string } }
}

const DEPLOY = {
  ref: SHA,
  environment: 'staging',
  auto_merge: false,
  required_contexts: [],
  payload: { provider: 'qoder' },
  description: 'x',
}

describe('GitHub emulator (plain HTTP)', () => {
  it('creates a deployment (201) and records its statuses in order', async () => {
    const emu = await start()
    const created = await call(emu, 'POST', '/repos/octo/app/deployments', DEPLOY)
    expect(created.status).toBe(201)
    expect(created.body).toMatchObject({
      sha: SHA,
      ref: SHA,
      environment: 'staging',
      task: 'deploy',
      payload: { provider: 'qoder' },
      transient_environment: false,
      production_environment: false,
    })
    const id = created.body.id as number
    for (const state of ['in_progress', 'success']) {
      const posted = await call(emu, 'POST', `/repos/octo/app/deployments/${id}/statuses`, {
        state,
        log_url: 'https://github.com/octo/app/actions/runs/1',
        description: state,
      })
      expect(posted.status).toBe(201)
      expect(posted.body).toMatchObject({
        state,
        log_url: 'https://github.com/octo/app/actions/runs/1',
        target_url: 'https://github.com/octo/app/actions/runs/1',
        environment: 'staging',
      })
    }
    expect(emu.states(id)).toEqual(['in_progress', 'success'])
    expect(emu.deployment(id)).toMatchObject({
      auto_merge: false,
      required_contexts: [],
      createdWith: DEFAULT_GITHUB_TOKEN,
    })
    const listed = await fetch(`${emu.apiUrl}/repos/octo/app/deployments?environment=staging`, {
      headers: { authorization: `Bearer ${DEFAULT_GITHUB_TOKEN}` },
    })
    expect(((await listed.json()) as { id: number }[]).map((d) => d.id)).toEqual([id])
    const statuses = await call(emu, 'GET', `/repos/octo/app/deployments/${id}/statuses`)
    expect((statuses.body as unknown as { state: string }[]).map((s) => s.state)).toEqual(['success', 'in_progress'])
  })

  it('accepts `token` and `Bearer`; 401 without a token or with an unknown one', async () => {
    const emu = await start()
    expect(
      (await call(emu, 'POST', '/repos/octo/app/deployments', DEPLOY, `Bearer ${DEFAULT_GITHUB_TOKEN}`)).status,
    ).toBe(201)
    const missing = await call(emu, 'POST', '/repos/octo/app/deployments', DEPLOY, '')
    expect(missing).toMatchObject({ status: 401, body: { message: 'Requires authentication' } })
    const bad = await call(emu, 'POST', '/repos/octo/app/deployments', DEPLOY, 'token ghs_wrong')
    expect(bad).toMatchObject({ status: 401, body: { message: 'Bad credentials' } })
    expect(emu.deployments()).toHaveLength(1)
  })

  it('403 "Resource not accessible by integration" for a token without deployments: write', async () => {
    const emu = await start()
    const refused = await call(emu, 'POST', '/repos/octo/app/deployments', DEPLOY, `token ${FORBIDDEN}`)
    expect(refused.status).toBe(403)
    expect(refused.body).toEqual({
      message: 'Resource not accessible by integration',
      documentation_url: 'https://docs.github.com/rest/deployments/deployments#create-a-deployment',
      status: '403',
    })
    expect(emu.deployments()).toEqual([])
  })

  it('422 for a missing ref or wrongly typed fields', async () => {
    const emu = await start()
    expect(await call(emu, 'POST', '/repos/octo/app/deployments', { environment: 'x' })).toMatchObject({
      status: 422,
      body: { message: 'Invalid request.\n\n"ref" wasn\'t supplied.' },
    })
    const typed = await call(emu, 'POST', '/repos/octo/app/deployments', { ...DEPLOY, auto_merge: 'no' })
    expect(typed.status).toBe(422)
    expect(typed.body.message).toContain(`For 'properties/auto_merge', "no" is not a boolean.`)
    expect((await call(emu, 'POST', '/repos/octo/app/deployments', { ...DEPLOY, required_contexts: [1] })).status).toBe(
      422,
    )
  })

  it('409 when required_contexts is left out and a commit status is not green; passes when all are', async () => {
    const emu = await start()
    const { required_contexts: _, ...withoutContexts } = DEPLOY
    const refused = await call(emu, 'POST', '/repos/octo/app/deployments', withoutContexts)
    expect(refused.status).toBe(409)
    expect(refused.body.message).toBe(`Conflict: Commit status checks failed for ${SHA}.`)
    const green = await start({ commitStatuses: [{ context: 'ci/test', state: 'success' }] })
    expect((await call(green, 'POST', '/repos/octo/app/deployments', withoutContexts)).status).toBe(201)
  })

  it('validates status posts: known state, description ≤ 140 characters, http(s) links, existing deployment', async () => {
    const emu = await start()
    const id = (await call(emu, 'POST', '/repos/octo/app/deployments', DEPLOY)).body.id as number
    const statuses = `/repos/octo/app/deployments/${id}/statuses`
    expect((await call(emu, 'POST', statuses, { state: 'done' })).status).toBe(422)
    expect((await call(emu, 'POST', statuses, {})).status).toBe(422)
    const long = await call(emu, 'POST', statuses, { state: 'success', description: 'x'.repeat(141) })
    expect(long).toMatchObject({ status: 422, body: { message: 'Validation Failed' } })
    expect((await call(emu, 'POST', statuses, { state: 'success', log_url: 'javascript:alert(1)' })).status).toBe(422)
    expect((await call(emu, 'POST', statuses, { state: 'success', description: 'x'.repeat(140) })).status).toBe(201)
    expect((await call(emu, 'POST', '/repos/octo/app/deployments/999/statuses', { state: 'success' })).status).toBe(404)
    expect((await call(emu, 'POST', `/repos/octo/other/deployments/${id}/statuses`, { state: 'success' })).status).toBe(
      404,
    )
    expect(emu.states(id)).toEqual(['success'])
  })

  it('auto_inactive: a success makes the previous successful deployment of a non-production environment inactive', async () => {
    const emu = await start()
    const first = (await call(emu, 'POST', '/repos/octo/app/deployments', DEPLOY)).body.id as number
    await call(emu, 'POST', `/repos/octo/app/deployments/${first}/statuses`, { state: 'success' })
    const second = (await call(emu, 'POST', '/repos/octo/app/deployments', DEPLOY)).body.id as number
    await call(emu, 'POST', `/repos/octo/app/deployments/${second}/statuses`, { state: 'success' })
    expect(emu.states(first)).toEqual(['success', 'inactive'])
    expect(emu.states(second)).toEqual(['success'])
  })

  it('GHES: routes live under /api/v3 only; unknown repositories and paths are 404', async () => {
    const emu = await start({ pathPrefix: '/api/v3', repositories: ['octo/app'] })
    expect(emu.apiUrl).toBe(`${emu.origin}/api/v3`)
    expect((await call(emu, 'POST', '/repos/octo/app/deployments', DEPLOY)).status).toBe(201)
    const unprefixed = await fetch(`${emu.origin}/repos/octo/app/deployments`, {
      method: 'POST',
      headers: { authorization: `token ${DEFAULT_GITHUB_TOKEN}` },
      body: JSON.stringify(DEPLOY),
    })
    expect(unprefixed.status).toBe(404)
    expect((await call(emu, 'POST', '/repos/octo/nope/deployments', DEPLOY)).status).toBe(404)
  })

  it("injected faults answer with GitHub's error shape", async () => {
    const emu = await start()
    emu.inject({ method: 'POST', fault: { kind: 'status', status: 500 } })
    expect(await call(emu, 'POST', '/repos/octo/app/deployments', DEPLOY)).toMatchObject({
      status: 500,
      body: { message: 'Server Error' },
    })
    expect(emu.deployments()).toEqual([])
  })
})

describe('src/github-deployment.ts against the emulator (Octokit over http)', () => {
  function options(emu: GitHubEmulator, overrides: Partial<DeploymentRecordOptions> = {}) {
    const lines: { level: string; message: string }[] = []
    const log = {
      info: (message: string) => void lines.push({ level: 'info', message }),
      warning: (message: string) => void lines.push({ level: 'warning', message }),
      debug: (message: string) => void lines.push({ level: 'debug', message }),
    }
    const env = {
      GITHUB_SHA: SHA,
      GITHUB_REPOSITORY: 'octo/app',
      GITHUB_API_URL: emu.apiUrl,
      GITHUB_SERVER_URL: 'https://ghe.example.com',
      GITHUB_RUN_ID: '77',
      GITHUB_RUN_ATTEMPT: '2',
    }
    const opts: DeploymentRecordOptions = {
      environment: 'production',
      token: DEFAULT_GITHUB_TOKEN,
      provider: 'qoder',
      targets: ['dep_1'],
      log,
      env,
      ...overrides,
    }
    return { opts, lines, warnings: () => lines.filter((l) => l.level === 'warning').map((l) => l.message) }
  }

  it('records in_progress then success through a GHES-style /api/v3 base, with the run attempt in log_url', async () => {
    const emu = await start({ pathPrefix: '/api/v3' })
    const { opts, warnings } = options(emu)
    const record = await startDeploymentRecord(opts)
    expect(record).toBeDefined()
    expect(record!.historyUrl).toBe('https://ghe.example.com/octo/app/deployments/production')
    await record!.finish('succeeded', 'https://console.example.com/dep_1')
    expect(warnings()).toEqual([])
    expect(emu.requests.every((r) => r.path.startsWith('/api/v3/repos/octo/app/deployments'))).toBe(true)
    expect(emu.requests[0]!.headers.authorization).toBe(`token ${DEFAULT_GITHUB_TOKEN}`)
    const deployment = emu.deployment(record!.id)!
    expect(deployment).toMatchObject({
      ref: SHA,
      sha: SHA,
      environment: 'production',
      auto_merge: false,
      required_contexts: [],
      transient_environment: false,
      payload: { provider: 'qoder', targets: ['dep_1'] },
      description: 'deploy-patch: qoder dep_1',
    })
    expect(deployment.statuses.map((s) => [s.state, s.log_url, s.environment_url])).toEqual([
      ['in_progress', 'https://ghe.example.com/octo/app/actions/runs/77/attempts/2', ''],
      ['success', 'https://ghe.example.com/octo/app/actions/runs/77/attempts/2', 'https://console.example.com/dep_1'],
    ])
    await record!.finish('failed') // a second finish does nothing
    expect(emu.states(record!.id)).toEqual(['in_progress', 'success'])
  })

  it.each([
    ['failed', 'failure'],
    ['timed-out', 'error'],
    ['cancelled', 'error'],
  ] as const)('%s → %s, with a description within 140 characters', async (status, state) => {
    const emu = await start()
    const targets = Array.from({ length: 40 }, (_, i) => `dep_${String(i).padStart(32, '0')}`)
    const { opts, warnings } = options(emu, { targets })
    const record = await startDeploymentRecord(opts)
    await record!.finish(status)
    expect(warnings()).toEqual([])
    const last = emu.deployment(record!.id)!.statuses.at(-1)!
    expect(last.state).toBe(state)
    expect(Array.from(last.description).length).toBeLessThanOrEqual(140)
    expect(last.description).toContain('and 38 more')
  })

  it('a dry run records nothing and never loads a client', async () => {
    const emu = await start()
    const { opts, lines } = options(emu, { dryRun: true })
    expect(await startDeploymentRecord(opts)).toBeUndefined()
    expect(emu.requests).toHaveLength(0)
    expect(lines).toEqual([
      {
        level: 'info',
        message: "Dry run: no GitHub deployment is recorded for environment 'production', since nothing is deployed.",
      },
    ])
  })

  it('403: one warning that says to add `permissions: deployments: write`, and no record', async () => {
    const emu = await start()
    const { opts, warnings } = options(emu, { token: FORBIDDEN })
    expect(await startDeploymentRecord(opts)).toBeUndefined()
    expect(warnings()).toHaveLength(1)
    expect(warnings()[0]).toMatch(
      /^Could not record the GitHub deployment: GitHub answered 403 \(Resource not accessible by integration\)/,
    )
    expect(warnings()[0]).toContain('add `permissions: deployments: write` to the job')
    expect(warnings()[0]).not.toContain(FORBIDDEN)
  })

  it('401 and 500 are warnings naming what failed; the token never shows', async () => {
    const emu = await start()
    const bad = options(emu, { token: 'ghs_NotKnown0000000000000000000000000000' })
    expect(await startDeploymentRecord(bad.opts)).toBeUndefined()
    expect(bad.warnings()[0]).toContain(
      "GitHub answered 401 (Bad credentials) while creating a deployment in octo/app: 'github-token' was refused.",
    )
    emu.inject({ method: 'POST', path: /\/statuses$/, times: 2, fault: { kind: 'status', status: 500 } })
    const flaky = options(emu)
    const record = await startDeploymentRecord(flaky.opts)
    expect(record).toBeDefined() // the deployment exists even though its in_progress status failed
    await record!.finish('succeeded')
    expect(flaky.warnings()).toEqual([
      `Could not record the GitHub deployment: GitHub answered 500 (Server Error) while setting deployment ${record!.id} to in_progress.`,
      `Could not record the GitHub deployment: GitHub answered 500 (Server Error) while setting deployment ${record!.id} to success.`,
    ])
    expect(JSON.stringify([bad.lines, flaky.lines])).not.toContain('ghs_')
  })

  it('missing token, repository or an http API URL off loopback: a warning and no request', async () => {
    const emu = await start()
    const noToken = options(emu, { token: undefined })
    expect(await startDeploymentRecord(noToken.opts)).toBeUndefined()
    expect(noToken.warnings()[0]).toContain("'github-token' is empty")
    const local = options(emu)
    expect(await startDeploymentRecord({ ...local.opts, env: { GITHUB_API_URL: emu.apiUrl } })).toBeUndefined()
    expect(local.warnings()[0]).toContain('GITHUB_SHA and GITHUB_REPOSITORY')
    const clear = options(emu)
    expect(
      await startDeploymentRecord({
        ...clear.opts,
        env: { ...clear.opts.env, GITHUB_API_URL: 'http://ghe.example.com/api/v3' },
      }),
    ).toBeUndefined()
    expect(clear.warnings()[0]).toContain('is not https')
    expect(emu.requests).toHaveLength(0)
  })

  it('a hanging create is bounded by the step deadline', async () => {
    const emu = await start()
    emu.inject({ method: 'POST', fault: { kind: 'hang' } })
    const { opts, warnings } = options(emu, { deadline: new Deadline(800) })
    const started = Date.now()
    expect(await startDeploymentRecord(opts)).toBeUndefined()
    expect(Date.now() - started).toBeLessThan(3_000)
    expect(warnings()[0]).toMatch(/GitHub did not answer within 0\.\ds while creating a deployment in octo\/app\./)
  })

  it('cancellation aborts the start at once', async () => {
    const emu = await start()
    emu.inject({ method: 'POST', fault: { kind: 'hang' } })
    const controller = new AbortController()
    const { opts, warnings } = options(emu, { signal: controller.signal })
    setTimeout(() => controller.abort(), 200)
    const started = Date.now()
    expect(await startDeploymentRecord(opts)).toBeUndefined()
    expect(Date.now() - started).toBeLessThan(2_000)
    expect(warnings()[0]).toBe(
      'Could not record the GitHub deployment: the run was cancelled while creating a deployment in octo/app.',
    )
  })

  it('after a cancellation the final status gets at most 1.5 s, even when GitHub hangs', async () => {
    const emu = await start({ hangStates: ['error'] })
    const controller = new AbortController()
    const { opts, warnings } = options(emu, { signal: controller.signal, deadline: new Deadline(60_000) })
    const record = await startDeploymentRecord(opts)
    controller.abort()
    const started = Date.now()
    await record!.finish('cancelled')
    const took = Date.now() - started
    expect(took).toBeGreaterThanOrEqual(CANCELLED_FINISH_MS - 50)
    expect(took).toBeLessThan(CANCELLED_FINISH_MS + 1_000)
    expect(emu.states(record!.id)).toEqual(['in_progress', 'error']) // GitHub got it; only the answer was slow
    expect(warnings()).toEqual([
      `Could not record the GitHub deployment: GitHub did not answer within 1.5s while setting deployment ${record!.id} to error.`,
    ])
  })
})

/** A comment (or a list of them) as the emulator answers. */
interface CommentJson {
  id: number
  body: string
  user: { login: string; type: string }
  html_url: string
  message?: string
  errors?: unknown[]
}

describe('GitHub emulator: issue comments (plain HTTP)', () => {
  const PERSONAL = 'ghp_PersonalToken000000000000000000000'
  async function send(emu: GitHubEmulator, method: string, path: string, body?: unknown, token = DEFAULT_GITHUB_TOKEN) {
    const response = await fetch(`${emu.apiUrl}${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    })
    return {
      status: response.status,
      link: response.headers.get('link'),
      body: (await response.json()) as CommentJson & CommentJson[],
    }
  }

  it('creates (201, by github-actions[bot]), lists and updates (200) a comment, as GitHub answers', async () => {
    const emu = await start()
    const created = await send(emu, 'POST', '/repos/octo/app/issues/7/comments', { body: 'plan v1' })
    expect(created.status).toBe(201)
    expect(created.body).toMatchObject({
      body: 'plan v1',
      user: { login: 'github-actions[bot]', type: 'Bot' },
    })
    expect(created.body.html_url).toMatch(/^https:\/\/github\.com\/octo\/app\/pull\/7#issuecomment-\d+$/)
    const updated = await send(emu, 'PATCH', `/repos/octo/app/issues/comments/${created.body.id}`, { body: 'plan v2' })
    expect(updated.status).toBe(200)
    expect(updated.body).toMatchObject({ id: created.body.id, body: 'plan v2' })
    const listed = await send(emu, 'GET', '/repos/octo/app/issues/7/comments')
    expect(listed.body.map((c) => c.body)).toEqual(['plan v2'])
    expect(emu.comments(7).map((c) => c.body)).toEqual(['plan v2'])
    expect((await send(emu, 'GET', '/repos/octo/app/issues/8/comments')).body).toEqual([])
  })

  it('paginates oldest first with per_page (at most 100) and page, and a Link header naming next and last', async () => {
    const emu = await start()
    for (let i = 1; i <= 5; i++) emu.seedComment({ issue: 7, body: `c${i}` })
    const first = await send(emu, 'GET', '/repos/octo/app/issues/7/comments?per_page=2')
    expect(first.body.map((c) => c.body)).toEqual(['c1', 'c2'])
    expect(first.link).toContain('page=2>; rel="next"')
    expect(first.link).toContain('page=3>; rel="last"')
    const last = await send(emu, 'GET', '/repos/octo/app/issues/7/comments?per_page=2&page=3')
    expect(last.body.map((c) => c.body)).toEqual(['c5'])
    expect(last.link).toContain('rel="prev"')
    expect(last.link).not.toContain('rel="next"')
    const capped = await send(emu, 'GET', '/repos/octo/app/issues/7/comments?per_page=500')
    expect(capped.body).toHaveLength(5)
    expect(capped.link).toBeNull()
  })

  it('403 for a token without the permission (a write), 404 for an unknown issue or comment, 422 for an empty or too long body', async () => {
    const emu = await start({ issues: [7] })
    expect((await send(emu, 'GET', '/repos/octo/app/issues/7/comments', undefined, FORBIDDEN)).status).toBe(200)
    const denied = await send(emu, 'POST', '/repos/octo/app/issues/7/comments', { body: 'x' }, FORBIDDEN)
    expect(denied).toMatchObject({ status: 403, body: { message: 'Resource not accessible by integration' } })
    expect((await send(emu, 'POST', '/repos/octo/app/issues/8/comments', { body: 'x' })).status).toBe(404)
    expect((await send(emu, 'PATCH', '/repos/octo/app/issues/comments/99', { body: 'x' })).status).toBe(404)
    const seeded = emu.seedComment({ issue: 7, body: 'theirs' })
    expect(
      (await send(emu, 'PATCH', `/repos/octo/app/issues/comments/${seeded.id}`, { body: 'x' }, FORBIDDEN)).status,
    ).toBe(403)
    expect((await send(emu, 'POST', '/repos/octo/app/issues/7/comments', { body: '' })).status).toBe(422)
    expect((await send(emu, 'POST', '/repos/octo/app/issues/7/comments', {})).status).toBe(422)
    const long = await send(emu, 'POST', '/repos/octo/app/issues/7/comments', { body: 'é'.repeat(65_537) })
    expect(long).toMatchObject({ status: 422, body: { errors: [{ field: 'body' }] } })
    expect(JSON.stringify(long.body.errors)).toContain('maximum is 65536 characters')
    expect((await send(emu, 'POST', '/repos/octo/app/issues/7/comments', { body: 'é'.repeat(65_536) })).status).toBe(
      201,
    )
    expect(emu.comments(7).map((c) => c.body.length)).toEqual([6, 65_536])
  })

  it('GET /user: the login of a personal token, 403 for an installation token; a personal token comments as its user', async () => {
    const emu = await start({ users: { [PERSONAL]: 'octocat' } })
    expect((await send(emu, 'GET', '/user', undefined, PERSONAL)).body).toMatchObject({
      login: 'octocat',
      type: 'User',
    })
    expect((await send(emu, 'GET', '/user')).status).toBe(403)
    const created = await send(emu, 'POST', '/repos/octo/app/issues/7/comments', { body: 'x' }, PERSONAL)
    expect(created.body.user).toMatchObject({ login: 'octocat', type: 'User' })
  })
})
