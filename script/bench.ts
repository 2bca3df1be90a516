/**
 * `npm run bench`: what deploy-patch costs a workflow, measured in one run, side by side with
 * reference points, and checked against the budget. Not part of `npm test`: it takes about two
 * minutes and wants a quiet machine. Prints a table, then the same figures as JSON.
 *
 *   cold start  the committed dist/index.js doing one Qoder update (GET before, POST, summary)
 *               as the runner starts it, vs a toolkit floor (an ncc bundle that only imports
 *               @actions/core and logs a line) and bare `node -e ''`, interleaved
 *   size        bytes of dist/ JavaScript, and which packages take most of it
 *   memory      peak RSS of that Qoder run
 *   waiting     kintone deploys finishing 0.5 s, 2 s, 10 s, 30 s after they are requested:
 *               status reads and detection delay, vs a fixed 1 s poller
 *   scale       one 300-app kintone deploy; 50 Qoder targets at concurrency 1, 4, 8 with every
 *               answer 200 ms late
 *   large YAML  parsePayload in process on 0.6 MB (40,000 keys) and 4 MB (40,000 long values;
 *               190,000 short keys) YAML payloads and a 3.2 MB JSON one: wall time, and the longest the event loop was
 *               blocked (what a SIGTERM or the deadline can wait for). `--yaml` runs only this.
 */
import { spawn, spawnSync } from 'node:child_process'
import { registerHooks } from 'node:module'
import { monitorEventLoopDelay } from 'node:perf_hooks'
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { seededKintone, seededQoder } from '../__tests__/emulators/seeded.ts'
import { actionDefaults, inputEnvName } from '../__tests__/helpers/run-action.ts'

const ROOT = fileURLToPath(new URL('..', import.meta.url))
const DIST = path.join(ROOT, 'dist')
const CACHE = path.join(ROOT, 'node_modules', '.cache', 'deploy-patch-bench')
const COLD_RUNS = Number(process.env.BENCH_COLD_RUNS ?? 21)
const QUICK = process.argv.includes('--quick') // skips the 10 s and 30 s waits, for trying the script out
const ONLY_YAML = process.argv.includes('--yaml')

interface Timed {
  ms: number
  code: number | null
  stdout: string
  maxRssKb?: number
}

/** Start `node args` with `env` and wait for it; wall time from spawn to exit. */
function timed(args: string[], env: NodeJS.ProcessEnv): Promise<Timed> {
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint()
    const child = spawn(process.execPath, args, { env, stdio: ['ignore', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()))
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()))
    child.on('error', reject)
    child.on('close', (code) => {
      const ms = Number(process.hrtime.bigint() - started) / 1e6
      const rss = /maxrss=(\d+)/.exec(stderr)
      resolve({ ms, code, stdout, maxRssKb: rss ? Number(rss[1]) : undefined })
    })
  })
}

/** The runner's environment for one step: INPUT_* (with action.yml's defaults), file commands, temp dirs. */
function runnerEnv(inputs: Record<string, string>): { env: NodeJS.ProcessEnv; dir: string } {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'deploy-patch-bench-'))
  const workspace = path.join(dir, 'workspace')
  const temp = path.join(dir, 'temp')
  mkdirSync(workspace)
  mkdirSync(temp)
  for (const name of ['output', 'summary', 'env', 'state']) writeFileSync(path.join(dir, name), '')
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    GITHUB_ACTIONS: 'true',
    CI: 'true',
    GITHUB_WORKSPACE: workspace,
    RUNNER_TEMP: temp,
    GITHUB_OUTPUT: path.join(dir, 'output'),
    GITHUB_STEP_SUMMARY: path.join(dir, 'summary'),
    GITHUB_ENV: path.join(dir, 'env'),
    GITHUB_STATE: path.join(dir, 'state'),
    GITHUB_REPOSITORY: 'octo/app',
    GITHUB_SHA: 'f'.repeat(40),
  }
  for (const [name, value] of Object.entries({ ...actionDefaults(), ...inputs })) env[inputEnvName(name)] = value
  return { env, dir }
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b)
  const mid = sorted.length >> 1
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2
}
const round = (value: number, digits = 1) => Math.round(value * 10 ** digits) / 10 ** digits

