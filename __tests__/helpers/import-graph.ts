/**
 * The runtime import graph of a TypeScript source tree, and its cycles. An edge is what the
 * emitted JavaScript loads: a static `import`/`export … from` and a dynamic `import('…')` of a
 * relative module. `import type` and `export type` are left out: the compiler erases them
 * (verbatimModuleSyntax keeps every other import, even one whose names are all types), so they
 * can never make a module see another half-initialised, which is what a cycle costs.
 */
import { readdir, readFile } from 'node:fs/promises'
import path from 'node:path'
import ts from 'typescript'

/** Module path (relative to the tree, with '/') → the modules it loads, sorted. */
export type ImportGraph = Map<string, string[]>

/** Every `.ts` file under `dir`, keyed by its path relative to `dir`. */
export async function readTree(dir: string): Promise<Map<string, string>> {
  const files = new Map<string, string>()
  for (const entry of await readdir(dir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile() || !entry.name.endsWith('.ts')) continue
    const file = path.join(entry.parentPath, entry.name)
    files.set(path.relative(dir, file).split(path.sep).join('/'), await readFile(file, 'utf8'))
  }
  return files
}

/** The modules each file loads at run time, resolved within the tree ('./x.js' → 'x.ts'). */
export function importGraph(files: Map<string, string>): ImportGraph {
  const graph: ImportGraph = new Map()
  for (const [file, text] of files) {
    const targets = new Set<string>()
    const add = (specifier: string) => {
      if (!specifier.startsWith('./') && !specifier.startsWith('../')) return
      const resolved = path.posix.join(path.posix.dirname(file), specifier).replace(/\.js$/, '.ts')
      if (files.has(resolved)) targets.add(resolved)
    }
    const visit = (node: ts.Node): void => {
      if (ts.isImportDeclaration(node) && !node.importClause?.isTypeOnly && ts.isStringLiteral(node.moduleSpecifier))
        add(node.moduleSpecifier.text)
      if (
        ts.isExportDeclaration(node) &&
        !node.isTypeOnly &&
        node.moduleSpecifier &&
        ts.isStringLiteral(node.moduleSpecifier)
      )
        add(node.moduleSpecifier.text)
      if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword) {
        const [specifier] = node.arguments
        if (specifier && ts.isStringLiteralLike(specifier)) add(specifier.text)
      }
      ts.forEachChild(node, visit)
    }
    visit(ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS))
    graph.set(file, [...targets].sort())
  }
  return graph
}

/**
 * Every elementary cycle, each written 'a.ts → b.ts → a.ts' from its smallest module name, so
 * each is listed once. The graph is small (tens of modules), so a plain search is enough.
 */
export function importCycles(graph: ImportGraph): string[] {
  const cycles: string[] = []
  const starts = [...graph.keys()].sort()
  for (const start of starts) {
    const walk = (node: string, trail: string[]): void => {
      for (const next of graph.get(node) ?? []) {
        if (next === start) cycles.push([...trail, start].join(' → '))
        else if (next > start && !trail.includes(next)) walk(next, [...trail, next])
      }
    }
    walk(start, [start])
  }
  return cycles
}
