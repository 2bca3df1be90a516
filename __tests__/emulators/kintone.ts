/**
 * Loopback emulator of kintone's "deploy app settings" and "get app deploy status" REST APIs
 * (`/k/v1/preview/app/deploy.json` and `/k/guest/{space}/v1/preview/app/deploy.json`), following the
 * documented behaviour: the asynchronous PROCESSING → SUCCESS | FAIL | CANCEL deploy, revision checks,
 * revert, the 300-app limit, guest-space addressing, the X-HTTP-Method-Override form of the status read,
 * the four auth variants (password, API token, OAuth, Basic in front of the site) and kintone's error body
 * `{code, id, message, errors?}`.
 *
 * Where the docs are silent the emulator makes a choice; every such choice is in `KINTONE_ERRORS` below
 * (marked "not documented") so tests can name the codes instead of copying strings.
 */
import { randomBytes } from 'node:crypto'
import { STATUS_CODES } from 'node:http'
import { Emulator, type RecordedRequest, type Reply } from './base.ts'

/** Constructor options. */
export interface KintoneEmulatorOptions {
  /** API token → the apps it was generated for and whether it has the App Management permission. */
  apiTokens?: Record<string, { apps: number[]; appManagement: boolean }>
  /** Login → password, for `X-Cybozu-Authorization: base64(login:password)`. Users may manage every app. */
  users?: Record<string, string>
  /** Valid OAuth access tokens, for `Authorization: Bearer <token>`. They may manage every app. */
  oauthTokens?: string[]
  /** "user:pass": the site sits behind Basic auth; every request must also carry `Authorization: Basic …`. */
  basicAuth?: string
  /** How long a deploy stays PROCESSING, in ms (default 300). */
  deployMs?: number
  /**
   * A deploy also stays PROCESSING until this many status reads have included one of its apps (default 0:
   * time alone). A real deploy takes seconds, so the read right after one is accepted sees it running;
   * a test that relies on that sets 1, so that a slow machine cannot turn it into a finished deploy.
   */
  deployReads?: number
  /** Guest space id → ids of the apps living in it (placement only: apps still come from `addApp`). */
  guestSpaces?: Record<number, number[]>
}

export type DeployStatus = 'PROCESSING' | 'SUCCESS' | 'FAIL' | 'CANCEL'

/** One entry of kintone's per-field `errors` object. */
export interface FieldErrors {
  [field: string]: { messages: string[] }
}

/** kintone's error body. */
export interface KintoneErrorBody {
  code: string
  id: string
  message: string
  errors?: FieldErrors
}

/**
 * Every error the emulator answers with. `documented`: the code (and status) appear in kintone's docs or in
 * official tooling run against real kintone (cli-kintone's end-to-end scenarios); otherwise it is a choice.
 */
