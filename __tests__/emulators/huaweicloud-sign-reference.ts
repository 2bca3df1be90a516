/**
 * Independent reference implementation of Huawei Cloud API request signing (`SDK-HMAC-SHA256`),
 * written only from the published algorithm (Huawei "API Request Signing Guide"),
 * deliberately NOT from the project's own signer in src/: the emulator verifies the client with it,
 * so the two must be able to disagree.
 *
 *   CanonicalRequest = Method \n CanonicalURI \n CanonicalQueryString \n CanonicalHeaders \n SignedHeaders \n hex(sha256(body))
 *   StringToSign     = "SDK-HMAC-SHA256" \n X-Sdk-Date \n hex(sha256(CanonicalRequest))
 *   Signature        = hex(HMAC-SHA256(SK, StringToSign))
 *   Authorization    = "SDK-HMAC-SHA256 Access=<AK>, SignedHeaders=<a;b;c>, Signature=<hex>"
 *
 * Server-side reading of a request (what a gateway sees on the wire):
 * - the path is taken as sent, and every segment encoded per RFC 3986 (only `A-Z a-z 0-9 - _ . ~`
 *   kept, `%XX` upper-case) WITHOUT decoding first, so a `%` already sent is encoded again (`%20` →
 *   `%2520`), then `/` is appended if missing. Huawei's published signing steps do not say; Huawei's
 *   SDK signer (`AKSKSigner.CanonicalURI`) does exactly this, and the gateway must agree with it;
 * - the query is split on `&`, `+` read as a space, names and values percent-decoded; names sorted,
 *   a repeated name's values sorted (both by raw UTF-8 bytes, before encoding), then encoded and joined;
 *   a name without `=` has the empty value (`flag=`);
 * - CanonicalHeaders has one `name:trimmed value` line per signed header, in the order of the
 *   SignedHeaders list, which must itself be lower-case, sorted and free of duplicates;
 * - the payload hash is the `X-Sdk-Content-Sha256` header when present, else sha256 of the body.
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto'

export const ALGORITHM = 'SDK-HMAC-SHA256'
/** sha256 of the empty string: the payload hash of a request without a body. */
export const EMPTY_BODY_SHA256 = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855'
/** Default clock-skew tolerance (not documented by Huawei; 15 min is the usual value). */
export const DEFAULT_SKEW_MS = 15 * 60_000

/** Header values as Node gives them (`IncomingHttpHeaders`) or as a client builds them; names in any case. */
export type HeaderBag = Record<string, string | string[] | number | undefined>

/** A request as the gateway sees it. */
export interface SignableRequest {
  method: string
  /** The pathname exactly as sent (percent-encoded, no query string). */
  path: string
  /** The raw query string as sent (a leading `?` is allowed), or URLSearchParams. */
  query?: string | URLSearchParams
  headers: HeaderBag
  body?: string | Uint8Array
}

/** The six parts of the canonical request, each already in canonical form. */
export interface CanonicalParts {
  method: string
  uri: string
  query: string
  /** One `name:value\n` line per signed header (so it ends with `\n`). */
  headers: string
  /** `;`-joined lower-case names. */
  signedHeaders: string
  payloadHash: string
}

export type VerifyResult = { ok: true; ak: string } | { ok: false; reason: string; ak?: string }

/** Stable failure reasons (the emulator maps them onto gateway messages). */
export const REASON = {
  missingAuthorization: 'missing Authorization header',
  malformedAuthorization: 'malformed Authorization header',
  unsupportedAlgorithm: 'unsupported signing algorithm',
  unknownAccessKey: 'unknown access key',
  malformedSignedHeaders: 'SignedHeaders must be lower-case, sorted and without duplicates',
  hostNotSigned: 'host is not a signed header',
  dateNotSigned: 'x-sdk-date is not a signed header',
  signedHeaderMissing: 'a signed header is missing from the request',
  malformedDate: 'X-Sdk-Date is not YYYYMMDDTHHMMSSZ',
  expired: 'signature expired',
  mismatch: 'signature mismatch',
} as const

// ---------------------------------------------------------------------------------------------
// Encoding

const UNRESERVED = /^[A-Za-z0-9\-_.~]$/

