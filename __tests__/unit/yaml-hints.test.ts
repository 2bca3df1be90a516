/**
 * Issue 13: the YAML parser's words ("Nested mappings are not allowed in compact mappings") come
 * with a plain hint that says what to do and on which line. A table of the common mistakes, and
 * every error code the installed yaml declares (read from its types) has a hint of its own.
 */
import { readFile } from 'node:fs/promises'
import { createRequire } from 'node:module'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { PayloadError } from '../../src/errors.js'
import { parsePayload, yamlHint } from '../../src/payload.js'

async function problemsOf(text: string): Promise<{ line?: number; message: string }[]> {
  try {
    await parsePayload(text, 'p.yaml')
  } catch (error) {
    if (error instanceof PayloadError) return error.problems
    throw error
  }
  throw new Error('parsed without a problem')
}

describe('YAML errors come with a plain hint naming the line', () => {
  it.each([
    // [what, text, line, yaml's words, the hint]
    [
      'a value holding ": "',
      'name: a\ntitle: Release: v1\n',
      2,
      'Nested mappings are not allowed in compact mappings',
      `The value on line 2 holds ': ', which YAML reads as another key: quote the value, such as title: "Release: v1".`,
    ],
    [
      'a list item holding ": "',
      'tags:\n  - note: see: here\n',
      2,
      'Nested mappings are not allowed in compact mappings',
      `The value on line 2 holds ': ', which YAML reads as another key: quote the value, such as note: "see: here".`,
    ],
    [
      'a key indented too far',
      'agent:\n  model: x\n   tools: y\n',
      2,
      'Nested mappings are not allowed in compact mappings',
      'Check the indentation on line 2 and the line after it',
    ],
    [
      'a key indented less than its siblings',
      'agent:\n    model: x\n  tools: y\n',
      3,
      'All mapping items must start at the same column',
      'Check the indentation on line 3: the keys of one mapping',
    ],
    [
      'a list item among keys',
      'a:\n  - 1\n  b: 2\n',
      3,
      'All mapping items must start at the same column',
      'Check the indentation on line 3',
    ],
    [
      'a tab',
      'agent:\n\tmodel: x\n',
      2,
      'Tabs are not allowed as indentation',
      'Line 2 is indented with a tab; YAML is indented with spaces only.',
    ],
    [
      'a line without a colon',
      'name: a\nfoo\nbar: b\n',
      2,
      'Implicit keys need to be on a single line',
      "Check on line 2: each key is followed by ': ' (a colon and a space)",
    ],
    [
      'a colon without a space',
      'a:1\nb: 2\n',
      1,
      'Implicit keys need to be on a single line',
      "each key is followed by ': ' (a colon and a space)",
    ],
    [
      'a key twice',
      'a: 1\nb: 2\na: 3\n',
      3,
      'Map keys must be unique',
      'The key on line 3 is already set above in the same mapping; keep one of them.',
    ],
    [
      'two documents',
      'a: 1\n---\nb: 2\n',
      2,
      'Source contains multiple documents',
      "The file holds more than one YAML document (a '---' line on line 2); keep one document.",
    ],
    ['an unclosed quote', 'name: "abc\nx: 1\n', 3, 'Missing closing "quote', 'A closing quote or bracket is missing'],
    [
      'a value starting with @',
      'a: @x\n',
      1,
      'Plain value cannot start with reserved character @',
      'Quote the value on line 1',
    ],
    [
      'a bad escape in double quotes',
      'a: "C:\\q"\n',
      1,
      'Invalid escape sequence',
      'In double quotes a backslash starts an escape',
    ],
    [
      'text after a closing quote',
      'a: "x" y\n',
      1,
      'Unexpected scalar at node end',
      'Check on line 1 for text after a closing quote or bracket',
    ],
    [
      'a block list inside [ ]',
      'a: [\n  - 1\n]\n',
      2,
      'Block collections are not allowed within flow collections',
      'Inside [ ] or { } (on line 2)',
    ],
  ])('%s', async (_what, text, line, words, hint) => {
    const problems = await problemsOf(text)
    const problem = problems.find((p) => p.message.includes(words))
    expect(problem, JSON.stringify(problems)).toBeDefined()
    expect(problem!.line).toBe(line)
    expect(problem!.message).toMatch(/^invalid YAML: /)
    expect(problem!.message).toContain(hint)
  })

  it('quotes the \'quote a value that holds ": "\' advice only for a line that has one', () => {
    expect(yamlHint('BLOCK_AS_IMPLICIT_KEY', 4, 'title: Release: v1')).toContain("The value on line 4 holds ': '")
    expect(yamlHint('BLOCK_AS_IMPLICIT_KEY', 4, '  model: x')).toContain('Check the indentation on line 4')
    expect(yamlHint('BLOCK_AS_IMPLICIT_KEY', 4, 'url: "http://x"')).toContain('Check the indentation on line 4')
  })

  it('has a hint of its own, naming the line, for every error code yaml declares', async () => {
    const require = createRequire(import.meta.url)
    const types = await readFile(
      path.join(path.dirname(require.resolve('yaml/package.json')), 'dist', 'errors.d.ts'),
      'utf8',
    )
    const union = /export type ErrorCode = ([^;]+);/.exec(types)?.[1] ?? ''
    const codes = [...union.matchAll(/'([A-Z0-9_]+)'/g)].map((m) => m[1]!)
    expect(codes.length).toBeGreaterThanOrEqual(20)
    for (const code of codes) {
      const hint = yamlHint(code, 7)
      expect(hint, code).not.toBe(yamlHint('NO_SUCH_CODE', 7))
      expect(hint, code).toMatch(/line 7/i)
    }
  })
})
