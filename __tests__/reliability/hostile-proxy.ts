/**
 * A hostile HTTP proxy on loopback (127.0.0.1 or [::1]) in front of a real provider emulator, for
 * the property-based fault test. The emulator behind it keeps the ground truth (what was applied);
 * the proxy lies about it. Per request it takes the first unused step of a script whose `on`
 * matches the request's role (the write, the async start, a read, an IAM login) and does what the
 * step says: answer a status before or after forwarding (after = the backend applied the request),
 * replace or damage the answer body, reset the socket, delay, gzip or prefix a BOM. Requests no
 * step matches are passed through unchanged (headers verbatim, so AK/SK signatures stay valid).
 *
 * It also records who sent which credential when, and every 401 it passed on, so the test can
 * check that a refused credential is not sent again and again.
 */
import {
  createServer,
  request as httpRequest,
  type IncomingHttpHeaders,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http'
import type { Socket } from 'node:net'
import { gzipSync } from 'node:zlib'

/** `read` is a read before the first write, `poll` one after it. */
export type Role = 'write' | 'start' | 'read' | 'poll' | 'login'

/** What to put in place of a 2xx body (after the backend applied the request). */
export type BodyKind =
  | 'empty' // 200 with no body
  | 'no-content' // 204
  | 'null'
  | 'array'
  | 'number'
  | 'string'
  | 'error-envelope' // the provider's error shape, hostile text as its message
  | 'other-id' // the real body with another resource's id
  | 'no-status' // the real body without its status field(s)
  | 'hostile-status' // the real body with hostile text as its status field(s)
  | 'no-timestamps' // the real body without updated_time / updated_at

export type TextForm =
  | 'none'
  | 'raw' // each credential as given
  | 'base64-userpass' // base64 of user:password alone (kintone X-Cybozu-Authorization)
  | 'base64-embedded' // a credential inside a longer base64 blob (odd alignment)
  | 'url' // encodeURIComponent of each credential
  | 'json-escaped' // JSON-escaped (inside a JSON string, as a client would print it raw)
  | 'cut200' // a credential straddling character 200 of the message
  | 'cut300' // … character 300

/** `times`: how many matching requests the step applies to (default 1). */
export type Step = { on: Role; times?: number } & (
  | { kind: 'pass' }
  | {
      kind: 'status'
      status: number
      retryAfter?: 'none' | '0' | '1' | 'date'
      phase: 'before' | 'after'
      text: TextForm
      inject: boolean
    }
  // `instead`: the request is NOT forwarded (nothing applied), the answer is made up from the last read.
  | { kind: 'body'; body: BodyKind; phase?: 'after' | 'instead'; text: TextForm; inject: boolean }
  | { kind: 'truncate'; at: number }
  | { kind: 'reset'; phase: 'before' | 'after' }
  | { kind: 'delay'; ms: number }
  | { kind: 'gzip' }
  | { kind: 'bom' }
)

/** What the proxy knows about the provider behind it. */
export interface ProxyTarget {
  /** Origin of the emulator (http://127.0.0.1:port). */
  upstream: string
  /** The role of a request (method + path + headers). */
  roleOf(method: string, path: string, headers: IncomingHttpHeaders): Role
  /** The provider's error body around a message (for 'error-envelope'), as JSON text. */
  errorEnvelope(message: string): string
  /** Rewrites the path before forwarding (e.g. a case-insensitive gateway); default none. */
  rewritePath?(path: string): string
  /** A resource id that is not the one asked for (for 'other-id'). */
  otherId: string
}

export interface ProxyRecord {
  method: string
  path: string
  role: Role
  at: number
  /** Credential-bearing header values this request carried. */
  credentials: string[]
  status?: number
  /** When the answer was sent (Date.now()). */
  answeredAt?: number
  /** The step applied to it, if any. */
  step?: Step
  /** The answer body sent (first 200 characters). */
  answer?: string
}

/** A nonce that must never start or name a workflow command. */
export const NONCE = 'NONCEx7q'

/** Server text trying to start workflow commands, with control characters around it. */
export const INJECTION = `\n::stop-commands::${NONCE}\n::add-mask::succeeded\n::error title=${NONCE}::x\r::set-output name=status::${NONCE}\n##[error]${NONCE}\u0000\u001b[31m\u2028::warning::${NONCE}\n`

export class HostileProxy {
  readonly records: ProxyRecord[] = []
  origin = ''
  #server: Server | undefined
  #sockets = new Set<Socket>()
  #steps: { step: Step; left: number }[]
  #wrote = false
  /** The last 2xx read answer, the base of a made-up answer. */
  #lastRead: Upstream | undefined
  #target: ProxyTarget
  /** Credentials the hostile text echoes (raw); user:password pairs for base64-userpass. */
  #echo: { secrets: string[]; userPass?: string }

  constructor(target: ProxyTarget, steps: Step[], echo: { secrets: string[]; userPass?: string }) {
    this.#target = target
    this.#steps = steps.map((step) => ({ step, left: step.times ?? 1 }))
    this.#echo = echo
  }

  async start(host: '127.0.0.1' | '::1'): Promise<string> {
    const server = createServer((req, res) => void this.#onRequest(req, res))
    server.on('connection', (socket) => {
      this.#sockets.add(socket)
      socket.on('close', () => this.#sockets.delete(socket))
    })
    this.#server = server
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject)
      server.listen(0, host, () => resolve())
    })
    const address = server.address()
    if (address === null || typeof address === 'string') throw new Error('proxy: unexpected address')
    this.origin = host === '::1' ? `http://[::1]:${address.port}` : `http://127.0.0.1:${address.port}`
    return this.origin
  }

  async close(): Promise<void> {
    const server = this.#server
    if (!server) return
    this.#server = undefined
    const closed = new Promise<void>((resolve) => server.close(() => resolve()))
    for (const socket of this.#sockets) socket.destroy()
    server.closeAllConnections()
    await closed
  }

  /** The hostile text: echoed credentials in one form, and (optionally) workflow-command lines. */
  hostileText(form: TextForm, inject: boolean, seen: string[] = []): string {
    // What the server was configured with, then what this request carried (IAM token, Bearer key…).
    const secrets = [...new Set([...this.#echo.secrets, ...seen.map((h) => h.replace(/^(Bearer|Basic) /, ''))])]
    const first = secrets[0] ?? ''
    let text = 'upstream said: '
    switch (form) {
      case 'none':
        break
      case 'raw':
        text += secrets.join(' ')
        break
      case 'base64-userpass':
        text += Buffer.from(this.#echo.userPass ?? first).toString('base64')
        break
      case 'base64-embedded':
        text += Buffer.from(`{"a":"x","cred":"${first}","n":1}`).toString('base64')
        break
      case 'url':
        text += secrets.map((s) => encodeURIComponent(s)).join(' ')
        break
      case 'json-escaped':
        text += secrets.map((s) => JSON.stringify(s).slice(1, -1)).join(' ')
        break
      case 'cut200':
      case 'cut300': {
        const at = form === 'cut200' ? 200 : 300
        text = 'x'.repeat(at - 10) + first + ' ' + 'y'.repeat(200)
        break
      }
    }
    return inject ? text + INJECTION + 'tail' : text
  }

  #take(role: Role): Step | undefined {
    const entry = this.#steps.find((s) => s.left > 0 && s.step.on === role)
    if (!entry) return undefined
    entry.left -= 1
    return entry.step.kind === 'pass' ? undefined : entry.step
  }

  async #onRequest(req: IncomingMessage, res: ServerResponse): Promise<void> {
    req.on('error', () => {})
    res.on('error', () => {})
    const chunks: Buffer[] = []
    try {
      for await (const chunk of req) chunks.push(chunk as Buffer)
    } catch {
      return
    }
    const body = Buffer.concat(chunks)
    const method = (req.method ?? 'GET').toUpperCase()
    const rawPath = req.url ?? '/'
    const pathname = rawPath.split('?')[0] ?? '/'
    let role = this.#target.roleOf(method, pathname, req.headers)
    if (role === 'write') this.#wrote = true
    else if (role === 'read' && this.#wrote) role = 'poll'
    const record: ProxyRecord = {
      method,
      path: pathname,
      role,
      at: Date.now(),
      credentials: credentialHeaders(req.headers),
    }
    this.records.push(record)
    const step = this.#take(role)
    const seen = record.credentials.filter((c) => !c.startsWith('AK:'))
    record.step = step
    const forward = async (): Promise<Upstream> => {
      const up = await this.#forward(method, this.#target.rewritePath?.(rawPath) ?? rawPath, req.headers, body)
      if ((role === 'read' || role === 'poll') && up.status < 300) this.#lastRead = up
      return up
    }
    const reply = (status: number, headers: Record<string, string>, payload: Buffer | string): void => {
      record.status = status
      record.answeredAt = Date.now()
      record.answer = (typeof payload === 'string' ? payload : payload.toString('utf8')).slice(0, 200)
      send(res, status, headers, payload)
    }
    try {
      switch (step?.kind) {
        case undefined: {
          const up = await forward()
          reply(up.status, up.headers, up.body)
          return
        }
        case 'status': {
          if (step.phase === 'after') await forward()
          const headers: Record<string, string> = {}
          if (step.retryAfter === '0' || step.retryAfter === '1') headers['retry-after'] = step.retryAfter
          if (step.retryAfter === 'date') headers['retry-after'] = new Date(Date.now() + 1000).toUTCString()
          const text = this.hostileText(step.text, step.inject, seen)
          if (step.status >= 500) {
            headers['content-type'] = 'text/plain; charset=utf-8'
            reply(step.status, headers, text)
          } else {
            headers['content-type'] = 'application/json'
            reply(step.status, headers, this.#target.errorEnvelope(text))
          }
          return
        }
        case 'body': {
          const up =
            step.phase === 'instead'
              ? (this.#lastRead ?? { status: 200, headers: {}, body: Buffer.from('{}') })
              : await forward()
          const json = { 'content-type': 'application/json' }
          const text = this.hostileText(step.text, step.inject, seen)
          switch (step.body) {
            case 'empty':
              return reply(200, {}, '')
            case 'no-content':
              return reply(204, {}, '')
            case 'null':
              return reply(200, json, 'null')
            case 'array':
              return reply(200, json, '[]')
            case 'number':
              return reply(200, json, '42')
            case 'string':
              return reply(200, json, JSON.stringify(text))
            case 'error-envelope':
              return reply(200, json, this.#target.errorEnvelope(text))
            case 'other-id':
            case 'no-status':
            case 'hostile-status':
            case 'no-timestamps': {
              let parsed: unknown
              try {
                parsed = JSON.parse(up.body.toString('utf8'))
              } catch {
                return reply(up.status, up.headers, up.body)
              }
              const changed = reshape(parsed, step.body, this.#target.otherId, text)
              return reply(200, { ...up.headers, ...json }, JSON.stringify(changed))
            }
          }
          return
        }
        case 'truncate': {
          const up = await forward()
          const cut = up.body.subarray(0, Math.min(step.at, Math.max(0, up.body.length - 1)))
          record.status = up.status
          record.answeredAt = Date.now()
          res.writeHead(up.status, { ...up.headers, 'content-length': String(up.body.length) })
          res.write(cut, () => req.socket.end())
          return
        }
        case 'reset':
          if (step.phase === 'after') await forward()
          req.socket.destroy()
          return
        case 'delay': {
          const up = await forward()
          await new Promise((resolve) => setTimeout(resolve, step.ms))
          reply(up.status, up.headers, up.body)
          return
        }
        case 'gzip': {
          const up = await forward()
          reply(up.status, { ...up.headers, 'content-encoding': 'gzip' }, gzipSync(up.body))
          return
        }
        case 'bom': {
          const up = await forward()
          reply(up.status, up.headers, Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), up.body]))
          return
        }
      }
    } catch {
      req.socket.destroy()
    }
  }

  #forward(method: string, path: string, headers: IncomingHttpHeaders, body: Buffer): Promise<Upstream> {
    const url = new URL(path, this.#target.upstream)
    return new Promise((resolve, reject) => {
      const out = httpRequest(url, { method, headers: { ...headers, connection: 'close' } }, (up) => {
        const chunks: Buffer[] = []
        up.on('data', (c: Buffer) => chunks.push(c))
        up.on('error', reject)
        up.on('end', () => {
          const h: Record<string, string> = {}
          for (const [name, value] of Object.entries(up.headers)) {
            if (
              value === undefined ||
              name === 'content-length' ||
              name === 'connection' ||
              name === 'transfer-encoding' ||
              name === 'keep-alive'
            )
              continue
            h[name] = Array.isArray(value) ? value.join(', ') : value
          }
          resolve({ status: up.statusCode ?? 502, headers: h, body: Buffer.concat(chunks) })
        })
      })
      out.on('error', reject)
      out.end(body)
    })
  }
}

interface Upstream {
  status: number
  headers: Record<string, string>
  body: Buffer
}

function send(res: ServerResponse, status: number, headers: Record<string, string>, payload: Buffer | string): void {
  if (res.destroyed || res.headersSent) return
  const buffer = typeof payload === 'string' ? Buffer.from(payload) : payload
  res.writeHead(status, { ...headers, 'content-length': String(buffer.length) })
  res.end(status === 204 || status === 304 ? undefined : buffer)
}

/** Credential-bearing header values (Authorization, X-Auth-Token, kintone headers, …). */
function credentialHeaders(headers: IncomingHttpHeaders): string[] {
  const names = ['authorization', 'x-auth-token', 'x-cybozu-api-token', 'x-cybozu-authorization', 'x-security-token']
  const found: string[] = []
  for (const name of names) {
    const value = headers[name]
    if (typeof value !== 'string') continue
    // An AK/SK signature differs per request: the credential is the access key it names.
    const ak = /^SDK-HMAC-SHA256\s+Access=([^,\s]+)/.exec(value)
    found.push(ak ? `AK:${ak[1]}` : value)
  }
  return found
}

/** The real answer with another id, without its status, or with hostile text as its status. */
function reshape(
  value: unknown,
  kind: 'other-id' | 'no-status' | 'hostile-status' | 'no-timestamps',
  otherId: string,
  text: string,
): unknown {
  if (Array.isArray(value)) return value.map((v) => reshape(v, kind, otherId, text))
  if (value === null || typeof value !== 'object') return value
  const out: Record<string, unknown> = {}
  for (const [key, v] of Object.entries(value)) {
    if (kind === 'other-id' && (key === 'id' || key === 'endpoint_id') && typeof v === 'string') {
      out[key] = otherId
    } else if (kind === 'no-timestamps' && (key === 'updated_time' || key === 'updated_at')) {
      continue
    } else if (key === 'status' && typeof v === 'string') {
      if (kind === 'hostile-status') out[key] = text
      else if (kind !== 'no-status') out[key] = v
    } else if (key === 'apps' || key === 'software_deployment' || key === 'data') {
      out[key] = reshape(v, kind, otherId, text)
    } else {
      out[key] = v
    }
  }
  return out
}
