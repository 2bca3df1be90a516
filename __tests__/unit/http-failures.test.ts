/**
 * The pure failure classification of src/http/failures.ts, as tables: for each way an attempt can
 * fail, the sentence, whether the write may have been applied, and whether it is tried again.
 * (What goes on the wire around these decisions is in client.test.ts, over real HTTP.)
 */
import { describe, expect, it } from 'vitest'
import { ApiError, CancelledError, NetworkError, ResponseError, TimeoutError } from '../../src/errors.js'
import {
  apiError,
  isRetryable,
  networkError,
  parseRetryAfter,
  requestIdOf,
  RETRYABLE_STATUSES,
  type ErrorDetails,
} from '../../src/http/failures.js'

/** A Node-style error as the socket or TLS layer throws it. */
function failure(message: string, code?: string): Error {
  return Object.assign(new Error(message), code === undefined ? {} : { code })
}

const read = { method: 'GET', what: 'read deployment dep_1' }
const write = { method: 'PATCH', what: 'update deployment dep_1' }

describe('networkError', () => {
  it.each<
    [
      string,
      { method: string; what: string },
      Error,
      string,
      { maybeApplied: boolean; code?: string; permanent: boolean },
    ]
  >([
    [
      'a refused connection (nothing sent)',
      write,
      failure('connect ECONNREFUSED 127.0.0.1:9', 'ECONNREFUSED'),
      'Could not update deployment dep_1: the connection was refused (ECONNREFUSED).',
      { maybeApplied: false, code: 'ECONNREFUSED', permanent: false },
    ],
    [
      'an unknown host (nothing sent)',
      write,
      failure('getaddrinfo ENOTFOUND api.example', 'ENOTFOUND'),
      'Could not update deployment dep_1: getaddrinfo ENOTFOUND api.example.',
      { maybeApplied: false, code: 'ENOTFOUND', permanent: false },
    ],
    [
      'a reset read',
      read,
      failure('socket hang up', 'ECONNRESET'),
      'Could not read deployment dep_1: the connection was reset (ECONNRESET).',
      { maybeApplied: false, code: 'ECONNRESET', permanent: false },
    ],
    [
      'a reset write (it may have arrived)',
      write,
      failure('socket hang up', 'ECONNRESET'),
      'Could not update deployment dep_1: the connection was reset (ECONNRESET).',
      { maybeApplied: true, code: 'ECONNRESET', permanent: false },
    ],
    [
      'an error without a code',
      write,
      failure('other side closed'),
      'Could not update deployment dep_1: other side closed.',
      { maybeApplied: true, code: undefined, permanent: false },
    ],
    [
      'a self-signed certificate (never retried, nothing sent)',
      write,
      failure(
        'self-signed certificate; if the root CA is installed locally, try --use-system-ca',
        'DEPTH_ZERO_SELF_SIGNED_CERT',
      ),
      "Could not update deployment dep_1: the server's TLS certificate is not trusted (DEPTH_ZERO_SELF_SIGNED_CERT: self-signed certificate). Check 'base-url'; if the API uses a private certificate authority, give the runner its certificate with NODE_EXTRA_CA_CERTS.",
      { maybeApplied: false, code: 'DEPTH_ZERO_SELF_SIGNED_CERT', permanent: true },
    ],
    [
      'a certificate for another name',
      read,
      failure("Hostname/IP does not match certificate's altnames", 'ERR_TLS_CERT_ALTNAME_INVALID'),
      "Could not read deployment dep_1: the server's TLS certificate is not trusted (ERR_TLS_CERT_ALTNAME_INVALID: Hostname/IP does not match certificate's altnames). Check 'base-url'; if the API uses a private certificate authority, give the runner its certificate with NODE_EXTRA_CA_CERTS.",
      { maybeApplied: false, code: 'ERR_TLS_CERT_ALTNAME_INVALID', permanent: true },
    ],
    [
      'a proxy that cannot be reached',
      write,
      failure('tunneling socket could not be established, cause=connect ECONNREFUSED 127.0.0.1:3128', 'ECONNRESET'),
      'Could not update deployment dep_1: the proxy (HTTPS_PROXY) could not be reached (connect ECONNREFUSED 127.0.0.1:3128).',
      { maybeApplied: false, code: 'EPROXY', permanent: false },
    ],
    [
      'a proxy that asks for credentials',
      write,
      failure('tunneling socket could not be established, statusCode=407', 'ECONNRESET'),
      'Could not update deployment dep_1: the proxy (HTTPS_PROXY) asks for credentials (HTTP 407); put them in the proxy URL, as http://user:password@proxy:port.',
      { maybeApplied: false, code: 'EPROXY', permanent: true },
    ],
    [
      'a proxy whose policy refuses the host',
      write,
      failure('tunneling socket could not be established, statusCode=403', 'ECONNRESET'),
      'Could not update deployment dep_1: the proxy (HTTPS_PROXY) refused to open a tunnel to api.example:8443 (HTTP 403); allow api.example:8443 at the proxy, or list it in NO_PROXY.',
      { maybeApplied: false, code: 'EPROXY', permanent: true },
    ],
    [
      'a proxy with upstream trouble (may pass)',
      read,
      failure('tunneling socket could not be established, statusCode=502', 'ECONNRESET'),
      'Could not read deployment dep_1: the proxy (HTTPS_PROXY) refused to open a tunnel to api.example:8443 (HTTP 502); allow api.example:8443 at the proxy, or list it in NO_PROXY.',
      { maybeApplied: false, code: 'EPROXY', permanent: false },
    ],
  ])('%s', (_, attempt, cause, message, fields) => {
    const error = networkError(attempt, cause, 'api.example:8443')
    expect(error).toBeInstanceOf(NetworkError)
    expect(error.message).toBe(message)
    expect({ maybeApplied: error.maybeApplied, code: error.code, permanent: error.permanent }).toEqual(fields)
    expect(error.errorType).toBe('network')
  })
})

