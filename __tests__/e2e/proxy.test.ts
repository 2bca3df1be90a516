/**
 * End to end: the committed dist/index.js honours HTTPS_PROXY, run as the runner runs it.
 * Two request paths need it: the provider's (@actions/http-client, which tunnels through the
 * proxy with the `tunnel` package) and the GitHub Deployments API calls of `github-environment`
 * (Octokit's fetch; in dist, undici and its ProxyAgent are loaded lazily through
 * src/undici-on-demand.ts, and this is the only test that proves a proxy works through it).
 *
 * Why fake hostnames and a man in the middle: http-client never proxies loopback hosts
 * (localhost, 127.x), and the action allows plain http only for loopback hosts. So the action is
 * given `https://qoder.test` and `GITHUB_API_URL=https://github.test/api/v3`, names that exist
 * only here. It reaches them through a loopback CONNECT proxy that records each tunnel, ends TLS
 * with a throwaway self-signed certificate for both names (made at test time with openssl; the
 * child trusts it through NODE_EXTRA_CA_CERTS) and hands the plain HTTP to the loopback emulators.
 *
 * No name is ever resolved by a real resolver: the child runs with helpers/dns-guard.ts preloaded,
 * which fails every lookup (or answers it from a private host list) and logs it. A request that
 * skipped the proxy therefore fails on loopback, and shows up in the log, instead of sending a DNS
 * query for a fake name off the machine.
 */
import { existsSync } from 'node:fs'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { createServer as createHttpServer } from 'node:http'
import net from 'node:net'
import os from 'node:os'
import path from 'node:path'
import type { Duplex } from 'node:stream'
import tls from 'node:tls'
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { GitHubEmulator } from '../emulators/github.ts'
import { QoderEmulator, type Deployment } from '../emulators/qoder.ts'
import { cleanupRuns, findLeaks, REPO_ROOT, runAction, type ActionRun } from '../helpers/run-action.ts'
import { selfSignedCertificate, type TestCertificate } from '../helpers/test-cert.ts'

const QODER_HOST = 'qoder.test'
const GITHUB_HOST = 'github.test'
const QODER_TOKEN = 'pt-e2e-proxy-0123456789abcdef'
const GH_TOKEN = 'ghs_E2eProxyDeploymentsToken000000000000'
const DNS_GUARD = path.join(REPO_ROOT, '__tests__', 'helpers', 'dns-guard.ts')

/** Everything a tunnel touches, so a test's end can close it. */
const open = new Set<Duplex | net.Server>()

function track<T extends Duplex>(socket: T): T {
  open.add(socket)
  socket.on('close', () => open.delete(socket))
  return socket
}

/** Decrypted bytes of `client` (a TLS server socket) to and from the plain-http emulator on `port`. */
function forward(client: tls.TLSSocket, port: number): void {
  const upstream = track(net.connect(port, '127.0.0.1'))
  const fail = (): void => {
    client.destroy()
    upstream.destroy()
  }
  client.on('error', fail)
  upstream.on('error', fail)
  client.on('close', () => upstream.destroy())
  upstream.on('close', () => client.destroy())
  client.pipe(upstream).pipe(client)
}

/** Listen on 127.0.0.1 with an ephemeral port; returns the port. */
async function listen(server: net.Server): Promise<number> {
  open.add(server)
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => resolve())
  })
  return (server.address() as net.AddressInfo).port
}

/**
 * A loopback HTTPS proxy that intercepts: it answers CONNECT for the routed `host:port` targets,
 * ends TLS itself and forwards to the emulator's port; every other request is refused with 403.
 */
class InterceptingProxy {
  /** CONNECT targets it tunnelled, in order (`qoder.test:443`). */
  readonly connects: string[] = []
  /** What it refused: `CONNECT other:443`, or a plain `GET http://…` proxy request. */
  readonly refused: string[] = []
  url = ''
  readonly #routes: Map<string, number>
  readonly #context: tls.SecureContext

