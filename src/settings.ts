/**
 * Inputs → one typed, checked Settings object. Every input of action.yml is read here and only
 * here, once, so a misspelled or unused input is caught by the contract test, and every bad
 * value fails with the input's name and the forms it accepts.
 */
import { InputError } from './errors.js'
import { formatMs } from './format.js'
import { isHttpsOrLoopback } from './url.js'
import { providerEntry, providerNames, type ProviderEntry, type ProviderName } from './providers/registry.js'

export type { ProviderName } from './providers/registry.js'

/** Credentials as given; each non-empty one is registered as a secret while it is read. */
export interface Credentials {
  token?: string
  username?: string
  password?: string
  domain?: string
  oauthToken?: string
  basicAuth?: string
  accessKey?: string
  secretKey?: string
  securityToken?: string
}

export interface Settings {
  provider: ProviderName
  payloadFile?: string
  payloadInline?: string
  targets: string[]
  credentials: Credentials
  authUrl?: URL
  region?: string
  projectId?: string
  guestSpaceId?: string
  baseUrl?: URL
  restart: boolean
  wait: boolean
  timeoutMs: number
  pollIntervalMs: number
  maxRetries: number
  dryRun: boolean
  substituteEnv: boolean
  githubEnvironment?: string
  githubToken?: string
  /** When the plan of a pull request's dry run goes in a comment on it (src/pr-comment.ts). */
  prComment: PrCommentMode
  summary: boolean
  concurrency: number
  /** What a failed asynchronous update leads to: 'report' it only, or 'rollback' the fields the payload set. */
  onFailure: 'report' | 'rollback'
  /** A known-good payload (a file, or inline) giving the previous values the read before the update lacks. */
  rollbackPayloadFile?: string
  rollbackPayload?: string
  /** The rollback's own time budget, since the step's `timeout` may be what ended the wait. */
  rollbackTimeoutMs: number
  workspace: string
  runnerTemp: string
}

/** Reads one input by its action.yml name ('' when unset), as `core.getInput` does. */
export type InputReader = (name: string) => string

/** Parse and check every input. `registerSecret` is called for each credential before anything can log it. */
export function parseSettings(
  read: InputReader,
  registerSecret: (value: string) => void,
  env: NodeJS.ProcessEnv = process.env,
): Settings {
  const secret = (name: string): string | undefined => {
    const value = read(name)
    if (value === '') return undefined
    registerSecret(value)
    // A line break inside a credential would end a header line, or be masked only in part on the
    // runner: refused before any request. The value is never echoed, not even in part.
    // eslint-disable-next-line no-control-regex
    if (/[\u0000-\u001f\u007f]/.test(value)) {
      // eslint-disable-next-line no-control-regex
      for (const part of value.split(/[\u0000-\u001f\u007f]+/)) if (part !== '') registerSecret(part)
      throw new InputError(
        name,
        `Invalid input '${name}': it contains a line break or another control character. Set it to the credential alone, on one line (check the secret for a trailing newline or a pasted second line).`,
      )
    }
    return value
  }
  // Credentials first: nothing below may echo one before it is masked.
  const credentials: Credentials = {
    token: secret('token'),
    password: secret('password'),
    oauthToken: secret('oauth-token'),
    basicAuth: secret('basic-auth'),
    accessKey: secret('access-key'),
    secretKey: secret('secret-key'),
    securityToken: secret('security-token'),
    username: optional(read('username')),
    domain: optional(read('domain')),
  }
  // kintone takes several API tokens in one input: each is a secret on its own, as a server may quote just one.
  if (credentials.token?.includes(','))
    for (const part of credentials.token.split(',')) if (part.trim() !== '') registerSecret(part.trim())
  const githubToken = secret('github-token')
  if (credentials.basicAuth) {
    // The password half alone is what a log line would most likely show.
    const colon = credentials.basicAuth.indexOf(':')
    if (colon < 1) throw new InputError('basic-auth', "Invalid input 'basic-auth'. Expected 'user:password'.")
    registerSecret(credentials.basicAuth.slice(colon + 1))
  }

  const provider = parseProvider(read('provider'))
  const entry = providerEntry(provider)!
  const payloadFile = optional(read('payload-file'))
  // A provider that needs no payload (kintone deploys app ids alone) gives one: `target` alone is a complete request.
  const payloadInline = optional(read('payload')) ?? (payloadFile ? undefined : entry.defaultPayload)
  if (payloadFile && payloadInline) {
    throw new InputError(
      'payload',
      "Inputs 'payload-file' and 'payload' are both set. Set exactly one: a file in the repository, or the payload inline.",
    )
  }
  if (!payloadFile && !payloadInline) {
    throw new InputError(
      'payload-file',
      "No payload: set 'payload-file' to a JSON or YAML file in the repository, or 'payload' to the payload inline.",
    )
  }

  const timeoutMs = parseDuration('timeout', read('timeout') || '10m', { minMs: 1_000, maxMs: 6 * 3_600_000 })
  const pollIntervalMs = parseDuration('poll-interval', read('poll-interval') || '1s', { minMs: 100, maxMs: 300_000 })

  const rollback = parseRollback(read)

  return {
    provider,
    payloadFile,
    payloadInline,
    targets: parseTargets(read('target')),
    credentials,
    authUrl: parseUrl('auth-url', read('auth-url')),
    region: parseRegion(provider, entry, read('region')),
    projectId: parseId(
      'project-id',
      read('project-id'),
      /^[A-Za-z0-9_-]{1,64}$/,
      'a project id such as 0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e',
    ),
    guestSpaceId: parseId(
      'guest-space-id',
      read('guest-space-id'),
      /^[1-9][0-9]{0,18}$/,
      'a positive whole number such as 12',
    ),
    baseUrl: parseUrl('base-url', read('base-url')),
    restart: parseBoolean('restart', read('restart'), true),
    wait: parseBoolean('wait', read('wait'), true),
    timeoutMs,
    pollIntervalMs,
    maxRetries: parseInteger('max-retries', read('max-retries'), 5, 0, 20),
    dryRun: parseBoolean('dry-run', read('dry-run'), false),
    substituteEnv: parseBoolean('substitute-env', read('substitute-env'), false),
    githubEnvironment: optional(read('github-environment')),
    githubToken,
    prComment: parsePrComment(read('pr-comment')),
    summary: parseBoolean('summary', read('summary'), true),
    concurrency: parseInteger('concurrency', read('concurrency'), 4, 1, 32),
    ...rollback,
    workspace: env.GITHUB_WORKSPACE || process.cwd(),
    runnerTemp: env.RUNNER_TEMP || env.TMPDIR || '/tmp',
  }
}

