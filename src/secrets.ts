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

/**
 * The last word of a key that names a credential: `DB_PASSWORD`, `apiToken`, `STRIPE_KEY`,
 * `SENTRY_DSN`. Only the last word counts: `TOKEN_TTL`, `SESSION_TIMEOUT`, `PASSWORD_MIN_LENGTH`,
 * `KEY_PREFIX`, `AUTH_ENABLED` name settings about a credential, whose values (3600, true) are not secret.
 */
const CREDENTIAL_WORD =
  /^(?:TOKENS?|SECRETS?|PASSWORDS?|PASSWD|PASS|PWD|PASSPHRASE|KEYS?|APIKEYS?|CREDENTIALS?|CREDS?|AUTH|AUTHORIZATION|DSN|COOKIES?|SIGNATURE|SALT|JWT|BEARER)$/
/** The same words at the end of a key written as one word (`apitoken`, `DBPASSWORD`), but KEY, too short to tell from `MONKEY`. */
const CREDENTIAL_ENDING =
  /(?:TOKENS?|SECRETS?|PASSWORDS?|PASSWD|PASSPHRASE|APIKEYS?|SECRETKEY|ACCESSKEY|PRIVATEKEY|CREDENTIALS?)$/
/** Long enough, with letters and digits and no blank, to be a generated key or token rather than a word. */
const MIN_CREDENTIAL_LIKE_LENGTH = 16

/**
 * Whether a payload setting (an Aieev env var) could be a credential, so that its value is worth
 * masking on the runner for the whole job (`::add-mask::`) and not only in deploy-patch's own
 * output. The runner's masking replaces the value wherever it appears in any later line of the
 * job, so masking `prod` would blank out "prod" in every step; only what could be a credential goes there:
 * - the key's last word names a credential (see CREDENTIAL_WORD), or
 * - the value looks like one: at least 16 characters without a blank, with letters and digits
 *   (a generated key or token), or a URL or connection string that carries a password.
 */
export function couldBeCredential(key: string | undefined, value: string): boolean {
  const words = (key ?? '')
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .toUpperCase()
    .split(/[^A-Z0-9]+/)
    .filter(Boolean)
  const last = words.at(-1)
  if (last !== undefined && (CREDENTIAL_WORD.test(last) || CREDENTIAL_ENDING.test(last))) return true
  if (value.length >= MIN_CREDENTIAL_LIKE_LENGTH && !/\s/.test(value) && /\p{L}/u.test(value) && /\p{N}/u.test(value))
    return true
  return (
    /^[a-z][a-z0-9+.-]*:\/\/[^/@\s:]*:[^/@\s]+@/i.test(value) || /(?:^|[;&?\s])(?:password|pwd|passwd)=/i.test(value)
  )
}

export class Secrets {
  private readonly values = new Set<string>()
  private readonly added = new Set<string>()
  /** Values redacted in deploy-patch's own text only where they stand alone, never registered with the runner. */
  private readonly wholeValues = new Set<string>()
  private readonly mask: (value: string) => void
  private sorted: { value: string; whole?: RegExp }[] | undefined

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

  /**
   * A payload setting's value (an Aieev env var): registered with the runner as a secret when it
   * could be a credential (see couldBeCredential), else only redacted in deploy-patch's own text,
   * and there only where it stands alone (not inside a longer word or id), so a value `prod` never
   * turns "production" into "***uction".
   */
  addSetting(key: string | undefined, value: string): void {
    if (couldBeCredential(key, value)) {
      this.add(value)
      return
    }
    if (value.length < MIN_SECRET_LENGTH || this.added.has(value)) return
    for (const form of formsOf(value)) {
      if (this.values.has(form) || this.wholeValues.has(form)) continue
      this.wholeValues.add(form)
      this.sorted = undefined
    }
  }

  /** Replace every registered secret in `text` with `***`, longest first so overlapping secrets never leave a tail. */
  redact(text: string): string {
    this.sorted ??= [
      ...[...this.values].map((value) => ({ value })),
      // Alone: not next to a letter, digit, '_' or '-', as in an id or a word.
      ...[...this.wholeValues]
        .filter((value) => !this.values.has(value))
        .map((value) => ({
          value,
          whole: new RegExp(
            `(?<![\\p{L}\\p{N}_-])${value.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}(?![\\p{L}\\p{N}_-])`,
            'gu',
          ),
        })),
    ].sort((a, b) => b.value.length - a.value.length)
    let out = text
    for (const { value, whole } of this.sorted) {
      if (!out.includes(value)) continue
      out = whole ? out.replace(whole, '***') : out.split(value).join('***')
    }
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
    for (const [key, item] of Object.entries(value))
      Object.defineProperty(copy, redact(key), {
        value: redactValue(item, redact),
        enumerable: true,
        writable: true,
        configurable: true,
      })
    return copy
  }
  return value
}
