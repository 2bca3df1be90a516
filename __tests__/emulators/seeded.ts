/**
 * Each provider's emulator started on 127.0.0.1 with the fixed fake credentials and the resource the
 * README's example workflows name, the one place that knows them: `npm run emulator`
 * (script/emulator.ts), `npm run demo` (script/demo.ts) and the fault-matrix harness
 * (__tests__/reliability/harness.ts) all start their emulators here. The ids and credentials are
 * documented in README.md's "Try each provider locally" and .env.example: keep them as they are.
 * Every credential here is a fake that only these emulators accept.
 */
import type { Emulator } from './base.ts'
import { AieevEmulator } from './aieev.ts'
import { RtsEmulator } from './huaweicloud-rts.ts'
import { KintoneEmulator } from './kintone.ts'
import { QoderEmulator } from './qoder.ts'

/** The ids the README's example workflows name (and .env.example, for Qoder): the same on every start. */
export const SEEDED = {
  qoder: 'dep_019ec556114c78f8b60ee34fcb98bf59',
  /** examples/deploy/kintone.yaml deploys these apps at these preview revisions (kintone's own docs example). */
  kintone: { 8: 13, 9: 5, 10: 11 } as Record<number, number>,
  'huaweicloud-rts': '06e87bcc-33a2-4bce-aebd-533e698282d3',
  aieev: '3f9a1c2e-7b4d-4e8a-9c61-2d5b8e0f4a17',
} as const

/** The credentials each emulator accepts (README's table). */
export const FAKE_CREDENTIALS = {
  qoder: 'pt-emulator-token',
  kintone: 'EmulatorKintoneApiToken0123456789',
  rtsAccessKey: 'HPUAEMULATORACCESSKEY1',
  rtsSecretKey: 'emulator/secret+key',
  aieev: 'aieev-emulator-api-key',
} as const

/** What differs between callers; every field is optional. */
export interface SeedOptions {
  /** Port on 127.0.0.1 (default 0: a free one, different each start). */
  port?: number
  /** How long the emulator's async step takes (kintone's deploy, RTS's agent run, Aieev's start); default 1 s. */
  asyncMs?: number
}

/** kintone also takes the apps to seed. */
export interface KintoneSeedOptions extends SeedOptions {
  /** App → preview revision; the API token may manage exactly these (default: SEEDED.kintone, the README's). */
  apps?: Record<number, number>
  /** Status reads that see a new deploy PROCESSING whatever the time (the emulator's `deployReads`; default 0). */
  deployReads?: number
}

/** A started, seeded emulator and how to reach it. */
export interface Seeded<E extends Emulator> {
  /** The emulator itself, for what a caller counts or injects. */
  emulator: E
  origin: string
  /** The action inputs that reach the seeded resource: provider, base-url, target and credentials. */
  inputs: Record<string, string>
  /** What the emulator applied, in one line (what `npm run emulator` prints when it stops). */
  facts: () => string
  /** Stops the emulator (a function property: callers pass it on as a value). */
  close: () => Promise<void>
}

const DEFAULT_ASYNC_MS = 1_000

/** Starts `emulator` on `port` and seeds it with `seed`, closing it again if seeding throws. */
async function startAndSeed<E extends Emulator, T>(emulator: E, port: number | undefined, seed: () => T): Promise<T> {
  await emulator.start(undefined, port ?? 0)
  try {
    return seed()
  } catch (error) {
    await emulator.close()
    throw error
  }
}

/** Qoder Cloud: deployment SEEDED.qoder ("nightly-report", with a legacy ticket in its metadata). */
export async function seededQoder(options: SeedOptions = {}): Promise<Seeded<QoderEmulator>> {
  const token = FAKE_CREDENTIALS.qoder
  const emulator = new QoderEmulator({ tokens: [token] })
  const deployment = await startAndSeed(emulator, options.port, () =>
    emulator.seed({ id: SEEDED.qoder, name: 'nightly-report', metadata: { legacy_ticket: 'OPS-1234' } }),
  )
  return {
    emulator,
    origin: emulator.origin,
    inputs: { provider: 'qoder', 'base-url': emulator.origin, target: deployment.id, token },
    facts: () => `qoder emulator: applied ${emulator.appliedUpdates(deployment.id)} update(s) to ${deployment.id}`,
    close: () => emulator.close(),
  }
}

