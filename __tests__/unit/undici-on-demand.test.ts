/**
 * src/undici-on-demand.ts is what every `import … from 'undici'` of a bundled dependency gets in
 * dist/ (tsconfig.json maps the name to it). These tests hold it to what those dependencies rely
 * on: it exports every name they import, its ProxyAgent builds undici's own agent once
 * loadUndici() has run (and says so clearly before), and its fetch is undici's fetch, through a
 * proxy or not.
 *
 * Here the tests run on Node, where tsconfig's paths do not apply: `undici/index.js` below is the
 * real package, the same module instance the shim loads. (The bare name `undici` is the real
 * package at run time too, but would typecheck as the shim.)
 */
import { readdirSync, readFileSync } from 'node:fs'
import { createServer, type Server } from 'node:http'
import net, { type AddressInfo } from 'node:net'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { ProxyAgent as RealProxyAgent } from 'undici/index.js'
import { REPO_ROOT } from '../helpers/run-action.ts'
import { productionPackages } from '../../script/packages.ts'

type Shim = typeof import('../../src/undici-on-demand.js')

/** The shim with fresh module state (undici not loaded yet), as a new run starts. */
async function freshShim(): Promise<Shim> {
  vi.resetModules()
  return import('../../src/undici-on-demand.js')
}

/** A package's JavaScript files: no type declarations, no tests, no nested node_modules (the walk visits those as packages). */
function* scriptFiles(dir: string): Generator<string> {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const file = path.join(dir, entry.name)
    if (entry.isDirectory()) {
      if (['node_modules', 'test', 'tests', '__tests__'].includes(entry.name)) continue
      yield* scriptFiles(file)
    } else if (/\.[cm]?js$/.test(entry.name) && !/\.(test|spec)\.[cm]?js$/.test(entry.name)) {
      yield file
    }
  }
}

const UNDICI = `(?:'undici'|"undici")`
/** Every place the module name `undici` is used as a specifier: import/export … from, import(), require(). */
const SPECIFIER = new RegExp(String.raw`(?:\bfrom\s*|\bimport\s*\(?\s*|\brequire\s*\(\s*)${UNDICI}`, 'g')

/** Names in `{ A, B as C }` (import/export) or `{ A, B: C }` (destructuring): the imported side. */
function namesIn(list: string, separator: RegExp): string[] {
  return list
    .split(',')
    .map((part) => part.trim().replace(/^type\s+/, ''))
    .filter((part) => part !== '')
    .map((part) => part.split(separator)[0]!.trim())
}

interface Use {
  /** Names read from undici, each with where. */
  names: { name: string; where: string }[]
  /** Uses the shim could not be checked for (or could not serve): whole-module imports, unrecognised forms. */
  problems: string[]
}

