/**
 * kintone (REST API "Deploy App Settings", https://kintone.dev/en/docs/kintone/rest-api/apps/deploy-app-settings/): deploy apps' preview settings to production (or revert them).
 * One `POST …/preview/app/deploy.json` for all apps (1–300, all-or-nothing: kintone reverts
 * every app when one fails), then status reads until no app is PROCESSING. FAIL and CANCEL are
 * terminal failures, which the official tools never notice. The deploy has no idempotency key,
 * so a deploy whose answer was lost is followed by a status read before it is ever resent.
 */
import { DeployFailedError, DeployPatchError, type Problem } from '../errors.js'
import type { ApiResponse, ErrorDetails, OutgoingRequest } from '../http/client.js'
import type { PayloadObject } from '../payload.js'
import type { Settings } from '../settings.js'
import { isLoopbackHost } from '../url.js'
import { isPlainObject } from '../diff.js'
import { textOf } from '../text.js'
import { Problems } from '../validate.js'
import { waitFor } from '../wait.js'
import type { ConnectContext, OutcomeItem, Provider, ProviderContext } from './provider.js'
import { checkTargets, noSecrets, refuseRollback, writeOnce } from './shared.js'

type DeployStatus = 'PROCESSING' | 'SUCCESS' | 'FAIL' | 'CANCEL'
const DEPLOY_STATUSES: readonly string[] = ['PROCESSING', 'SUCCESS', 'FAIL', 'CANCEL']
interface AppStatus {
  app: string
  /** A DeployStatus, or a status kintone may add later (passed on as it is). */
  status: string
}
interface StatusResource {
  apps: AppStatus[]
}

export const MAX_APPS = 300
const MAX_API_TOKENS = 9
/** kintone's documented URL limit for the status read; longer reads go as POST + X-HTTP-Method-Override. */
const MAX_URL_LENGTH = 4096
const DOMAINS = ['cybozu.com', 'kintone.com', 'cybozu.cn']
const PAYLOAD_FIELDS = ['apps', 'revert']
const ITEM_LABELS = { item: 'App', detail: 'Revision asked' }

