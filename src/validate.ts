/**
 * Small, pure checks for payload validation. Each adds a Problem with the exact JSON path of
 * the offending value (an unknown key's own path, so its line can be annotated) and a message
 * that says what was expected and what was found. Providers compose them; nothing here knows
 * a provider.
 */
import type { Problem } from './errors.js'
import { isPlainObject } from './diff.js'

export type Path = (string | number)[]

/** Collects every problem of one payload, so they are all reported at once. */
export class Problems {
  readonly list: Problem[] = []

  add(path: Path, message: string): void {
    this.list.push({ path, message })
  }

  /** `value` must be an object; returns it, or undefined after adding a problem. */
  object(value: unknown, path: Path, what = 'an object'): Record<string, unknown> | undefined {
    if (isPlainObject(value)) return value
    this.add(path, `expected ${what}, got ${describe(value)}.`)
    return undefined
  }

  /** Every key of `object` must be in `known`; `hints` explain keys users often send by mistake. */
  knownKeys(
    object: Record<string, unknown>,
    path: Path,
    known: readonly string[],
    hints: Record<string, string> = {},
  ): void {
    for (const key of Object.keys(object)) {
      if (known.includes(key)) continue
      // Own keys only: a payload key such as "__proto__" or "constructor" must not find Object's members.
      const hint = Object.hasOwn(hints, key)
        ? hints[key]
        : closest(key, known)
          ? `did you mean '${closest(key, known)}'?`
          : `known fields: ${known.join(', ')}.`
      this.add([...path, key], `unknown field '${key}'; ${hint}`)
    }
  }

  /** A string of min–max characters (Unicode code points). */
  string(value: unknown, path: Path, limits: { min?: number; max?: number } = {}): value is string {
    if (typeof value !== 'string') {
      this.add(path, `expected a string, got ${describe(value)}.`)
      return false
    }
    const length = [...value].length
    const { min = 0, max = Infinity } = limits
    if (length < min || length > max) {
      this.add(
        path,
        `expected ${min === 1 && max === Infinity ? 'a non-empty string' : `${rangeText(min, max)} characters`}, got ${length}.`,
      )
      return false
    }
    return true
  }

  /** A whole number in [min, max]; with `numericString`, "42" is accepted too. */
  integer(
    value: unknown,
    path: Path,
    limits: { min?: number; max?: number; numericString?: boolean } = {},
  ): number | undefined {
    const { min = -Infinity, max = Infinity } = limits
    const number =
      typeof value === 'number'
        ? value
        : limits.numericString && typeof value === 'string' && /^-?\d+$/.test(value)
          ? Number(value)
          : NaN
    if (!Number.isSafeInteger(number)) {
      this.add(
        path,
        `expected a whole number${limits.numericString ? ' (or a string of digits)' : ''}, got ${describe(value)}.`,
      )
      return undefined
    }
    if (number < min || number > max) {
      this.add(path, `expected a whole number ${rangeText(min, max)}, got ${number}.`)
      return undefined
    }
    return number
  }

  boolean(value: unknown, path: Path): value is boolean {
    if (typeof value === 'boolean') return true
    this.add(path, `expected true or false, got ${describe(value)}.`)
    return false
  }

  /** A list of min–max items; returns it, or undefined after adding a problem. */
  array(value: unknown, path: Path, limits: { min?: number; max?: number } = {}): unknown[] | undefined {
    if (!Array.isArray(value)) {
      this.add(path, `expected a list, got ${describe(value)}.`)
      return undefined
    }
    const items: unknown[] = value // Array.isArray says any[]; its items are as unknown as the value was
    const { min = 0, max = Infinity } = limits
    if (items.length < min || items.length > max) {
      this.add(path, `expected ${rangeText(min, max)} items, got ${items.length}.`)
      return undefined
    }
    return items
  }

  /** One of a fixed set of values. */
  oneOf<T extends string>(value: unknown, path: Path, allowed: readonly T[]): value is T {
    if (typeof value === 'string' && (allowed as readonly string[]).includes(value)) return true
    this.add(path, `expected one of ${allowed.map((a) => `'${a}'`).join(', ')}, got ${describe(value)}.`)
    return false
  }
}

/** `a string of 300 characters`, `the number 7`, `a list`, `null` — for "got …" in messages. */
export function describe(value: unknown): string {
  if (value === null) return 'null'
  if (value === undefined) return 'nothing'
  if (Array.isArray(value)) return `a list of ${value.length}`
  if (typeof value === 'string')
    return value.length > 40 ? `a string of ${value.length} characters` : `the string ${JSON.stringify(value)}`
  if (typeof value === 'number') return `the number ${value}`
  if (typeof value === 'boolean') return `${value}`
  return 'an object'
}

function rangeText(min: number, max: number): string {
  if (max === Infinity) return `at least ${min}`
  if (min === -Infinity || min === 0) return min === 0 && max !== Infinity ? `0 to ${max}` : `at most ${max}`
  if (min === max) return `exactly ${min}`
  return `${min} to ${max}`
}

/** The known name within two edits of `key`, if any: a likely typo. */
function closest(key: string, known: readonly string[]): string | undefined {
  let best: string | undefined
  let bestDistance = 3
  for (const candidate of known) {
    const distance = editDistance(key.toLowerCase(), candidate.toLowerCase())
    if (distance < bestDistance) {
      best = candidate
      bestDistance = distance
    }
  }
  return best
}

function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i)
  for (let i = 1; i <= a.length; i++) {
    let previous = row[0]!
    row[0] = i
    for (let j = 1; j <= b.length; j++) {
      const current = row[j]!
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, previous + (a[i - 1] === b[j - 1] ? 0 : 1))
      previous = current
    }
  }
  return row[b.length]!
}