export const KINTONE_ERRORS = {
  /** No kintone auth header at all. [cli-kintone e2e: "[401] [CB_AU01] Please login."] */
  noAuth: { status: 401, code: 'CB_AU01', message: 'Please login.', documented: true },
  /** X-Cybozu-Authorization undecodable, unknown login or wrong password. [cli-kintone e2e] */
  badPassword: { status: 401, code: 'CB_WA01', message: 'Password authentication failed.', documented: true },
  /** An API token that is not one the emulator knows. Real kintone answers 400 here, not 401. [cli-kintone e2e] */
  badApiToken: {
    status: 400,
    code: 'GAIA_IA02',
    message: 'The specified API token does not match the API token generated via an app.',
    documented: true,
  },
  /** Two API tokens for the same app in one request. [cli-kintone e2e] */
  duplicateApiToken: {
    status: 400,
    code: 'GAIA_DA03',
    message: 'You cannot specify a duplicate API token for the same app.',
    documented: true,
  },
  /** More than 9 API tokens: the limit is documented, the code/status are not. */
  tooManyApiTokens: {
    status: 400,
    code: 'CB_IL02',
    message: 'Illegal request. Up to 9 API tokens can be specified.',
    documented: false,
  },
  /** An API token not generated for one of the apps, or without App Management. [cli-kintone e2e] */
  tokenNoPermission: {
    status: 403,
    code: 'GAIA_NO01',
    message: 'Using this API token, you cannot run the specified API.',
    documented: true,
  },
  /** An unknown OAuth access token: code seen in third-party code for OAuth failures; not documented. */
  badOAuthToken: { status: 401, code: 'CB_OA01', message: 'Cannot access protected resource.', documented: false },
  /** Body is not valid JSON. [kintone.dev API update 2015-12] */
  invalidJson: { status: 400, code: 'CB_IJ01', message: 'Invalid JSON string.', documented: true },
  /** Validation error, always with `errors`. [kintone js-sdk issue output: "[400] [CB_VA01] Missing or invalid input."] */
  validation: { status: 400, code: 'CB_VA01', message: 'Missing or invalid input.', documented: true },
  /** The app does not exist, or is not in the guest space of the path. [cli-kintone e2e, message text] */
  appNotFound: {
    status: 404,
    code: 'GAIA_AP01',
    message: 'The app (ID: {app}) not found. The app may have been deleted.',
    documented: true,
  },
  /** A guest-space app addressed through /k/v1/. [js-sdk tests and cli-kintone's handling of GAIA_IL23] */
  guestSpacePathRequired: {
    status: 400,
    code: 'GAIA_IL23',
    message: 'You need to send a request to the URL: "/k/guest/<Space ID>/v1/..." to execute apps in Guest Spaces.',
    documented: true,
  },
  /** Deploy `revision` mismatch: record APIs use GAIA_CO02/409; for app settings this is not confirmed. */
  revisionConflict: {
    status: 409,
    code: 'GAIA_CO02',
    message:
      'The revision is not the latest. Someone may have changed the app settings (app: {app}, expected revision: {expected}, actual: {actual}).',
    documented: false,
  },
  /** Deploy while one of the apps is PROCESSING: docs say only "an error is returned". Emulator's choice. */
  deployInProgress: {
    status: 409,
    code: 'GAIA_DP01',
    message: 'The app settings are being deployed (app: {app}). Wait until the deployment finishes, then try again.',
    documented: false,
  },
  /** Known path, method not supported (also an honoured override to PUT/DELETE/PATCH). Emulator's choice. */
  methodNotAllowed: {
    status: 405,
    code: 'CB_IL02',
    message: 'Illegal request. The HTTP method is not supported by this API.',
    documented: false,
  },
  /** An unexpected server error (injected 500s, emulator bugs). Emulator's choice. */
  internal: { status: 500, code: 'CB_UN01', message: 'An unexpected error has occurred.', documented: false },
  /** Over the 100-concurrent-connection limit (injected 429s). Status documented; code not. */
  tooManyRequests: {
    status: 429,
    code: 'CB_TO01',
    message: 'Too many requests are being processed at the same time. Wait and try again.',
    documented: false,
  },
} as const

export type KintoneErrorName = keyof typeof KINTONE_ERRORS

const MAX_APPS = 300
const MAX_API_TOKENS = 9
const JSON_CONTENT_TYPE = 'application/json; charset=utf-8'
const DEPLOY_PATH = /^\/k\/(?:guest\/(\d+)\/)?v1\/preview\/app\/deploy\.json$/
const OVERRIDABLE = new Set(['GET', 'POST', 'PUT', 'DELETE', 'PATCH'])

interface AppState {
  id: number
  guestSpace: number | undefined
  /** Revision of the pre-live (preview) settings. */
  preview: number
  /** Revision of the settings live in production. */
  live: number
  /** Set by the first SUCCESS; what deployedRevision() reports. */
  deployed: number | undefined
  failNext: boolean
  /** Status of the last deploy that included the app; undefined if none was started here. */
  status: DeployStatus | undefined
}

interface Batch {
  doneAt: number
  revert: boolean
  /** App id → the preview revision captured when the deploy was accepted. */
  revisions: Map<number, number>
  failing: number | undefined
  settled: boolean
  /** Status reads still to answer PROCESSING (see `deployReads`). */
  readsLeft: number
}

