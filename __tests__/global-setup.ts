/**
 * Before any test runs: the end-to-end tests execute the committed dist/, so a dist/ built from
 * other sources than the working tree's would test old code. Locally it is rebuilt (and the
 * rebuild is said, since dist/ must then be committed); under CI (`CI` set) a stale dist/ is
 * refused, since .ci/run builds it just before and a mismatch means the build is not reproducible.
 */
import { spawnSync } from 'node:child_process'
import path from 'node:path'
import { recordedHash, sourcesHash } from '../script/dist-sources.ts'

const root = path.resolve(import.meta.dirname, '..')

/** Vitest's global setup: make sure dist/ was built from these sources. */
export default function setup(): void {
  if (recordedHash(root) === sourcesHash(root)) return
  if (process.env.CI) {
    throw new Error('dist/ was built from other sources than src/: run `npm run bundle` and commit dist/.')
  }
  console.warn('dist/ was built from other sources than src/: rebuilding it (npm run bundle); commit dist/ afterwards.')
  const build = spawnSync(process.execPath, [path.join(root, 'script/bundle.ts')], { cwd: root, stdio: 'inherit' })
  if (build.status !== 0) throw new Error('npm run bundle failed: the tests that run dist/ cannot run.')
  if (recordedHash(root) !== sourcesHash(root)) throw new Error('dist/ still does not match src/ after npm run bundle.')
}
