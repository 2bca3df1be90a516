/**
 * Where credentials may be sent: https anywhere, plain http only to a host that never leaves
 * this machine (an emulator or a tunnel), so a token never crosses the network in clear text.
 */

const LOOPBACK = /^(localhost|127(?:\.\d{1,3}){3}|\[::1\])$/i

/** True for hosts that never leave this machine, the only ones allowed over plain http. */
export function isLoopbackHost(hostname: string): boolean {
  return LOOPBACK.test(hostname)
}

/** True for an https URL, or a plain http one on a loopback host: the URLs credentials may go to. */
export function isHttpsOrLoopback(url: URL): boolean {
  return url.protocol === 'https:' || (url.protocol === 'http:' && isLoopbackHost(url.hostname))
}
