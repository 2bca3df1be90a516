/**
 * Every credential, and every value derived from one (a Basic header, an IAM token), is
 * registered here before anything is logged. Registering masks it on the runner; `redact`
 * does the same for text we build ourselves (messages, the dry-run request, outputs), so a
 * secret stays hidden even where the runner's masking does not reach (demo, local runs).
 */
import { visible } from './errors.js'

export class Secrets {
  private readonly values = new Set<string>()
  private readonly mask: (value: string) => void

  /** `mask` is the runner's masking, `core.setSecret` on a runner. */
  constructor(mask: (value: string) => void) {
    this.mask = mask
  }

  /**
   * Register a secret, with the forms messages may show it in (JSON-escaped; invisible characters
   * spelled out, as error messages do); returns it for convenient use at the point of derivation.
   */
  add(value: string | undefined): string | undefined {
    if (!value || value.length < 3) return value // masking 1–2 characters would blank out ordinary text
    if (!this.values.has(value)) {
      for (const form of new Set([value, JSON.stringify(value).slice(1, -1), visible(value), visible(JSON.stringify(value).slice(1, -1))])) {
        this.values.add(form)
        this.mask(form)
      }
    }
    return value
  }

  /** Replace every registered secret in `text` with `***`, longest first so overlapping secrets never leave a tail. */
  redact(text: string): string {
    let out = text
    for (const value of [...this.values].sort((a, b) => b.length - a.length)) out = out.split(value).join('***')
    return out
  }
}
