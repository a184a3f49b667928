import type { NativeServer } from '../index.js'
import { setCookie } from './cookies.js'
import { abortReason, Request, type RequestContext } from './request.js'
import { ContentType, HttpError, HttpResponse, problem, stringify } from './response.js'
import { isStreamSource, Streams, type StreamSource } from './streams.js'

/** What a handler or middleware may return. */
export type HandlerResult = HttpResponse | string | Uint8Array | StreamSource | object | number | boolean | null | undefined

/** One routed handler with its middleware, composed once at start. */
export interface Endpoint {
  run: (req: Request<any, any>) => unknown
  names: readonly string[]
  /** The route streams its request body (`{ stream: true }`). */
  stream: boolean
}

/** Turns a thrown value into the response for it. */
export type ErrorResponder = (error: unknown, req: Request<any, any>) => unknown

const METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS'] as const
const EMPTY: readonly string[] = []

/** The array layouts of `NativeServer.drain` and `respond` (see bridge.rs). */
const DRAIN_HEADER = 5
const ABORTED_RECORD = 3
const ROOM_RECORD = 2
const DRAIN_RECORD = 5
const CUSTOM_METHOD = 255
const RESPOND_RECORD = 7
/** Ids are below 2^53 and cross as two 32-bit halves. */
const HIGH = 0x1_0000_0000
const enum BodyKind {
  None = 0,
  Text = 1,
  Buffer = 2,
  Stream = 3,
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return value !== null && typeof value === 'object' && typeof (value as { then?: unknown }).then === 'function'
}

/**
 * The JS half of the bridge (see crates/armature-node/src/bridge.rs): takes a
 * batch of requests per wake, runs their handlers, and answers every
 * response ready in one microtask flush with a single native call. Both
 * directions pass numbers in a Uint32Array and all strings as one string, so
 * a batch costs two native calls whatever its size.
 */
export class Dispatcher {
  native!: NativeServer
  readonly #endpoints: readonly Endpoint[]
  readonly #context: RequestContext
  readonly #onError: ErrorResponder
  /** Filled by `drain`. */
  readonly #inbox = new Uint32Array(16_384)
  /** Answers waiting for the flush: slot 0 is their count, then the records. */
  #outbox = new Uint32Array(4096)
  #outEnd = 1
  #outCount = 0
  /** Header names and values and text bodies of the waiting answers, in record order. */
  #outText = ''
  #outBuffers: Buffer[] | undefined
  #flushQueued = false
  readonly #streams = new Streams(() => this.native)
  #drainQueued = false

  constructor(endpoints: readonly Endpoint[], context: RequestContext, onError: ErrorResponder) {
    this.#endpoints = endpoints
    this.#context = context
    this.#onError = onError
  }