/** Who the request authenticated as. */
type Principal = { kind: 'user' } | { kind: 'oauth' } | { kind: 'tokens'; tokens: string[] }

/** The error reply or the parsed value. */
type Parsed<T> = { ok: true; value: T } | { ok: false; reply: Reply }

/** kintone's deploy / deploy-status APIs on 127.0.0.1. */
export class KintoneEmulator extends Emulator {
  #apiTokens: Map<string, { apps: Set<number>; appManagement: boolean }>
  #users: Map<string, string>
  #oauth: Set<string>
  #basic: string | undefined
  #deployMs: number
  #deployReads: number
  #placement = new Map<number, number>()
  #apps = new Map<number, AppState>()
  #batches: Batch[] = []
  #applied = 0

  constructor(options: KintoneEmulatorOptions = {}) {
    super()
    this.#apiTokens = new Map(
      Object.entries(options.apiTokens ?? {}).map(([token, grant]) => [
        token,
        { apps: new Set(grant.apps), appManagement: grant.appManagement },
      ]),
    )
    this.#users = new Map(Object.entries(options.users ?? {}))
    this.#oauth = new Set(options.oauthTokens ?? [])
    this.#basic = options.basicAuth
    this.#deployMs = options.deployMs ?? 300
    this.#deployReads = options.deployReads ?? 0
    for (const [space, apps] of Object.entries(options.guestSpaces ?? {})) {
      for (const app of apps) this.#placement.set(app, Number(space))
    }
  }

  /**
   * Creates an app whose preview settings are at `revision` (default 2) with undeployed changes (the live
   * settings are one revision behind). It lives in `guestSpace`, else where `guestSpaces` put it, else in
   * the normal space. Until a deploy starts here, the status API reports it as SUCCESS.
   */
  addApp(app: number, opts: { revision?: number; guestSpace?: number } = {}): void {
    if (!Number.isInteger(app) || app < 1) throw new Error(`kintone emulator: bad app id ${app}`)
    const revision = opts.revision ?? 2
    this.#apps.set(app, {
      id: app,
      guestSpace: opts.guestSpace ?? this.#placement.get(app),
      preview: revision,
      live: Math.max(revision - 1, 0),
      deployed: undefined,
      failNext: false,
      status: undefined,
    })
  }

  /** The next deploy that includes this app ends FAIL for it and CANCEL for the other apps of the batch. */
  failNextDeploy(app: number): void {
    this.#app(app).failNext = true
  }

  /** Someone changed the app's preview settings: its revision goes up by one. */
  editPreview(app: number): void {
    this.#app(app).preview += 1
  }

  /** The status of the last deploy started here that included the app (undefined: none, or unknown app). */
  deployStatus(app: number): DeployStatus | undefined {
    this.#settle()
    return this.#apps.get(app)?.status
  }

  /** How many deploy POSTs were accepted (each started one asynchronous deploy). */
  deploysApplied(): number {
    return this.#applied
  }

  /** The revision live in production after the app's last SUCCESS (undefined before any SUCCESS here). */
  deployedRevision(app: number): number | undefined {
    this.#settle()
    return this.#apps.get(app)?.deployed
  }

  /** The current preview (pre-live) revision, as the app settings APIs would report it. */
  previewRevision(app: number): number | undefined {
    this.#settle()
    return this.#apps.get(app)?.preview
  }

  protected override statusFaultReply(status: number): Reply {
    const byStatus: Partial<Record<number, KintoneErrorName>> = {
      400: 'validation',
      401: 'noAuth',
      403: 'tokenNoPermission',
      404: 'appNotFound',
      405: 'methodNotAllowed',
      409: 'revisionConflict',
      429: 'tooManyRequests',
      500: 'internal',
    }
    const name = byStatus[status]
    if (name === 'validation')
      return kintoneError('validation', {}, { apps: { messages: ['Injected validation error.'] } })
    if (name !== undefined) return kintoneError(name, { app: '0', expected: '0', actual: '0' })
    // 502/503/504 come from the load balancer / maintenance page in front of kintone: not kintone's JSON.
    const text = STATUS_CODES[status] ?? 'Error'
    return {
      status,
      text: `<html><head><title>${status} ${text}</title></head><body><h1>${text}</h1></body></html>`,
      headers: { 'content-type': 'text/html; charset=utf-8' },
    }
  }

  protected override internalErrorReply(error: unknown): Reply {
    const reply = kintoneError('internal')
    const body = reply.body as KintoneErrorBody
    body.message = `${body.message} (emulator: ${error instanceof Error ? error.message : String(error)})`
    return reply
  }

  protected handle(req: RecordedRequest): Reply {
    this.#settle()
    if (this.#basic !== undefined && !this.#basicOk(req)) return basicAuthRequired()

    const auth = this.#authenticate(req)
    if (!auth.ok) return auth.reply

    const route = DEPLOY_PATH.exec(req.path)
    if (!route)
      return {
        status: 404,
        text: '<html><head><title>404 Not Found</title></head><body><h1>Not Found</h1></body></html>',
        headers: { 'content-type': 'text/html; charset=utf-8' },
      }
    const space = route[1] === undefined ? undefined : Number(route[1])

    const method = effectiveMethod(req)
    if (method === 'GET') {
      // A real GET reads the query string; the POST + override form carries the same parameters as JSON.
      const apps = req.method === 'GET' ? appsFromQuery(req.url) : this.#appsFromOverrideBody(req)
      if (!apps.ok) return apps.reply
      return this.#readStatus(apps.value, space, auth.value)
    }
    if (method === 'POST') return this.#deploy(req, space, auth.value)
    return kintoneError('methodNotAllowed')
  }

  // -------------------------------------------------------------------------------------------
  // Status read

  #appsFromOverrideBody(req: RecordedRequest): Parsed<unknown[]> {
    const body = parseJsonBody(req)
    if (!body.ok) return body
    const apps = body.value.apps
    if (apps === undefined) return { ok: false, reply: validationError({ apps: ['Required.'] }) }
    if (!Array.isArray(apps)) return { ok: false, reply: validationError({ apps: ['Enter an array of app IDs.'] }) }
    return { ok: true, value: apps }
  }

  #readStatus(rawApps: unknown[], space: number | undefined, principal: Principal): Reply {
    if (rawApps.length === 0) return validationError({ apps: ['Required.'] })
    if (rawApps.length > MAX_APPS) return validationError({ apps: [`Up to ${MAX_APPS} apps can be specified.`] })
    const problems: Record<string, string[]> = {}
    const ids: number[] = []
    rawApps.forEach((raw, i) => {
      const id = appId(raw)
      if (typeof id === 'string') problems[`apps[${i}]`] = [id]
      else ids.push(id)
    })
    if (Object.keys(problems).length > 0) return validationError(problems)

    const denied = this.#checkApps(ids, space, principal)
    if (denied) return denied
    const reply = json(200, {
      apps: ids.map((id) => ({ app: String(id), status: this.#apps.get(id)!.status ?? 'SUCCESS' })),
    })
    for (const batch of this.#batches) {
      if (batch.readsLeft > 0 && ids.some((id) => batch.revisions.has(id))) batch.readsLeft -= 1
    }
    return reply
  }

  // -------------------------------------------------------------------------------------------
  // Deploy

  #deploy(req: RecordedRequest, space: number | undefined, principal: Principal): Reply {
    const body = parseJsonBody(req)
    if (!body.ok) return body.reply
    const request = validateDeploy(body.value)
    if (!request.ok) return request.reply
    const { apps, revert } = request.value

    const denied = this.#checkApps(
      apps.map((a) => a.app),
      space,
      principal,
    )
    if (denied) return denied

    for (const { app } of apps) {
      if (this.#apps.get(app)!.status === 'PROCESSING') return kintoneError('deployInProgress', { app: String(app) })
    }
    for (const { app, revision } of apps) {
      const state = this.#apps.get(app)!
      if (revision !== undefined && revision !== -1 && revision !== state.preview) {
        return kintoneError('revisionConflict', {
          app: String(app),
          expected: String(revision),
          actual: String(state.preview),
        })
      }
    }

    const failing = apps.find(({ app }) => this.#apps.get(app)!.failNext)?.app
    if (failing !== undefined) this.#apps.get(failing)!.failNext = false
    const batch: Batch = {
      doneAt: Date.now() + this.#deployMs,
      revert,
      revisions: new Map(apps.map(({ app }) => [app, this.#apps.get(app)!.preview])),
      failing,
      settled: false,
      readsLeft: this.#deployReads,
    }
    for (const { app } of apps) this.#apps.get(app)!.status = 'PROCESSING'
    this.#batches.push(batch)
    this.#applied += 1
    this.#settle() // deployMs: 0 finishes at once
    // "This API has no responses": an empty object.
    return json(200, {})
  }

  /** Finishes every deploy whose time has come (evaluated lazily on each read: no timers to clean up). */
  #settle(): void {
    const now = Date.now()
    for (const batch of this.#batches) {
      if (batch.settled || now < batch.doneAt || batch.readsLeft > 0) continue
      batch.settled = true
      for (const [app, revision] of batch.revisions) {
        const state = this.#apps.get(app)
        if (!state) continue
        if (batch.failing !== undefined) {
          // One app failed: every app of the batch keeps the settings it had before the call.
          state.status = app === batch.failing ? 'FAIL' : 'CANCEL'
          continue
        }
        state.status = 'SUCCESS'
        if (batch.revert) {
          // Preview changes discarded: the preview becomes the live settings again; production untouched.
          state.preview = state.live
        } else {
          state.live = revision
        }
        state.deployed = state.live
      }
    }
    this.#batches = this.#batches.filter((b) => !b.settled)
  }

  // -------------------------------------------------------------------------------------------
  // Auth, spaces, permissions

  #basicOk(req: RecordedRequest): boolean {
    const header = req.headers.authorization
    if (typeof header !== 'string') return false
    const match = /^Basic +([A-Za-z0-9+/]+={0,2}) *$/i.exec(header)
    return match !== null && Buffer.from(match[1]!, 'base64').toString('utf8') === this.#basic
  }

  /** Precedence when several are sent: password, then API token, then OAuth. */
  #authenticate(req: RecordedRequest): Parsed<Principal> {
    const password = headerString(req, 'x-cybozu-authorization')
    if (password !== undefined) {
      const decoded = strictBase64(password.trim())
      const colon = decoded?.indexOf(':') ?? -1
      if (decoded === undefined || colon < 1) return { ok: false, reply: kintoneError('badPassword') }
      const expected = this.#users.get(decoded.slice(0, colon))
      if (expected === undefined || expected !== decoded.slice(colon + 1))
        return { ok: false, reply: kintoneError('badPassword') }
      return { ok: true, value: { kind: 'user' } }
    }

    const tokenHeader = headerString(req, 'x-cybozu-api-token')
    const tokens = (tokenHeader ?? '')
      .split(',')
      .map((t) => t.trim())
      .filter((t) => t !== '')
    if (tokens.length > 0) {
      if (tokens.length > MAX_API_TOKENS) return { ok: false, reply: kintoneError('tooManyApiTokens') }
      const seenApps = new Set<number>()
      for (const token of tokens) {
        const grant = this.#apiTokens.get(token)
        if (!grant) return { ok: false, reply: kintoneError('badApiToken') }
        for (const app of grant.apps) {
          if (seenApps.has(app)) return { ok: false, reply: kintoneError('duplicateApiToken') }
          seenApps.add(app)
        }
      }
      return { ok: true, value: { kind: 'tokens', tokens } }
    }

    // On a Basic-auth site the Authorization header carries Basic, so a Bearer token cannot be present.
    const authorization = req.headers.authorization
    const bearer = typeof authorization === 'string' ? /^Bearer +(\S+) *$/i.exec(authorization)?.[1] : undefined
    if (bearer !== undefined) {
      if (!this.#oauth.has(bearer)) {
        const reply = kintoneError('badOAuthToken')
        reply.headers = { ...reply.headers, 'www-authenticate': 'Bearer error="invalid_token"' }
        return { ok: false, reply }
      }
      return { ok: true, value: { kind: 'oauth' } }
    }
    return { ok: false, reply: kintoneError('noAuth') }
  }

  /** Every app must exist in the path's space, and an API-token caller needs App Management on each. */
  #checkApps(ids: number[], space: number | undefined, principal: Principal): Reply | undefined {
    for (const id of ids) {
      const state = this.#apps.get(id)
      if (!state) return kintoneError('appNotFound', { app: String(id) })
      if (space === undefined && state.guestSpace !== undefined) return kintoneError('guestSpacePathRequired')
      if (space !== state.guestSpace) return kintoneError('appNotFound', { app: String(id) })
    }
    if (principal.kind !== 'tokens') return undefined
    for (const id of ids) {
      const allowed = principal.tokens.some((token) => {
        const grant = this.#apiTokens.get(token)!
        return grant.apps.has(id) && grant.appManagement
      })
      if (!allowed) return kintoneError('tokenNoPermission')
    }
    return undefined
  }

  #app(app: number): AppState {
    const state = this.#apps.get(app)
    if (!state) throw new Error(`kintone emulator: unknown app ${app} (call addApp first)`)
    return state
  }
}

