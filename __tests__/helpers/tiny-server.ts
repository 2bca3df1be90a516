/**
 * A bare loopback HTTP server for the few tests the emulator base cannot express: a response
 * streamed without Content-Length, or a server that must appear on a port chosen in advance
 * (a port that refused connections a moment ago). Listens only on 127.0.0.1.
 */
import { createServer, type IncomingHttpHeaders, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'

const LOOPBACK = '127.0.0.1'

export interface TinyRequest {
  method: string
  /** Path and query as sent. */
  url: string
  headers: IncomingHttpHeaders
  body: string
  /** Date.now() when the request arrived. */
  at: number
}

export type TinyHandler = (req: TinyRequest, res: ServerResponse) => void | Promise<void>

export interface TinyServer {
  origin: string
  port: number
  requests: TinyRequest[]
  /** Stops listening and destroys every open connection. */
  close(): Promise<void>
}

/** Starts a server on 127.0.0.1 (an ephemeral port unless `port` is given); every request is recorded, then handed to `handler`. */
export async function startTinyServer(handler: TinyHandler, options: { port?: number } = {}): Promise<TinyServer> {
  const requests: TinyRequest[] = []
  const server = createServer((req, res) => {
    const at = Date.now()
    req.on('error', () => {})
    res.on('error', () => {})
    const chunks: Buffer[] = []
    req.on('data', (chunk: Buffer) => chunks.push(chunk))
    req.on('end', () => {
      const recorded: TinyRequest = {
        method: req.method ?? 'GET',
        url: req.url ?? '/',
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
        at,
      }
      requests.push(recorded)
      Promise.resolve(handler(recorded, res)).catch(() => res.destroy())
    })
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(options.port ?? 0, LOOPBACK, () => {
      server.off('error', reject)
      resolve()
    })
  })
  const { port } = server.address() as AddressInfo
  return {
    origin: `http://${LOOPBACK}:${port}`,
    port,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve())
        server.closeAllConnections()
      }),
  }
}

/** A port on 127.0.0.1 that nothing listens on (it was free a moment ago): connecting to it is refused. */
export async function freePort(): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(0, LOOPBACK, () => resolve())
  })
  const { port } = server.address() as AddressInfo
  await new Promise<void>((resolve) => server.close(() => resolve()))
  return port
}