  constructor(routes: Record<string, number>, context: tls.SecureContext) {
    this.#routes = new Map(Object.entries(routes))
    this.#context = context
  }

  async start(): Promise<void> {
    const server = createHttpServer((req, res) => {
      this.refused.push(`${req.method} ${req.url}`)
      res.writeHead(403, { connection: 'close' }).end()
    })
    server.on('connection', (socket: net.Socket) => track(socket))
    server.on('clientError', (_error, socket) => socket.destroy())
    server.on('connect', (req, socket: Duplex, head: Buffer) => {
      track(socket)
      socket.on('error', () => socket.destroy())
      const target = (req.url ?? '').toLowerCase()
      const port = this.#routes.get(target)
      if (port === undefined) {
        this.refused.push(`CONNECT ${req.url}`)
        socket.end('HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\nConnection: close\r\n\r\n')
        return
      }
      if (head.length > 0) {
        // Both tunnel and undici wait for the 200 before their ClientHello; bytes sent earlier would be lost.
        this.refused.push(`CONNECT ${req.url} with data before the answer`)
        socket.destroy()
        return
      }
      this.connects.push(target)
      socket.write('HTTP/1.1 200 Connection Established\r\n\r\n')
      forward(track(new tls.TLSSocket(socket, { isServer: true, secureContext: this.#context })), port)
    })
    this.url = `http://127.0.0.1:${await listen(server)}`
  }
}

let dir: string
let certificate: TestCertificate | undefined
let certFile: string
let keyAndCert: { key: Buffer; cert: Buffer }
let context: tls.SecureContext
let qoder: QoderEmulator
let github: GitHubEmulator
let proxy: InterceptingProxy
let dep: Deployment
let dnsLog: string

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'deploy-patch-proxy-'))
  // A self-signed leaf for both fake names, valid for a day; nothing of it outlives the test.
  certificate = await selfSignedCertificate([QODER_HOST, GITHUB_HOST])
  certFile = certificate.certFile
  keyAndCert = { key: certificate.key, cert: certificate.cert }
  context = tls.createSecureContext(keyAndCert)
})

beforeEach(async () => {
  qoder = new QoderEmulator({ tokens: [QODER_TOKEN] })
  github = new GitHubEmulator({ tokens: [GH_TOKEN], pathPrefix: '/api/v3' })
  await Promise.all([qoder.start(), github.start()])
  dep = qoder.seed({ name: 'nightly-report' })
  proxy = new InterceptingProxy(
    {
      [`${QODER_HOST}:443`]: Number(new URL(qoder.origin).port),
      [`${GITHUB_HOST}:443`]: Number(new URL(github.origin).port),
    },
    context,
  )
  await proxy.start()
  dnsLog = path.join(dir, `dns-${Date.now()}-${Math.random().toString(36).slice(2)}.log`)
})

afterEach(async () => {
  for (const item of open) {
    if (item instanceof net.Server) item.close()
    else item.destroy()
  }
  open.clear()
  await Promise.all([qoder.close(), github.close()])
})

afterAll(async () => {
  await cleanupRuns()
  if (dir) await rm(dir, { recursive: true, force: true })
  await certificate?.dispose()
})

/** A Qoder update of `dep` through the proxy; fails the test on any credential leak. */
async function run(inputs: Record<string, string> = {}, env: Record<string, string> = {}): Promise<ActionRun> {
  const result = await runAction({
    inputs: {
      provider: 'qoder',
      payload: '{"name": "nightly-report-v2"}',
      target: dep.id,
      token: QODER_TOKEN,
      'base-url': `https://${QODER_HOST}`,
      'github-token': GH_TOKEN,
      ...inputs,
    },
    env: {
      HTTPS_PROXY: proxy.url,
      https_proxy: proxy.url,
      NODE_EXTRA_CA_CERTS: certFile,
      GITHUB_API_URL: `https://${GITHUB_HOST}/api/v3`,
      NODE_OPTIONS: `--import=${DNS_GUARD}`,
      DNS_GUARD_LOG: dnsLog,
      ...env,
    },
  })
  expect(findLeaks(result, [QODER_TOKEN, GH_TOKEN])).toEqual([])
  return result
}

