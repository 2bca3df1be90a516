/**
 * What both readers (json.ts, yaml.ts) produce and share: the Payload with the position of every
 * value, the step's deadline while parsing, the nesting limit, the checks of a parsed value
 * (non-JSON values, inexact integers), and offsets turned into lines and columns.
 */
import { cancelled, type Deadline } from '../deadline.js'
import type { LocatedProblem, Problem } from '../errors.js'

/** The payload's value: an object of fields to update. */
export type PayloadObject = Record<string, unknown>

/** A parsed payload: its value, and where each value is in the file. */
export interface Payload {
  value: PayloadObject
  format: 'json' | 'yaml'
  /** The file as the user named it (workspace-relative), for messages and annotations; unset for inline payloads. */
  file?: string
  /** The 1-based line and column of the value at `path`, or of its closest existing parent. */
  locate(path: readonly (string | number)[]): { line: number; column: number } | undefined
}

/**
 * The step's deadline and cancellation while the payload is parsed: a large payload is parsed in
 * slices, and between slices (and between phases) an expired deadline or a signal ends the work.
 */
export interface ParseControl {
  deadline?: Deadline
  signal?: AbortSignal
}

/** Called between slices of parsing: yields, then throws when the run was cancelled or the deadline passed; `now` forces a look. */
export type Checkpoint = (now?: boolean) => Promise<void>

/** Longest stretch of parsing between two looks at the deadline and the runner's signals. */
const SLICE_MS = 50

/**
 * A checkpoint for CPU-bound parsing: at most every SLICE_MS (or always, when `now`), it yields
 * to the event loop, so a SIGINT/SIGTERM handler can run, then throws if the run was cancelled
 * or the step's deadline passed.
 */
export function checkpoints(control: ParseControl): Checkpoint {
  const { deadline, signal } = control
  let last = Date.now()
  return async (now = false) => {
    if (!deadline && !signal) return
    if (!now && Date.now() - last < SLICE_MS) return
    await new Promise((resolve) => setImmediate(resolve))
    last = Date.now()
    if (signal?.aborted) throw cancelled(signal)
    if (deadline?.expired()) throw deadline.error('reading the payload')
  }
}

/** Deeper than this is no real payload, and recursive parsers would run out of stack. */
export const MAX_NESTING = 256

/**
 * An integer written beyond ±(2^53 − 1) cannot be held exactly by a JSON number as JavaScript
 * reads and writes it: 12345678901234567890 would go out as 12345678901234567000, another
 * number (an id, a size). Refused, with the advice to quote it, rather than sent changed.
 */
export function inexactInteger(literal: string, value: number, at: (string | number)[]): Problem | undefined {
  if (
    !/^[-+]?(0x[0-9a-f]+|0o[0-7]+|\d+)$/i.test(literal.trim()) ||
    Number.isSafeInteger(value) ||
    !Number.isFinite(value)
  )
    return undefined
  return {
    path: at,
    message: `the integer ${literal.trim()} is beyond what a JSON number carries exactly (±${Number.MAX_SAFE_INTEGER}) and would be sent as ${JSON.stringify(value)}; write it as a string ("${literal.trim()}") if the API takes one, or a smaller number.`,
  }
}

/** The first value that JSON cannot carry (Infinity, NaN, a Date or other object), with its path. */
export function findNonJson(
  value: unknown,
  at: (string | number)[] = [],
): { path: (string | number)[]; what: string } | undefined {
  if (value === null || ['string', 'boolean'].includes(typeof value)) return undefined
  if (typeof value === 'number') return Number.isFinite(value) ? undefined : { path: at, what: `the number ${value}` }
  if (Array.isArray(value)) {
    for (const [i, item] of value.entries()) {
      const found = findNonJson(item, [...at, i])
      if (found) return found
    }
    return undefined
  }
  if (typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
    for (const [key, item] of Object.entries(value)) {
      const found = findNonJson(item, [...at, key])
      if (found) return found
    }
    return undefined
  }
  return { path: at, what: `a value of type ${(value as object).constructor?.name ?? typeof value}` }
}

/** Attach the payload's file, line and column to a problem found in its value. */
export function locateProblem(payload: Pick<Payload, 'file' | 'locate'>, problem: Problem): LocatedProblem {
  return { ...problem, file: payload.file, ...(payload.locate(problem.path) ?? {}) }
}

/**
 * The position of the value at `target`, or of its closest existing parent: `offsetOf` gives the
 * offset of the value at a path prefix (undefined when the parser has none there).
 */
export function locateNearest(
  target: readonly (string | number)[],
  offsetOf: (prefix: (string | number)[]) => number | undefined,
  positionAt: (offset: number) => { line: number; column: number },
): { line: number; column: number } | undefined {
  for (let n = target.length; n >= 0; n--) {
    const offset = offsetOf(target.slice(0, n))
    if (offset !== undefined) return positionAt(offset)
  }
  return undefined
}

/** How deeply a parsed value nests objects and lists. */
export function valueDepth(value: unknown, depth = 0): number {
  if (depth > MAX_NESTING) return depth
  if (Array.isArray(value))
    return value.reduce<number>((max, item) => Math.max(max, valueDepth(item, depth + 1)), depth + 1)
  if (value && typeof value === 'object')
    return Object.values(value).reduce<number>((max, item) => Math.max(max, valueDepth(item, depth + 1)), depth + 1)
  return depth
}

/** The deepest bracket nesting of a JSON (or flow-style YAML) text, strings skipped, and where it first passes MAX_NESTING. */
export function jsonDepth(text: string): { max: number; overAt?: number } {
  let depth = 0
  let max = 0
  let overAt: number | undefined
  let quote: string | undefined
  for (let i = 0; i < text.length; i++) {
    const c = text[i]
    if (quote) {
      if (c === '\\' && quote === '"') i++
      else if (c === quote) quote = undefined
    } else if (c === '"') quote = c
    else if (c === '{' || c === '[') {
      max = Math.max(max, ++depth)
      if (depth > MAX_NESTING && overAt === undefined) overAt = i
    } else if (c === '}' || c === ']') depth--
  }
  return { max, overAt }
}

/** The offset where each line of `text` starts. */
export function lineStarts(text: string): number[] {
  const starts = [0]
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) === 10) starts.push(i + 1)
  return starts
}

/** The 1-based line and column of `offset`, from the line starts of its text. */
export function positionOf(starts: number[], offset: number): { line: number; column: number } {
  let lo = 0
  let hi = starts.length - 1
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1
    if (starts[mid]! <= offset) lo = mid
    else hi = mid - 1
  }
  return { line: lo + 1, column: offset - starts[lo]! + 1 }
}