/** An ncc bundle of a file that only imports @actions/core and logs a line: what any toolkit action pays. */
function buildFloor(): string {
  const source = path.join(CACHE, 'floor.mjs')
  const out = path.join(CACHE, 'floor')
  mkdirSync(CACHE, { recursive: true })
  writeFileSync(source, "import * as core from '@actions/core'\ncore.info('hello from the toolkit floor')\n")
  // ncc reads the nearest tsconfig.json up from the entry (and from the working directory): an
  // empty one here keeps the project's (whose paths make undici lazy) out of the floor, which is
  // what a plain toolkit action pays.
  writeFileSync(path.join(CACHE, 'tsconfig.json'), '{}\n')
  const ncc = spawnSync(
    process.execPath,
    [
      path.join(ROOT, 'node_modules', '@vercel', 'ncc', 'dist', 'ncc', 'cli.js'),
      'build',
      source,
      '-o',
      out,
      '--minify',
      '--quiet',
      '--no-cache',
    ],
    { cwd: CACHE, encoding: 'utf8' },
  )
  if (ncc.status !== 0) throw new Error(`could not build the toolkit floor: ${ncc.stderr}`)
  const floor = path.join(
    out,
    readdirSync(out).find((f) => /^index\.m?js$/.test(f))!,
  )
  if (!readFileSync(floor, 'utf8').includes('UND_ERR_'))
    throw new Error('the toolkit floor has no undici in it: it is not what a plain @actions/core action loads')
  return floor
}

async function coldStart() {
  const floor = buildFloor()
  const { emulator, inputs } = await seededQoder()
  // A fresh deployment each run, so every run updates one that has not been updated yet.
  const qoderRun = () =>
    runnerEnv({ ...inputs, payload: '{"name":"bench","metadata":{"run":"1"}}', target: emulator.seed().id })
  const samples = { ours: [] as number[], floor: [] as number[], bare: [] as number[] }
  const dirs: string[] = []
  try {
    // Warm-up: the file cache, not the measurement.
    for (const args of [[path.join(DIST, 'index.js')], [floor], ['-e', '']]) await timed(args, qoderRun().env)
    for (let i = 0; i < COLD_RUNS; i++) {
      const { env, dir } = qoderRun()
      dirs.push(dir)
      const ours = await timed([path.join(DIST, 'index.js')], env)
      if (ours.code !== 0) throw new Error(`the Qoder run failed:\n${ours.stdout}`)
      samples.ours.push(ours.ms)
      samples.floor.push((await timed([floor], env)).ms)
      samples.bare.push((await timed(['-e', ''], env)).ms)
    }
    // Peak memory, from a wrapper that reports the process's own maxRSS as it exits.
    const { env, dir } = qoderRun()
    dirs.push(dir)
    const wrapper = `process.on('exit', () => process.stderr.write('maxrss=' + process.resourceUsage().maxRSS)); import(${JSON.stringify(path.join(DIST, 'index.js'))})`
    const memory = await timed(['-e', wrapper], env)
    const floorMemory = await timed(
      ['-e', wrapper.replace(JSON.stringify(path.join(DIST, 'index.js')), JSON.stringify(floor))],
      env,
    )
    const ours = median(samples.ours)
    const floorMs = median(samples.floor)
    return {
      runs: COLD_RUNS,
      oursMs: round(ours),
      floorMs: round(floorMs),
      bareNodeMs: round(median(samples.bare)),
      ratio: round(ours / floorMs, 3),
      peakRssMb: round((memory.maxRssKb ?? 0) / 1024),
      floorPeakRssMb: round((floorMemory.maxRssKb ?? 0) / 1024),
    }
  } finally {
    await emulator.close()
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true })
  }
}