export const kintone: Provider<StatusResource> = {
  name: 'kintone',

  check(settings, payload) {
    return [
      ...inputProblems(settings),
      ...refuseRollback(
        'kintone',
        settings,
        'a failed kintone deploy already leaves every app as it was (the API reverts all of them), so there is nothing to roll back.',
      ),
      ...checkTargets('kintone', settings.targets, (target) =>
        appId(target) === undefined
          ? `'${target}' is not a kintone app id; expected a positive whole number such as 12.`
          : undefined,
      ),
      ...(payload ? validate(payload, settings) : []),
    ]
  },

  units(settings, payload) {
    // One deploy for every app: kintone deploys up to 300 apps in one call, all or nothing.
    const apps = Array.isArray(payload.apps)
      ? payload.apps.map((a) => String(isPlainObject(a) ? a.app : a))
      : settings.targets
    return [{ id: apps.join(','), members: apps }]
  },

  secrets: noSecrets,

  connect(ctx) {
    const { settings } = ctx
    const space = settings.guestSpaceId ? `/guest/${settings.guestSpaceId}` : ''
    return Promise.resolve({
      baseUrl: new URL(`${settings.baseUrl!.origin}/k${space}/v1`),
      authorize: authorize(ctx),
      parseError,
    })
  },

  advise(error, unit, settings) {
    const target = unit?.id
    const code = error.errorType
    if (code === 'GAIA_CO02') {
      return "Someone changed an app's settings after its revision was read: read the current revision again (or leave 'revision' out, or set it to -1, to deploy whatever is in preview)."
    }
    if (code === 'GAIA_NO01' || code === 'CB_NO02' || error.httpStatus === 403) {
      return `The credential may not deploy apps ${target}: an API token needs the App Management permission and must be generated for each app (pass one token per app, comma-separated), or use a user with App Management rights.`
    }
    if (
      code === 'GAIA_IA02' ||
      code === 'GAIA_DA03' ||
      code === 'CB_AU01' ||
      code === 'CB_WA01' ||
      code === 'CB_OA01'
    ) {
      return "kintone refused the credentials: check that each API token still exists (regenerating a token invalidates the old one) and that 'token' has one per app, or check 'username' and 'password', or the OAuth token."
    }
    if (code === 'GAIA_IL23') return "These apps live in a guest space: set 'guest-space-id' to the space's id."
    if (code === 'GAIA_AP01' || error.httpStatus === 404) {
      return `Check the app ids ${target}${settings.guestSpaceId ? ` and that they live in guest space ${settings.guestSpaceId}` : " (apps in a guest space need 'guest-space-id')"}.`
    }
    if (error.httpStatus === 409)
      return 'Another deploy of these apps is in progress: wait for it to finish, then run again.'
    if (error.httpStatus === 401)
      return "The site refused the request before kintone saw it: check 'basic-auth' (user:password) for sites behind Basic authentication."
    if (error.httpStatus === 400) return 'kintone refused the request: fix what it names and run again.'
    return undefined
  },

  async read(ctx, { members }) {
    return readStatus(ctx, members)
  },

  async update(ctx, { id: target, members: apps }, payload, before) {
    // Settings cannot change while a deploy runs: wait for one already under way instead of colliding with it.
    let prior = overall(before)
    if (prior === 'PROCESSING') {
      ctx.log.info(`A deploy of apps ${target} is already in progress; waiting for it to finish before deploying.`)
      const waited = await waitFor(
        async () => {
          const status = await readStatus(ctx, apps)
          return overall(status) === 'PROCESSING'
            ? { state: 'pending', providerStatus: 'PROCESSING' }
            : { state: 'done', providerStatus: overall(status), value: status }
        },
        {
          firstDelayMs: ctx.settings.pollIntervalMs,
          deadline: ctx.deadline,
          signal: ctx.signal,
          what: `waiting for the deploy already in progress for apps ${target}`,
        },
      )
      prior = overall(waited.value)
    }
    const body = deployBody(payload, apps)
    // No idempotency key: a deploy whose answer was lost is running if the status says PROCESSING.
    const sent = await writeOnce(
      ctx,
      () => sendDeploy(ctx, body),
      async () => {
        const status = await readStatus(ctx, apps)
        // PROCESSING: it runs. A state other than before's (a fast deploy that already failed or
        // succeeded): it ran. The same finished state: not told apart from "not sent", and a
        // second deploy of the same preview settings changes nothing.
        return overall(status) === 'PROCESSING' || overall(status) !== prior ? status : undefined
      },
      {
        applied: 'The deploy had started: waiting for it, without sending it again.',
        notApplied:
          'The deploy had not started: sending it once more (deploying unchanged preview settings again is harmless).',
      },
    )
    if ('state' in sent) return { resource: sent.state, providerStatus: 'PROCESSING', pending: true }
    const response = sent.response
    return {
      resource: { apps: apps.map((app) => ({ app, status: 'PROCESSING' })) },
      providerStatus: 'PROCESSING',
      httpStatus: response.status,
      requestId: response.requestId,
      pending: true,
    }
  },

  async poll(ctx, { members }) {
    const status = await readStatus(ctx, members)
    const state = overall(status)
    if (state === 'PROCESSING') return { state: 'pending', providerStatus: state, value: status }
    if (state === 'SUCCESS') return { state: 'done', providerStatus: state, value: status }
    const failed = status.apps.filter((a) => a.status === 'FAIL').map((a) => a.app)
    const cancelled = status.apps.filter((a) => a.status === 'CANCEL').map((a) => a.app)
    const what =
      failed.length > 0
        ? `app${failed.length > 1 ? 's' : ''} ${failed.join(', ')} failed to deploy`
        : 'the deploy was cancelled'
    const alsoCancelled =
      cancelled.length > 0
        ? `; app${cancelled.length > 1 ? 's' : ''} ${cancelled.join(', ')} ${cancelled.length > 1 ? 'were' : 'was'} cancelled with ${failed.length > 0 ? 'it' : 'them'}`
        : ''
    throw new DeployFailedError(
      `The deploy failed: ${what}${alsoCancelled}. kintone reverted every app in the deploy, so production is unchanged; open the app's settings in kintone to see why, fix the preview settings, and run again.`,
      state,
      status,
    )
  },

  plan(ctx, { members }, before, payload) {
    const { credentials } = ctx.settings
    const headers: Record<string, string> = { 'content-type': 'application/json' }
    if (credentials.token) headers['x-cybozu-api-token'] = '***'
    if (credentials.username) headers['x-cybozu-authorization'] = '***'
    if (credentials.oauthToken) headers.authorization = 'Bearer ***'
    if (credentials.basicAuth) headers.authorization = 'Basic ***'
    const request = {
      method: 'POST',
      url: ctx.client.url('/preview/app/deploy.json').href,
      headers,
      body: deployBody(payload, members),
    }
    return { request, after: { apps: before.apps.map((a) => ({ app: a.app, status: 'SUCCESS' })) } }
  },

  changes(before, after) {
    // A successful deploy changes production by definition; there is no field diff to read.
    const previous = new Map(before.apps.map((a) => [a.app, a.status]))
    return after.apps
      .filter((a) => a.status === 'SUCCESS')
      .map((a) => ({
        path: `apps.${a.app}`,
        segments: ['apps', a.app],
        before: previous.get(a.app) ?? null,
        after: 'deployed',
      }))
  },

  view(resource, { unit, settings, payload }) {
    // One app: its page. Several: the site's portal, where the apps are listed.
    const apps = unit.members
    const space = settings.guestSpaceId ? `/guest/${settings.guestSpaceId}` : ''
    const link =
      apps.length === 1
        ? { url: `${settings.baseUrl!.origin}/k${space}/${apps[0]}/`, label: `Open app ${apps[0]} in kintone` }
        : { url: `${settings.baseUrl!.origin}/k/#/portal`, label: 'Open the kintone portal' }
    return {
      status: overall(resource),
      notes: [],
      link,
      items: { labels: ITEM_LABELS, rows: itemsOf(resource, payload) },
    }
  },
}