/** Names the action tried to resolve itself (it never should while the proxy is used). */
async function lookups(): Promise<{ hostname: string; answered: string | null }[]> {
  if (!existsSync(dnsLog)) return []
  return (await readFile(dnsLog, 'utf8'))
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as { hostname: string; answered: string | null })
}

const warnings = (result: ActionRun) => result.commands.filter((c) => c.command === 'warning').map((c) => c.message)

describe('HTTPS_PROXY, end to end', () => {
  it('a Qoder update goes through the proxy: one tunnel target, qoder.test:443, and the update applied once', async () => {
    const result = await run()
    expect(result.code).toBe(0)
    expect(result.outputs.status).toBe('succeeded')
    expect(qoder.appliedUpdates(dep.id)).toBe(1)
    expect(new Set(proxy.connects)).toEqual(new Set([`${QODER_HOST}:443`]))
    expect(proxy.refused).toEqual([])
    expect(await lookups()).toEqual([])
    // Through the tunnel the emulator sees the request as qoder.test got it.
    expect(new Set(qoder.requests.map((r) => r.headers.host))).toEqual(new Set([QODER_HOST]))
    expect(github.requests).toEqual([])
  })

  it('with github-environment, the GitHub Deployments API calls go through the proxy too', async () => {
    const result = await run({ 'github-environment': 'production' })
    // A warning "… getaddrinfo ENOTFOUND github.test (dns-guard …)" means Octokit's fetch skipped the proxy.
    expect(result.code).toBe(0)
    expect(warnings(result)).toEqual([])
    expect(result.outputs.status).toBe('succeeded')
    const [deployment, ...others] = github.deployments()
    expect(others).toEqual([])
    expect(github.states(deployment!.id)).toEqual(['in_progress', 'success'])
    expect(result.outputs['github-deployment-id']).toBe(String(deployment!.id))
    expect(qoder.appliedUpdates(dep.id)).toBe(1)
    expect(new Set(proxy.connects)).toEqual(new Set([`${QODER_HOST}:443`, `${GITHUB_HOST}:443`]))
    expect(proxy.refused).toEqual([])
    expect(await lookups()).toEqual([])
    expect(new Set(github.requests.map((r) => r.headers.host))).toEqual(new Set([GITHUB_HOST]))
  })

  it('NO_PROXY naming the provider host: the action connects directly and the proxy sees nothing', async () => {
    // qoder.test resolves (in the child, through the DNS guard's host list) to 127.0.0.1, where a
    // TLS front with the same certificate hands the requests to the emulator.
    const front = tls.createServer(keyAndCert, (socket) => forward(track(socket), Number(new URL(qoder.origin).port)))
    front.on('connection', (socket: net.Socket) => track(socket))
    front.on('tlsClientError', (_error, socket) => socket.destroy())
    const port = await listen(front)
    const result = await run(
      { 'base-url': `https://${QODER_HOST}:${port}` },
      {
        NO_PROXY: QODER_HOST,
        no_proxy: QODER_HOST,
        DNS_GUARD_HOSTS: `${QODER_HOST}=127.0.0.1`,
      },
    )
    expect(result.code).toBe(0)
    expect(result.outputs.status).toBe('succeeded')
    expect(qoder.appliedUpdates(dep.id)).toBe(1)
    expect(proxy.connects).toEqual([])
    expect(proxy.refused).toEqual([])
    expect(new Set((await lookups()).map((l) => l.hostname))).toEqual(new Set([QODER_HOST]))
  })
})