/** dist/ JavaScript bytes, and the packages that take most of it (from ncc's webpack stats of a fresh build). */
function size() {
  const files = readdirSync(DIST).filter((f) => f.endsWith('.js'))
  const bytes = files.reduce((sum, f) => sum + statSync(path.join(DIST, f)).size, 0)
  const statsDir = path.join(CACHE, 'stats-build')
  const stats = path.join(CACHE, 'stats.json')
  const ncc = spawnSync(
    process.execPath,
    [
      path.join(ROOT, 'node_modules', '@vercel', 'ncc', 'dist', 'ncc', 'cli.js'),
      'build',
      path.join(ROOT, 'src', 'index.ts'),
      '-o',
      statsDir,
      '--minify',
      '--quiet',
      '--no-cache',
      '--stats-out',
      stats,
    ],
    { cwd: ROOT, encoding: 'utf8' },
  )
  if (ncc.status !== 0) throw new Error(`could not build the size statistics: ${ncc.stderr}`)
  const byPackage = new Map<string, number>()
  const walk = (modules: { name?: string; size?: number; modules?: unknown[] }[]) => {
    for (const m of modules) {
      if (m.modules) walk(m.modules as typeof modules)
      else if (m.name && m.size) {
        const pkg =
          /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(m.name)?.[1] ??
          (m.name.includes('/src/') ? '(deploy-patch src)' : '(other)')
        byPackage.set(pkg, (byPackage.get(pkg) ?? 0) + m.size)
      }
    }
  }
  walk((JSON.parse(readFileSync(stats, 'utf8')) as { modules: [] }).modules)
  const top = [...byPackage.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, 8)
    .map(([name, sourceBytes]) => ({ name, sourceBytes }))
  // The entry is what every run loads; the other files are chunks loaded only when a run needs them.
  return {
    files: files.length,
    bytes,
    entryBytes: statSync(path.join(DIST, 'index.js')).size,
    biggest: files
      .map((f) => ({ file: f, bytes: statSync(path.join(DIST, f)).size }))
      .sort((a, b) => b.bytes - a.bytes)
      .slice(0, 3),
    topPackagesBeforeMinify: top,
  }
}

/** `apps` at the kintone emulator's default preview revision (2), as seededKintone takes them. */
function atRevision2(apps: number[]): Record<number, number> {
  return Object.fromEntries(apps.map((app) => [app, 2]))
}

/** One kintone deploy that finishes `deployMs` after it is requested: status reads and detection delay. */
async function waiting(deployMs: number) {
  const { emulator, inputs } = await seededKintone({ apps: atRevision2([1, 2, 3]), asyncMs: deployMs })
  const { env, dir } = runnerEnv(inputs)
  try {
    const started = Date.now()
    const result = await timed([path.join(DIST, 'index.js')], env)
    const ended = started + result.ms
    if (result.code !== 0) throw new Error(`the kintone run failed:\n${result.stdout}`)
    const deploy = emulator
      .requestsTo('POST', '/k/v1/preview/app/deploy.json')
      .find((r) => !r.headers['x-http-method-override'])!
    const reads = emulator.requests.filter(
      (r) => r.path.endsWith('/deploy.json') && r.method === 'GET' && r.at > deploy.at,
    )
    const completedAt = deploy.at + deployMs
    // A fixed 1 s poller reads at 1 s, 2 s, … after the deploy: ceil(T) reads, seen at ceil(T) s.
    const fixedReads = Math.max(1, Math.ceil(deployMs / 1000))
    const delayMs = ended - completedAt
    const budgetMs = Math.min(5_000, Math.max(500, deployMs * 0.25))
    return {
      deploySeconds: deployMs / 1000,
      statusReads: reads.length,
      detectionDelayMs: Math.round(delayMs),
      budgetMs,
      fixedPollerReads: fixedReads,
      fixedPollerDelayMs: fixedReads * 1000 - deployMs,
      pass: delayMs <= budgetMs && (deployMs !== 30_000 || reads.length <= 12),
    }
  } finally {
    await emulator.close()
    rmSync(dir, { recursive: true, force: true })
  }
}

async function scaleKintone() {
  const apps = Array.from({ length: 300 }, (_, i) => 1000 + i)
  const { emulator, inputs } = await seededKintone({ apps: atRevision2(apps), asyncMs: 1_500 })
  const { env, dir } = runnerEnv(inputs)
  try {
    const result = await timed([path.join(DIST, 'index.js')], env)
    if (result.code !== 0) throw new Error(`the 300-app run failed:\n${result.stdout}`)
    const deploys = emulator.requests.filter((r) => r.method === 'POST' && !r.headers['x-http-method-override'])
    const statusReads = emulator.requests.filter(
      (r) => r.method === 'GET' || r.headers['x-http-method-override'] === 'GET',
    )
    const polls = statusReads.filter((r) => r.at > deploys[0]!.at)
    return {
      apps: 300,
      requests: emulator.requests.length,
      deployRequests: deploys.length,
      statusReads: statusReads.length,
      statusRequestsPerPoll: polls.length > 0 ? 1 : 0,
      bytesSent: emulator.requests.reduce(
        (sum, r) => sum + Buffer.byteLength(r.body) + Buffer.byteLength(r.url.pathname + r.url.search),
        0,
      ),
      pass:
        deploys.length === 1 &&
        polls.every(
          (r) =>
            (JSON.parse(r.body || '{"apps":[]}') as { apps: unknown[] }).apps.length === 300 || r.url.search.length > 0,
        ),
    }
  } finally {
    await emulator.close()
    rmSync(dir, { recursive: true, force: true })
  }
}