// ---------------------------------------------------------------------------------------------
// Request parsing and validation (an independent reading of the docs; not shared with src/)

/** X-HTTP-Method-Override is honoured only on POST and only for exact (case-sensitive) method names. */
function effectiveMethod(req: RecordedRequest): string {
  if (req.method !== 'POST') return req.method
  const override = headerString(req, 'x-http-method-override')
  return override !== undefined && OVERRIDABLE.has(override) ? override : 'POST'
}

/** `apps[0]=1&apps[1]=2` (also URL-encoded brackets, which URLSearchParams decodes), ordered by index. */
function appsFromQuery(url: URL): Parsed<unknown[]> {
  const indexed: [number, string][] = []
  for (const [key, value] of url.searchParams) {
    const match = /^apps\[(\d+)\]$/.exec(key)
    if (match) indexed.push([Number(match[1]), value])
  }
  if (indexed.length === 0) return { ok: false, reply: validationError({ apps: ['Required.'] }) }
  indexed.sort((a, b) => a[0] - b[0])
  return { ok: true, value: indexed.map(([, value]) => value) }
}

/** A JSON object body; without a JSON Content-Type kintone does not read the body, so nothing is sent. */
function parseJsonBody(req: RecordedRequest): Parsed<Record<string, unknown>> {
  const contentType = headerString(req, 'content-type') ?? ''
  if (!/^application\/json\b/i.test(contentType.trim())) return { ok: true, value: {} }
  let parsed: unknown
  try {
    parsed = JSON.parse(req.body)
  } catch {
    return { ok: false, reply: kintoneError('invalidJson') }
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
    return { ok: false, reply: kintoneError('invalidJson') }
  return { ok: true, value: parsed as Record<string, unknown> }
}

interface DeployRequest {
  apps: { app: number; revision: number | undefined }[]
  revert: boolean
}

function validateDeploy(body: Record<string, unknown>): Parsed<DeployRequest> {
  const fail = (problems: Record<string, string[]>): Parsed<DeployRequest> => ({
    ok: false,
    reply: validationError(problems),
  })
  const rawApps = body.apps
  if (rawApps === undefined || rawApps === null) return fail({ apps: ['Required.'] })
  if (!Array.isArray(rawApps)) return fail({ apps: ['Enter an array.'] })
  if (rawApps.length === 0) return fail({ apps: ['Required.'] })
  if (rawApps.length > MAX_APPS) return fail({ apps: [`Up to ${MAX_APPS} apps can be specified.`] })

  const problems: Record<string, string[]> = {}
  const apps: DeployRequest['apps'] = []
  const seen = new Set<number>()
  rawApps.forEach((entry, i) => {
    if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) {
      problems[`apps[${i}]`] = ['Enter an object with "app" and optionally "revision".']
      return
    }
    const { app: rawApp, revision: rawRevision } = entry as Record<string, unknown>
    const app = rawApp === undefined || rawApp === null || rawApp === '' ? 'Required.' : appId(rawApp)
    if (typeof app === 'string') problems[`apps[${i}].app`] = [app]
    else if (seen.has(app)) problems[`apps[${i}].app`] = [`The app ID ${app} is specified more than once.`]
    else seen.add(app)
    const revision =
      rawRevision === undefined || rawRevision === null || rawRevision === '' ? undefined : integer(rawRevision)
    if (revision === 'invalid' || (typeof revision === 'number' && revision < -1))
      problems[`apps[${i}].revision`] = ['Enter an integer value of -1 or more.']
    if (typeof app === 'number' && revision !== 'invalid') apps.push({ app, revision })
  })

  let revert = false
  if (body.revert !== undefined && body.revert !== null) {
    if (body.revert === true || body.revert === 'true') revert = true
    else if (body.revert === false || body.revert === 'false') revert = false
    else problems.revert = ['Enter true or false.']
  }
  if (Object.keys(problems).length > 0) return fail(problems)
  return { ok: true, value: { apps, revert } }
}

