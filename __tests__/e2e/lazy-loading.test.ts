/**
 * End to end: a run pays only for what it uses, proven on the committed dist/. The budget (from
 * the project issue): a JSON payload does not load the YAML parser, a run without
 * github-environment never loads Octokit, and no provider module's dependencies load for another
 * provider. Since undici is only needed by Octokit's fetch, it loads only with Octokit. The plan
 * comment's code loads only for a pull request's dry run that writes one, and the rollback's only
 * with `on-failure: rollback`.
 *
 * How: every lazily loaded chunk of dist/ is recognised by a string only its code has. Each
 * scenario runs a copy of dist/ that keeps index.js, package.json and only the chunks that
 * scenario may use. A run that imported a missing chunk would fail (or, for the GitHub record,
 * warn), so a clean success proves the other chunks were never loaded.
 */
import { copyFile, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { AieevEmulator } from '../emulators/aieev.ts'
import { GitHubEmulator } from '../emulators/github.ts'
import { RtsEmulator } from '../emulators/huaweicloud-rts.ts'
import { KintoneEmulator } from '../emulators/kintone.ts'
import { QoderEmulator } from '../emulators/qoder.ts'
import { cleanupRuns, REPO_ROOT, runAction, type ActionRun, type RunOptions } from '../helpers/run-action.ts'

const DIST = path.join(REPO_ROOT, 'dist')

/**
 * What marks each chunk: strings the code needs at run time, so minification keeps them (no
 * comments, no local names). API paths and the signing scheme for providers; the name yaml gives
 * its parse errors (a string literal and an export name); Octokit's user agent; undici's error codes;
 * the plan comment's marker; the words of the rollback's deadline.
 */
const MARKERS = {
  qoder: '/api/v1/cloud',
  kintone: '/preview/app/deploy.json',
  aieev: '/external/api/v1',
  'huaweicloud-rts': 'SDK-HMAC-SHA256',
  yaml: 'YAMLParseError',
  octokit: 'octokit-core.js',
  undici: 'UND_ERR_',
  'pr-comment': 'deploy-patch plan ${',
  rollback: "The rollback's time budget",
} as const
type Kind = keyof typeof MARKERS
const KINDS = Object.keys(MARKERS) as Kind[]

/** Chunk file (e.g. `900.index.js`) of each kind, filled by the classification test. */
const chunkOf = new Map<Kind, string>()
const temps: string[] = []

/**
 * Chunks the entry loads together with a chunk (`Promise.all([r.e(814), r.e(441)])`): webpack puts a
 * large dependency of one lazy module (croner, for Qoder) in a vendor chunk of its own once the
 * module passes its split threshold, and loads both at once. Filled by beforeAll.
 */
const loadedWith = new Map<string, string[]>()

/** The chunk files the entry loads together, from its `Promise.all([x.e(id), …])` calls. */
function chunkGroups(entry: string): string[][] {
  return [...entry.matchAll(/Promise\.all\(\[((?:\w+\.e\(\d+\),?)+)\]\)/g)].map((match) =>
    [...(match[1] ?? '').matchAll(/\.e\((\d+)\)/g)].map((id) => `${id[1]}.index.js`),
  )
}

beforeAll(async () => {
  const files = await readdir(DIST)
  const chunks = files.filter((f) => /^\d+\.index\.js$/.test(f))
  for (const chunk of chunks) {
    const code = await readFile(path.join(DIST, chunk), 'utf8')
    const kinds = KINDS.filter((kind) => code.includes(MARKERS[kind]))
    if (kinds.length === 1) chunkOf.set(kinds[0]!, chunk)
  }
  for (const group of chunkGroups(await readFile(path.join(DIST, 'index.js'), 'utf8'))) {
    for (const chunk of group)
      loadedWith.set(chunk, [...(loadedWith.get(chunk) ?? []), ...group.filter((c) => c !== chunk)])
  }
})
afterAll(async () => {
  await cleanupRuns()
  await Promise.all(temps.map((dir) => rm(dir, { recursive: true, force: true })))
})

/** A copy of dist/ with the entry and only the chunks of `kinds`. */
async function distWith(kinds: readonly Kind[]): Promise<string> {
  const copy = await mkdtemp(path.join(os.tmpdir(), 'deploy-patch-lazy-'))
  temps.push(copy)
  const own = kinds.map((kind) => chunkOf.get(kind)!)
  // With each kind's chunk, the vendor chunks the entry always loads together with it.
  const keep = [
    'index.js',
    'package.json',
    ...new Set(own.flatMap((chunk) => [chunk, ...(loadedWith.get(chunk) ?? [])])),
  ]
  for (const file of keep) await copyFile(path.join(DIST, file), path.join(copy, file))
  return copy
}

describe('dist/ chunks', () => {
  it('each chunk is exactly one kind, each kind exactly one chunk, and the entry has none of them', async () => {
    const chunks = (await readdir(DIST)).filter((f) => /^\d+\.index\.js$/.test(f)).sort()
    const kindsOf: Record<string, Kind[]> = {}
    for (const chunk of chunks) {
      const code = await readFile(path.join(DIST, chunk), 'utf8')
      kindsOf[chunk] = KINDS.filter((kind) => code.includes(MARKERS[kind]))
    }
    // A chunk with no kind is code something loads that no scenario below accounts for, unless it is
    // a vendor chunk the entry loads only together with one kind's chunk; two kinds, a split that merged.
    const vendorOf = (chunk: string): Kind[] =>
      (loadedWith.get(chunk) ?? []).flatMap((other) => (kindsOf[other]?.length === 1 ? kindsOf[other] : []))
    expect(
      Object.entries(kindsOf).filter(
        ([chunk, kinds]) => kinds.length !== 1 && !(kinds.length === 0 && vendorOf(chunk).length === 1),
      ),
    ).toEqual([])
    const grouped = chunkGroups(await readFile(path.join(DIST, 'index.js'), 'utf8'))
    expect(grouped.every((group) => group.every((chunk) => chunk in kindsOf))).toBe(true)
    expect(Object.values(kindsOf).flat().sort()).toEqual([...KINDS].sort())
    const entry = await readFile(path.join(DIST, 'index.js'), 'utf8')
    expect(KINDS.filter((kind) => entry.includes(MARKERS[kind]))).toEqual([])
  })
})

interface Started {
  options: RunOptions
  /** The status the run ends with: `succeeded` unless a dry run. */
  status?: 'dry-run'
  /** The provider (and GitHub) state proving the run really did its work. */
  verify(result: ActionRun): void
  close(): Promise<void>
}

interface Scenario {
  name: string
  chunks: Kind[]
  start: () => Promise<Started>
}

const QODER_TOKEN = 'pt-e2e-0123456789abcdef'
const GH_TOKEN = 'ghs_E2eDeploymentsToken00000000000000000'

/** Qoder renaming a deployment, the payload inline or as a YAML workspace file; with a GitHub emulator, recording a deployment too. */
async function qoder(payload: { inline: string } | { yamlFile: string }, github?: GitHubEmulator): Promise<Started> {
  const emu = new QoderEmulator({ tokens: [QODER_TOKEN] })
  await emu.start()
  const dep = emu.seed({ name: 'nightly-report' })
  const inputs: Record<string, string> = {
    provider: 'qoder',
    target: dep.id,
    token: QODER_TOKEN,
    'base-url': emu.origin,
  }
  const options: RunOptions = { inputs }
  if ('inline' in payload) inputs.payload = payload.inline
  else {
    inputs['payload-file'] = 'deploy/qoder.yaml'
    options.files = { 'deploy/qoder.yaml': payload.yamlFile }
  }
  if (github) {
    await github.start()
    Object.assign(inputs, { 'github-environment': 'production', 'github-token': GH_TOKEN })
    options.env = { GITHUB_API_URL: github.apiUrl }
  }
  return {
    options,
    verify: () => {
      expect(emu.appliedUpdates(dep.id)).toBe(1)
      expect(emu.stored(dep.id)!.name).toBe('nightly-report-v2')
      if (github) {
        const [deployment, ...others] = github.deployments()
        expect(others).toEqual([])
        expect(deployment).toMatchObject({ environment: 'production', createdWith: GH_TOKEN })
        expect(github.states(deployment!.id)).toEqual(['in_progress', 'success'])
      }
    },
    close: async () => {
      await Promise.all([emu.close(), github?.close()])
    },
  }
}

/** A Qoder dry run on a pull_request event: with `pr-comment` on, the plan is commented (Octokit loads); off, it is not. */
async function qoderPlanOnPullRequest(prComment: 'auto' | 'false'): Promise<Started> {
  const emu = new QoderEmulator({ tokens: [QODER_TOKEN] })
  const github = new GitHubEmulator({ tokens: [GH_TOKEN] })
  await Promise.all([emu.start(), github.start()])
  const dep = emu.seed({ name: 'nightly-report' })
  const dir = await mkdtemp(path.join(os.tmpdir(), 'deploy-patch-event-'))
  temps.push(dir)
  await writeFile(path.join(dir, 'event.json'), JSON.stringify({ pull_request: { number: 7 } }))
  return {
    status: 'dry-run',
    options: {
      inputs: {
        provider: 'qoder',
        payload: '{"name": "nightly-report-v2"}',
        target: dep.id,
        token: QODER_TOKEN,
        'base-url': emu.origin,
        'dry-run': 'true',
        'github-token': GH_TOKEN,
        'pr-comment': prComment,
      },
      env: {
        GITHUB_API_URL: github.apiUrl,
        GITHUB_EVENT_NAME: 'pull_request',
        GITHUB_EVENT_PATH: path.join(dir, 'event.json'),
      },
    },
    verify: () => {
      expect(github.comments(7)).toHaveLength(prComment === 'auto' ? 1 : 0)
    },
    close: async () => {
      await Promise.all([emu.close(), github.close()])
    },
  }
}

const SCENARIOS: Scenario[] = [
  {
    name: 'Qoder with an inline JSON payload',
    chunks: ['qoder'],
    start: () => qoder({ inline: '{"name": "nightly-report-v2"}' }),
  },
  {
    name: 'Qoder with a YAML payload file',
    chunks: ['qoder', 'yaml'],
    start: () => qoder({ yamlFile: 'name: nightly-report-v2\n' }),
  },
  {
    name: 'kintone deploying apps 1, 2 and 3 (no payload)',
    chunks: ['kintone'],
    start: async () => {
      const token = 'kTokenForApps1to3abcdef0123456789'
      const emu = new KintoneEmulator({
        apiTokens: { [token]: { apps: [1, 2, 3], appManagement: true } },
        deployMs: 100,
      })
      await emu.start()
      for (const app of [1, 2, 3]) emu.addApp(app, { revision: 5 })
      return {
        options: {
          inputs: { provider: 'kintone', target: '1,2,3', token, 'base-url': emu.origin, 'poll-interval': '100ms' },
        },
        verify: () => {
          expect(emu.deploysApplied()).toBe(1)
          for (const app of [1, 2, 3]) expect(emu.deployedRevision(app)).toBe(5)
        },
        close: () => emu.close(),
      }
    },
  },
  {
    name: 'Aieev with an inline JSON payload',
    chunks: ['aieev'],
    start: async () => {
      const key = 'aieev-e2e-key-0123456789'
      const emu = new AieevEmulator({ keys: [key], startMs: 100 })
      await emu.start()
      const endpoint = emu.seed()
      return {
        options: {
          inputs: {
            provider: 'aieev',
            payload: '{"container_port": 9090}',
            target: endpoint.endpoint_id,
            token: key,
            'base-url': emu.origin,
            'poll-interval': '100ms',
          },
        },
        verify: () => {
          expect(emu.appliedPatches(endpoint.endpoint_id)).toBe(1)
          expect(emu.stored(endpoint.endpoint_id)).toMatchObject({ is_active: true, container_port: 9090 })
        },
        close: () => emu.close(),
      }
    },
  },
  {
    name: 'Aieev with on-failure: rollback and a known-good payload (the release succeeds)',
    chunks: ['aieev', 'rollback'],
    start: async () => {
      const key = 'aieev-e2e-key-0123456789'
      const emu = new AieevEmulator({ keys: [key], startMs: 100 })
      await emu.start()
      const endpoint = emu.seed({ container_port: 8080 })
      return {
        options: {
          inputs: {
            provider: 'aieev',
            payload: '{"container_port": 9090}',
            target: endpoint.endpoint_id,
            token: key,
            'base-url': emu.origin,
            'poll-interval': '100ms',
            'on-failure': 'rollback',
            'rollback-payload': '{"container_port": 8080}',
          },
        },
        verify: () => {
          expect(emu.appliedPatches(endpoint.endpoint_id)).toBe(1)
          expect(emu.stored(endpoint.endpoint_id)).toMatchObject({ is_active: true, container_port: 9090 })
        },
        close: () => emu.close(),
      }
    },
  },
  {
    name: 'Huawei Cloud RTS with AK/SK and an inline JSON payload',
    chunks: ['huaweicloud-rts'],
    start: async () => {
      const project = '0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e'
      const ak = 'HPUAE2EACCESSKEY0001'
      const sk = 'e2e/secret+key=abcdef0123456789'
      const emu = new RtsEmulator({ projectId: project, keys: { [ak]: { sk } }, settleMs: 100 })
      await emu.start()
      const dep = emu.seed()
      const configId = crypto.randomUUID()
      const payload = JSON.stringify({
        config_id: configId,
        status: 'IN_PROGRESS',
        action: 'UPDATE',
        input_values: { release: 'v2.0.0' },
      })
      return {
        options: {
          inputs: {
            provider: 'huaweicloud-rts',
            payload,
            target: dep.id,
            'access-key': ak,
            'secret-key': sk,
            region: 'cn-north-4',
            'project-id': project,
            'base-url': emu.origin,
            'poll-interval': '100ms',
          },
        },
        verify: () => {
          expect(emu.authFailures).toEqual([])
          expect(emu.appliedUpdates(dep.id)).toBe(1)
          expect(emu.stored(dep.id)).toMatchObject({ config_id: configId, status: 'COMPLETE' })
        },
        close: () => emu.close(),
      }
    },
  },
  {
    name: 'Qoder recording a GitHub deployment (github-environment)',
    chunks: ['qoder', 'octokit', 'undici'],
    start: () => qoder({ inline: '{"name": "nightly-report-v2"}' }, new GitHubEmulator({ tokens: [GH_TOKEN] })),
  },
  {
    name: "Qoder's dry run on a pull request, the plan commented (pr-comment: auto)",
    chunks: ['qoder', 'pr-comment', 'octokit', 'undici'],
    start: () => qoderPlanOnPullRequest('auto'),
  },
  {
    name: "Qoder's dry run on a pull request with pr-comment: false",
    chunks: ['qoder'],
    start: () => qoderPlanOnPullRequest('false'),
  },
]

describe('a run loads only the chunks it needs', () => {
  it.each(SCENARIOS)('$name: runs with only $chunks', async ({ chunks, start }) => {
    expect(
      chunks.filter((kind) => !chunkOf.has(kind)),
      'chunks not found in dist/ (see the classification test)',
    ).toEqual([])
    const copy = await distWith(chunks)
    const started = await start()
    try {
      const result = await runAction({ ...started.options, entry: path.join(copy, 'index.js') })
      const context = `stdout:\n${result.stdout}\nstderr:\n${result.stderr}`
      expect(result.code, context).toBe(0)
      expect(result.stderr).toBe('')
      expect(result.outputs.status).toBe(started.status ?? 'succeeded')
      // A warning could be a chunk that failed to load and was tolerated (the GitHub record does that).
      expect(result.commands.filter((c) => c.command === 'warning' || c.command === 'error')).toEqual([])
      started.verify(result)
    } finally {
      await started.close()
    }
  })
})

describe('builtins a plain run never loads', () => {
  /**
   * A preload (NODE_OPTIONS) writes `process.moduleLoadList`, Node's own record of every builtin
   * it loaded, when the run exits. A builtin that only some runs need costs every start when it is
   * imported at the top of the entry: node:zlib, for example, is needed only to decode an answer
   * with a Content-Encoding, which no emulator sends unasked.
   */
  it('a Qoder update with an inline JSON payload over http:// never loads node:zlib', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'deploy-patch-builtins-'))
    temps.push(dir)
    const probe = path.join(dir, 'probe.cjs')
    const list = path.join(dir, 'modules.txt')
    await writeFile(
      probe,
      `process.on('exit', () => require('node:fs').writeFileSync(${JSON.stringify(list)}, process.moduleLoadList.join('\\n')))\n`,
    )
    const started = await qoder({ inline: '{"name": "nightly-report-v2"}' })
    try {
      const result = await runAction({ ...started.options, env: { NODE_OPTIONS: `--require ${probe}` } })
      expect(result.code, `stdout:\n${result.stdout}\nstderr:\n${result.stderr}`).toBe(0)
      started.verify(result)
      const loaded = (await readFile(list, 'utf8')).split('\n')
      // The probe sees what the run loads: the two requests went over node:http.
      expect(loaded).toContain('NativeModule http')
      expect(loaded).not.toContain('NativeModule zlib')
    } finally {
      await started.close()
    }
  })
})
