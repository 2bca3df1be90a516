/**
 * Huawei Cloud API signing, `SDK-HMAC-SHA256` (Huawei "API Request Signing Guide", from Huawei's published
 * algorithm): a canonical request of method, URI (every segment RFC 3986-encoded, always
 * ending in `/` for signing only), sorted query, signed headers and body hash; a string to sign
 * with the `X-Sdk-Date`; the HMAC-SHA256 of it with the secret key.
 */
import { createHash, createHmac } from 'node:crypto'

export const ALGORITHM = 'SDK-HMAC-SHA256'

export interface SignableRequest {
  method: string
  url: URL
  /** Header names in any case; the signed ones must already be present (host, x-sdk-date, …). */
  headers: Record<string, string>
  body: string
}

/** `YYYYMMDDTHHMMSSZ` in UTC, the form of `X-Sdk-Date`. */
export function sdkDate(date: Date): string {
  return date
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}/, '')
}

/** RFC 3986 percent-encoding: everything but `A-Z a-z 0-9 - _ . ~`, with upper-case hex. */
export function encodeRfc3986(text: string): string {
  return encodeURIComponent(text).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)
}

/**
 * The path as sent with each segment RFC 3986-encoded, always ending in `/`. Nothing is decoded first:
 * a `%` already in the path (a `base-url` prefix holding escapes) is encoded again, as Huawei's SDK
 * signer (`AKSKSigner.CanonicalURI`) does.
 */
export function canonicalUri(url: URL): string {
  const path = url.pathname
    .split('/')
    .map((segment) => encodeRfc3986(segment))
    .join('/')
  return path.endsWith('/') ? path : `${path}/`
}

/**
 * Query pairs sorted by name, then value, before encoding (as Huawei's SDK signer sorts: by UTF-16 code
 * units, so `a0` before `a:` and `server_id` before `ü`), then each RFC 3986-encoded, joined with `&`.
 */
export function canonicalQuery(url: URL): string {
  const byCodeUnits = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0)
  const pairs = [...url.searchParams.entries()].sort((a, b) => byCodeUnits(a[0], b[0]) || byCodeUnits(a[1], b[1]))
  return pairs.map(([k, v]) => `${encodeRfc3986(k)}=${encodeRfc3986(v)}`).join('&')
}

function headerValue(headers: Record<string, string>, name: string): string {
  const key = Object.keys(headers).find((k) => k.toLowerCase() === name)
  if (key === undefined) throw new Error(`cannot sign: the request has no '${name}' header`)
  return headers[key]!.trim()
}

/** The canonical request for `signedHeaders` (lower-case names). */
export function canonicalRequest(request: SignableRequest, signedHeaders: string[]): string {
  const names = [...signedHeaders].sort()
  const bodyHash = Object.keys(request.headers).some((k) => k.toLowerCase() === 'x-sdk-content-sha256')
    ? headerValue(request.headers, 'x-sdk-content-sha256')
    : createHash('sha256').update(request.body).digest('hex')
  return [
    request.method.toUpperCase(),
    canonicalUri(request.url),
    canonicalQuery(request.url),
    names.map((name) => `${name}:${headerValue(request.headers, name)}\n`).join(''),
    names.join(';'),
    bodyHash,
  ].join('\n')
}

/** `SDK-HMAC-SHA256\n{X-Sdk-Date}\n{hex sha256 of the canonical request}`. */
export function stringToSign(canonical: string, date: string): string {
  return `${ALGORITHM}\n${date}\n${createHash('sha256').update(canonical).digest('hex')}`
}

/**
 * The Authorization header value for `request`, signing every header in `signedHeaders`.
 * `X-Sdk-Date` and `host` must be among them and present on the request.
 */
export function authorization(
  request: SignableRequest,
  accessKey: string,
  secretKey: string,
  signedHeaders: string[],
): string {
  const names = [...new Set(signedHeaders.map((n) => n.toLowerCase()))].sort()
  const canonical = canonicalRequest(request, names)
  const signature = createHmac('sha256', secretKey)
    .update(stringToSign(canonical, headerValue(request.headers, 'x-sdk-date')))
    .digest('hex')
  return `${ALGORITHM} Access=${accessKey}, SignedHeaders=${names.join(';')}, Signature=${signature}`
}
