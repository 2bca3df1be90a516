/**
 * Every credential, and every value derived from one (a Basic header, an IAM token), is
 * registered here before anything is logged. Registering masks it on the runner; `redact`
 * does the same for text we build ourselves (messages, the dry-run request, outputs), so a
 * secret stays hidden even where the runner's masking does not reach (outputs, files, demo).
 * A server may echo a credential in another spelling, so each is registered in every form it can
 * be echoed in: raw, JSON-escaped, URL- and form-encoded, base64 (also inside a longer base64 text).
 */
import { visible } from './errors.js'

/** Values shorter than this are not masked: masking 1–2 characters would blank out ordinary text. */
const MIN_SECRET_LENGTH = 3
/** Encoded forms (base64 pieces) shorter than this are not masked: too short to be told from ordinary text. */
const MIN_ENCODED_LENGTH = 6
/** An authorization header value: the credential after the scheme is registered on its own as well. */
const AUTH_SCHEME = /^(?:Basic|Bearer|Token|Digest|Negotiate|OAuth)\s+(\S.*)$/is

export class Secrets {
  private readonly values = new Set<string>()
  private readonly added = new Set<string>()
  private readonly mask: (value: string) => void
  private sorted: string[] | undefined

  /** `mask` is the runner's masking, `core.setSecret` on a runner. */
  constructor(mask: (value: string) => void) {
    this.mask = mask
  }

  /**
   * Register a secret, with the forms messages and servers may show it in; returns it for
   * convenient use at the point of derivation.
   */
  add(value: string | undefined): string | undefined {
    if (!value || value.length < MIN_SECRET_LENGTH) return value
    if (this.added.has(value)) return value
    this.added.add(value)
    for (const form of formsOf(value)) {
      if (this.values.has(form)) continue
      this.values.add(form)
      this.sorted = undefined
      this.mask(form)
    }
    const bare = AUTH_SCHEME.exec(value)?.[1]
    if (bare && bare !== value) this.add(bare)
    return value
  }

  /** Replace every registered secret in `text` with `***`, longest first so overlapping secrets never leave a tail. */
  redact(text: string): string {
    this.sorted ??= [...this.values].sort((a, b) => b.length - a.length)
    let out = text
    for (const value of this.sorted) if (out.includes(value)) out = out.split(value).join('***')
    return out
  }
}

/** Every spelling of `value` worth masking (see the class comment), each at least as long as the rules above ask. */
export function formsOf(value: string): string[] {
  const json = JSON.stringify(value).slice(1, -1)
  const plain = [value, json, visible(value), visible(json)]
  const uri = encodeURIComponent(value)
  const form = new URLSearchParams({ v: value }).toString().slice(2)
  const encoded = [uri, uri.replace(/%20/g, '+'), form]
  for (const text of [...encoded]) encoded.push(text.replace(/%[0-9A-F]{2}/g, (escape) => escape.toLowerCase()))
  const forms = new Set([...plain, ...encoded].filter((form) => form.length >= MIN_SECRET_LENGTH))
  for (const piece of base64Pieces(value)) if (piece.length >= MIN_ENCODED_LENGTH) forms.add(piece)
  return [...forms]
}

/**
 * The base64 of `value` as it appears wherever it sits in a longer base64 text: for each of the
 * three byte alignments (as the runner's own masker does), only the characters that depend on
 * `value`'s bytes alone; the whole encoding with its padding too; each also in base64url.
 */
function base64Pieces(value: string): string[] {
  const bytes = Buffer.from(value, 'utf8')
  const pieces = [bytes.toString('base64')]
  for (let shift = 0; shift < 3 && shift < bytes.length; shift++) {
    const part = bytes.subarray(shift)
    pieces.push(part.toString('base64').slice(0, Math.floor((part.length * 8) / 6)))
  }
  return pieces.flatMap((piece) => [piece, piece.replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '')])
}

/** A copy of a parsed JSON value with `redact` applied to every string in it (keys too). */
export function redactValue(value: unknown, redact: (text: string) => string): unknown {
  if (typeof value === 'string') return redact(value)
  if (Array.isArray(value)) return value.map((item) => redactValue(item, redact))
  if (value !== null && typeof value === 'object') {
    const copy: Record<string, unknown> = {}
    for (const [key, item] of Object.entries(value)) Object.defineProperty(copy, redact(key), { value: redactValue(item, redact), enumerable: true, writable: true, configurable: true })
    return copy
  }
  return value
}