/** Every problem with the site and the credential inputs, each naming its input. */
function inputProblems(settings: Settings): Problem[] {
  const problems: Problem[] = []
  const add = (input: string, message: string) => problems.push({ path: [], input, message })
  const base = settings.baseUrl
  if (!base)
    add(
      'base-url',
      "Input 'base-url' is required for kintone: your site's address, such as https://example.cybozu.com (or .kintone.com, .cybozu.cn).",
    )
  else if (!isLoopbackHost(base.hostname) && !DOMAINS.some((d) => base.hostname.endsWith(`.${d}`))) {
    add(
      'base-url',
      `Invalid input 'base-url': '${base.origin}' is not a kintone site; expected https://{subdomain}.cybozu.com, .kintone.com or .cybozu.cn, so credentials only go to kintone.`,
    )
  }
  const { token, username, password, oauthToken, basicAuth } = settings.credentials
  const methods = [token && 'token', (username || password) && 'username/password', oauthToken && 'oauth-token'].filter(
    Boolean,
  )
  if (methods.length === 0)
    problems.push({
      path: [],
      input: 'token',
      message:
        "kintone needs credentials: 'token' (API tokens with App Management permission, comma-separated), 'username' and 'password', or 'oauth-token'.",
      missingCredential: true,
    })
  if (methods.length > 1)
    add('token', `Set one kintone credential, not ${methods.join(' and ')}: kintone would use only one of them.`)
  if ((username && !password) || (password && !username))
    add(
      username ? 'password' : 'username',
      "Inputs 'username' and 'password' go together for kintone password authentication.",
    )
  if (token) {
    const tokens = splitTokens(token)
    if (tokens.length > MAX_API_TOKENS)
      add(
        'token',
        `Input 'token' has ${tokens.length} API tokens; kintone accepts at most ${MAX_API_TOKENS} in one request.`,
      )
    if (tokens.some((t) => !/^[A-Za-z0-9]+$/.test(t)))
      add('token', "Input 'token' must be kintone API tokens (letters and digits) separated by commas.")
  }
  if (basicAuth && oauthToken) {
    add(
      'basic-auth',
      "Inputs 'basic-auth' and 'oauth-token' cannot be used together: both need the Authorization header. Use an API token or username/password on a site behind Basic authentication.",
    )
  }
  return problems
}

