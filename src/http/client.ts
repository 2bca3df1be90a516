/**
 * ApiClient: every request to a provider goes through here, over @actions/http-client (so
 * HTTPS_PROXY and NO_PROXY work). It owns the retry policy, because http-client retries only
 * reads and ignores Retry-After: transient failures are retried with exponential backoff and
 * full jitter, Retry-After is honoured, nothing waits past the step's deadline, and a write
 * whose outcome is unknown is only resent when the caller says a replay is safe.
 * It knows no provider: auth headers, error parsing and request ids come from its options.
 * What a failed attempt means (sent or not, retried or not, which sentence) is decided in failures.ts.
 */
import { HttpClient, type HttpClientResponse } from '@actions/http-client'
import type { RequestHandler } from '@actions/http-client/lib/interfaces'
import type { IncomingHttpHeaders } from 'node:http'
import {
  ApiError,
  CancelledError,
  DeployPatchError,
  NetworkError,
  ResponseError,
  TimeoutError,
  withEnding,
} from '../errors.js'
import { cancelled, sleep, type Deadline } from '../deadline.js'
import { formatMs } from '../format.js'
import { isHttpsOrLoopback } from '../url.js'
import {
  apiError,
  isRetryable,
  networkError,
  parseRetryAfter,
  requestIdOf,
  RETRYABLE_STATUSES,
  type ErrorDetails,
} from './failures.js'

// Part of the client's options and retry policy, so importers of the client see them here too.
export { RETRYABLE_STATUSES, type ErrorDetails }

export type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE'

/** What a log needs from the runner; every line has already been redacted by the caller's logger. */
export interface Logger {
  info(message: string): void
  warning(message: string): void
  debug(message: string): void
}

/** A request as it will go on the wire; `authorize` may add headers (and sign) per attempt. */
export interface OutgoingRequest {
  method: Method
  url: URL
  headers: Record<string, string>
  body: string
}

export interface RequestSpec {
  method: Method
  /** Path below the client's base URL, already encoded (`/deployments/dep_…`). */
  path: string
  query?: [string, string][]
  headers?: Record<string, string>
  /** Sent as JSON. */
  body?: unknown
  /**
   * `safe`: resending cannot apply a change twice (a read, or a write with an idempotency key),
   * so every transient failure is retried. `unsafe`: a write whose outcome is unknown (reset or
   * timeout after sending) is NOT resent; the NetworkError says `maybeApplied` and the caller decides.
   */
  replay: 'safe' | 'unsafe'
  /** Short words for logs and messages: 'update deployment dep_…'. */
  what: string
  /**
   * What a 2xx answer must be: returns why the parsed body is not what was asked for (the
   * wrong shape, another resource, an error envelope), or undefined when it is. Such an answer
   * is an `invalid-response` like an unparsable one: retried when replay-safe, "maybe applied" for a write.
   */
  expect?: (json: unknown) => string | undefined
}

export interface ApiResponse {
  status: number
  headers: IncomingHttpHeaders
  text: string
  /** The body parsed as JSON (`undefined` for an empty body). */
  json: unknown
  requestId?: string
}

export interface ClientOptions {
  /** Base URL: origin plus an optional path prefix. Credentials go to this origin only. */
  baseUrl: URL
  deadline: Deadline
  signal: AbortSignal
  maxRetries: number
  log: Logger
  /** Adds credentials to a request; called for every attempt so signatures carry a fresh date. */
  authorize?: (request: OutgoingRequest) => void | Promise<void>
  /** Reads the provider's error body. */
  parseError?: (status: number, body: unknown, text: string) => ErrorDetails
  requestTimeoutMs?: number
  maxBodyBytes?: number
  userAgent?: string
  /** Hides credentials in server text; applied before any excerpt of an answer is cut or parsed for a message. */
  redact?: (text: string) => string
  /** Shared by every client of a run: once the provider refuses the credential, no request carries it again. */
  credential?: CredentialState
  /** For tests: the jitter source, default Math.random. */
  random?: () => number
}

