/**
 * A fifth provider is one file and one registry entry (issue 14): the "notes" provider of
 * helpers/tiny-provider.ts, added with `registerProvider` exactly as one more line of the registry's
 * table would add it, runs end to end through `run()` of src/main.ts — inputs from the runner's
 * INPUT_ variables, outputs and summary from the runner's files — against a loopback server.
 * Nothing else in src/ knows it.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, expect, it, vi } from 'vitest'
import { run } from '../src/main.js'
import { registerProvider } from '../src/providers/registry.js'
import { actionDefaults, inputEnvName, parseOutputFile } from './helpers/run-action.ts'
import { startTinyServer, type TinyServer } from './helpers/tiny-server.ts'

const KEY = 'notes-key-0123456789abcdef'

let server: TinyServer
let temp: string
const stored = new Map([['n-1', { id: 'n-1', text: 'draft', state: 'open' }]])

beforeAll(async () => {
  registerProvider('notes', { load: async () => (await import('./helpers/tiny-provider.ts')).notes })
  server = await startTinyServer((req, res) => {
    const note = stored.get(decodeURIComponent(req.url.replace(/^\/v1\/notes\//, '')))
    const answer = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json', 'x-request-id': `req-${req.method}` })
      res.end(JSON.stringify(body))
    }
    if (req.headers.authorization !== `Bearer ${KEY}`) return answer(401, { error: 'unknown key' })
    if (!note) return answer(404, { error: 'no such note' })
    if (req.method === 'PATCH') Object.assign(note, JSON.parse(req.body) as object)
    answer(200, note)
  })
  temp = await mkdtemp(path.join(os.tmpdir(), 'deploy-patch-fifth-'))
})

afterAll(async () => {
  vi.unstubAllEnvs()
  await server.close()
  await rm(temp, { recursive: true, force: true })
})

it('runs a registered fifth provider through main, with real outputs and summary', async () => {
  const files = { output: path.join(temp, 'output'), summary: path.join(temp, 'summary') }
  await Promise.all([writeFile(files.output, ''), writeFile(files.summary, '')])
  const inputs: Record<string, string> = {
    ...actionDefaults(),
    provider: 'notes',
    target: 'n-1',
    payload: '{"text": "final"}',
    token: KEY,
    'base-url': server.origin,
  }
  for (const [name, value] of Object.entries(inputs)) vi.stubEnv(inputEnvName(name), value)
  vi.stubEnv('GITHUB_OUTPUT', files.output)
  vi.stubEnv('GITHUB_STEP_SUMMARY', files.summary)
  vi.stubEnv('GITHUB_WORKSPACE', temp)
  vi.stubEnv('RUNNER_TEMP', temp)
  const log: string[] = []
  const write = vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
    log.push(String(chunk))
    return true
  })
  const exitCode = process.exitCode
  try {
    await run()
  } finally {
    write.mockRestore()
  }
  expect(process.exitCode).toBe(exitCode)

  const outputs = parseOutputFile(await readFile(files.output, 'utf8'))
  expect(outputs).toMatchObject({
    status: 'succeeded',
    'resource-id': 'n-1',
    changed: 'true',
    'provider-status': 'open',
    'http-status': '200',
    'request-id': 'req-PATCH',
  })
  expect(JSON.parse(outputs.changes!)).toEqual(['text'])
  expect(JSON.parse(outputs.resource!)).toEqual({ id: 'n-1', text: 'final', state: 'open' })
  expect(stored.get('n-1')!.text).toBe('final')
  expect(server.requests.map((r) => `${r.method} ${r.url}`)).toEqual(['GET /v1/notes/n-1', 'PATCH /v1/notes/n-1'])
  expect(await readFile(files.summary, 'utf8')).toContain('n-1')
  // The key reaches stdout only in the commands that register it (and the header holding it) as secrets.
  const lines = log.join('').split('\n')
  expect(lines.filter((line) => line.includes(KEY) && !line.startsWith('::add-mask::'))).toEqual([])
})
