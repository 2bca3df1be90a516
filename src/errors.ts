/**
 * The errors deploy-patch raises. Each carries what the outputs need (`error-type`, a status)
 * so that the report never has to guess from a message string.
 */

/** The step's final status, as written to the `status` output. */
export type RunStatus = 'succeeded' | 'failed' | 'timed-out' | 'cancelled' | 'dry-run'

/** A problem found before any request: a bad input, payload, or field. */
export interface Problem {
  /** Where: a JSON path into the payload (`$.schedule.expression`), or an input name. */
  path: (string | number)[]
  message: string
  /** For an input problem, the input's name; payload problems leave it empty. */
  input?: string
  /**
   * Set on the problem that no credential was given at all (not on a partial or conflicting set):
   * a dry run without any credential input (a pull request from a fork gets no secrets) then
   * validates offline instead of failing.
   */
  missingCredential?: true
}

/** Base class: an error with a machine-readable type for `error-type`. */
/**
 * Characters that change how a line reads without showing themselves: controls (but tab and line
 * ends), bidirectional overrides and isolates, zero-width and other format characters, line and
 * paragraph separators. A key or id that carries one is echoed with it spelled out, so a key of U+202E
 * followed by 'eman' cannot display as 'name' in a message.
 */
const INVISIBLE =
  // eslint-disable-next-line no-control-regex -- finding control characters is the point
  /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F\u00AD\u061C\u180E\u200B-\u200F\u2028-\u202E\u2060-\u2064\u2066-\u206F\uFEFF\uFFF9-\uFFFB]/g

/** `text` with every invisible character written as `\u{…}`. */
export function visible(text: string): string {
  return text.replace(INVISIBLE, (c) => `\\u{${c.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}}`)
}

export class DeployPatchError extends Error {
  readonly errorType: string
  readonly status: RunStatus
  constructor(message: string, errorType: string, status: RunStatus = 'failed') {
    super(visible(message))
    this.name = new.target.name
    this.errorType = errorType
    this.status = status
  }
}

/** An input (from action.yml) has a value that cannot be used. */
export class InputError extends DeployPatchError {
  readonly input: string
  constructor(input: string, message: string) {
    super(message, 'input')
    this.input = input
  }
}

/**
 * Problems found before anything was sent: the payload could not be read or parsed, fails
 * validation, or an input the provider needs is missing or wrong. `error-type` is `input` when
 * any problem is an input's (a user fixes the inputs first; the input problems are listed first),
 * else `validation`. Nothing was sent.
 */
export class PayloadError extends DeployPatchError {
  readonly problems: LocatedProblem[]
  readonly file?: string
  constructor(problems: LocatedProblem[], file?: string) {
    // Inputs first, then the payload's problems in the order of its lines (a stable sort: one line's problems keep their order).
    const ordered = [
      ...problems.filter((p) => p.input !== undefined),
      ...problems.filter((p) => p.input === undefined).sort((a, b) => (a.line ?? 0) - (b.line ?? 0)),
    ]
    super(ordered.map(formatProblem).join('\n'), ordered.some((p) => p.input !== undefined) ? 'input' : 'validation')
    this.problems = ordered
    this.file = file
  }
}

/**
 * One short line that says what the problems are about, for the summary's bold line and the head
 * of `error-message`: "The payload has 3 problems; nothing was sent.", "Input 'token' has a
 * problem; nothing was sent.", "Inputs 'token', 'target' and the payload have 4 problems; …".
 */
export function problemsHeadline(problems: readonly LocatedProblem[]): string {
  const inputs = [...new Set(problems.flatMap((p) => (p.input !== undefined ? [p.input] : [])))]
  const inPayload = problems.some((p) => p.input === undefined)
  const names = inputs.map((name) => `'${visible(name)}'`)
  const items = inPayload && names.length > 0 ? [...names, 'the payload'] : names
  const listed = items.length <= 1 ? items.join('') : `${items.slice(0, -1).join(', ')} and ${items.at(-1)}`
  const subject = names.length === 0 ? 'The payload' : `${names.length === 1 ? 'Input' : 'Inputs'} ${listed}`
  const plural = inputs.length + (inPayload ? 1 : 0) > 1
  const count = problems.length === 1 ? 'a problem' : `${problems.length} problems`
  return `${subject} ${plural ? 'have' : 'has'} ${count}; nothing was sent.`
}

/** A problem with the payload file's line and column where known. */
export interface LocatedProblem extends Problem {
  file?: string
  line?: number
  column?: number
}

/** `payload.yaml:12:5 $.schedule.expression: message` — the position first, as compilers do. */
export function formatProblem(problem: LocatedProblem): string {
  const where = problem.file
    ? `${problem.file}${problem.line ? `:${problem.line}${problem.column ? `:${problem.column}` : ''}` : ''} `
    : ''
  const path = problem.path.length > 0 ? `${formatPath(problem.path)}: ` : ''
  return `${where}${path}${visible(problem.message)}`
}