/** Whether the provider has refused the run's credential; one object shared by every client of a run. */
export interface CredentialState {
  /** The first refusal (HTTP 401, or Huawei's APIGW.0301): the requests after it are not sent. */
  refused?: { type: string; message: string }
  /** An answer showed that the credential works: requests may then go out side by side. */
  accepted?: boolean
  /** The one request in flight while the credential is not known to work. */
  probe?: Promise<void>
}

const BACKOFF_BASE_MS = 1_000
const BACKOFF_CAP_MS = 30_000
const DEFAULT_REQUEST_TIMEOUT_MS = 30_000
const DEFAULT_MAX_BODY_BYTES = 16 * 1024 * 1024
const MAX_READ_REDIRECTS = 3

export class ApiClient {
  private readonly options: ClientOptions
  private readonly random: () => number
  private http: HttpClient

  constructor(options: ClientOptions) {
    if (!isHttpsOrLoopback(options.baseUrl)) {
      throw new DeployPatchError(
        `Refusing to send credentials to ${options.baseUrl.origin}: only https is allowed (http only for loopback hosts).`,
        'input',
      )
    }
    this.options = options
    this.random = options.random ?? Math.random
    this.http = this.newHttp()
  }

  /** The origin credentials are sent to. */
  get origin(): string {
    return this.options.baseUrl.origin
  }

  /** The absolute URL for a path below the base URL; refuses anything that would leave the origin. */
  url(path: string, query: [string, string][] = []): URL {
    const base = this.options.baseUrl
    let url: URL
    try {
      url = new URL(base.origin + base.pathname.replace(/\/$/, '') + path)
    } catch {
      throw new DeployPatchError(`Refusing to build a URL from the path '${path}'.`, 'input')
    }
    if (url.origin !== base.origin)
      throw new DeployPatchError(`Refusing to build a URL outside ${base.origin}.`, 'input')
    for (const [key, value] of query) url.searchParams.append(key, value)
    return url
  }

  /** Send one request with the retry policy; resolves with a 2xx response, throws a DeployPatchError otherwise. */
  async request(spec: RequestSpec): Promise<ApiResponse> {
    const { deadline, signal, maxRetries, log } = this.options
    let url = this.url(spec.path, spec.query)
    let redirects = 0
    for (let attempt = 0; ; attempt++) {
      if (signal.aborted) throw cancelled(signal)
      if (deadline.expired()) throw deadline.error(`waiting to ${spec.what}`)
      let failure: DeployPatchError
      let retryAfterMs: number | undefined
      try {
        const response = await this.guarded(() => this.once(spec, url))
        if (response.status >= 200 && response.status < 300) {
          const reason = spec.expect?.(response.json)
          if (reason === undefined) return response
          throw this.unreadable(
            spec,
            new ResponseError(
              `Could not ${spec.what}: HTTP ${response.status} answered ${reason}.`,
              'invalid-response',
              response.status,
            ),
          )
        }
        if (response.status >= 300 && response.status < 400) {
          url = this.redirectTarget(spec, url, response)
          if (++redirects > MAX_READ_REDIRECTS)
            throw new ResponseError(
              `Could not ${spec.what}: more than ${MAX_READ_REDIRECTS} redirects.`,
              'redirect',
              response.status,
            )
          attempt--
          continue
        }
        failure = apiError(spec, response, this.options)
        if (!RETRYABLE_STATUSES.has(response.status)) {
          // Any 5xx after a write without a key may come after it was acted on: the caller reads.
          if (spec.replay === 'unsafe' && response.status >= 500) (failure as ApiError).maybeApplied = true
          throw failure
        }
        retryAfterMs = parseRetryAfter(response.headers['retry-after'])
        // Any of these may come after the server (or a gateway in front of it, after an upstream
        // reset) acted on the write: the caller reads before it resends, waiting as asked.
        if (spec.replay === 'unsafe') {
          ;(failure as ApiError).maybeApplied = true
          ;(failure as ApiError).retryAfterMs = retryAfterMs
          throw failure
        }
      } catch (error) {
        if (!isRetryable(error, spec)) throw error
        failure = error
      }
      if (attempt >= maxRetries) {
        if (maxRetries > 0)
          throw withEnding(failure, `(gave up after ${maxRetries} ${maxRetries === 1 ? 'retry' : 'retries'})`)
        throw failure
      }
      const backoffMs = this.backoffMs(attempt)
      const waitMs = retryAfterMs ?? backoffMs
      if (waitMs >= deadline.remainingMs()) {
        throw withEnding(
          failure,
          `(no retry: ${retryAfterMs !== undefined ? `the server asked to wait ${formatMs(waitMs)}, ` : ''}${deadline.name} leaves ${formatMs(deadline.remainingMs())})`,
        )
      }
      log.info(
        `${capitalize(spec.what)}: ${failure.message} Retry ${attempt + 1} of ${maxRetries} in ${formatMs(waitMs)}${retryAfterMs !== undefined ? ' (Retry-After)' : ''}.`,
      )
      await sleep(waitMs, signal)
    }
  }