/** `pr-comment`: on for pull requests' dry runs (`auto`), only for a plan worth reading (`changes-only`), or never. */
export type PrCommentMode = 'auto' | 'changes-only' | 'false'

function parsePrComment(value: string): PrCommentMode {
  if (value === '') return 'auto'
  const mode = value.toLowerCase()
  if (mode === 'auto' || mode === 'changes-only' || mode === 'false') return mode
  throw new InputError('pr-comment', `Invalid input 'pr-comment': '${value}'. Expected auto, changes-only or false.`)
}

/** The `on-failure` input and what a rollback takes: a known-good payload (one source at most) and its time budget. */
function parseRollback(
  read: InputReader,
): Pick<Settings, 'onFailure' | 'rollbackPayloadFile' | 'rollbackPayload' | 'rollbackTimeoutMs'> {
  // Case aside, as 'pr-comment', 'provider' and 'region' are read: 'Rollback' means one thing.
  const onFailure = read('on-failure') || 'report'
  const value = onFailure.toLowerCase()
  if (value !== 'report' && value !== 'rollback')
    throw new InputError('on-failure', `Invalid input 'on-failure': '${onFailure}'. Expected report or rollback.`)
  const rollbackPayloadFile = optional(read('rollback-payload-file'))
  const rollbackPayload = optional(read('rollback-payload'))
  const given = rollbackPayloadFile ? 'rollback-payload-file' : rollbackPayload ? 'rollback-payload' : undefined
  if (rollbackPayloadFile && rollbackPayload)
    throw new InputError(
      'rollback-payload',
      "Inputs 'rollback-payload-file' and 'rollback-payload' are both set. Set at most one: the known-good payload as a file, or inline.",
    )
  if (given && value !== 'rollback')
    throw new InputError(
      given,
      `Input '${given}' is set, but 'on-failure' is 'report', so it would never be used. Set 'on-failure: rollback', or remove '${given}'.`,
    )
  const rollbackTimeoutMs = parseDuration('rollback-timeout', read('rollback-timeout') || '5m', {
    minMs: 1_000,
    maxMs: 6 * 3_600_000,
  })
  return { onFailure: value, rollbackPayloadFile, rollbackPayload, rollbackTimeoutMs }
}

function optional(value: string): string | undefined {
  return value === '' ? undefined : value
}

/** A registered provider's name, whatever its case. */
function parseProvider(value: string): ProviderName {
  const names = providerNames()
  if (value === '')
    throw new InputError('provider', `Input 'provider' is required. Expected one of: ${names.join(', ')}.`)
  const found = names.find((p) => p === value.toLowerCase())
  if (!found)
    throw new InputError('provider', `Invalid input 'provider': '${value}'. Expected one of: ${names.join(', ')}.`)
  // A name registered by a test (registerProvider) is outside the type; every other is a built-in one.
  return found as ProviderName
}

/** YAML 1.2 core-schema booleans, as `core.getBooleanInput` accepts; anything else is an error, never a silent default. */
export function parseBoolean(name: string, value: string, fallback: boolean): boolean {
  if (value === '') return fallback
  if (['true', 'True', 'TRUE'].includes(value)) return true
  if (['false', 'False', 'FALSE'].includes(value)) return false
  throw new InputError(name, `Invalid input '${name}': '${value}'. Expected true or false.`)
}