/** RFC 3986 percent-encoding of raw bytes: unreserved characters kept, everything else `%XX` (upper-case). */
export function encodeBytes(bytes: Uint8Array): string {
  let out = ''
  for (const byte of bytes) {
    const char = String.fromCharCode(byte)
    out += byte < 0x80 && UNRESERVED.test(char) ? char : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`
  }
  return out
}

/** RFC 3986 percent-encoding of a string's UTF-8 bytes. */
export function encodeRfc3986(value: string): string {
  return encodeBytes(Buffer.from(value, 'utf8'))
}

/** Percent-decodes to raw bytes; a `%` not followed by two hex digits stays literal. */
function decodeToBytes(text: string, plusIsSpace: boolean): Buffer {
  const source = Buffer.from(plusIsSpace ? text.replaceAll('+', ' ') : text, 'utf8')
  const out: number[] = []
  for (let i = 0; i < source.length; i++) {
    const byte = source[i]!
    if (byte === 0x25 && i + 2 < source.length && isHex(source[i + 1]) && isHex(source[i + 2])) {
      out.push(parseInt(String.fromCharCode(source[i + 1]!, source[i + 2]!), 16))
      i += 2
    } else {
      out.push(byte)
    }
  }
  return Buffer.from(out)
}

function isHex(byte: number | undefined): boolean {
  return (
    byte !== undefined &&
    ((byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x46) || (byte >= 0x61 && byte <= 0x66))
  )
}

// ---------------------------------------------------------------------------------------------
// Canonical request

/** Each path segment, as sent, encoded per RFC 3986 (a `%` encoded again, not decoded); always ends with `/`. */
export function canonicalUri(path: string): string {
  const uri = path
    .split('/')
    .map((segment) => encodeRfc3986(segment))
    .join('/')
  return uri.endsWith('/') ? uri : `${uri}/`
}

/** Names sorted, a name's values sorted (raw bytes), both RFC 3986-encoded, `&`-joined; '' without a query. */
export function canonicalQueryString(query: string | URLSearchParams | undefined): string {
  const raw = query === undefined ? '' : typeof query === 'string' ? query.replace(/^\?/, '') : query.toString()
  const byName = new Map<string, { name: Buffer; values: Buffer[] }>()
  for (const pair of raw.split('&')) {
    if (pair === '') continue
    const eq = pair.indexOf('=')
    const name = decodeToBytes(eq < 0 ? pair : pair.slice(0, eq), true)
    const value = decodeToBytes(eq < 0 ? '' : pair.slice(eq + 1), true)
    const key = name.toString('hex')
    const entry = byName.get(key) ?? { name, values: [] }
    entry.values.push(value)
    byName.set(key, entry)
  }
  const entries = [...byName.values()].sort((a, b) => Buffer.compare(a.name, b.name))
  const out: string[] = []
  for (const { name, values } of entries) {
    values.sort((a, b) => Buffer.compare(a, b))
    for (const value of values) out.push(`${encodeBytes(name)}=${encodeBytes(value)}`)
  }
  return out.join('&')
}

/** The value of a header (any name case); arrays (repeated headers) are joined with `,`. */
export function headerValue(headers: HeaderBag, name: string): string | undefined {
  const wanted = name.toLowerCase()
  for (const [key, value] of Object.entries(headers)) {
    if (key.toLowerCase() !== wanted || value === undefined) continue
    return Array.isArray(value) ? value.join(',') : String(value)
  }
  return undefined
}

/** `name:trimmed value\n` for each signed header, in the given order. Throws if one is absent. */
export function canonicalHeaders(headers: HeaderBag, signedHeaders: readonly string[]): string {
  let out = ''
  for (const name of signedHeaders) {
    const value = headerValue(headers, name)
    if (value === undefined) throw new Error(`signed header ${name} is missing from the request`)
    out += `${name}:${value.trim()}\n`
  }
  return out
}

export function sha256Hex(data: string | Uint8Array): string {
  return createHash('sha256').update(data).digest('hex')
}

/** `X-Sdk-Content-Sha256` if present, else hex sha256 of the body. */
export function payloadHash(req: SignableRequest): string {
  return headerValue(req.headers, 'x-sdk-content-sha256')?.trim() ?? sha256Hex(req.body ?? '')
}

export function canonicalParts(req: SignableRequest, signedHeaders: readonly string[]): CanonicalParts {
  return {
    method: req.method,
    uri: canonicalUri(req.path),
    query: canonicalQueryString(req.query),
    headers: canonicalHeaders(req.headers, signedHeaders),
    signedHeaders: signedHeaders.join(';'),
    payloadHash: payloadHash(req),
  }
}

/** The parts joined; note the empty line after the header block (CanonicalHeaders ends with `\n`). */
export function joinCanonical(parts: CanonicalParts): string {
  return `${parts.method}\n${parts.uri}\n${parts.query}\n${parts.headers}\n${parts.signedHeaders}\n${parts.payloadHash}`
}

export function canonicalRequest(req: SignableRequest, signedHeaders: readonly string[]): string {
  return joinCanonical(canonicalParts(req, signedHeaders))
}

export function stringToSign(sdkDate: string, canonical: string): string {
  return `${ALGORITHM}\n${sdkDate}\n${sha256Hex(canonical)}`
}

export function signatureOf(sk: string, toSign: string): string {
  return createHmac('sha256', sk).update(toSign).digest('hex')
}

/** `YYYYMMDDTHHMMSSZ` in UTC. */
export function sdkDate(date: Date): string {
  return date
    .toISOString()
    .replace(/\.\d{3}Z$/, 'Z')
    .replaceAll('-', '')
    .replaceAll(':', '')
}

/** Lower-case names of every header present, sorted: what the SDK signs by default. */
export function defaultSignedHeaders(headers: HeaderBag): string[] {
  return [
    ...new Set(
      Object.entries(headers)
        .filter(([, v]) => v !== undefined)
        .map(([k]) => k.toLowerCase()),
    ),
  ].sort()
}

/**
 * The `Authorization` header value for a request that already carries `host` and `X-Sdk-Date`.
 * `signedHeaders` defaults to every header present.
 */
export function sign(
  req: SignableRequest,
  ak: string,
  sk: string,
  signedHeaders: readonly string[] = defaultSignedHeaders(req.headers),
): string {
  const date = headerValue(req.headers, 'x-sdk-date')
  if (date === undefined) throw new Error('sign: the request has no X-Sdk-Date header')
  const signature = signatureOf(sk, stringToSign(date, canonicalRequest(req, signedHeaders)))
  return `${ALGORITHM} Access=${ak}, SignedHeaders=${signedHeaders.join(';')}, Signature=${signature}`
}

// ---------------------------------------------------------------------------------------------
// Verification

export interface ParsedAuthorization {
  access: string
  signedHeaders: string
  signature: string
}

/** Parses `SDK-HMAC-SHA256 Access=…, SignedHeaders=…, Signature=…` (parts in any order, spaces after commas optional). */
export function parseAuthorization(header: string): ParsedAuthorization | { error: string } {
  const match = /^(\S+)\s+(.*)$/s.exec(header.trim())
  if (!match) return { error: REASON.malformedAuthorization }
  if (match[1] !== ALGORITHM) return { error: REASON.unsupportedAlgorithm }
  const fields = new Map<string, string>()
  for (const part of match[2]!.split(',')) {
    const item = part.trim()
    const eq = item.indexOf('=')
    if (eq <= 0) return { error: REASON.malformedAuthorization }
    const name = item.slice(0, eq)
    if (fields.has(name)) return { error: REASON.malformedAuthorization }
    fields.set(name, item.slice(eq + 1))
  }
  const access = fields.get('Access')
  const signedHeaders = fields.get('SignedHeaders')
  const signature = fields.get('Signature')
  if (fields.size !== 3 || !access || !signedHeaders || !signature) return { error: REASON.malformedAuthorization }
  return { access, signedHeaders, signature }
}

const SDK_DATE = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/

/** Milliseconds since the epoch for a valid `YYYYMMDDTHHMMSSZ`, else undefined. */
export function parseSdkDate(value: string): number | undefined {
  const m = SDK_DATE.exec(value)
  if (!m) return undefined
  const [year, month, day, hour, minute, second] = m.slice(1).map(Number) as [
    number,
    number,
    number,
    number,
    number,
    number,
  ]
  const ms = Date.UTC(year, month - 1, day, hour, minute, second)
  const back = new Date(ms)
  // Reject values Date.UTC would silently roll over (month 13, Feb 30, 24:00:00 …).
  if (
    back.getUTCFullYear() !== year ||
    back.getUTCMonth() !== month - 1 ||
    back.getUTCDate() !== day ||
    back.getUTCHours() !== hour ||
    back.getUTCMinutes() !== minute ||
    back.getUTCSeconds() !== second
  )
    return undefined
  return ms
}

/** Verifies an `SDK-HMAC-SHA256` signed request against `secrets` (AK → SK) at time `now`. */
export function verifySignature(
  req: SignableRequest,
  secrets: Record<string, string>,
  now: Date,
  skewMs: number = DEFAULT_SKEW_MS,
): VerifyResult {
  const header = headerValue(req.headers, 'authorization')
  if (header === undefined) return { ok: false, reason: REASON.missingAuthorization }
  const parsed = parseAuthorization(header)
  if ('error' in parsed) return { ok: false, reason: parsed.error }
  const ak = parsed.access
  if (!Object.hasOwn(secrets, ak)) return { ok: false, reason: REASON.unknownAccessKey, ak }
  const sk = secrets[ak]!

  const signed = parsed.signedHeaders.split(';')
  for (let i = 0; i < signed.length; i++) {
    const name = signed[i]!
    if (name === '' || name !== name.toLowerCase() || (i > 0 && signed[i - 1]! >= name))
      return { ok: false, reason: REASON.malformedSignedHeaders, ak }
  }
  if (!signed.includes('host')) return { ok: false, reason: REASON.hostNotSigned, ak }
  if (!signed.includes('x-sdk-date')) return { ok: false, reason: REASON.dateNotSigned, ak }
  const absent = signed.find((name) => headerValue(req.headers, name) === undefined)
  if (absent !== undefined) return { ok: false, reason: `${REASON.signedHeaderMissing}: ${absent}`, ak }

  const date = headerValue(req.headers, 'x-sdk-date')!.trim()
  const at = parseSdkDate(date)
  if (at === undefined) return { ok: false, reason: REASON.malformedDate, ak }
  if (Math.abs(now.getTime() - at) > skewMs) return { ok: false, reason: REASON.expired, ak }

  const expected = Buffer.from(signatureOf(sk, stringToSign(date, canonicalRequest(req, signed))), 'utf8')
  const given = Buffer.from(parsed.signature, 'utf8')
  if (given.length !== expected.length || !timingSafeEqual(given, expected))
    return { ok: false, reason: REASON.mismatch, ak }
  return { ok: true, ak }
}
