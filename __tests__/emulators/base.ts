/**
 * Provider-agnostic loopback emulator: records every request, injects transport and HTTP
 * faults, and hands everything else to the provider's `handle`. Listens only on 127.0.0.1.
 */
import {
  createServer,
  type IncomingHttpHeaders,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http'
import type { Socket } from 'node:net'

/** One request as it reached the emulator, whole body included. */
export interface RecordedRequest {
  method: string
  /** URL pathname only (no query string). */
  path: string
  url: URL
  headers: IncomingHttpHeaders
  body: string
  /** Date.now() when the request arrived. */
  at: number
}

/** What to do to a matching request instead of (or around) the normal handling. */
export type Fault =
  | { kind: 'status'; status: number; retryAfter?: string; body?: string; contentType?: string } // answer with this status WITHOUT applying
  | { kind: 'status-after'; status: number; retryAfter?: string; body?: string; contentType?: string } // apply the request (run the handler fully), then answer this status instead (a gateway after an upstream reset)
  | {
      kind: 'reply-after'
      status: number
      body?: string
      contentType?: string
      headers?: Record<string, string>
      raw?: Buffer
    } // apply the request, then answer with exactly this (a hostile 2xx: empty, wrong shape, another id, encoded)
  | { kind: 'reset-before' } // destroy the socket without applying the request and without answering
  | { kind: 'reset-after' } // apply the request (run the handler fully), then destroy the socket without answering
  | { kind: 'hang' } // never answer (socket stays open until the client gives up or the server closes)
  | { kind: 'malformed-json' } // 200, content-type application/json, body that is not valid JSON; not applied
  | { kind: 'truncated' } // 200 with a Content-Length larger than the bytes sent, then close; not applied
  | { kind: 'oversize'; bytes: number } // 200 application/json with a body of that many bytes; not applied
  | { kind: 'redirect'; location: string; status?: number } // 3xx (default 307) with Location; not applied
  | { kind: 'delay'; ms: number } // handle normally, but answer only after ms

/** A fault and the requests it applies to; `times` defaults to 1 (use Infinity for "always"). */
export interface FaultRule {
  method?: string
  /** Exact pathname, or a RegExp tested against the pathname. */
  path?: string | RegExp
  times?: number
  fault: Fault
}

/** A normal answer: `body` is sent as JSON, `text` as-is. */
export interface Reply {
  status: number
  body?: unknown
  text?: string
  headers?: Record<string, string>
}

interface ActiveRule {
  rule: FaultRule
  remaining: number
}

const LOOPBACK = '127.0.0.1'

/** Base class of every provider emulator. */
export abstract class Emulator {
  readonly requests: RecordedRequest[] = []
  origin = ''
  #server: Server | undefined
  #sockets = new Set<Socket>()
  #timers = new Set<ReturnType<typeof setTimeout>>()
  #faults: ActiveRule[] = []

  /** Starts listening on 127.0.0.1 (or `host`, such as the IPv6 loopback ::1) on `port` (default: an ephemeral one) and returns the origin. */
  async start(host: string = LOOPBACK, port = 0): Promise<string> {
    if (this.#server) return this.origin
    const server = createServer((req, res) => {
      void this.#onRequest(req, res)
    })
    server.on('connection', (socket) => {
      this.#sockets.add(socket)
      socket.on('close', () => this.#sockets.delete(socket))
    })
    this.#server = server
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject)
      server.listen(port, host, () => {
        server.off('error', reject)
        resolve()
      })
    })
    const address = server.address()
    if (address === null || typeof address === 'string') throw new Error('emulator: unexpected server address')
    this.origin = `http://${host.includes(':') ? `[${host}]` : host}:${address.port}`
    return this.origin
  }

  /** Stops the server and destroys every open socket (hung and keep-alive ones too). */
  async close(): Promise<void> {
    const server = this.#server
    if (!server) return
    this.#server = undefined
    for (const timer of this.#timers) clearTimeout(timer)
    this.#timers.clear()
    const closed = new Promise<void>((resolve) => server.close(() => resolve()))
    for (const socket of this.#sockets) socket.destroy()
    this.#sockets.clear()
    server.closeAllConnections()
    await closed
  }

  /** Adds a fault rule; rules are matched in order and each match consumes one of its `times`. */
  inject(rule: FaultRule): void {
    const times = rule.times ?? 1
    if (times > 0) this.#faults.push({ rule, remaining: times })
  }

  /** Removes every pending fault rule. */
  clearFaults(): void {
    this.#faults = []
  }

  /** Recorded requests with this method whose pathname equals (or matches) `path`. */
  requestsTo(method: string, path: string | RegExp): RecordedRequest[] {
    return this.requests.filter((r) => r.method === method.toUpperCase() && pathMatches(path, r.path))
  }

  /** The provider's normal behaviour for one request. */
  protected abstract handle(req: RecordedRequest): Reply | Promise<Reply>

  /** The answer for a `status` fault without an explicit body; providers override it with their error shape. */
  protected statusFaultReply(status: number): Reply {
    return { status, body: { error: `injected status ${status}` } }
  }

  /** The answer when `handle` throws: an emulator bug, made visible as a 500. */
  protected internalErrorReply(error: unknown): Reply {
    return { status: 500, body: { emulator_error: error instanceof Error ? error.message : String(error) } }
  }

  #takeFault(req: RecordedRequest): Fault | undefined {
    const index = this.#faults.findIndex(
      ({ rule }) =>
        (rule.method === undefined || rule.method.toUpperCase() === req.method) &&
        (rule.path === undefined || pathMatches(rule.path, req.path)),
    )
    if (index < 0) return undefined
    const active = this.#faults[index]!
    active.remaining -= 1
    if (active.remaining <= 0) this.#faults.splice(index, 1)
    return active.rule.fault
  }

  async #onRequest(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const at = Date.now()
    // A client that goes away mid-answer must never crash the test process.
    req.on('error', () => {})
    res.on('error', () => {})
    let body: string
    try {
      const chunks: Buffer[] = []
      for await (const chunk of req) chunks.push(chunk as Buffer)
      body = Buffer.concat(chunks).toString('utf8')
    } catch {
      return // client aborted while sending
    }
    const url = new URL(req.url ?? '/', this.origin || `http://${LOOPBACK}`)
    const recorded: RecordedRequest = {
      method: (req.method ?? 'GET').toUpperCase(),
      path: url.pathname,
      url,
      headers: req.headers,
      body,
      at,
    }
    this.requests.push(recorded)

    const fault = this.#takeFault(recorded)
    switch (fault?.kind) {
      case undefined:
        send(res, await this.#run(recorded))
        return
      case 'status-after':
      case 'status': {
        if (fault.kind === 'status-after') await this.#run(recorded)
        const headers: Record<string, string> = {}
        if (fault.retryAfter !== undefined) headers['retry-after'] = fault.retryAfter
        if (fault.body === undefined) {
          const reply = this.statusFaultReply(fault.status)
          send(res, { ...reply, status: fault.status, headers: { ...reply.headers, ...headers } })
        } else {
          headers['content-type'] =
            fault.contentType ?? (isJson(fault.body) ? 'application/json' : 'text/plain; charset=utf-8')
          send(res, { status: fault.status, text: fault.body, headers })
        }
        return
      }
      case 'reply-after': {
        await this.#run(recorded)
        const headers: Record<string, string> = { ...fault.headers }
        if (fault.contentType !== undefined) headers['content-type'] = fault.contentType
        if (fault.raw !== undefined) {
          res.writeHead(fault.status, { ...headers, 'content-length': String(fault.raw.length) })
          res.end(fault.raw)
        } else send(res, { status: fault.status, text: fault.body ?? '', headers })
        return
      }
      case 'reset-before':
        req.socket.destroy()
        return
      case 'reset-after':
        await this.#run(recorded)
        req.socket.destroy()
        return
      case 'hang':
        return // close() destroys the socket
      case 'malformed-json':
        send(res, { status: 200, text: '{"result":{"id":"abc",', headers: { 'content-type': 'application/json' } })
        return
      case 'truncated': {
        const partial = Buffer.from('{"type":"partial","data":"')
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': String(partial.length + 1024) })
        // Flush what we have, then end the TCP stream: the client sees fewer bytes than promised.
        res.write(partial, () => req.socket.end())
        return
      }
      case 'oversize':
        send(res, { status: 200, text: jsonOfSize(fault.bytes), headers: { 'content-type': 'application/json' } })
        return
      case 'redirect':
        send(res, { status: fault.status ?? 307, text: '', headers: { location: fault.location } })
        return
      case 'delay': {
        const reply = await this.#run(recorded)
        const timer = setTimeout(() => {
          this.#timers.delete(timer)
          send(res, reply)
        }, fault.ms)
        this.#timers.add(timer)
        return
      }
    }
  }

  async #run(req: RecordedRequest): Promise<Reply> {
    try {
      return await this.handle(req)
    } catch (error) {
      return this.internalErrorReply(error)
    }
  }
}

