import { describe, expect, it } from 'vitest'
import { InputError, formatPath, formatProblem, visible } from '../../src/errors.js'
import { Problems, describe as describeValue } from '../../src/validate.js'

/** The problems as `$.path: message` lines, as a user reads them. */
function lines(problems: Problems): string[] {
  return problems.list.map((p) => `${formatPath(p.path)}: ${p.message}`)
}

describe('Problems.add and paths', () => {
  it('keeps every problem, in order, with its path', () => {
    const problems = new Problems()
    problems.add(['schedule', 'expression'], 'not a cron expression.')
    problems.add(['initial_events', 3, 'type'], 'unknown type.')
    expect(problems.list).toEqual([
      { path: ['schedule', 'expression'], message: 'not a cron expression.' },
      { path: ['initial_events', 3, 'type'], message: 'unknown type.' },
    ])
    expect(lines(problems)).toEqual([
      '$.schedule.expression: not a cron expression.',
      '$.initial_events[3].type: unknown type.',
    ])
  })

  it('starts empty', () => {
    expect(new Problems().list).toEqual([])
  })
})

describe('object', () => {
  it('returns an object unchanged and adds nothing', () => {
    const problems = new Problems()
    const value = { a: 1 }
    expect(problems.object(value, ['agent'])).toBe(value)
    expect(problems.list).toEqual([])
  })

  it.each([
    [[1, 2], 'a list of 2'],
    ['text', 'the string "text"'],
    [null, 'null'],
    [undefined, 'nothing'],
    [7, 'the number 7'],
  ])('refuses %j, saying what it got', (value, got) => {
    const problems = new Problems()
    expect(problems.object(value, ['agent'])).toBeUndefined()
    expect(lines(problems)).toEqual([`$.agent: expected an object, got ${got}.`])
  })

  it('uses the caller’s words for what was expected', () => {
    const problems = new Problems()
    problems.object('x', ['schedule'], 'a mapping with type, expression and timezone')
    expect(problems.list[0]!.message).toBe('expected a mapping with type, expression and timezone, got the string "x".')
  })
})

describe('knownKeys', () => {
  const KNOWN = ['name', 'schedule', 'initial_events', 'agent', 'metadata']

  it('reports an unknown key at its own path, with a did-you-mean hint for a typo', () => {
    const problems = new Problems()
    problems.knownKeys({ name: 'x', schedul: {} }, [], KNOWN)
    expect(problems.list).toEqual([{ path: ['schedul'], message: "unknown field 'schedul'; did you mean 'schedule'?" }])
  })

  it.each([
    ['nmae', 'name'],
    ['Name', 'name'],
    ['agnet', 'agent'],
    ['metadta', 'metadata'],
    ['initial_event', 'initial_events'],
  ])("suggests '%s' → '%s'", (typo, suggestion) => {
    const problems = new Problems()
    problems.knownKeys({ [typo]: 1 }, ['spec'], KNOWN)
    expect(problems.list).toEqual([
      { path: ['spec', typo], message: `unknown field '${typo}'; did you mean '${suggestion}'?` },
    ])
  })

  it('lists the known fields when nothing is close', () => {
    const problems = new Problems()
    problems.knownKeys({ completely_different: 1 }, [], KNOWN)
    expect(problems.list[0]!.message).toBe(
      "unknown field 'completely_different'; known fields: name, schedule, initial_events, agent, metadata.",
    )
  })

  it('prefers a given hint over the generic one', () => {
    const problems = new Problems()
    problems.knownKeys({ id: 'dep_1' }, [], KNOWN, {
      id: "the deployment id goes in the 'target' input, not the payload.",
    })
    expect(problems.list[0]).toEqual({
      path: ['id'],
      message: "unknown field 'id'; the deployment id goes in the 'target' input, not the payload.",
    })
  })

  it('reports every unknown key, and none of the known ones', () => {
    const problems = new Problems()
    problems.knownKeys({ name: 1, agent: 2, foo: 3, bar: 4 }, ['outer', 0], KNOWN)
    expect(problems.list.map((p) => p.path)).toEqual([
      ['outer', 0, 'foo'],
      ['outer', 0, 'bar'],
    ])
  })
})