async function scaleQoder(concurrency: number) {
  const { emulator, inputs } = await seededQoder()
  emulator.inject({ times: Infinity, fault: { kind: 'delay', ms: 200 } })
  const targets = Array.from({ length: 50 }, () => emulator.seed().id)
  const { env, dir } = runnerEnv({
    ...inputs,
    payload: '{"description":"bench"}',
    target: targets.join('\n'),
    concurrency: String(concurrency),
  })
  try {
    const result = await timed([path.join(DIST, 'index.js')], env)
    if (result.code !== 0) throw new Error(`the 50-target run failed:\n${result.stdout}`)
    return { concurrency, wallMs: Math.round(result.ms), applied: emulator.appliedUpdates() }
  } finally {
    await emulator.close()
    rmSync(dir, { recursive: true, force: true })
  }
}

/** A YAML payload of `keys` keys under `metadata`, each value `valueLength` characters long. */
function bigYaml(keys: number, valueLength: number): string {
  const lines = ['name: big-payload', 'metadata:']
  const pad = 'v'.repeat(valueLength)
  for (let i = 0; i < keys; i++) lines.push(`  key_${i}: ${pad}${i}`)
  return `${lines.join('\n')}\n`
}

/** parsePayload as a run does it (with a signal, so it parses in slices): median wall time of 3 runs after a warm-up, and the longest event-loop block. */
async function largeYaml() {
  const cases = [
    { name: '0.6 MB, 40,000 keys', text: bigYaml(40_000, 1) },
    { name: '4 MB, 40,000 long values', text: bigYaml(40_000, 85) },
    { name: '4 MB, 190,000 keys', text: bigYaml(190_000, 1) },
    {
      name: 'JSON 3.2 MB, 150,000 keys',
      text: JSON.stringify({
        name: 'big-payload',
        metadata: Object.fromEntries(Array.from({ length: 150_000 }, (_, i) => [`key_${i}`, `v${i}`])),
      }),
      file: 'big.json',
    },
  ]
  // src/ imports its siblings as './x.js' (for tsc and ncc); Node's type stripping needs './x.ts'.
  registerHooks({
    resolve(specifier, context, nextResolve) {
      if (specifier.startsWith('.') && specifier.endsWith('.js') && context.parentURL?.includes('/src/'))
        specifier = specifier.replace(/\.js$/, '.ts')
      return nextResolve(specifier, context)
    },
  })
  const { parsePayload } = await import('../src/payload.ts')
  const signal = new AbortController().signal
  await parsePayload(bigYaml(5_000, 1), 'warm-up.yaml', { signal })
  const results = []
  for (const c of cases) {
    const wall: number[] = []
    let blockedMs = 0
    for (let run = 0; run < 3; run++) {
      const delay = monitorEventLoopDelay({ resolution: 10 })
      delay.enable()
      const started = performance.now()
      await parsePayload(c.text, 'file' in c ? c.file : 'big.yaml', { signal })
      wall.push(performance.now() - started)
      delay.disable()
      blockedMs = Math.max(blockedMs, delay.max / 1e6)
    }
    results.push({
      payload: c.name,
      bytes: Buffer.byteLength(c.text),
      parseMs: Math.round(median(wall)),
      longestBlockMs: Math.round(blockedMs),
    })
  }
  return results
}

