/**
 * Starts one provider emulator on 127.0.0.1, seeds a resource, prints the inputs a workflow step
 * needs to reach it, and keeps serving until it is sent SIGTERM or SIGINT. Used by the `self-test`
 * job in .github/workflows/ci.yml, which runs the action with `uses: ./` against it.
 *
 *   node script/emulator.ts [provider]    qoder (default), kintone, aieev or huaweicloud-rts
 *
 * The values (`origin`, `target`, `token`, and for Huawei `access-key`, `secret-key`, `region`,
 * `project-id`) are printed as `name=value` lines and, when `GITHUB_OUTPUT` is set, appended to it
 * as step outputs. Then a line starting with `emulator ready` is printed: wait for it before using
 * the outputs. On SIGTERM/SIGINT the emulator prints what it applied (`… applied N update(s) …`)
 * and exits 0. Every credential here is a fixed fake that only this emulator accepts.
 */
import { appendFileSync } from 'node:fs'
import { AieevEmulator } from '../__tests__/emulators/aieev.ts'
import { RtsEmulator } from '../__tests__/emulators/huaweicloud-rts.ts'
import { KintoneEmulator } from '../__tests__/emulators/kintone.ts'
import { QoderEmulator } from '../__tests__/emulators/qoder.ts'

interface Started {
  /** Step outputs, named as the action's inputs they feed. */
  outputs: Record<string, string>
  /** What the emulator applied, printed when it stops. */
  facts(): string
  close(): Promise<void>
}

const STARTERS: Record<string, () => Promise<Started>> = {
  async qoder() {
    const token = 'pt-emulator-token'
    const emulator = new QoderEmulator({ tokens: [token] })
    const origin = await emulator.start()
    const deployment = emulator.seed({ name: 'nightly-report', metadata: { legacy_ticket: 'OPS-1234' } })
    return {
      outputs: { origin, target: deployment.id, token },
      facts: () => `qoder emulator: applied ${emulator.appliedUpdates(deployment.id)} update(s) to ${deployment.id}`,
      close: () => emulator.close(),
    }
  },
  async kintone() {
    const token = 'EmulatorKintoneApiToken0123456789'
    const apps = [11, 12, 13]
    const emulator = new KintoneEmulator({ apiTokens: { [token]: { apps, appManagement: true } }, deployMs: 1_000 })
    const origin = await emulator.start()
    for (const app of apps) emulator.addApp(app, { revision: 4 })
    return {
      outputs: { origin, target: apps.join(','), token },
      facts: () => `kintone emulator: applied ${emulator.deploysApplied()} deploy(s) of apps ${apps.join(', ')}`,
      close: () => emulator.close(),
    }
  },
  async aieev() {
    const token = 'aieev-emulator-api-key'
    const emulator = new AieevEmulator({ keys: [token], startMs: 1_000 })
    const origin = await emulator.start()
    const endpoint = emulator.seed({ name: 'llm-chat-api' })
    return {
      outputs: { origin, target: endpoint.endpoint_id, token },
      facts: () =>
        `aieev emulator: applied ${emulator.appliedPatches(endpoint.endpoint_id)} update(s) and ${emulator.starts(endpoint.endpoint_id)} start(s) to ${endpoint.endpoint_id}`,
      close: () => emulator.close(),
    }
  },
  async 'huaweicloud-rts'() {
    const accessKey = 'HPUAEMULATORACCESSKEY1'
    const secretKey = 'emulator/secret+key'
    const emulator = new RtsEmulator({ keys: { [accessKey]: { sk: secretKey } }, settleMs: 1_000 })
    const origin = await emulator.start()
    const deployment = emulator.seed()
    return {
      outputs: {
        origin,
        target: deployment.id,
        'access-key': accessKey,
        'secret-key': secretKey,
        region: emulator.region,
        'project-id': emulator.projectId,
      },
      facts: () => `huaweicloud-rts emulator: applied ${emulator.appliedUpdates(deployment.id)} update(s) to ${deployment.id}`,
      close: () => emulator.close(),
    }
  },
}

async function main(): Promise<void> {
  const provider = process.argv[2] ?? 'qoder'
  const start = STARTERS[provider]
  if (!start) {
    console.error(`usage: node script/emulator.ts [${Object.keys(STARTERS).join('|')}] (got "${provider}")`)
    process.exit(2)
  }
  const started = await start()
  const lines = Object.entries(started.outputs).map(([name, value]) => `${name}=${value}\n`).join('')
  const outputFile = process.env.GITHUB_OUTPUT
  if (outputFile) appendFileSync(outputFile, lines)
  process.stdout.write(lines)
  console.log(`emulator ready: ${provider} on ${started.outputs.origin} (pid ${process.pid}); stop it with SIGTERM`)

  let stopping = false
  const stop = (signal: NodeJS.Signals): void => {
    if (stopping) return
    stopping = true
    console.log(`${started.facts()}; stopping on ${signal}`)
    void started.close().then(() => process.exit(0))
  }
  process.on('SIGTERM', stop)
  process.on('SIGINT', stop)
}

await main()