/** What one file takes from `undici`. */
function undiciUse(file: string, code: string): Use {
  const where = path.relative(REPO_ROOT, file)
  const names: Use['names'] = []
  const problems: string[] = []
  const covered: [number, number][] = []
  const add = (name: string) => names.push({ name, where })
  const forms: { pattern: RegExp; take: (match: RegExpMatchArray) => void }[] = [
    // import { A, B as C } from 'undici'; import D, { … } from 'undici'; export { A } from 'undici'
    {
      pattern: new RegExp(String.raw`\b(?:import|export)\s*(?:(\w+)\s*,\s*)?\{([^}]*)\}\s*from\s*${UNDICI}`, 'g'),
      take: (m) => {
        if (m[1]) add('default')
        namesIn(m[2]!, /\s+as\s+/).forEach(add)
      },
    },
    // import D from 'undici'
    { pattern: new RegExp(String.raw`\bimport\s+(\w+)\s+from\s*${UNDICI}`, 'g'), take: () => add('default') },
    // const { A, B: C } = require('undici')
    {
      pattern: new RegExp(String.raw`\b(?:const|let|var)\s*\{([^}]*)\}\s*=\s*require\s*\(\s*${UNDICI}\s*\)`, 'g'),
      take: (m) => namesIn(m[1]!, /\s*:\s*/).forEach(add),
    },
    // require('undici').A
    { pattern: new RegExp(String.raw`\brequire\s*\(\s*${UNDICI}\s*\)\s*\.\s*([\w$]+)`, 'g'), take: (m) => add(m[1]!) },
    // import * as u from 'undici'; const u = require('undici') (tsc's CommonJS: `const undici_1 = require("undici")`)
    {
      pattern: new RegExp(
        String.raw`\bimport\s*\*\s*as\s+([\w$]+)\s+from\s*${UNDICI}|\b(?:const|let|var)\s+([\w$]+)\s*=\s*(?:__importStar\s*\(\s*)?require\s*\(\s*${UNDICI}\s*\)\s*\)?`,
        'g',
      ),
      take: (m) => {
        // The whole module in a variable: servable only if every use reads a member, whose names are then checked.
        const binding = m[1] ?? m[2]!
        const rest = code.slice(0, m.index) + ' '.repeat(m[0].length) + code.slice(m.index! + m[0].length)
        const escaped = binding.replace(/\$/g, '\\$')
        for (const use of rest.matchAll(
          new RegExp(String.raw`(?<![\w$.])${escaped}(?![\w$])(\s*\??\.\s*([\w$]+))?`, 'g'),
        )) {
          if (use[2]) add(use[2])
          else
            problems.push(
              `${where} takes undici as a whole ('${m[0]}', then '${rest.slice(use.index, use.index + 40).split('\n')[0]}'): the shim serves named exports only`,
            )
        }
      },
    },
  ]
  for (const { pattern, take } of forms) {
    for (const match of code.matchAll(pattern)) {
      covered.push([match.index, match.index + match[0].length])
      take(match)
    }
  }
  for (const specifier of code.matchAll(SPECIFIER)) {
    if (covered.some(([start, end]) => specifier.index >= start && specifier.index < end)) continue
    const line = code.slice(0, specifier.index).split('\n').length
    problems.push(
      `${where}:${line} uses undici in a form this test does not recognise (${code.slice(specifier.index, specifier.index + 60).split('\n')[0]}); check that the shim can serve it, then teach the test`,
    )
  }
  return { names, problems }
}