async function main() {
  if (ONLY_YAML) {
    const yaml = await largeYaml()
    console.table(yaml)
    console.log(JSON.stringify({ largeYaml: yaml }, null, 2))
    return
  }
  const machine = {
    cpus: os.cpus().length,
    cpuModel: os.cpus()[0]?.model ?? 'unknown',
    memoryGb: Math.round(os.totalmem() / 2 ** 30),
    node: process.version,
    platform: `${os.platform()} ${os.release()}`,
  }
  console.log(
    `deploy-patch benchmark on ${machine.cpus} × ${machine.cpuModel}, ${machine.memoryGb} GB, Node ${machine.node}\n`,
  )
  const cold = await coldStart()
  const dist = size()
  const waits: Awaited<ReturnType<typeof waiting>>[] = []
  for (const ms of QUICK ? [500, 2_000] : [500, 2_000, 10_000, 30_000]) waits.push(await waiting(ms))
  const kintone300 = await scaleKintone()
  const qoder50: Awaited<ReturnType<typeof scaleQoder>>[] = []
  for (const concurrency of [1, 4, 8]) qoder50.push(await scaleQoder(concurrency))
  const speedup8 = qoder50[0]!.wallMs / qoder50[2]!.wallMs
  const yaml = await largeYaml()
  const worstBlock = Math.max(...yaml.map((y) => y.longestBlockMs))

  const budget = [
    { check: 'cold start ≤ 1.10 × toolkit floor', value: `${cold.ratio}×`, pass: cold.ratio <= 1.1 },
    { check: 'dist/ JavaScript ≤ 1.0 MB', value: `${(dist.bytes / 1e6).toFixed(3)} MB`, pass: dist.bytes <= 1_000_000 },
    ...waits.map((w) => ({
      check: `${w.deploySeconds}s deploy: delay ≤ ${w.budgetMs} ms${w.deploySeconds === 30 ? ', ≤ 12 reads' : ''}`,
      value: `${w.detectionDelayMs} ms, ${w.statusReads} reads`,
      pass: w.pass,
    })),
    {
      check: '300 apps: one deploy request, one status request per poll',
      value: `${kintone300.deployRequests} deploy, ${kintone300.statusReads} reads`,
      pass: kintone300.pass,
    },
    {
      check: '50 targets: concurrency 8 ≤ 1/6 of concurrency 1',
      value: `1/${speedup8.toFixed(1)}`,
      pass: speedup8 >= 6,
    },
    {
      check: '4 MB payloads: parsed ≤ 10 s, event loop blocked ≤ 1 s',
      value: `${Math.max(...yaml.map((y) => y.parseMs))} ms, ${worstBlock} ms`,
      pass: yaml.every((y) => y.parseMs <= 10_000) && worstBlock <= 1_000,
    },
  ]

  console.log('Cold start (median of %d interleaved runs)', cold.runs)
  console.table([
    {
      'deploy-patch (Qoder update)': `${cold.oursMs} ms`,
      'toolkit floor': `${cold.floorMs} ms`,
      "node -e ''": `${cold.bareNodeMs} ms`,
      ratio: `${cold.ratio}×`,
      'peak RSS': `${cold.peakRssMb} MB (floor ${cold.floorPeakRssMb} MB)`,
    },
  ])
  console.log(
    'Size of dist/ JavaScript: %d bytes in %d files, %d of them in the entry every run loads; biggest packages (source bytes before minifying):',
    dist.bytes,
    dist.files,
    dist.entryBytes,
  )
  console.table(dist.topPackagesBeforeMinify)
  console.log('Waiting for kintone deploys')
  console.table(
    waits.map((w) => ({
      deploy: `${w.deploySeconds} s`,
      'status reads': w.statusReads,
      'detection delay': `${w.detectionDelayMs} ms`,
      budget: `${w.budgetMs} ms`,
      'fixed 1 s poller': `${w.fixedPollerReads} reads, ${w.fixedPollerDelayMs} ms`,
    })),
  )
  console.log('Scale')
  console.table([
    {
      run: '300-app kintone deploy',
      requests: kintone300.requests,
      'deploy requests': kintone300.deployRequests,
      'status reads': kintone300.statusReads,
      'bytes sent': kintone300.bytesSent,
    },
  ])
  console.table(
    qoder50.map((q) => ({
      run: `50 Qoder targets, concurrency ${q.concurrency}`,
      wall: `${(q.wallMs / 1000).toFixed(2)} s`,
      'vs concurrency 1': `1/${(qoder50[0]!.wallMs / q.wallMs).toFixed(1)}`,
      applied: q.applied,
    })),
  )
  console.log('Large YAML payloads (parsePayload in process)')
  console.table(yaml)
  console.log('Budget')
  console.table(budget.map((b) => ({ check: b.check, value: b.value, result: b.pass ? 'pass' : 'FAIL' })))
  console.log(
    JSON.stringify(
      { machine, coldStart: cold, size: dist, waiting: waits, scale: { kintone300, qoder50 }, largeYaml: yaml, budget },
      null,
      2,
    ),
  )
  if (budget.some((b) => !b.pass)) process.exitCode = 1
}

await main()
