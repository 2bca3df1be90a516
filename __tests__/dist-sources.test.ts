/**
 * The staleness check that guards the end-to-end tests: the hash dist/ records changes with any
 * source it is built from, and with nothing else.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { RECORD, recordedHash, sourcesHash } from '../script/dist-sources.ts'

const dirs: string[] = []
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true })
})

/** A tree with the files dist/ is built from. */
function tree(files: Record<string, string>): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'dist-sources-'))
  dirs.push(dir)
  const base = {
    'src/index.ts': "import './main.js'\n",
    'src/providers/qoder.ts': 'export {}\n',
    'tsconfig.json': '{}\n',
    'package-lock.json': '{}\n',
    'script/bundle.ts': '\n',
    'script/packages.ts': '\n',
  }
  for (const [file, text] of Object.entries({ ...base, ...files })) {
    mkdirSync(path.dirname(path.join(dir, file)), { recursive: true })
    writeFileSync(path.join(dir, file), text)
  }
  return dir
}

describe('dist/ sources hash', () => {
  it('changes with any file dist/ is built from, a new src/ file included', () => {
    const base = sourcesHash(tree({}))
    expect(sourcesHash(tree({ 'src/providers/qoder.ts': 'export const x = 1\n' }))).not.toBe(base)
    expect(sourcesHash(tree({ 'src/providers/fifth.ts': 'export {}\n' }))).not.toBe(base)
    expect(sourcesHash(tree({ 'package-lock.json': '{"lockfileVersion":3}\n' }))).not.toBe(base)
    expect(sourcesHash(tree({ 'tsconfig.json': '{"compilerOptions":{}}\n' }))).not.toBe(base)
    expect(sourcesHash(tree({ 'script/bundle.ts': '// minify\n' }))).not.toBe(base)
  })

  it('does not change with line ends, tests or docs', () => {
    const base = sourcesHash(tree({}))
    expect(sourcesHash(tree({ 'src/index.ts': "import './main.js'\r\n" }))).toBe(base)
    expect(sourcesHash(tree({ '__tests__/a.test.ts': 'x\n', 'README.md': '# x\n' }))).toBe(base)
  })

  it('is what the committed dist/ records (the global setup rebuilt it otherwise)', () => {
    const root = path.resolve(import.meta.dirname, '..')
    expect(recordedHash(root)).toBe(sourcesHash(root))
    expect(recordedHash(tree({}))).toBeUndefined()
    const dir = tree({ [RECORD]: 'abc\n' })
    expect(recordedHash(dir)).toBe('abc')
  })
})