describe('undici-on-demand: the undici every bundled dependency gets', () => {
  it('exports every name the production dependencies import from undici', async () => {
    const names: Use['names'] = []
    const problems: string[] = []
    for (const { dir } of productionPackages(REPO_ROOT)) {
      for (const file of scriptFiles(dir)) {
        const code = readFileSync(file, 'utf8')
        if (!/['"]undici['"]/.test(code)) continue
        const use = undiciUse(file, code)
        names.push(...use.names)
        problems.push(...use.problems)
      }
    }
    expect(problems, 'a dependency uses undici in a way the shim cannot be shown to serve').toEqual([])
    const imported = [...new Set(names.map((n) => n.name))].sort()
    // @actions/http-client (ESM and its CommonJS copy under @actions/github) builds ProxyAgent; @actions/github calls fetch.
    expect(imported).toEqual(expect.arrayContaining(['ProxyAgent', 'fetch']))

    const exported = Object.keys(await freshShim())
    const missing = names.filter((n) => !exported.includes(n.name)).map((n) => `${n.name} (imported by ${n.where})`)
    expect(missing, `src/undici-on-demand.ts must export these (it exports ${exported.join(', ')})`).toEqual([])
  })

  it('the scan reads each import form, and refuses undici taken as a whole', () => {
    const read = (code: string) => {
      const use = undiciUse(path.join(REPO_ROOT, 'x.js'), code)
      return { names: use.names.map((n) => n.name), problems: use.problems.length }
    }
    expect(read(`import { ProxyAgent, fetch as f } from 'undici';`)).toEqual({
      names: ['ProxyAgent', 'fetch'],
      problems: 0,
    })
    expect(read(`import {\n  Agent,\n  request,\n} from "undici"`)).toEqual({
      names: ['Agent', 'request'],
      problems: 0,
    })
    expect(read(`import U from 'undici'`)).toEqual({ names: ['default'], problems: 0 })
    expect(read(`export { Pool } from 'undici'`)).toEqual({ names: ['Pool'], problems: 0 })
    expect(read(`const { Client, fetch: f } = require('undici')`)).toEqual({ names: ['Client', 'fetch'], problems: 0 })
    expect(read(`const fetch = require('undici').fetch`)).toEqual({ names: ['fetch'], problems: 0 })
    // tsc's CommonJS output (the @actions/http-client 3 under @actions/github): every use reads a member.
    expect(read(`const undici_1 = require("undici");\nnew undici_1.ProxyAgent({});`)).toEqual({
      names: ['ProxyAgent'],
      problems: 0,
    })
    expect(read(`import * as u from 'undici'; u.fetch(x)`)).toEqual({ names: ['fetch'], problems: 0 })
    // The module object itself escaping, or forms the scan cannot follow: the test fails and says where.
    expect(read(`import * as u from 'undici'; use(u)`).problems).toBe(1)
    expect(read(`const u = require('undici'); module.exports = u`).problems).toBe(1)
    expect(read(`require('undici')`).problems).toBe(1)
    expect(read(`export * from 'undici'`).problems).toBe(1)
    expect(read(`const u = await import('undici')`).problems).toBe(1)
  })

  it('ProxyAgent before loadUndici() throws an error that says to await loadUndici()', async () => {
    const { ProxyAgent, loadUndici } = await freshShim()
    expect(() => ProxyAgent({ uri: 'http://127.0.0.1:9' })).toThrow(/await loadUndici\(\)/)
    await loadUndici()
    const agent = ProxyAgent({ uri: 'http://127.0.0.1:9' })
    await agent.close()
  })

  describe('against loopback servers', () => {
    let origin: string
    let port: number
    let server: Server
    let proxy: Server
    let proxyUrl: string
    const tunnels: string[] = []
    const sockets = new Set<net.Socket>()

    beforeAll(async () => {
      server = createServer((req, res) => {
        res.writeHead(200, { 'content-type': 'text/plain', 'x-path': req.url ?? '' })
        res.end(`hello from ${req.method} ${req.url}`)
      })
      // A CONNECT proxy: records each tunnel's target and pipes bytes to it (loopback only).
      proxy = createServer((_req, res) => {
        res.writeHead(405).end()
      })
      proxy.on('connect', (req, client: net.Socket, head: Buffer) => {
        tunnels.push(`${req.method} ${req.url}`)
        sockets.add(client)
        const [host, targetPort] = (req.url ?? '').split(':')
        if (host !== '127.0.0.1') {
          client.end('HTTP/1.1 403 Forbidden\r\n\r\n')
          return
        }
        const upstream = net.connect(Number(targetPort), '127.0.0.1', () => {
          client.write('HTTP/1.1 200 Connection Established\r\n\r\n')
          if (head.length > 0) upstream.write(head)
          upstream.pipe(client)
          client.pipe(upstream)
        })
        sockets.add(upstream)
        const end = () => {
          client.destroy()
          upstream.destroy()
        }
        upstream.on('error', end)
        client.on('error', end)
        upstream.on('close', end)
        client.on('close', end)
      })
      const listen = (s: Server) =>
        new Promise<number>((resolve) => s.listen(0, '127.0.0.1', () => resolve((s.address() as AddressInfo).port)))
      port = await listen(server)
      origin = `http://127.0.0.1:${port}`
      proxyUrl = `http://127.0.0.1:${await listen(proxy)}`
    })

    afterAll(async () => {
      for (const socket of sockets) socket.destroy()
      const close = (s: Server) =>
        new Promise<void>((resolve) => {
          s.close(() => resolve())
          s.closeAllConnections()
        })
      await Promise.all([close(server), close(proxy)])
    })

    it("after loadUndici(), new ProxyAgent() is undici's own agent, and the shim's fetch goes through it to the server", async () => {
      const { ProxyAgent, fetch, loadUndici } = await freshShim()
      await loadUndici()
      // Used as http-client uses it: `new ProxyAgent(options)`. The shim is a function that returns undici's agent.
      const ShimProxyAgent = ProxyAgent as unknown as typeof RealProxyAgent
      expect(ShimProxyAgent).not.toBe(RealProxyAgent)
      const agent = new ShimProxyAgent({ uri: proxyUrl })
      try {
        expect(agent).toBeInstanceOf(RealProxyAgent)
        const response = await fetch(`${origin}/through-proxy?x=1`, { dispatcher: agent })
        expect(response.status).toBe(200)
        expect(response.headers.get('x-path')).toBe('/through-proxy?x=1')
        expect(await response.text()).toBe('hello from GET /through-proxy?x=1')
        expect(tunnels).toEqual([`CONNECT 127.0.0.1:${port}`])
      } finally {
        await agent.close()
      }
    })

    it('fetch without a dispatcher loads undici on its first call and reaches the server directly', async () => {
      const { fetch } = await freshShim()
      const before = tunnels.length
      const response = await fetch(`${origin}/direct`, { method: 'POST', body: 'x' })
      expect(response.status).toBe(200)
      expect(await response.text()).toBe('hello from POST /direct')
      expect(tunnels).toHaveLength(before)
    })
  })
})