/** `['schedule', 'expression']` → `$.schedule.expression`; indices as `[3]`. */
export function formatPath(path: readonly (string | number)[]): string {
  let out = '$'
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`
    else if (/^[A-Za-z_][A-Za-z0-9_-]*$/.test(part)) out += `.${part}`
    else out += `[${visible(JSON.stringify(part))}]`
  }
  return out
}

/** The provider answered with an error status (after any retries). */
export class ApiError extends DeployPatchError {
  /** Set for a write without an idempotency key answered 408, 429 or 5xx: it may have been applied. */
  maybeApplied = false
  /** The wait the server asked for (Retry-After), for a caller that reads before it resends. */
  retryAfterMs?: number
  readonly httpStatus: number
  readonly requestId?: string
  readonly providerMessage: string
  readonly body: string
  constructor(opts: { httpStatus: number; errorType: string; message: string; requestId?: string; body: string }) {
    super(opts.message, opts.errorType)
    this.httpStatus = opts.httpStatus
    this.requestId = opts.requestId
    this.providerMessage = opts.message
    this.body = opts.body
  }
}

/** The network failed; `maybeApplied` when a write may have reached the server (reset or timeout after sending). */
export class NetworkError extends DeployPatchError {
  readonly maybeApplied: boolean
  readonly code?: string
  /** Trying again cannot help (an untrusted certificate, a proxy that refuses): never retried. */
  readonly permanent: boolean
  /** The status of an answer whose body was cut short (its head did arrive). */
  readonly httpStatus?: number
  constructor(
    message: string,
    opts: { maybeApplied: boolean; code?: string; permanent?: boolean; httpStatus?: number },
  ) {
    super(message, 'network')
    this.maybeApplied = opts.maybeApplied
    this.code = opts.code
    this.permanent = opts.permanent ?? false
    this.httpStatus = opts.httpStatus
  }
}

/** The answer could not be used: not JSON, cut short, too large, or a redirect we refuse to follow. */
export class ResponseError extends DeployPatchError {
  /** Set when a write was answered 2xx but the answer could not be read: the write went through. */
  maybeApplied = false
  readonly httpStatus?: number
  constructor(message: string, errorType: string, httpStatus?: number) {
    super(message, errorType)
    this.httpStatus = httpStatus
  }
}

/** The work was stopped before it ended, with the provider's last status when a wait had read one. */
abstract class StoppedError extends DeployPatchError {
  readonly providerStatus?: string
  constructor(message: string, errorType: string, status: RunStatus, providerStatus?: string) {
    super(message, errorType, status)
    this.providerStatus = providerStatus
  }
}

/** The step's deadline (`timeout`) passed. */
export class TimeoutError extends StoppedError {
  constructor(message: string, providerStatus?: string) {
    super(message, 'timeout', 'timed-out', providerStatus)
  }
}

/** The runner cancelled the job (SIGINT/SIGTERM). */
export class CancelledError extends StoppedError {
  constructor(message: string, providerStatus?: string) {
    super(message, 'cancelled', 'cancelled', providerStatus)
  }
}

/** The async part ended in the provider's failure state (kintone FAIL, RTS FAILED, …). */
export class DeployFailedError extends DeployPatchError {
  readonly providerStatus: string
  /** The resource as the failed deploy left it, for the outputs. */
  readonly resource?: unknown
  constructor(message: string, providerStatus: string, resource?: unknown, errorType = 'deploy-failed') {
    super(message, errorType)
    this.providerStatus = providerStatus
    this.resource = resource
  }
}

/** True when a failed write may nevertheless have been applied (lost answer, a 5xx after sending, or an unreadable 2xx). */
export function mayHaveApplied(error: unknown): error is NetworkError | ApiError | ResponseError {
  return (
    (error instanceof NetworkError || error instanceof ApiError || error instanceof ResponseError) && error.maybeApplied
  )
}

/**
 * A copy of `error` (same class, same facts) whose sentence ends with `ending` before its final
 * period: "Could not read item 1: HTTP 503 (gave up after 2 retries)." The layer that knows how
 * a request ended says so on an error of its own, and never rewrites the one it caught.
 */
export function withEnding<E extends DeployPatchError>(error: E, ending: string): E {
  const copy = Object.assign(Object.create(Object.getPrototypeOf(error) as object) as E, error)
  Object.defineProperty(copy, 'message', {
    value: `${error.message.replace(/\.$/, '')} ${ending}.`,
    writable: true,
    configurable: true,
  })
  Object.defineProperty(copy, 'stack', { value: error.stack, writable: true, configurable: true })
  return copy
}

/** A readable message from anything thrown, never "[object Object]". */
export function messageOf(error: unknown): string {
  if (error instanceof Error) return error.message
  if (typeof error === 'string') return error
  try {
    return JSON.stringify(error)
  } catch {
    return String(error)
  }
}