  /** The backoff before retry `attempt + 1` (exponential, full jitter), for callers that retry by themselves. */
  backoffMs(attempt: number): number {
    return Math.round(this.random() * Math.min(BACKOFF_CAP_MS, BACKOFF_BASE_MS * 2 ** attempt))
  }

  /**
   * Sends one attempt under the run's credential state: nothing is sent once the provider has
   * refused the credential, and until an answer shows that it works, one request at a time is in
   * flight (so a wrong key fails once, not once per target: Huawei locks an AK/SK after 5 failures).
   */
  private async guarded(send: () => Promise<ApiResponse>): Promise<ApiResponse> {
    const state = this.options.credential
    if (!state) return send()
    while (!state.accepted && state.probe) await state.probe
    if (state.refused) {
      throw new DeployPatchError(
        `Not sent: the provider refused the credential earlier in this run (${state.refused.message.replace(/\.$/, '')}); deploy-patch sends no more requests with it, as repeated failures can lock it. Fix the credential and run again.`,
        state.refused.type,
      )
    }
    let release: (() => void) | undefined
    if (!state.accepted) state.probe = new Promise<void>((resolve) => (release = resolve))
    try {
      let response: ApiResponse
      try {
        response = await send()
      } catch (error) {
        // A refusal whose body was cut short is still a refusal: its status line arrived.
        if (error instanceof NetworkError && error.httpStatus === 401)
          state.refused ??= { type: 'http-401', message: 'HTTP 401' }
        throw error
      }
      const parsed =
        response.status >= 400 ? this.options.parseError?.(response.status, response.json, response.text) : undefined
      if (response.status === 401 || /^APIG(?:W)?\.0301$/.test(parsed?.type ?? '')) {
        state.refused ??= {
          type: parsed?.type || `http-${response.status}`,
          message: `HTTP ${response.status}${parsed?.message ? `: ${(this.options.redact ?? String)(parsed.message).slice(0, 200)}` : ''}`,
        }
      } else if (response.status < 500) state.accepted = true
      return response
    } finally {
      if (release) {
        state.probe = undefined
        release()
      }
    }
  }

