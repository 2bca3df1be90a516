/**
 * What dist/ is built from, as one hash: every file under src/, tsconfig.json (its `paths` map
 * undici for ncc), package-lock.json (the bundled dependencies) and the bundle script itself.
 * `npm run bundle` records it in dist/sources.sha256; the test suite's global setup compares it
 * before any test runs dist/, so a src/ change without a rebuild can never leave the end-to-end
 * tests green on an old bundle.
 */
import { createHash } from 'node:crypto'
import { readdirSync, readFileSync } from 'node:fs'
import path from 'node:path'

/** The file dist/ records its sources' hash in. */
export const RECORD = 'dist/sources.sha256'

/** The hash of everything dist/ is built from under `root`, independent of file order and line ends. */
export function sourcesHash(root: string): string {
  const files = [
    ...listFiles(root, 'src'),
    'tsconfig.json',
    'package-lock.json',
    'script/bundle.ts',
    'script/packages.ts',
  ]
  const hash = createHash('sha256')
  for (const file of files.sort()) {
    hash.update(`${file}\0`)
    hash.update(readFileSync(path.join(root, file), 'utf8').replace(/\r\n/g, '\n'))
    hash.update('\0')
  }
  return hash.digest('hex')
}

/** The hash dist/ says it was built from, or undefined when it records none. */
export function recordedHash(root: string): string | undefined {
  try {
    return readFileSync(path.join(root, RECORD), 'utf8').trim() || undefined
  } catch {
    return undefined
  }
}

/** Every file below `dir` (relative to `root`), with forward slashes. */
function listFiles(root: string, dir: string): string[] {
  return readdirSync(path.join(root, dir), { withFileTypes: true }).flatMap((entry) => {
    const relative = `${dir}/${entry.name}`
    return entry.isDirectory() ? listFiles(root, relative) : [relative]
  })
}