describe('isRetryable', () => {
  const network = (opts: { maybeApplied: boolean; permanent?: boolean }) => new NetworkError('Could not …', opts)
  it.each<[string, unknown, 'safe' | 'unsafe', boolean]>([
    ['a connection never made, for a write', network({ maybeApplied: false }), 'unsafe', true],
    ['a write that may have arrived, not replay-safe', network({ maybeApplied: true }), 'unsafe', false],
    ['a write that may have arrived, with an idempotency key', network({ maybeApplied: true }), 'safe', true],
    [
      'a permanent network failure (certificate, proxy policy)',
      network({ maybeApplied: false, permanent: true }),
      'safe',
      false,
    ],
    ['an unreadable 2xx, replay-safe', new ResponseError('x', 'invalid-response', 200), 'safe', true],
    ['an unreadable 2xx, not replay-safe', new ResponseError('x', 'invalid-response', 200), 'unsafe', false],
    ['an answer too large', new ResponseError('x', 'response-too-large', 200), 'safe', false],
    ['a refused redirect', new ResponseError('x', 'redirect', 302), 'safe', false],
    [
      'an error status',
      new ApiError({ httpStatus: 400, errorType: 'http-400', message: 'x', body: '' }),
      'safe',
      false,
    ],
    ['the deadline', new TimeoutError('x'), 'safe', false],
    ['a cancellation', new CancelledError('x'), 'safe', false],
    ['anything else', new Error('x'), 'safe', false],
  ])('%s → %s replay → %s', (_, error, replay, expected) => {
    expect(isRetryable(error, { replay })).toBe(expected)
  })
})

describe('RETRYABLE_STATUSES', () => {
  it.each<[number, boolean]>([
    [400, false],
    [401, false],
    [404, false],
    [408, true],
    [409, false],
    [429, true],
    [500, true],
    [501, false],
    [502, true],
    [503, true],
    [504, true],
  ])('HTTP %i → %s', (status, expected) => {
    expect(RETRYABLE_STATUSES.has(status)).toBe(expected)
  })
})

