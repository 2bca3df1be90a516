/**
 * How a value an API (or a payload) gave is written into a message. APIs sometimes answer with an
 * object where their documentation promises a string, and `String()` would print "[object Object]".
 */

/** A string as it is; a number, boolean, null or undefined as `String()` writes it; anything else as JSON. */
export function textOf(value: unknown): string {
  if (typeof value === 'string') return value
  if (
    value === null ||
    value === undefined ||
    typeof value === 'number' ||
    typeof value === 'boolean' ||
    typeof value === 'bigint'
  )
    return String(value)
  try {
    return JSON.stringify(value) ?? typeof value // a function or a symbol has no JSON
  } catch {
    return Object.prototype.toString.call(value) // a cycle, or a bigint inside: never from a parsed body
  }
}