/** A whole number within [min, max]. */
export function parseInteger(name: string, value: string, fallback: number, min: number, max: number): number {
  if (value === '') return fallback
  if (!/^\d+$/.test(value) || Number(value) < min || Number(value) > max) {
    throw new InputError(name, `Invalid input '${name}': '${value}'. Expected a whole number from ${min} to ${max}.`)
  }
  return Number(value)
}

const UNIT_MS: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000 }

/** `90s`, `15m`, `1h`, `1h30m`, `500ms`, or a bare number of seconds → milliseconds. */
export function parseDuration(name: string, value: string, limits: { minMs: number; maxMs: number }): number {
  const text = value.trim().toLowerCase()
  let ms: number | undefined
  if (/^\d+(\.\d+)?$/.test(text)) ms = Number(text) * 1_000
  else if (/^(\d+(\.\d+)?(ms|h|m|s))+$/.test(text)) {
    ms = 0
    for (const [, num, unit] of text.matchAll(/(\d+(?:\.\d+)?)(ms|h|m|s)/g)) ms += Number(num) * UNIT_MS[unit!]!
  }
  const accepted = "a duration such as '90s', '15m', '1h', '1h30m', or a number of seconds"
  if (ms === undefined) throw new InputError(name, `Invalid input '${name}': '${value}'. Expected ${accepted}.`)
  if (ms < limits.minMs || ms > limits.maxMs) {
    throw new InputError(
      name,
      `Invalid input '${name}': '${value}'. Expected ${accepted}, from ${formatMs(limits.minMs)} to ${formatMs(limits.maxMs)}.`,
    )
  }
  return Math.round(ms)
}

/** Newline- or comma-separated ids; blanks dropped; duplicates and control characters refused. */
export function parseTargets(value: string): string[] {
  const targets = value
    .split(/[\n,]/)
    .map((t) => t.trim())
    .filter((t) => t !== '')
  const seen = new Set<string>()
  for (const target of targets) {
    // eslint-disable-next-line no-control-regex
    if (/[\u0000-\u001f\u007f]/.test(target))
      throw new InputError(
        'target',
        `Invalid input 'target': ${JSON.stringify(target)} contains a control character. Expected ids separated by commas or newlines.`,
      )
    if (seen.has(target))
      throw new InputError('target', `Invalid input 'target': '${target}' is listed twice. List each id once.`)
    seen.add(target)
  }
  return targets
}

/** An https origin (optionally with a path prefix); http only for loopback hosts. Messages never echo credentials or queries. */
export function parseUrl(name: string, value: string): URL | undefined {
  if (value === '') return undefined
  // Everything between // and the last @ before a query may be credentials (a password may hold '/').
  const shown = value.replace(/\/\/[^?#]*@/, '//***@').replace(/[?#].*$/s, '?…')
  let url: URL
  try {
    url = new URL(value)
  } catch {
    throw new InputError(
      name,
      `Invalid input '${name}': '${shown}' is not a URL. Expected an https URL such as https://example.com.`,
    )
  }
  if (url.username || url.password) {
    throw new InputError(
      name,
      `Invalid input '${name}': the URL carries credentials. Remove them from the URL and use the credential inputs, which are masked.`,
    )
  }
  if (url.search || url.hash) {
    throw new InputError(
      name,
      `Invalid input '${name}': '${url.origin}${url.pathname}' has a query or fragment. Expected an origin such as https://example.com.`,
    )
  }
  if (!isHttpsOrLoopback(url)) {
    throw new InputError(
      name,
      `Invalid input '${name}': '${url.origin}'. Only https URLs are accepted (plain http only for localhost and 127.0.0.1), so credentials never cross the network in clear text.`,
    )
  }
  url.pathname = url.pathname.replace(/\/+$/, '')
  return url
}

/** One of the provider's own regions (the first by default), or else an optional region name such as cn-north-4. */
function parseRegion(provider: string, { regions }: ProviderEntry, value: string): string | undefined {
  if (regions) {
    const names = Object.keys(regions)
    const region = value === '' ? names[0] : value.toLowerCase()
    if (region === undefined || !names.includes(region)) {
      const expected = Object.entries(regions).map(([name, host]) => `'${name}' (${host})`)
      throw new InputError(
        'region',
        `Invalid input 'region': '${value}'. For ${provider}, expected ${expected.join(' or ')}.`,
      )
    }
    return region
  }
  if (value === '') return undefined
  if (!/^[a-z]{2,}(-[a-z0-9]+){1,4}$/.test(value)) {
    throw new InputError('region', `Invalid input 'region': '${value}'. Expected a region name such as cn-north-4.`)
  }
  return value
}

function parseId(name: string, value: string, shape: RegExp, example: string): string | undefined {
  if (value === '') return undefined
  if (!shape.test(value)) throw new InputError(name, `Invalid input '${name}': '${value}'. Expected ${example}.`)
  return value
}