/** A second loopback server that records everything and answers 200 `{}`: a foreign origin for redirect tests. */
export async function startCatcher(): Promise<{ origin: string; requests: RecordedRequest[]; close(): Promise<void> }> {
  const catcher = new Catcher()
  const origin = await catcher.start()
  return { origin, requests: catcher.requests, close: () => catcher.close() }
}

class Catcher extends Emulator {
  protected handle(): Reply {
    return { status: 200, body: {} }
  }
}

function pathMatches(pattern: string | RegExp, path: string): boolean {
  if (typeof pattern === 'string') return pattern === path
  pattern.lastIndex = 0
  return pattern.test(path)
}

function isJson(text: string): boolean {
  try {
    JSON.parse(text)
    return true
  } catch {
    return false
  }
}

/** A valid JSON document of exactly `bytes` bytes (an object with a padding string, or a bare string when tiny). */
function jsonOfSize(bytes: number): string {
  const wrapper = '{"padding":""}'
  if (bytes >= wrapper.length) return `{"padding":"${'x'.repeat(bytes - wrapper.length)}"}`
  return `"${'x'.repeat(Math.max(0, bytes - 2))}"`
}

function send(res: ServerResponse, reply: Reply): void {
  if (res.destroyed || res.headersSent) return
  const headers: Record<string, string> = {}
  for (const [name, value] of Object.entries(reply.headers ?? {})) headers[name.toLowerCase()] = value
  let payload = ''
  if (reply.body !== undefined) {
    payload = JSON.stringify(reply.body)
    headers['content-type'] ??= 'application/json'
  } else if (reply.text !== undefined) {
    payload = reply.text
    if (payload !== '') headers['content-type'] ??= 'text/plain; charset=utf-8'
  }
  headers['content-length'] = String(Buffer.byteLength(payload))
  res.writeHead(reply.status, headers)
  res.end(payload)
}
