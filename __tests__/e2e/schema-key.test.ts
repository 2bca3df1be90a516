/**
 * End to end on dist/index.js (issue 15): a top-level `$schema` key, which is how JSON editors
 * attach a schema to a file, is accepted in a payload and never sent; one that is not a string is
 * refused before any request, on its line.
 */
import { afterAll, afterEach, describe, expect, it } from 'vitest'
import { QoderEmulator } from '../emulators/qoder.ts'
import { KintoneEmulator } from '../emulators/kintone.ts'
import { cleanupRuns, runAction } from '../helpers/run-action.ts'

const TOKEN = 'pt-schema-0123456789abcdef'
const KINTONE_TOKEN = 'SchemaKintoneToken0123456789'
const SCHEMA = 'https://raw.githubusercontent.com/OWNER/deploy-patch/v1/schemas/qoder.json'

const closers: (() => Promise<void>)[] = []
afterEach(async () => {
  await Promise.all(closers.splice(0).map((close) => close()))
})
afterAll(() => cleanupRuns())

async function qoder() {
  const emu = new QoderEmulator({ tokens: [TOKEN] })
  await emu.start()
  closers.push(() => emu.close())
  const dep = emu.seed({ name: 'nightly-report' })
  return { emu, dep, inputs: { provider: 'qoder', target: dep.id, token: TOKEN, 'base-url': emu.origin } }
}

describe('a top-level $schema key', () => {
  it.each([
    ['JSON', 'deploy/qoder.json', `{\n  "$schema": "${SCHEMA}",\n  "name": "with-schema"\n}\n`],
    ['YAML', 'deploy/qoder.yaml', `$schema: ${SCHEMA}\nname: with-schema\n`],
  ])('%s: is accepted and not sent: the write on the wire holds only the update', async (_format, file, text) => {
    const { emu, dep, inputs } = await qoder()
    const run = await runAction({ inputs: { ...inputs, 'payload-file': file }, files: { [file]: text } })
    expect(run.code, run.stdout + run.stderr).toBe(0)
    const writes = emu.requestsTo('POST', /^\/api\/v1\/cloud\/deployments\/dep_[0-9a-f]+$/)
    expect(writes).toHaveLength(1)
    expect(JSON.parse(writes[0]!.body)).toEqual({ name: 'with-schema' })
    expect(emu.appliedUpdates(dep.id)).toBe(1)
    expect(JSON.parse(run.outputs.changes!)).toEqual(['name'])
  })

  it('is not in the request a dry run shows, for a provider whose payload is otherwise empty (kintone)', async () => {
    const emu = new KintoneEmulator({ apiTokens: { [KINTONE_TOKEN]: { apps: [11], appManagement: true } } })
    await emu.start()
    closers.push(() => emu.close())
    emu.addApp(11, { revision: 3 })
    const withFile = await runAction({
      inputs: {
        provider: 'kintone',
        target: '11',
        token: KINTONE_TOKEN,
        'base-url': emu.origin,
        'dry-run': 'true',
        'payload-file': 'deploy/kintone.json',
      },
      files: { 'deploy/kintone.json': `{"$schema": "./schemas/kintone.json"}` },
    })
    expect(withFile.code, withFile.stdout + withFile.stderr).toBe(0)
    expect(withFile.outputs.status).toBe('dry-run')
    expect(withFile.summary).not.toContain('$schema')
    expect(emu.requests.filter((r) => r.method === 'POST' && r.path.endsWith('/preview/app/deploy.json'))).toEqual([])
  })

  it('that is not a string is refused on its line, before any request', async () => {
    const { emu, inputs } = await qoder()
    const run = await runAction({
      inputs: { ...inputs, 'payload-file': 'deploy/qoder.yaml' },
      files: { 'deploy/qoder.yaml': 'name: x\n$schema:\n  url: nope\n' },
    })
    expect(run.code).toBe(1)
    expect(run.outputs['error-type']).toBe('validation')
    expect(run.outputs['error-message']).toContain("'$schema' names the JSON Schema an editor checks this file with")
    expect(
      run.commands.some(
        (a) => a.command === 'error' && a.properties.file === 'deploy/qoder.yaml' && a.properties.line === '2',
      ),
    ).toBe(true)
    expect(emu.requests).toHaveLength(0)
  })
})