/** A positive app id from a number or a numeric string; otherwise the field's error message. */
function appId(value: unknown): number | string {
  const id = integer(value)
  if (id === 'invalid') return 'Enter an integer value.'
  if (id < 1) return 'Enter a value of 1 or more.'
  return id
}

function integer(value: unknown): number | 'invalid' {
  if (typeof value === 'number') return Number.isSafeInteger(value) ? value : 'invalid'
  if (typeof value === 'string' && /^-?\d{1,15}$/.test(value.trim())) return Number(value.trim())
  return 'invalid'
}

// ---------------------------------------------------------------------------------------------
// Helpers

function headerString(req: RecordedRequest, name: string): string | undefined {
  const value = req.headers[name]
  const text = Array.isArray(value) ? value.join(', ') : value
  return text === undefined || text === '' ? undefined : text
}

/** Decodes standard base64 only (so `Basic …` or other junk is rejected), as UTF-8. */
function strictBase64(value: string): string | undefined {
  if (value === '' || value.length % 4 !== 0 || !/^[A-Za-z0-9+/]+={0,2}$/.test(value)) return undefined
  return Buffer.from(value, 'base64').toString('utf8')
}

/** kintone's request id: 20 alphanumerics, like "lzQPJ1hkW3Aj4iVebWCG". */
function requestId(): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789'
  return [...randomBytes(20)].map((byte) => alphabet[byte % alphabet.length]).join('')
}

