import { describe, expect, it } from 'vitest'
import { diff, isEqual, isPlainObject, mergePatch, valueAt } from '../../src/diff.js'

/** The changed paths, sorted: which paths changed is the point here, not their order. */
const paths = (before: unknown, after: unknown, volatile: string[] = []) =>
  diff(before, after, volatile)
    .map((c) => c.path)
    .sort()
const byPath = (changes: { path: string }[]) => [...changes].sort((x, y) => (x.path < y.path ? -1 : 1))

describe('diff', () => {
  it('is empty for equal resources', () => {
    const resource = { name: 'x', schedule: { expression: '0 * * * *' }, events: [{ type: 'a' }] }
    expect(diff(resource, structuredClone(resource))).toEqual([])
  })

  it('reports a changed nested field with its before and after', () => {
    expect(
      diff(
        { schedule: { expression: '0 * * * *', timezone: 'UTC' } },
        { schedule: { expression: '5 * * * *', timezone: 'UTC' } },
      ),
    ).toEqual([
      { path: 'schedule.expression', segments: ['schedule', 'expression'], before: '0 * * * *', after: '5 * * * *' },
    ])
  })

  it('reports added and removed keys, with the missing side undefined', () => {
    expect(byPath(diff({ keep: 1, gone: 'old' }, { keep: 1, added: 'new' }))).toEqual([
      { path: 'added', segments: ['added'], before: undefined, after: 'new' },
      { path: 'gone', segments: ['gone'], before: 'old', after: undefined },
    ])
  })

  it('reports the same changes whatever order the keys come in', () => {
    const before = { b: 1, a: { y: 1, x: 1 }, c: [1] }
    const after = { b: 2, a: { y: 2, x: 2 }, c: [2] }
    const reorder = (o: Record<string, unknown>) =>
      JSON.parse(JSON.stringify(o, Object.keys(o).concat('x', 'y').reverse())) as unknown
    expect(diff(before, after)).toEqual(diff(reorder(before), reorder(after)))
    expect(diff(before, after)).toHaveLength(4)
  })

  it('reports a key that became null as a change', () => {
    expect(diff({ a: 1 }, { a: null })).toEqual([{ path: 'a', segments: ['a'], before: 1, after: null }])
  })

  it('walks arrays of the same length element by element', () => {
    const before = {
      events: [
        { type: 'a', content: 'x' },
        { type: 'b', content: 'y' },
      ],
    }
    const after = {
      events: [
        { type: 'a', content: 'x' },
        { type: 'b', content: 'z' },
      ],
    }
    expect(diff(before, after)).toEqual([
      { path: 'events[1].content', segments: ['events', 1, 'content'], before: 'y', after: 'z' },
    ])
  })

  it('reports an array whose length changed as one change of the whole array', () => {
    expect(diff({ ids: [1, 2] }, { ids: [1, 2, 3] })).toEqual([
      { path: 'ids', segments: ['ids'], before: [1, 2], after: [1, 2, 3] },
    ])
  })

  it('reports a type change (object to array, scalar to object) at that path', () => {
    expect(paths({ a: { x: 1 }, b: 'text' }, { a: [1], b: { x: 1 } })).toEqual(['a', 'b'])
  })

  it('reports a change of a whole non-object value at the root as $', () => {
    expect(diff('a', 'b')).toEqual([{ path: '$', segments: [], before: 'a', after: 'b' }])
    expect(diff([1], [1, 2])).toEqual([{ path: '$', segments: [], before: [1], after: [1, 2] }])
  })

  it('gives each change the segments that find its value again, quoted keys included', () => {
    const before = { metadata: { 'a.b': '1' }, list: [{ v: 1 }] }
    const after = { metadata: { 'a.b': '2' }, list: [{ v: 2 }] }
    for (const change of diff(before, after)) {
      expect(valueAt(before, change.segments)).toBe(change.before)
      expect(valueAt(after, change.segments)).toBe(change.after)
    }
    expect(diff(before, after).map((c) => c.segments)).toEqual([
      ['list', 0, 'v'],
      ['metadata', 'a.b'],
    ])
  })

  it('uses [index] paths at the root for arrays of the same length', () => {
    expect(paths([1, 2], [1, 3])).toEqual(['[1]'])
  })

  it('quotes keys that are not plain identifiers', () => {
    const before = { metadata: { 'a.b': '1', 'with space': 'x', '1st': 'y', plain_key: 'z', 'kebab-key': 'k' } }
    const after = { metadata: { 'a.b': '2', 'with space': 'X', '1st': 'Y', plain_key: 'Z', 'kebab-key': 'K' } }
    expect(paths(before, after)).toEqual(
      [
        'metadata["1st"]',
        'metadata["a.b"]',
        'metadata["with space"]',
        'metadata.kebab-key',
        'metadata.plain_key',
      ].sort(),
    )
  })

  it('quotes a root key that needs quoting without a leading dot', () => {
    expect(paths({ 'a"b': 1 }, { 'a"b': 2 })).toEqual(['["a\\"b"]'])
  })

  describe('volatile paths', () => {
    const before = { name: 'x', updated_at: '2024-01-01', stats: { runs: 1, last: 'a' }, statsExtra: 1 }
    const after = { name: 'y', updated_at: '2024-02-02', stats: { runs: 2, last: 'b' }, statsExtra: 2 }

    it('leaves out a volatile path and everything below it', () => {
      expect(paths(before, after, ['updated_at', 'stats'])).toEqual(['name', 'statsExtra'])
    })

    it('matches a prefix only at a path boundary', () => {
      expect(paths(before, after, ['stat'])).toEqual(['name', 'stats.last', 'stats.runs', 'statsExtra', 'updated_at'])
    })

    it('matches a nested volatile path exactly', () => {
      expect(paths(before, after, ['stats.runs'])).toEqual(['name', 'stats.last', 'statsExtra', 'updated_at'])
    })

    it('matches [*] against any index', () => {
      const b = {
        replicas: [
          { id: 'r1', status: 'STARTING', port: 80 },
          { id: 'r2', status: 'STARTING', port: 80 },
        ],
      }
      const a = {
        replicas: [
          { id: 'r1', status: 'RUNNING', port: 80 },
          { id: 'r2', status: 'RUNNING', port: 81 },
        ],
      }
      expect(paths(b, a, ['replicas[*].status'])).toEqual(['replicas[1].port'])
    })

    it('does not let [*] match a key', () => {
      expect(paths({ list: { x: { status: 1 } } }, { list: { x: { status: 2 } } }, ['list[*].status'])).toEqual([
        'list.x.status',
      ])
    })

    it('treats regex characters in a pattern literally', () => {
      const b = { metadata: { 'a.b': 1, axb: 1 } }
      const a = { metadata: { 'a.b': 2, axb: 2 } }
      expect(paths(b, a, ['metadata["a.b"]'])).toEqual(['metadata.axb'])
    })

    it('covers a whole array whose length changed', () => {
      expect(
        paths({ upcoming_runs_at: ['t1'], name: 'a' }, { upcoming_runs_at: ['t2', 't3'], name: 'a' }, [
          'upcoming_runs_at',
        ]),
      ).toEqual([])
    })
  })
})

