/** textOf: how a value from an API answer is written into a message. */
import { describe, expect, it } from 'vitest'
import { textOf } from '../../src/text.js'

const cycle: Record<string, unknown> = { a: 1 }
cycle.self = cycle

describe('textOf', () => {
  it.each([
    ['a string, byte for byte', 'Referenced agent is archived. ', 'Referenced agent is archived. '],
    ['an empty string', '', ''],
    ['a number', 42, '42'],
    ['a boolean', false, 'false'],
    ['null', null, 'null'],
    ['undefined', undefined, 'undefined'],
    ['an object, as JSON', { field: 'agent', reason: 'archived' }, '{"field":"agent","reason":"archived"}'],
    ['a list, as JSON', ['a', 1], '["a",1]'],
    ['a cycle, without throwing', cycle, '[object Object]'],
  ])('%s', (_case, value, text) => {
    expect(textOf(value)).toBe(text)
  })
})