/** Every problem of the payload, each with its JSON path. */
function validate(payload: PayloadObject, settings: Settings): Problem[] {
  const p = new Problems()
  p.knownKeys(payload, [], PAYLOAD_FIELDS, {
    app: "a single app goes in 'apps' as [{app: 12}], or in the 'target' input.",
  })
  if (Object.hasOwn(payload, 'revert')) p.boolean(payload.revert, ['revert'])
  if (Object.hasOwn(payload, 'apps')) {
    if (settings.targets.length > 0)
      p.add(['apps'], "the payload lists 'apps' and the 'target' input lists app ids too; list the apps in one place.")
    const apps = p.array(payload.apps, ['apps'], { min: 1, max: MAX_APPS })
    const seen = new Map<number, number>()
    apps?.forEach((entry, i) => {
      const object = p.object(entry, ['apps', i], 'an object {app, revision?}')
      if (!object) return
      p.knownKeys(object, ['apps', i], ['app', 'revision'])
      const id = p.integer(object.app, ['apps', i, 'app'], { min: 1, numericString: true })
      if (id !== undefined) {
        if (seen.has(id))
          p.add(['apps', i, 'app'], `app ${id} is listed twice (also at $.apps[${seen.get(id)}]); list each app once.`)
        seen.set(id, i)
      }
      if (Object.hasOwn(object, 'revision'))
        p.integer(object.revision, ['apps', i, 'revision'], { min: -1, numericString: true })
    })
  } else if (settings.targets.length === 0) {
    p.add([], "no apps to deploy: list them in the payload as apps: [{app: 12}], or as ids in the 'target' input.")
  } else if (settings.targets.length > MAX_APPS) {
    p.add(
      [],
      `'target' lists ${settings.targets.length} apps; one kintone deploy takes at most ${MAX_APPS}, and deploy-patch never splits it (a deploy is all-or-nothing). Use several steps.`,
    )
  }
  return p.list
}

/** The hook that adds the kintone credential (and a site's Basic authentication); every header value is a secret. */
function authorize(ctx: ConnectContext): (request: OutgoingRequest) => void {
  const { token, username, password, oauthToken, basicAuth } = ctx.settings.credentials
  const headers: Record<string, string> = {}
  if (token) headers['x-cybozu-api-token'] = ctx.secret(splitTokens(token).join(','))
  if (username && password)
    headers['x-cybozu-authorization'] = ctx.secret(Buffer.from(`${username}:${password}`).toString('base64'))
  if (oauthToken) headers.authorization = ctx.secret(`Bearer ${oauthToken}`)
  // Sent in addition to the kintone credential on sites behind Basic authentication.
  if (basicAuth) headers.authorization = ctx.secret(`Basic ${Buffer.from(basicAuth).toString('base64')}`)
  return (request) => {
    Object.assign(request.headers, headers)
  }
}

/** kintone's `{code, id, message, errors}`. */
function parseError(_status: number, body: unknown): ErrorDetails {
  if (!isPlainObject(body) || typeof body.message !== 'string') return { type: '', message: '' }
  const fields = isPlainObject(body.errors)
    ? Object.entries(body.errors)
        .map(
          ([field, detail]) =>
            `${field}: ${isPlainObject(detail) && Array.isArray(detail.messages) ? detail.messages.join(' ') : JSON.stringify(detail)}`,
        )
        .join('; ')
    : ''
  return {
    type: typeof body.code === 'string' ? body.code : '',
    message: `${body.code ? `${textOf(body.code)}: ` : ''}${body.message}${fields ? ` (${fields})` : ''}`,
    requestId: typeof body.id === 'string' ? body.id : undefined,
  }
}

/** One row per app: its status as read, and the revision asked (or revert). */
function itemsOf(resource: StatusResource, payload: PayloadObject): OutcomeItem[] {
  const revisions = new Map<string, string>()
  if (Array.isArray(payload.apps))
    for (const a of payload.apps)
      if (isPlainObject(a) && a.revision !== undefined) revisions.set(textOf(a.app), textOf(a.revision))
  return resource.apps.map((a) => ({
    id: a.app,
    providerStatus: a.status,
    succeeded: a.status === 'SUCCESS',
    detail: payload.revert === true ? 'revert' : (revisions.get(a.app) ?? 'latest'),
  }))
}

function splitTokens(token: string): string[] {
  return token
    .split(',')
    .map((t) => t.trim())
    .filter((t) => t !== '')
}

