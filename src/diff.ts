/**
 * What changed between the resource before and after the update, as field paths. Paths the
 * provider changes by itself (run stats, next run times, `updated_at`) are left out, so
 * `changed` means "the update changed something", not "time passed".
 */

export interface Change {
  /** `schedule.expression`, `initial_events[0].content`, `metadata["a.b"]`. */
  path: string
  /** The same path as keys and indices, to look the value up elsewhere. */
  segments: (string | number)[]
  before: unknown
  after: unknown
}

/** Changed paths from `before` to `after`, skipping `volatile` paths (and everything below them); `[*]` matches any index. */
export function diff(before: unknown, after: unknown, volatile: readonly string[] = []): Change[] {
  const patterns = volatile.map(compilePattern)
  const changes: Change[] = []
  const walk = (a: unknown, b: unknown, path: string, segments: (string | number)[]) => {
    if (path !== '' && patterns.some((p) => p.test(path))) return
    if (isEqual(a, b)) return
    if (isPlainObject(a) && isPlainObject(b)) {
      for (const key of new Set([...Object.keys(a), ...Object.keys(b)]))
        walk(own(a, key), own(b, key), joinKey(path, key), [...segments, key])
      return
    }
    if (Array.isArray(a) && Array.isArray(b) && a.length === b.length) {
      a.forEach((item, i) => walk(item, b[i], `${path}[${i}]`, [...segments, i]))
      return
    }
    changes.push({ path: path || '$', segments, before: a, after: b })
  }
  walk(before, after, '', [])
  // A stable order, whatever order the provider returns keys in.
  return changes.sort((x, y) => (x.path < y.path ? -1 : x.path > y.path ? 1 : 0))
}

/** The value at `segments` inside `value`, or undefined. */
export function valueAt(value: unknown, segments: readonly (string | number)[]): unknown {
  let current = value
  for (const segment of segments) {
    if (current === null || typeof current !== 'object') return undefined
    current = own(current as Record<string | number, unknown>, segment)
  }
  return current
}

/** Deep equality for JSON values; a missing key and `undefined` are the same. */
export function isEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((item, i) => isEqual(item, b[i]))
  if (isPlainObject(a) && isPlainObject(b)) {
    const keys = new Set([...Object.keys(a), ...Object.keys(b)])
    for (const key of keys) if (!isEqual(own(a, key), own(b, key))) return false
    return true
  }
  return false
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

/**
 * `object[key]` only when the object has that key itself: a payload or a server may use any
 * name (constructor, toString, __proto__), which must never read what Object.prototype has.
 */
export function own(object: Record<string | number, unknown>, key: string | number): unknown {
  return Object.hasOwn(object, key) ? object[key] : undefined
}

function joinKey(path: string, key: string): string {
  const part = /^[A-Za-z_][A-Za-z0-9_-]*$/.test(key) ? key : `[${JSON.stringify(key)}]`
  if (path === '') return part
  return part.startsWith('[') ? `${path}${part}` : `${path}.${part}`
}

function compilePattern(pattern: string): RegExp {
  const source = pattern
    .split(/(\[\*\])/)
    .map((piece) => (piece === '[*]' ? '\\[\\d+\\]' : piece.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')))
    .join('')
  return new RegExp(`^${source}(?:$|[.[])`)
}

/**
 * RFC 7396 JSON merge-patch: what a merge-patch update would make of `target`
 * (objects merge, `null` deletes a key, everything else replaces). Used to preview a dry run.
 */
export function mergePatch(target: unknown, patch: unknown): unknown {
  if (!isPlainObject(patch)) return structuredClone(patch)
  const result: Record<string, unknown> = isPlainObject(target) ? structuredClone(target) : {}
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete result[key]
    else
      Object.defineProperty(result, key, {
        value: mergePatch(own(result, key), value),
        writable: true,
        enumerable: true,
        configurable: true,
      })
  }
  return result
}