  /**
   * Called by the engine (through a weak threadsafe function) when requests
   * wait; they are taken in the loop's check phase. Node runs a threadsafe
   * function's queued calls back to back (up to 1,000 a turn) and the engine
   * queues its next wake while a batch runs, so taking them here would keep
   * the loop from its timers and I/O for as long as the load lasts.
   */
  readonly wake = (): void => {
    if (this.#drainQueued) return
    this.#drainQueued = true
    setImmediate(this.#drain)
  }

  readonly #drain = (): void => {
    this.#drainQueued = false
    const inbox = this.#inbox
    do {
      let text: string | null
      try {
        text = this.native.drain(inbox)
      } catch (error) {
        console.error('[armature] could not take requests from the engine:', error)
        return
      }
      if (text === null) break
      const count = inbox[0] as number
      let slot = DRAIN_HEADER
      for (let n = inbox[2] as number; n > 0; n--) {
        const id = (inbox[slot] as number) + (inbox[slot + 1] as number) * HIGH
        const reason = abortReason(inbox[slot + 2] as number)
        // The signal first, then the stream's source: its `finally` sees the signal aborted.
        const signals = this.#context.signals
        const controller = signals.get(id)
        if (controller !== undefined) {
          signals.delete(id)
          controller.abort(reason)
        }
        this.#streams.close(id, reason)
        slot += ABORTED_RECORD
      }
      for (let n = inbox[3] as number; n > 0; n--) {
        this.#streams.room((inbox[slot] as number) + (inbox[slot + 1] as number) * HIGH)
        slot += ROOM_RECORD
      }
      for (let n = inbox[4] as number; n > 0; n--) {
        const id = (inbox[slot] as number) + (inbox[slot + 1] as number) * HIGH
        const readers = this.#context.readers
        const wake = readers.get(id)
        if (wake !== undefined) {
          readers.delete(id)
          wake()
        }
        slot += ROOM_RECORD
      }
      let at = 0
      for (let n = 0; n < count; n++) {
        const id = (inbox[slot] as number) + (inbox[slot + 1] as number) * HIGH
        const endpoint = this.#endpoints[inbox[slot + 2] as number] as Endpoint
        const code = inbox[slot + 3] as number
        let end = at + (inbox[slot + 4] as number)
        const url = text.slice(at, end)
        at = end
        slot += DRAIN_RECORD
        const names = endpoint.names
        let values = EMPTY
        if (names.length > 0) {
          const list: string[] = new Array<string>(names.length)
          for (let i = 0; i < names.length; i++) {
            end = at + (inbox[slot++] as number)
            list[i] = text.slice(at, end)
            at = end
          }
          values = list
        }
        let method: string
        if (code === CUSTOM_METHOD) {
          end = at + (inbox[slot++] as number)
          method = text.slice(at, end)
          at = end
        } else {
          method = METHODS[code] as string
        }
        this.#run(endpoint, new Request(this.native, id, method, url, names, values, this.#context, endpoint.stream))
      }
    } while (inbox[1] === 1)
    this.#flush()
  }

  #run(endpoint: Endpoint, req: Request<any, any>): void {
    let result: unknown
    try {
      result = endpoint.run(req)
    } catch (error) {
      this.#fail(req, error)
      return
    }
    if (isThenable(result)) {
      result.then(
        (value) => this.#send(req, value),
        (error: unknown) => this.#fail(req, error),
      )
    } else {
      this.#send(req, result)
    }
  }

