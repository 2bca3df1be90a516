/**
 * `npm run bundle`: dist/ from src/, as the runner loads it. ncc bundles and minifies the entry,
 * but leaves the lazily loaded chunks (a provider, the YAML parser, Octokit) as they are; terser
 * minifies those too, so every run parses less. dist/ is emptied first so no stale chunk survives.
 * licenses.txt carries the license of every production dependency that can end up in the bundle
 * (ncc's own --license option found only three of them).
 */
import { spawnSync } from 'node:child_process'
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { minify } from 'terser'

const ROOT = fileURLToPath(new URL('..', import.meta.url))
const DIST = path.join(ROOT, 'dist')

rmSync(DIST, { recursive: true, force: true })
const ncc = spawnSync(process.execPath, [path.join(ROOT, 'node_modules/@vercel/ncc/dist/ncc/cli.js'), 'build', 'src/index.ts', '--out', 'dist', '--minify', '--quiet'], { cwd: ROOT, stdio: 'inherit' })
if (ncc.status !== 0) process.exit(ncc.status ?? 1)

for (const file of readdirSync(DIST).filter((f) => /^\d+\.index\.js$/.test(f))) {
  const target = path.join(DIST, file)
  const result = await minify(readFileSync(target, 'utf8'), { module: true, compress: true, mangle: true, format: { comments: false } })
  if (result.code === undefined) throw new Error(`terser produced nothing for ${file}`)
  writeFileSync(target, result.code + '\n')
}

/** The production dependency tree, from package.json down, each package once, sorted by name. */
function productionPackages(): { name: string; dir: string }[] {
  const found = new Map<string, string>()
  const visit = (name: string, from: string) => {
    // Resolve as Node does: the nearest node_modules up from the requiring package.
    let dir = from
    let pkgDir: string | undefined
    for (;;) {
      const candidate = path.join(dir, 'node_modules', name)
      if (existsSync(path.join(candidate, 'package.json'))) {
        pkgDir = candidate
        break
      }
      if (dir === ROOT || path.dirname(dir) === dir) break
      dir = path.dirname(dir)
    }
    if (!pkgDir || found.has(pkgDir)) return
    found.set(pkgDir, name)
    const manifest = JSON.parse(readFileSync(path.join(pkgDir, 'package.json'), 'utf8')) as { dependencies?: Record<string, string> }
    for (const dependency of Object.keys(manifest.dependencies ?? {})) visit(dependency, pkgDir)
  }
  const root = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { dependencies: Record<string, string> }
  for (const name of Object.keys(root.dependencies)) visit(name, ROOT)
  return [...found.entries()].map(([dir, name]) => ({ name, dir })).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : a.dir < b.dir ? -1 : 1))
}

const notices: string[] = []
const seen = new Set<string>()
for (const { name, dir } of productionPackages()) {
  const manifest = JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')) as { version: string; license?: string }
  const key = `${name}@${manifest.version}`
  if (seen.has(key)) continue
  seen.add(key)
  const file = readdirSync(dir).find((f) => /^(licen[cs]e|copying)(\.|$)/i.test(f))
  const text = file ? readFileSync(path.join(dir, file), 'utf8').trim() : `License: ${manifest.license ?? 'see the package'}`
  notices.push(`${key}\n${manifest.license ?? ''}\n${text}`)
}
writeFileSync(path.join(DIST, 'licenses.txt'), notices.join('\n\n' + '-'.repeat(72) + '\n\n') + '\n')