/** A positive app id from a number or a numeric string. */
function appId(value: unknown): number | undefined {
  const text = String(value)
  return /^[1-9][0-9]{0,15}$/.test(text) && Number.isSafeInteger(Number(text)) ? Number(text) : undefined
}

function deployBody(
  payload: PayloadObject,
  apps: string[],
): { apps: { app: number; revision?: number }[]; revert?: boolean } {
  const entries = Array.isArray(payload.apps)
    ? payload.apps.map((a) => {
        // Each entry is an object {app, revision?}: validate() refused anything else.
        const entry = isPlainObject(a) ? a : {}
        return { app: Number(entry.app), ...(entry.revision !== undefined ? { revision: Number(entry.revision) } : {}) }
      })
    : apps.map((app) => ({ app: Number(app) }))
  return { apps: entries, ...(typeof payload.revert === 'boolean' ? { revert: payload.revert } : {}) }
}

function sendDeploy(ctx: ProviderContext, body: object): Promise<ApiResponse> {
  return ctx.client.request({
    method: 'POST',
    path: '/preview/app/deploy.json',
    body,
    replay: 'unsafe',
    what: 'start the deploy',
    // kintone answers `{}`; nothing else (no body, null, an error body in a 200) says the deploy
    // started. Anything else is read before it is resent, and resending the same deploy is harmless.
    expect: (json) =>
      isPlainObject(json) && Object.keys(json).length === 0
        ? undefined
        : 'with something other than the empty object kintone answers a deploy with',
  })
}

/** One deploy-status read of `apps`; as POST + X-HTTP-Method-Override when the URL would pass kintone's limit. */
async function readStatus(ctx: ProviderContext, apps: string[]): Promise<StatusResource> {
  const query = apps.map((app, i): [string, string] => [`apps[${i}]`, app])
  const path = '/preview/app/deploy.json'
  const long = ctx.client.url(path, query).href.length > MAX_URL_LENGTH
  const response = await ctx.client.request(
    long
      ? {
          method: 'POST',
          path,
          headers: { 'x-http-method-override': 'GET' },
          body: { apps: apps.map(Number) },
          replay: 'safe',
          what: 'read the deploy status',
        }
      : { method: 'GET', path, query, replay: 'safe', what: 'read the deploy status' },
  )
  const body = response.json
  if (!isPlainObject(body) || !Array.isArray(body.apps))
    throw new DeployPatchError(
      `kintone answered the deploy status read (HTTP ${response.status}) without an 'apps' list: ${ctx.redact(response.text).slice(0, 200)}`,
      'invalid-response',
    )
  // kintone returns app ids as strings; normalise in case a proxy or a future version does not.
  const status = {
    apps: body.apps.map((a: unknown) => ({
      app: String(isPlainObject(a) ? a.app : undefined),
      status: String(isPlainObject(a) ? a.status : undefined),
    })),
  }
  // Success is only ever every requested app reported SUCCESS: an app left out, or a status this
  // client does not know, must not read as a finished deploy.
  const reported = new Set(status.apps.map((a) => a.app))
  const missing = apps.filter((app) => !reported.has(app))
  if (missing.length > 0) {
    const them = missing.length > 1 ? `apps ${missing.join(', ')}` : `app ${missing[0]}`
    throw new DeployPatchError(
      `kintone's deploy status left out ${them}, so whether the deploy reached ${missing.length > 1 ? 'them' : 'it'} is unknown; check ${them} in kintone.`,
      'invalid-response',
    )
  }
  const strange = status.apps.find((a) => !DEPLOY_STATUSES.includes(a.status))
  if (strange)
    throw new DeployPatchError(
      `kintone answered the deploy status '${ctx.redact(strange.status).slice(0, 40)}' for app ${strange.app}, not one of ${DEPLOY_STATUSES.join(', ')}; check the app in kintone.`,
      'invalid-response',
    )
  return status
}

/** The deploy's status as a whole: PROCESSING while any app is; FAIL or CANCEL when any app ended so; else SUCCESS. */
function overall(status: StatusResource | undefined): DeployStatus {
  const states = new Set(status?.apps?.map((a) => a.status) ?? [])
  if (states.has('PROCESSING')) return 'PROCESSING'
  if (states.has('FAIL')) return 'FAIL'
  if (states.has('CANCEL')) return 'CANCEL'
  return 'SUCCESS'
}