describe('apiError', () => {
  const parseError = (_status: number, body: unknown): ErrorDetails => {
    const { code, msg } = (body ?? {}) as { code?: string; msg?: string }
    return { type: code ?? '', message: msg ?? '' }
  }
  it.each<
    [
      string,
      { status: number; text: string; json: unknown; requestId?: string },
      { errorType: string; message: string; requestId?: string },
    ]
  >([
    [
      'the provider names the error',
      {
        status: 409,
        text: '{"code":"Conflict","msg":"busy."}',
        json: { code: 'Conflict', msg: 'busy.' },
        requestId: 'r-1',
      },
      { errorType: 'Conflict', message: 'Could not update deployment dep_1: HTTP 409: busy.', requestId: 'r-1' },
    ],
    [
      'no reading: the text, cut',
      { status: 502, text: `<html>${'x'.repeat(400)}</html>`, json: undefined },
      { errorType: 'http-502', message: `Could not update deployment dep_1: HTTP 502: <html>${'x'.repeat(294)}.` },
    ],
    [
      'an empty body',
      { status: 500, text: '', json: undefined },
      { errorType: 'http-500', message: 'Could not update deployment dep_1: HTTP 500: no details in the answer.' },
    ],
    [
      'a secret in the answer is redacted before it is parsed',
      { status: 403, text: '{"msg":"token pt-secret refused"}', json: { msg: 'token pt-secret refused' } },
      { errorType: 'http-403', message: 'Could not update deployment dep_1: HTTP 403: token *** refused.' },
    ],
  ])('%s', (_, answer, expected) => {
    const error = apiError(write, answer, { parseError, redact: (text) => text.replaceAll('pt-secret', '***') })
    expect(error).toBeInstanceOf(ApiError)
    expect({ errorType: error.errorType, message: error.message, requestId: error.requestId }).toEqual(expected)
    expect(error.httpStatus).toBe(answer.status)
    expect(error.body).toBe(answer.text)
  })
})

describe('requestIdOf', () => {
  it.each<[string, Record<string, string>, string | undefined]>([
    ['x-request-id', { 'x-request-id': 'a' }, 'a'],
    ['request-id', { 'request-id': 'b' }, 'b'],
    ['OpenStack', { 'x-openstack-request-id': 'c' }, 'c'],
    ['the first known header wins', { 'x-amzn-requestid': 'd', 'x-request-id': 'e' }, 'e'],
    ['an empty value', { 'x-request-id': '' }, undefined],
    ['none', {}, undefined],
  ])('%s', (_, headers, expected) => {
    expect(requestIdOf(headers)).toBe(expected)
  })
})

describe('parseRetryAfter', () => {
  const now = Date.parse('2025-01-01T00:00:00Z')

  it.for<[string | undefined, number | undefined]>([
    [undefined, undefined],
    ['', undefined],
    ['0', 0],
    ['5', 5_000],
    [' 7 ', 7_000],
    ['86400', 86_400_000],
    ['soon', undefined],
    ['10s', undefined],
  ])('reads %j as %j ms', ([value, expected]) => {
    expect(parseRetryAfter(value, now)).toBe(expected)
  })

  it('takes the first of repeated headers', () => {
    expect(parseRetryAfter(['3', '9'], now)).toBe(3_000)
  })

  it('reads the three HTTP date formats relative to now, and a past date as 0', () => {
    expect(parseRetryAfter('Wed, 01 Jan 2025 00:00:30 GMT', now)).toBe(30_000) // IMF-fixdate
    expect(parseRetryAfter('Wednesday, 01-Jan-25 00:01:00 GMT', now)).toBe(60_000) // RFC 850
    expect(typeof parseRetryAfter('Sun Nov  6 08:49:37 1994', now)).toBe('number') // asctime (no zone: read as local time)
    expect(parseRetryAfter('Tue, 31 Dec 2024 23:59:00 GMT', now)).toBe(0)
  })

  // BUG (src/http/failures.ts, parseRetryAfter: anything that is not all digits goes to Date.parse,
  // which V8 reads leniently: '1.5' is 2001-01-05, '-1' and '+5' are dates in 2001). Such a
  // malformed header is read as a past date, i.e. "retry now", replacing the backoff with 0 ms.
  it('ignores malformed delta-seconds instead of reading them as a past date', () => {
    expect(parseRetryAfter('-1', now)).toBeUndefined()
    expect(parseRetryAfter('+5', now)).toBeUndefined()
    expect([undefined, 1_500]).toContain(parseRetryAfter('1.5', now))
  })
})
