/**
 * `npm run bundle`: dist/ from src/, as the runner loads it. ncc bundles and minifies the entry,
 * but leaves the lazily loaded chunks (a provider, the YAML parser, Octokit) as they are; terser
 * minifies those too, so every run parses less. dist/ is emptied first so no stale chunk survives.
 * licenses.txt carries the license of every production dependency that can end up in the bundle
 * (ncc's own --license option found only three of them). dist/sources.sha256 records what it was
 * built from (script/dist-sources.ts), for the test suite's staleness check.
 */
import { spawnSync } from 'node:child_process'
import { readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { minify } from 'terser'
import { productionPackages } from './packages.ts'
import { RECORD, sourcesHash } from './dist-sources.ts'

const ROOT = fileURLToPath(new URL('..', import.meta.url))
const DIST = path.join(ROOT, 'dist')

rmSync(DIST, { recursive: true, force: true })
// --no-cache: ncc's cache (in ~/.cache/ncc) does not notice a change of tsconfig.json's paths,
// so a stale entry could build a dist/ that differs from CI's fresh build.
const ncc = spawnSync(
  process.execPath,
  [
    path.join(ROOT, 'node_modules/@vercel/ncc/dist/ncc/cli.js'),
    'build',
    'src/index.ts',
    '--out',
    'dist',
    '--minify',
    '--quiet',
    '--no-cache',
  ],
  { cwd: ROOT, stdio: 'inherit' },
)
if (ncc.status !== 0) process.exit(ncc.status ?? 1)

for (const file of readdirSync(DIST).filter((f) => /^\d+\.index\.js$/.test(f))) {
  const target = path.join(DIST, file)
  const result = await minify(readFileSync(target, 'utf8'), {
    module: true,
    compress: true,
    mangle: true,
    format: { comments: false },
  })
  if (result.code === undefined) throw new Error(`terser produced nothing for ${file}`)
  writeFileSync(target, result.code + '\n')
}

const notices: string[] = []
const seen = new Set<string>()
for (const { name, dir } of productionPackages(ROOT)) {
  const manifest = JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')) as {
    version: string
    license?: string
  }
  const key = `${name}@${manifest.version}`
  if (seen.has(key)) continue
  seen.add(key)
  const file = readdirSync(dir).find((f) => /^(licen[cs]e|copying)(\.|$)/i.test(f))
  const text = file
    ? readFileSync(path.join(dir, file), 'utf8').trim()
    : `License: ${manifest.license ?? 'see the package'}`
  notices.push(`${key}\n${manifest.license ?? ''}\n${text}`)
}
writeFileSync(path.join(DIST, 'licenses.txt'), notices.join('\n\n' + '-'.repeat(72) + '\n\n') + '\n')
writeFileSync(path.join(ROOT, RECORD), sourcesHash(ROOT) + '\n')
