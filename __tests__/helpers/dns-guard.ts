/**
 * Preloaded into the action's process (`NODE_OPTIONS=--import=<this file>`) by tests that give the
 * action fake hostnames (`qoder.test`, `github.test`): no name the action looks up ever reaches a
 * resolver, so a run that fails to use the proxy it was given fails here, on loopback, instead of
 * sending a DNS query for a fake name off the machine.
 *
 * - `DNS_GUARD_HOSTS`: `name=address` pairs, comma-separated, answered in-process (a private
 *   /etc/hosts). Every other name fails with ENOTFOUND, as an unknown name would.
 * - `DNS_GUARD_LOG`: a file that gets one JSON line per lookup: `{"hostname":…,"answered":…}`.
 *
 * Covers `dns.lookup` (what net, tls, http(s), tunnel and every undici, Node's own fetch included,
 * resolve through) and the c-ares queries (`resolve*`, `reverse`), which are refused outright.
 * Run by Node's type stripping, so only erasable syntax and `node:` imports.
 */
import dns from 'node:dns'
import { appendFileSync } from 'node:fs'
import { isIP } from 'node:net'

const hosts = new Map<string, string>()
for (const pair of (process.env.DNS_GUARD_HOSTS ?? '').split(',')) {
  const [name, address] = pair.split('=').map((part) => part.trim())
  if (name && address && isIP(address)) hosts.set(name.toLowerCase(), address)
}
const logFile = process.env.DNS_GUARD_LOG

function record(hostname: string, answered: string | null): void {
  if (logFile) appendFileSync(logFile, JSON.stringify({ hostname, answered }) + '\n')
}

function notFound(hostname: string, syscall: string): NodeJS.ErrnoException {
  return Object.assign(new Error(`${syscall} ENOTFOUND ${hostname} (dns-guard: names are not resolved in this test)`), {
    code: 'ENOTFOUND',
    errno: -3008,
    syscall,
    hostname,
  })
}

type LookupCallback = (
  error: NodeJS.ErrnoException | null,
  address?: string | dns.LookupAddress[],
  family?: number,
) => void

function guardedLookup(hostname: string, options: unknown, callback?: LookupCallback): void {
  const done = (typeof options === 'function' ? options : callback) as LookupCallback
  const all = typeof options === 'object' && options !== null && (options as dns.LookupOptions).all === true
  const address = isIP(hostname) ? hostname : hosts.get(hostname.toLowerCase())
  if (!isIP(hostname)) record(hostname, address ?? null)
  process.nextTick(() => {
    if (address === undefined) done(notFound(hostname, 'getaddrinfo'))
    else if (all) done(null, [{ address, family: isIP(address) }])
    else done(null, address, isIP(address))
  })
}

function refuseQuery(name: string): (...args: unknown[]) => unknown {
  return (...args: unknown[]) => {
    const hostname = String(args[0])
    record(hostname, null)
    const callback = args.at(-1)
    if (typeof callback === 'function') {
      process.nextTick(callback, notFound(hostname, name))
      return undefined
    }
    return Promise.reject(notFound(hostname, name))
  }
}

const mutable = dns as unknown as Record<string, unknown>
const promises = dns.promises as unknown as Record<string, unknown>
mutable.lookup = guardedLookup
promises.lookup = async (hostname: string, options?: dns.LookupOptions) =>
  new Promise((resolve, reject) => {
    guardedLookup(hostname, options ?? {}, (error, address, family) => {
      if (error) reject(error)
      else resolve(Array.isArray(address) ? address : { address, family })
    })
  })
for (const target of [mutable, promises, dns.Resolver.prototype, dns.promises.Resolver.prototype] as Record<
  string,
  unknown
>[]) {
  for (const key of Object.getOwnPropertyNames(target)) {
    if ((key.startsWith('resolve') || key === 'reverse') && typeof target[key] === 'function')
      target[key] = refuseQuery(key)
  }
}