function json(status: number, body: unknown, headers: Record<string, string> = {}): Reply {
  return { status, body, headers: { 'content-type': JSON_CONTENT_TYPE, ...headers } }
}

/** `{code, id, message}` (+ `errors`) with the catalogue's status; `{name}` placeholders filled from `vars`. */
export function kintoneError(name: KintoneErrorName, vars: Record<string, string> = {}, errors?: FieldErrors): Reply {
  const spec = KINTONE_ERRORS[name]
  const message = spec.message.replace(/\{(\w+)\}/g, (whole, key: string) => vars[key] ?? whole)
  const body: KintoneErrorBody = {
    code: spec.code,
    id: requestId(),
    message,
    ...(errors === undefined ? {} : { errors }),
  }
  return json(spec.status, body)
}

function validationError(problems: Record<string, string[]>): Reply {
  const errors: FieldErrors = {}
  for (const [field, messages] of Object.entries(problems)) errors[field] = { messages }
  return kintoneError('validation', {}, errors)
}

/** What a Basic-auth-protected cybozu.com site answers without (or with wrong) Basic credentials. */
function basicAuthRequired(): Reply {
  return {
    status: 401,
    text: '<html><head><title>401 Authorization Required</title></head><body><h1>Authorization Required</h1></body></html>',
    headers: {
      'content-type': 'text/html; charset=utf-8',
      'www-authenticate': 'Basic realm="Please enter your user name and password."',
    },
  }
}