  #fail(req: Request<any, any>, error: unknown): void {
    let result: unknown
    try {
      result = this.#onError(error, req)
    } catch (nested) {
      result = defaultError(nested, req)
    }
    if (isThenable(result)) {
      result.then(
        (value) => this.#send(req, value, true),
        (nested: unknown) => this.#send(req, defaultError(nested, req), true),
      )
    } else {
      this.#send(req, result, true)
    }
  }

  /** Queues the answer; a value that cannot be encoded is answered as an error, once. */
  #send(req: Request<any, any>, value: unknown, failing = false): void {
    if (req.done) return
    let status = 200
    let type = ContentType.Json
    let headers: readonly string[] | undefined
    let body: string | Uint8Array | StreamSource | undefined
    try {
      if (value instanceof HttpResponse) {
        status = value.status
        type = value.contentType
        headers = value.headerList
        body = value.body
        if (value.signedCookies) {
          const signed = value.signedCookies.flatMap((c) => ['set-cookie', setCookie(c.name, c.value, c.options, this.#context.secrets)])
          headers = [...(headers ?? []), ...signed]
        }
      } else if (typeof value === 'string') {
        type = ContentType.Text
        body = value
      } else if (value === undefined) {
        status = 204
        type = ContentType.None
      } else if (value instanceof Uint8Array || isStreamSource(value)) {
        type = ContentType.Bytes
        body = value
      } else if (typeof value === 'object' || typeof value === 'number' || typeof value === 'boolean') {
        body = stringify(value)
      } else {
        throw new TypeError(
          `a handler returned a ${typeof value}; return an HttpResponse, a string, a Buffer, a JSON value or undefined`,
        )
      }
    } catch (error) {
      if (failing) this.#send(req, defaultError(error, req), true)
      else this.#fail(req, error)
      return
    }
    if (isStreamSource(body)) {
      // Its signal must outlive the answer's head: the engine reports the
      // stream's end to it, and the source may read it.
      void req.signal
      req.done = true
      this.#queue(req.slot, status, type, headers, undefined, true)
      const signals = this.#context.signals
      this.#streams.start(req.slot, body, () => {
        signals.delete(req.slot)
        // The answer is over: a streamed request body nobody read is let go.
        if (req.streamed) this.native.release(req.slot)
      })
      return
    }
    req.done = true
    this.#context.signals.delete(req.slot)
    // A whole answer ends the request: what is left of a streamed body is discarded.
    if (req.streamed) this.native.release(req.slot)
    this.#queue(req.slot, status, type, headers, body)
  }

  /** Appends one answer to the outbox, as `NativeServer.respond` reads it. */
  #queue(
    id: number,
    status: number,
    type: ContentType,
    headers: readonly string[] | undefined,
    body: string | Uint8Array | undefined,
    streamed = false,
  ): void {
    const headerSlots = headers === undefined ? 0 : headers.length
    const start = this.#outEnd
    const end = start + RESPOND_RECORD + headerSlots
    if (end > this.#outbox.length) {
      const grown = new Uint32Array(Math.max(end, this.#outbox.length * 2))
      grown.set(this.#outbox.subarray(0, start))
      this.#outbox = grown
    }
    const out = this.#outbox
    let text = this.#outText
    out[start] = id % HIGH
    out[start + 1] = Math.floor(id / HIGH)
    out[start + 2] = status
    out[start + 3] = type
    out[start + 4] = headerSlots >> 1
    for (let i = 0; i < headerSlots; i++) {
      const piece = (headers as readonly string[])[i] as string
      out[start + RESPOND_RECORD + i] = piece.length
      text += piece
    }
    if (streamed) {
      out[start + 5] = BodyKind.Stream
      out[start + 6] = 0
    } else if (body === undefined) {
      out[start + 5] = BodyKind.None
      out[start + 6] = 0
    } else if (typeof body === 'string') {
      out[start + 5] = BodyKind.Text
      out[start + 6] = body.length
      text += body
    } else {
      const buffers = (this.#outBuffers ??= [])
      out[start + 5] = BodyKind.Buffer
      out[start + 6] = buffers.push(asBuffer(body)) - 1
    }
    this.#outText = text
    this.#outEnd = end
    this.#outCount++
    if (!this.#flushQueued) {
      this.#flushQueued = true
      queueMicrotask(this.#flush)
    }
  }

  readonly #flush = (): void => {
    this.#flushQueued = false
    if (this.#outCount === 0) return
    const out = this.#outbox
    out[0] = this.#outCount
    const text = this.#outText
    const buffers = this.#outBuffers
    this.#outEnd = 1
    this.#outCount = 0
    this.#outText = ''
    this.#outBuffers = undefined
    // Runs from the engine's wake and from microtasks: a throw here would be uncaught.
    try {
      const problems = this.native.respond(out, text, buffers)
      if (problems) for (const message of problems) console.error(`[armature] ${message}`)
    } catch (error) {
      console.error('[armature] could not hand responses to the engine:', error)
    }
    // Chunks already queued go out in the same turn, behind the heads they follow.
    this.#streams.flush()
  }
}

function asBuffer(body: Uint8Array): Buffer {
  return Buffer.isBuffer(body) ? body : Buffer.from(body.buffer, body.byteOffset, body.byteLength)
}

/** The response for an error no `onError` handled: its problem, or a 500. */
export function defaultError(error: unknown, req: Request<any, any>): HttpResponse {
  const instance = safePath(req)
  if (error instanceof HttpError) {
    const response = problem(error.status, instance, error.message, error)
    if (error.headers) for (const [name, value] of Object.entries(error.headers)) response.header(name, value)
    return response
  }
  console.error(`[armature] ${req.method} ${instance} failed:`, error)
  const detail = process.env.NODE_ENV === 'development' ? describe(error) : undefined
  return problem(500, instance, detail)
}

function describe(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : `thrown value: ${String(error)}`
}

function safePath(req: Request<any, any>): string {
  try {
    return req.path
  } catch {
    return ''
  }
}
