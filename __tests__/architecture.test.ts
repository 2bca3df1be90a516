/**
 * No import cycle anywhere in src/ (issue 14): a module in a cycle can run while another is still
 * half-initialised, and a reader cannot take the modules in order. The graph follows static and
 * dynamic relative imports (the provider registry's lazy ones included); `import type` is erased
 * and left out. See __tests__/helpers/import-graph.ts.
 */
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { importCycles, importGraph, readTree } from './helpers/import-graph.ts'

const SRC = fileURLToPath(new URL('../src/', import.meta.url))

describe('import graph of src/', () => {
  it('has no cycle', async () => {
    expect(importCycles(importGraph(await readTree(SRC)))).toEqual([])
  })

  it('sees the lazy provider imports, so the check above is not vacuous', async () => {
    const graph = importGraph(await readTree(SRC))
    expect(graph.get('main.ts')).toContain('deploy.ts')
    expect(graph.get('deploy.ts')).toContain('pipeline.ts')
    expect(graph.get('providers/registry.ts')).toEqual(
      expect.arrayContaining([
        'providers/aieev.ts',
        'providers/huaweicloud-rts.ts',
        'providers/kintone.ts',
        'providers/qoder.ts',
      ]),
    )
  })
})

describe('the cycle finder', () => {
  const files = (entries: Record<string, string>) => new Map(Object.entries(entries))

  it('names a cycle through a dynamic import, once, from its smallest module', () => {
    const graph = importGraph(
      files({
        'b.ts': "export const load = () => import('./c.js')",
        'c.ts': "import { x } from './sub/a.js'",
        'sub/a.ts': "export { load } from '../b.js'",
      }),
    )
    expect(importCycles(graph)).toEqual(['b.ts → c.ts → sub/a.ts → b.ts'])
  })

  it('leaves out type-only imports and packages, and counts every elementary cycle', () => {
    const graph = importGraph(
      files({
        'a.ts': "import type { B } from './b.js'\nimport { readFile } from 'node:fs'\nimport { c } from './c.js'",
        'b.ts': "import { a } from './a.js'\nexport type { C } from './c.js'",
        'c.ts': "import { a } from './a.js'\nimport { d } from './d.js'",
        'd.ts': "import { c } from './c.js'",
      }),
    )
    expect(importCycles(graph)).toEqual(['a.ts → c.ts → a.ts', 'c.ts → d.ts → c.ts'])
  })
})