/** kintone: the apps of `options.apps` (default the README's) at their preview revisions; the target lists them. */
export async function seededKintone(options: KintoneSeedOptions = {}): Promise<Seeded<KintoneEmulator>> {
  const token = FAKE_CREDENTIALS.kintone
  const revisions = options.apps ?? SEEDED.kintone
  const apps = Object.keys(revisions).map(Number)
  const emulator = new KintoneEmulator({
    apiTokens: { [token]: { apps, appManagement: true } },
    deployMs: options.asyncMs ?? DEFAULT_ASYNC_MS,
    deployReads: options.deployReads,
  })
  await startAndSeed(emulator, options.port, () => {
    for (const app of apps) emulator.addApp(app, { revision: revisions[app] })
  })
  return {
    emulator,
    origin: emulator.origin,
    inputs: { provider: 'kintone', 'base-url': emulator.origin, target: apps.join(','), token },
    facts: () => `kintone emulator: applied ${emulator.deploysApplied()} deploy(s) of apps ${apps.join(', ')}`,
    close: () => emulator.close(),
  }
}

/** Huawei Cloud RTS: software deployment SEEDED['huaweicloud-rts'] in the emulator's project and region (AK/SK). */
export async function seededRts(options: SeedOptions = {}): Promise<Seeded<RtsEmulator>> {
  const accessKey = FAKE_CREDENTIALS.rtsAccessKey
  const secretKey = FAKE_CREDENTIALS.rtsSecretKey
  const emulator = new RtsEmulator({
    keys: { [accessKey]: { sk: secretKey } },
    settleMs: options.asyncMs ?? DEFAULT_ASYNC_MS,
  })
  const deployment = await startAndSeed(emulator, options.port, () => emulator.seed({ id: SEEDED['huaweicloud-rts'] }))
  return {
    emulator,
    origin: emulator.origin,
    inputs: {
      provider: 'huaweicloud-rts',
      'base-url': emulator.origin,
      target: deployment.id,
      'access-key': accessKey,
      'secret-key': secretKey,
      region: emulator.region,
      'project-id': emulator.projectId,
    },
    facts: () =>
      `huaweicloud-rts emulator: applied ${emulator.appliedUpdates(deployment.id)} update(s) to ${deployment.id}`,
    close: () => emulator.close(),
  }
}

/** Aieev: endpoint SEEDED.aieev ("llm-chat-api"). */
export async function seededAieev(options: SeedOptions = {}): Promise<Seeded<AieevEmulator>> {
  const token = FAKE_CREDENTIALS.aieev
  const emulator = new AieevEmulator({ keys: [token], startMs: options.asyncMs ?? DEFAULT_ASYNC_MS })
  const endpoint = await startAndSeed(emulator, options.port, () =>
    emulator.seed({ endpoint_id: SEEDED.aieev, name: 'llm-chat-api' }),
  )
  const id = endpoint.endpoint_id
  return {
    emulator,
    origin: emulator.origin,
    inputs: { provider: 'aieev', 'base-url': emulator.origin, target: id, token },
    facts: () =>
      `aieev emulator: applied ${emulator.appliedPatches(id)} update(s) and ${emulator.starts(id)} start(s) to ${id}`,
    close: () => emulator.close(),
  }
}

/** Each provider's seeded start, by the name the `provider` input takes. */
export const SEEDERS = {
  qoder: seededQoder,
  kintone: seededKintone,
  'huaweicloud-rts': seededRts,
  aieev: seededAieev,
} as const