describe('string', () => {
  it('accepts a string within limits', () => {
    const problems = new Problems()
    expect(problems.string('hello', ['name'], { min: 1, max: 5 })).toBe(true)
    expect(problems.list).toEqual([])
  })

  it('counts code points, not UTF-16 units', () => {
    const problems = new Problems()
    expect(problems.string('😀😀😀', ['name'], { max: 3 })).toBe(true)
    expect(problems.list).toEqual([])
  })

  it('refuses a non-string', () => {
    const problems = new Problems()
    expect(problems.string(42, ['name'])).toBe(false)
    expect(lines(problems)).toEqual(['$.name: expected a string, got the number 42.'])
  })

  it('says "non-empty" for an empty string where at least one character is needed', () => {
    const problems = new Problems()
    expect(problems.string('', ['name'], { min: 1 })).toBe(false)
    expect(lines(problems)).toEqual(['$.name: expected a non-empty string, got 0.'])
  })

  it('states the range and the length for a string too long', () => {
    const problems = new Problems()
    expect(problems.string('x'.repeat(257), ['name'], { min: 1, max: 256 })).toBe(false)
    expect(lines(problems)).toEqual(['$.name: expected 1 to 256 characters, got 257.'])
  })

  it('states the maximum alone when there is no minimum', () => {
    const problems = new Problems()
    problems.string('abcdef', ['metadata', 'k'], { max: 5 })
    expect(problems.list[0]!.message).toMatch(/^expected (0 to 5|at most 5) characters, got 6\.$/)
  })

  it('states an exact length', () => {
    const problems = new Problems()
    problems.string('abc', ['code'], { min: 4, max: 4 })
    expect(problems.list[0]!.message).toBe('expected exactly 4 characters, got 3.')
  })

  it('states a minimum alone', () => {
    const problems = new Problems()
    problems.string('ab', ['code'], { min: 3 })
    expect(problems.list[0]!.message).toBe('expected at least 3 characters, got 2.')
  })
})

describe('integer', () => {
  it.each([
    [1, 1],
    [65535, 65535],
    [-1, -1],
  ])('returns %j', (value, result) => {
    const problems = new Problems()
    expect(problems.integer(value, ['port'], { min: -1, max: 65535 })).toBe(result)
    expect(problems.list).toEqual([])
  })

  it.each([
    [1.5, 'the number 1.5'],
    ['42', 'the string "42"'],
    [null, 'null'],
    [true, 'true'],
    [Number.MAX_SAFE_INTEGER + 2, `the number ${Number.MAX_SAFE_INTEGER + 2}`],
    [Number.NaN, 'the number NaN'],
  ])('refuses %j as not a whole number', (value, got) => {
    const problems = new Problems()
    expect(problems.integer(value, ['port'])).toBeUndefined()
    expect(lines(problems)).toEqual([`$.port: expected a whole number, got ${got}.`])
  })

  it.each([
    [0, { min: 1, max: 65535 }, 'expected a whole number 1 to 65535, got 0.'],
    [70000, { min: 1, max: 65535 }, 'expected a whole number 1 to 65535, got 70000.'],
    [0, { min: 1 }, 'expected a whole number at least 1, got 0.'],
    [-2, { min: -1 }, 'expected a whole number at least -1, got -2.'],
    [51, { max: 50 }, 'expected a whole number at most 50, got 51.'],
  ])('refuses %j outside %j', (value, limits, message) => {
    const problems = new Problems()
    expect(problems.integer(value, ['n'], limits)).toBeUndefined()
    expect(problems.list).toEqual([{ path: ['n'], message }])
  })

  it('accepts a numeric string when asked, as a number', () => {
    const problems = new Problems()
    expect(problems.integer('42', ['apps', 0, 'app'], { min: 1, numericString: true })).toBe(42)
    expect(problems.integer('-1', ['apps', 0, 'revision'], { min: -1, numericString: true })).toBe(-1)
    expect(problems.list).toEqual([])
  })

  it('refuses a non-numeric string even when numeric strings are allowed, and says so', () => {
    const problems = new Problems()
    expect(problems.integer('4x', ['apps', 2, 'app'], { min: 1, numericString: true })).toBeUndefined()
    expect(lines(problems)).toEqual([
      '$.apps[2].app: expected a whole number (or a string of digits), got the string "4x".',
    ])
  })

  it('applies the range to a numeric string', () => {
    const problems = new Problems()
    expect(problems.integer('0', ['apps', 0, 'app'], { min: 1, numericString: true })).toBeUndefined()
    expect(problems.list[0]!.message).toBe('expected a whole number at least 1, got 0.')
  })
})

