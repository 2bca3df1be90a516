/**
 * What a failed attempt means, decided from the failure alone: whether the request reached the
 * server (so a write may have been applied), whether trying again can help, and one sentence
 * saying what went wrong and what to do. Pure: no I/O, no clock but the one passed in.
 */
import type { IncomingHttpHeaders } from 'node:http'
import { ApiError, NetworkError, ResponseError, type DeployPatchError } from '../errors.js'
import { redactValue } from '../secrets.js'

/** What the classification needs to know of the request that failed. */
export interface AttemptInfo {
  method: string
  /** Short words for messages: 'update deployment dep_…'. */
  what: string
  /** `safe`: resending cannot apply a change twice; `unsafe`: a write whose outcome may be unknown. */
  replay: 'safe' | 'unsafe'
}

/** An error answer, as the client read it. */
export interface ErrorAnswer {
  status: number
  text: string
  json: unknown
  requestId?: string
}

/** Provider-specific reading of an error response. */
export interface ErrorDetails {
  type: string
  message: string
  requestId?: string
}

/** Statuses worth another try: the server or a gateway said "not now". */
export const RETRYABLE_STATUSES = new Set([408, 429, 500, 502, 503, 504])
/** Connection errors where the request never reached the server, so resending any request is safe. */
const NOT_SENT_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH'])
/**
 * The server's certificate failed verification: the TLS handshake ended before anything was sent,
 * and trying again meets the same certificate, so these are neither retried nor "maybe applied".
 */
const CERTIFICATE_CODES = new Set([
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'CERT_UNTRUSTED',
  'CERT_REJECTED',
  'CERT_REVOKED',
  'ERR_TLS_CERT_ALTNAME_INVALID',
])
/** How the `tunnel` package (HTTPS through HTTPS_PROXY) reports a CONNECT that did not open: before anything was sent. */
const TUNNEL_FAILURE = /^tunneling socket could not be established, (?:statusCode=(\d+)|cause=(.*))$/s

/** The NetworkError for an exchange that failed before an answer arrived; `host` is the server's (for proxy advice). */
export function networkError(
  attempt: Pick<AttemptInfo, 'method' | 'what'>,
  error: unknown,
  host: string,
): NetworkError {
  const code = (error as NodeJS.ErrnoException).code
  const text = (error as Error).message ?? ''
  const tunnel = TUNNEL_FAILURE.exec(text)
  if (tunnel) {
    // tunnel calls these ECONNRESET, which would read as "the write may have gone through".
    const status = tunnel[1] === undefined ? undefined : Number(tunnel[1])
    if (status === undefined)
      return new NetworkError(
        `Could not ${attempt.what}: the proxy (HTTPS_PROXY) could not be reached (${tunnel[2]}).`,
        { maybeApplied: false, code: 'EPROXY' },
      )
    if (status === 407)
      return new NetworkError(
        `Could not ${attempt.what}: the proxy (HTTPS_PROXY) asks for credentials (HTTP 407); put them in the proxy URL, as http://user:password@proxy:port.`,
        { maybeApplied: false, code: 'EPROXY', permanent: true },
      )
    // A 5xx from the proxy may pass (its own upstream trouble); a 4xx is its policy.
    return new NetworkError(
      `Could not ${attempt.what}: the proxy (HTTPS_PROXY) refused to open a tunnel to ${host} (HTTP ${status}); allow ${host} at the proxy, or list it in NO_PROXY.`,
      { maybeApplied: false, code: 'EPROXY', permanent: status < 500 },
    )
  }
  if (code !== undefined && CERTIFICATE_CODES.has(code)) {
    // Node adds a hint about --use-system-ca, a flag an action cannot pass: the advice below replaces it.
    return new NetworkError(
      `Could not ${attempt.what}: the server's TLS certificate is not trusted (${code}: ${text.split(';')[0]}). Check 'base-url'; if the API uses a private certificate authority, give the runner its certificate with NODE_EXTRA_CA_CERTS.`,
      { maybeApplied: false, code, permanent: true },
    )
  }
  const notSent = code !== undefined && NOT_SENT_CODES.has(code)
  const reason =
    code === 'ECONNREFUSED'
      ? 'the connection was refused'
      : code === 'ECONNRESET'
        ? 'the connection was reset'
        : (error as Error).message || String(code)
  return new NetworkError(
    `Could not ${attempt.what}: ${reason}${code && !reason.includes(code) ? ` (${code})` : ''}.`,
    {
      maybeApplied: !notSent && attempt.method !== 'GET',
      code,
    },
  )
}

/**
 * The ApiError for an error status. The text is redacted before it is parsed or cut: an excerpt
 * cut inside a credential would show its first characters.
 */
export function apiError(
  attempt: Pick<AttemptInfo, 'what'>,
  answer: ErrorAnswer,
  read: {
    parseError?: (status: number, body: unknown, text: string) => ErrorDetails
    redact?: (text: string) => string
  } = {},
): ApiError {
  const redact = read.redact ?? ((text: string) => text)
  const text = redact(answer.text)
  const parsed = read.parseError?.(answer.status, redactValue(answer.json, redact), text)
  const fallback = text.trim().slice(0, 300) || 'no details in the answer'
  return new ApiError({
    httpStatus: answer.status,
    errorType: parsed?.type || `http-${answer.status}`,
    message: `Could not ${attempt.what}: HTTP ${answer.status}: ${parsed?.message || fallback}.`.replace(/\.\.$/, '.'),
    requestId: parsed?.requestId ?? answer.requestId,
    body: answer.text,
  })
}

/** Whether a failed attempt may be tried again without risking a second application of a write. */
export function isRetryable(error: unknown, attempt: Pick<AttemptInfo, 'replay'>): error is DeployPatchError {
  if (error instanceof NetworkError) return !error.permanent && !(error.maybeApplied && attempt.replay === 'unsafe')
  // A garbled 2xx body: the request went through, so only a replay-safe request may be repeated.
  if (error instanceof ResponseError) return error.errorType === 'invalid-response' && attempt.replay === 'safe'
  return false // ApiError (non-retryable status), timeout, cancellation
}

/** `Retry-After` as milliseconds: delta-seconds or an HTTP date (past dates mean now). */
export function parseRetryAfter(value: string | string[] | undefined, now: number = Date.now()): number | undefined {
  const text = Array.isArray(value) ? value[0] : value
  if (!text) return undefined
  if (/^\s*\d+\s*$/.test(text)) return Number(text) * 1_000
  // Every HTTP date form starts with a day name; anything else ('1.5', '-1') is malformed, not a date.
  if (!/^\s*[A-Za-z]/.test(text)) return undefined
  const date = Date.parse(text)
  if (Number.isNaN(date)) return undefined
  return Math.max(0, date - now)
}

const REQUEST_ID_HEADERS = [
  'x-request-id',
  'request-id',
  'x-openstack-request-id',
  'x-compute-request-id',
  'x-amzn-requestid',
]

/** The request id a server or gateway put in the headers, for messages and the `request-id` output. */
export function requestIdOf(headers: IncomingHttpHeaders): string | undefined {
  for (const name of REQUEST_ID_HEADERS) {
    const value = headers[name]
    if (typeof value === 'string' && value) return value
  }
  return undefined
}
