/**
 * The production dependency tree: the packages that can end up in dist/. Used by the bundle script
 * (for dist/licenses.txt) and by the tests that check what the bundle's dependencies import.
 */
import { existsSync, readFileSync } from 'node:fs'
import path from 'node:path'

/** The production dependency tree, from package.json down, each package once, sorted by name. */
export function productionPackages(repoRoot: string): { name: string; dir: string }[] {
  const root = path.resolve(repoRoot) // no trailing slash, so the walk up stops at the repository
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
      if (dir === root || path.dirname(dir) === dir) break
      dir = path.dirname(dir)
    }
    if (!pkgDir || found.has(pkgDir)) return
    found.set(pkgDir, name)
    const manifest = JSON.parse(readFileSync(path.join(pkgDir, 'package.json'), 'utf8')) as {
      dependencies?: Record<string, string>
    }
    for (const dependency of Object.keys(manifest.dependencies ?? {})) visit(dependency, pkgDir)
  }
  const manifest = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as {
    dependencies: Record<string, string>
  }
  for (const name of Object.keys(manifest.dependencies)) visit(name, root)
  return [...found.entries()]
    .map(([dir, name]) => ({ name, dir }))
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : a.dir < b.dir ? -1 : 1))
}