describe('boolean', () => {
  it('accepts true and false', () => {
    const problems = new Problems()
    expect(problems.boolean(true, ['revert'])).toBe(true)
    expect(problems.boolean(false, ['revert'])).toBe(true)
    expect(problems.list).toEqual([])
  })

  it.each([
    ['true', 'the string "true"'],
    [1, 'the number 1'],
    [null, 'null'],
  ])('refuses %j', (value, got) => {
    const problems = new Problems()
    expect(problems.boolean(value, ['revert'])).toBe(false)
    expect(lines(problems)).toEqual([`$.revert: expected true or false, got ${got}.`])
  })
})

describe('array', () => {
  it('returns a list within limits', () => {
    const problems = new Problems()
    const list = [1, 2]
    expect(problems.array(list, ['apps'], { min: 1, max: 300 })).toBe(list)
    expect(problems.list).toEqual([])
  })

  it.each([
    [[], { min: 1, max: 50 }, 'expected 1 to 50 items, got 0.'],
    [Array(51).fill('x'), { min: 1, max: 50 }, 'expected 1 to 50 items, got 51.'],
    [[], { min: 1 }, 'expected at least 1 items, got 0.'],
  ])('refuses a list of %#, stating the range', (value, limits, message) => {
    const problems = new Problems()
    expect(problems.array(value, ['initial_events'], limits)).toBeUndefined()
    expect(problems.list).toEqual([{ path: ['initial_events'], message }])
  })

  it('refuses a list over a maximum alone', () => {
    const problems = new Problems()
    problems.array([1, 2, 3], ['vault_ids'], { max: 2 })
    expect(problems.list[0]!.message).toMatch(/^expected (0 to 2|at most 2) items, got 3\.$/)
  })

  it('refuses a non-list', () => {
    const problems = new Problems()
    expect(problems.array({ app: 1 }, ['apps'])).toBeUndefined()
    expect(lines(problems)).toEqual(['$.apps: expected a list, got an object.'])
  })
})

describe('oneOf', () => {
  const STATUSES = ['COMPLETE', 'IN_PROGRESS', 'FAILED'] as const

  it('accepts an allowed value', () => {
    const problems = new Problems()
    expect(problems.oneOf('FAILED', ['status'], STATUSES)).toBe(true)
    expect(problems.list).toEqual([])
  })

  it.each([
    ['complete', 'the string "complete"'],
    [1, 'the number 1'],
    [undefined, 'nothing'],
  ])('refuses %j, listing the allowed values', (value, got) => {
    const problems = new Problems()
    expect(problems.oneOf(value, ['status'], STATUSES)).toBe(false)
    expect(lines(problems)).toEqual([`$.status: expected one of 'COMPLETE', 'IN_PROGRESS', 'FAILED', got ${got}.`])
  })
})

describe('describe', () => {
  it('shows short strings and sizes long ones', () => {
    expect(describeValue('short')).toBe('the string "short"')
    expect(describeValue('y'.repeat(41))).toBe('a string of 41 characters')
    expect(describeValue({})).toBe('an object')
    expect(describeValue([1, 2, 3])).toBe('a list of 3')
    expect(describeValue(false)).toBe('false')
  })
})

describe('formatPath', () => {
  it('writes identifiers with dots, indices in brackets and other keys quoted', () => {
    expect(formatPath([])).toBe('$')
    expect(formatPath(['metadata', 'a.b', 'x y', 0, 'ok_1'])).toBe('$.metadata["a.b"]["x y"][0].ok_1')
  })

  it('spells out characters that would hide or reorder text, in keys and in messages', () => {
    expect(formatPath(['\u202Eeman'])).toBe('$["\\u{202E}eman"]')
    expect(formatProblem({ path: ['na\u200Bme'], message: "unknown field 'na\u200Bme'; did you mean 'name'?" })).toBe(
      `$["na\\u{200B}me"]: unknown field 'na\\u{200B}me'; did you mean 'name'?`,
    )
    expect(new InputError('target', "'dep_\u2066x\u2069' is not an id").message).toBe(
      "'dep_\\u{2066}x\\u{2069}' is not an id",
    )
  })

  it('leaves visible text alone: accents, CJK, Arabic letters, emoji, tabs and line ends', () => {
    const text = 'Café 東京 مرحبا 🚀\tline\nnext'
    expect(visible(text)).toBe(text)
  })
})