describe('isEqual', () => {
  it.each([
    [1, 1],
    ['a', 'a'],
    [null, null],
    [{ a: [1, { b: 2 }] }, { a: [1, { b: 2 }] }],
    [
      { a: 1, b: 2 },
      { b: 2, a: 1 },
    ],
    [{ a: 1, b: undefined }, { a: 1 }],
    [[], []],
  ])('%j equals %j', (a, b) => {
    expect(isEqual(a, b)).toBe(true)
    expect(isEqual(b, a)).toBe(true)
  })

  it.each([
    [1, '1'],
    [null, undefined],
    [null, {}],
    [{ a: null }, {}],
    [
      [1, 2],
      [2, 1],
    ],
    [[1], [1, 1]],
    [{}, []],
    [{ a: { b: 1 } }, { a: { b: 2 } }],
    [0, false],
  ])('%j differs from %j', (a, b) => {
    expect(isEqual(a, b)).toBe(false)
    expect(isEqual(b, a)).toBe(false)
  })

  it('isPlainObject is true for objects only', () => {
    expect([{}, { a: 1 }].map(isPlainObject)).toEqual([true, true])
    expect([null, [], 'x', 1, undefined].map(isPlainObject)).toEqual([false, false, false, false, false])
  })
})

describe('mergePatch (RFC 7396, Appendix A)', () => {
  it.each([
    [{ a: 'b' }, { a: 'c' }, { a: 'c' }],
    [{ a: 'b' }, { b: 'c' }, { a: 'b', b: 'c' }],
    [{ a: 'b' }, { a: null }, {}],
    [{ a: 'b', b: 'c' }, { a: null }, { b: 'c' }],
    [{ a: ['b'] }, { a: 'c' }, { a: 'c' }],
    [{ a: 'c' }, { a: ['b'] }, { a: ['b'] }],
    [{ a: { b: 'c' } }, { a: { b: 'd', c: null } }, { a: { b: 'd' } }],
    [{ a: [{ b: 'c' }] }, { a: [1] }, { a: [1] }],
    [
      ['a', 'b'],
      ['c', 'd'],
      ['c', 'd'],
    ],
    [{ a: 'b' }, ['c'], ['c']],
    [{ a: 'foo' }, null, null],
    [{ a: 'foo' }, 'bar', 'bar'],
    [{ e: null }, { a: 1 }, { e: null, a: 1 }],
    [[1, 2], { a: 'b', c: null }, { a: 'b' }],
    [{}, { a: { bb: { ccc: null } } }, { a: { bb: {} } }],
  ])('%j patched with %j is %j', (target, patch, result) => {
    expect(mergePatch(target, patch)).toEqual(result)
  })

  it('leaves the target and the patch unchanged', () => {
    const target = { a: { b: 'c' }, list: [1] }
    const patch = { a: { b: 'd', c: null }, list: [2] }
    const result = mergePatch(target, patch) as { a: unknown; list: unknown[] }
    expect(target).toEqual({ a: { b: 'c' }, list: [1] })
    expect(patch).toEqual({ a: { b: 'd', c: null }, list: [2] })
    result.list.push(3)
    expect(patch.list).toEqual([2])
  })

  it('keeps a "__proto__" key of the patch as an own property', () => {
    const patch = JSON.parse('{"__proto__": {"polluted": true}}') as Record<string, unknown>
    const result = mergePatch({}, patch) as Record<string, unknown>
    expect(Object.hasOwn(result, '__proto__')).toBe(true)
    expect(Object.getPrototypeOf(result)).toBe(Object.prototype)
    expect(({} as Record<string, unknown>).polluted).toBeUndefined()
  })
})
