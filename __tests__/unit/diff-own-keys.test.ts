/**
 * Issue 12, class 4: keys named like Object.prototype members (constructor, toString, valueOf,
 * hasOwnProperty, __proto__) are ordinary keys: the diff never reads what the prototype has.
 */
import { describe, expect, it } from 'vitest'
import { diff, isEqual, mergePatch, valueAt } from '../../src/diff.js'

const KEYS = ['constructor', 'toString', 'valueOf', 'hasOwnProperty', '__proto__'] as const
/** `{metadata: {<key>: 'a'}}` with the key as an own property, as JSON.parse makes it. */
const withKey = (key: string) => JSON.parse(`{"metadata":{"${key}":"a"}}`) as Record<string, unknown>

describe('keys named like Object.prototype members', () => {
  for (const key of KEYS) {
    it(`${key}: added on one side → one change, before undefined (not the prototype's function)`, () => {
      const changes = diff({ metadata: {} }, withKey(key))
      expect(changes).toHaveLength(1)
      expect(changes[0]!.segments).toEqual(['metadata', key])
      expect(changes[0]!.before).toBeUndefined()
      expect(changes[0]!.after).toBe('a')
    })

    it(`${key}: isEqual and valueAt see only own keys`, () => {
      expect(isEqual({ metadata: {} }, withKey(key))).toBe(false)
      expect(isEqual(withKey(key), withKey(key))).toBe(true)
      expect(valueAt({ metadata: {} }, ['metadata', key])).toBeUndefined()
      expect(valueAt(withKey(key), ['metadata', key])).toBe('a')
    })

    it(`${key}: mergePatch adds it as an own key, leaving the prototype alone`, () => {
      const merged = mergePatch({ keep: 1 }, JSON.parse(`{"${key}":{"x":1}}`)) as Record<string, unknown>
      expect(Object.hasOwn(merged, key)).toBe(true)
      expect(Object.getOwnPropertyDescriptor(merged, key)!.value).toEqual({ x: 1 })
      expect(Object.getPrototypeOf(merged)).toBe(Object.prototype)
    })
  }
})
