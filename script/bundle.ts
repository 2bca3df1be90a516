/**
 * `npm run bundle`: dist/ from src/, as the runner loads it. ncc bundles and minifies the entry,
 * but leaves the lazily loaded chunks (a provider, the YAML parser, Octokit) as they are; terser
 * minifies those too, so every run parses less. dist/ is emptied first so no stale chunk survives.
 */
import { spawnSync } from 'node:child_process'
import { readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { minify } from 'terser'

const ROOT = fileURLToPath(new URL('..', import.meta.url))
const DIST = path.join(ROOT, 'dist')

rmSync(DIST, { recursive: true, force: true })
const ncc = spawnSync(process.execPath, [path.join(ROOT, 'node_modules/@vercel/ncc/dist/ncc/cli.js'), 'build', 'src/index.ts', '--out', 'dist', '--minify', '--license', 'licenses.txt', '--quiet'], { cwd: ROOT, stdio: 'inherit' })
if (ncc.status !== 0) process.exit(ncc.status ?? 1)

for (const file of readdirSync(DIST).filter((f) => /^\d+\.index\.js$/.test(f))) {
  const target = path.join(DIST, file)
  const result = await minify(readFileSync(target, 'utf8'), { module: true, compress: true, mangle: true, format: { comments: false } })
  if (result.code === undefined) throw new Error(`terser produced nothing for ${file}`)
  writeFileSync(target, result.code + '\n')
}