  /** One attempt: send, read the capped body, parse JSON. Never retries. */
  private async once(spec: RequestSpec, url: URL): Promise<ApiResponse> {
    const { deadline, signal, log } = this.options
    const body = spec.body === undefined ? '' : JSON.stringify(spec.body)
    const request: OutgoingRequest = {
      method: spec.method,
      url,
      headers: { accept: 'application/json', ...(body ? { 'content-type': 'application/json' } : {}), ...spec.headers },
      body,
    }
    if (url.origin === this.origin) await this.options.authorize?.(request)
    if (signal.aborted) throw cancelled(signal) // an abort may land while an async authorize runs
    const remainingMs = deadline.remainingMs()
    const requestTimeoutMs = this.options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS
    const timeoutMs = Math.min(requestTimeoutMs, remainingMs)
    const byDeadline = remainingMs <= requestTimeoutMs
    const started = Date.now()
    log.debug(`→ ${spec.method} ${url.href}${body ? ` (${body.length} bytes)` : ''}`)

    let timer: NodeJS.Timeout | undefined
    let onAbort: (() => void) | undefined
    const interrupted = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        const deadlineError = byDeadline ? deadline.error(`waiting to ${spec.what}`) : undefined
        reject(
          deadlineError ??
            new NetworkError(`Could not ${spec.what}: no answer within ${formatMs(timeoutMs)}.`, {
              maybeApplied: spec.method !== 'GET',
              code: 'ETIMEDOUT',
            }),
        )
      }, timeoutMs)
      onAbort = () => reject(cancelled(signal))
      signal.addEventListener('abort', onAbort, { once: true })
    })
    const exchange = this.exchange(spec, request)
    exchange.catch(() => {}) // when the race below is lost, its late failure is of no interest
    try {
      const response = await Promise.race([exchange, interrupted])
      log.debug(
        `← ${response.status} ${spec.method} ${url.pathname} in ${Date.now() - started}ms (${response.text.length} bytes)`,
      )
      return response
    } catch (error) {
      // An abandoned exchange may still hold a socket: drop the pool and start clean.
      if (
        error instanceof CancelledError ||
        error instanceof TimeoutError ||
        (error instanceof NetworkError && error.code === 'ETIMEDOUT')
      ) {
        this.http.dispose()
        this.http = this.newHttp()
      }
      throw error
    } finally {
      clearTimeout(timer)
      if (onAbort) signal.removeEventListener('abort', onAbort)
    }
  }

  private async exchange(spec: RequestSpec, request: OutgoingRequest): Promise<ApiResponse> {
    let response: HttpClientResponse
    try {
      response = await this.http.request(request.method, request.url.href, request.body || null, request.headers)
    } catch (error) {
      throw networkError(spec, error, new URL(this.origin).host)
    }
    const status = response.message.statusCode ?? 0
    const text = await this.readBody(spec, response)
    let json: unknown
    const isJson = /json/i.test(String(response.message.headers['content-type'] ?? '')) || /^\s*[{[]/.test(text)
    if (text.trim() !== '' && isJson) {
      try {
        json = JSON.parse(text)
      } catch {
        if (status >= 200 && status < 300)
          throw this.unreadable(
            spec,
            new ResponseError(
              `Could not ${spec.what}: HTTP ${status} answered with a body that is not valid JSON.`,
              'invalid-response',
              status,
            ),
          )
      }
    } else if (text.trim() !== '' && status >= 200 && status < 300) {
      throw this.unreadable(
        spec,
        new ResponseError(
          `Could not ${spec.what}: HTTP ${status} answered with ${String(response.message.headers['content-type'] ?? 'no content type')}, not JSON.`,
          'invalid-response',
          status,
        ),
      )
    }
    return { status, headers: response.message.headers, text, json, requestId: requestIdOf(response.message.headers) }
  }

  private async readBody(spec: RequestSpec, response: HttpClientResponse): Promise<string> {
    const cap = this.options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES
    const status = response.message.statusCode ?? 0
    const tooLarge = () => {
      const error = new ResponseError(
        `Could not ${spec.what}: HTTP ${status} answered with more than ${cap >= 1048576 ? `${Math.round(cap / 1048576)} MB` : `${Math.round(cap / 1024)} KB`}, the most deploy-patch reads.`,
        'response-too-large',
        status,
      )
      return status >= 200 && status < 300 ? this.unreadable(spec, error) : error
    }
    if (Number(response.message.headers['content-length'] ?? 0) > cap) {
      response.message.destroy()
      throw tooLarge()
    }
    const chunks: Buffer[] = []
    let size = 0
    try {
      for await (const chunk of response.message as AsyncIterable<Buffer>) {
        size += chunk.length
        if (size > cap) {
          response.message.destroy()
          throw tooLarge()
        }
        chunks.push(chunk)
      }
    } catch (error) {
      if (error instanceof ResponseError) throw error
      // The server sent the head and closed mid-body: it did receive (and may have applied) the request.
      throw new NetworkError(
        `Could not ${spec.what}: the connection closed before the whole answer arrived (HTTP ${response.message.statusCode}).`,
        { maybeApplied: true, code: 'ETRUNCATED', httpStatus: response.message.statusCode },
      )
    }
    const raw = Buffer.concat(chunks)
    const decoded = decode(raw, response.message.headers['content-encoding'], cap)
    if (decoded === 'too-large') throw tooLarge()
    if (decoded === undefined) {
      const error = new ResponseError(
        `Could not ${spec.what}: HTTP ${status} answered with a ${String(response.message.headers['content-encoding'])}-encoded body that could not be decoded.`,
        'invalid-response',
        status,
      )
      throw status >= 200 && status < 300 ? this.unreadable(spec, error) : error
    }
    // A UTF-8 byte order mark is not part of the JSON text.
    return decoded.toString('utf8').replace(/^\uFEFF/, '')
  }

  /** A 2xx whose body cannot be used: for a write, the server did act on it. */
  private unreadable(spec: RequestSpec, error: ResponseError): ResponseError {
    if (spec.method !== 'GET') error.maybeApplied = true
    return error
  }

  /** Reads follow a redirect on the same origin; writes never follow, and credentials never leave the origin. */
  private redirectTarget(spec: RequestSpec, from: URL, response: ApiResponse): URL {
    const location = response.headers.location
    const target = location ? new URL(location, from) : undefined
    if (spec.method !== 'GET') {
      throw new ResponseError(
        `Could not ${spec.what}: the server answered HTTP ${response.status} redirecting to ${target?.origin ?? 'nowhere'}; writes are never redirected. Check 'base-url'.`,
        'redirect',
        response.status,
      )
    }
    if (!target || target.origin !== this.origin) {
      throw new ResponseError(
        `Could not ${spec.what}: the server answered HTTP ${response.status} redirecting to ${target?.origin ?? 'an empty location'}, another origin; deploy-patch does not send credentials there. Check 'base-url'.`,
        'redirect',
        response.status,
      )
    }
    return target
  }

  private newHttp(): HttpClient {
    return new HttpClient(this.options.userAgent ?? 'deploy-patch', [BARE_IPV6_HOST], {
      allowRedirects: false, // followed (or refused) above, so credential headers never cross origins
      allowRetries: false, // the retry policy is ours
      keepAlive: true, // polls reuse the connection; the agent is disposed when a request is abandoned
      socketTimeout: this.options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS,
    })
  }

  /** Close pooled connections so the process can exit promptly. */
  dispose(): void {
    this.http.dispose()
  }
}

/**
 * http-client hands Node the URL's hostname, which for an IPv6 literal keeps its brackets
 * (`[::1]`), and Node then looks `[::1]` up as a name (ENOTFOUND). Node wants the bare address
 * for the connection and puts the brackets back in the Host header itself.
 */
const BARE_IPV6_HOST: RequestHandler = {
  prepareRequest(options) {
    if (typeof options.host === 'string' && options.host.startsWith('[') && options.host.endsWith(']'))
      options.host = options.host.slice(1, -1)
  },
  canHandleAuthentication: () => false,
  handleAuthentication: () => Promise.reject(new Error('not an authentication handler')),
}

/**
 * The body as sent before any Content-Encoding (gzip, deflate, br; a server may use one that was
 * not asked for), capped on the DECODED size so a small bomb cannot fill the memory;
 * 'too-large' past the cap, undefined when it cannot be decoded.
 */
function decode(raw: Buffer, header: string | string[] | undefined, cap: number): Buffer | 'too-large' | undefined {
  const codings = String(header ?? '')
    .toLowerCase()
    .split(',')
    .map((c) => c.trim())
    .filter((c) => c !== '' && c !== 'identity')
  let body = raw
  if (codings.length === 0) return body
  // node:zlib loads only for an encoded answer: most runs never get one, and loading it costs every start about 1.5 ms.
  const { brotliDecompressSync, gunzipSync, inflateRawSync, inflateSync } = process.getBuiltinModule('node:zlib')
  try {
    for (const coding of codings.reverse()) {
      const options = { maxOutputLength: cap + 1 }
      if (coding === 'gzip' || coding === 'x-gzip') body = gunzipSync(body, options)
      else if (coding === 'br') body = brotliDecompressSync(body, options)
      else if (coding === 'deflate')
        body =
          body[0] !== undefined && (body[0] & 0x0f) === 8 ? inflateSync(body, options) : inflateRawSync(body, options)
      else return undefined
      if (body.length > cap) return 'too-large'
    }
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE' ? 'too-large' : undefined
  }
  return body
}

function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1)
}
