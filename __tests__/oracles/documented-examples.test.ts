/**
 * Oracle for the providers without an official client (Qoder, Aieev): each provider page's own
 * example request body, copied into __tests__/oracles/fixtures/ as the page prints it, is given to the
 * action as its `payload-file`, and must go out unchanged (the page's JSON, compactly serialised, byte
 * for byte: same keys, same order, same values) with the page's method, path and headers. The action
 * runs in process against the provider's emulator, which records the request.
 *
 * Headers the pages document are compared by value; the others the action sends (`User-Agent`,
 * `Accept`, Qoder's `Idempotency-Key` from its idempotency page) are allowed, since neither page
 * forbids them.
 */
import { readFileSync } from 'node:fs'
import path from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import type { RecordedRequest } from '../emulators/base.ts'
import { seededAieev, seededQoder } from '../emulators/seeded.ts'
import { REPO_ROOT } from '../helpers/run-action.ts'
import { runInProcess } from './in-process.ts'

interface Example {
  provider: 'qoder' | 'aieev'
  /** The page the body was copied from, and where in it. */
  source: string
  fixture: string
  method: string
  /** The page's path template with the seeded resource's id filled in. */
  path: (id: string) => string
  /** The headers the page's request example sends, `{token}` standing for the credential. */
  headers: Record<string, string>
}

const EXAMPLES: Example[] = [
  {
    provider: 'qoder',
    source:
      'Qoder "Update a deployment", https://docs.qoder.com/cloud-agents/api/deployments/update (copied from its ' +
      'Japanese edition, "リクエスト例", the curl -d body; the Chinese edition shows the same body). providers.md 1.3.',
    fixture: 'qoder-update-deployment.json',
    method: 'POST',
    path: (id) => `/api/v1/cloud/deployments/${id}`,
    headers: { authorization: 'Bearer {token}', 'content-type': 'application/json' },
  },
  {
    provider: 'aieev',
    source:
      'Aieev "Patch endpoint settings", https://docs.aieev.com/api-reference/endpoint/patch-endpoint (copied from ' +
      'its Korean edition, "엔드포인트 설정 수정", the curl --data body). providers.md 4.',
    fixture: 'aieev-patch-endpoint.json',
    method: 'PATCH',
    path: (id) => `/external/api/v1/endpoints/${id}`,
    headers: { authorization: 'Bearer {token}', 'content-type': 'application/json' },
  },
]

let close: (() => Promise<void>) | undefined
afterEach(async () => {
  await close?.()
  close = undefined
})

describe("the provider pages' example request bodies go out as the pages show them", () => {
  it.each(EXAMPLES)('$provider: $fixture ($method)', async (example) => {
    const seeded = example.provider === 'qoder' ? await seededQoder() : await seededAieev({ asyncMs: 100 })
    close = seeded.close
    const fixture = path.join('__tests__', 'oracles', 'fixtures', example.fixture)
    const run = await runInProcess(
      { ...seeded.inputs, 'payload-file': fixture, timeout: '20s' },
      { GITHUB_WORKSPACE: REPO_ROOT },
    )
    expect(run.problems, run.log.join('\n')).toEqual([])
    expect(run.outcomes.map((o) => o.status)).toEqual(['succeeded'])

    const id = seeded.inputs.target!
    const writes: RecordedRequest[] = seeded.emulator.requestsTo(example.method, example.path(id))
    expect(writes.length, `${example.method} ${example.path(id)}`).toBe(1)
    const [write] = writes
    const page = readFileSync(path.join(REPO_ROOT, fixture), 'utf8')
    expect(write!.body).toBe(JSON.stringify(JSON.parse(page)))
    expect(write!.url.search).toBe('')
    for (const [name, value] of Object.entries(example.headers))
      expect(write!.headers[name], name).toBe(value.replace('{token}', seeded.inputs.token!))
  })
})
