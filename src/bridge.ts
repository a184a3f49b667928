import type { NativeServer } from '../index.js'
import { setCookie } from './cookies.js'
import { abortReason, Request, type RequestContext } from './request.js'
import { FileBody, HttpError, HttpResponse, problem, stringify } from './response.js'
import { isStreamSource, Streams, type StreamSource } from './streams.js'
import { BodyKind, ContentType, type DrainSink, type Ended, Outgoing, readDrain, RespondRecord } from './wire.js'

/** One routed handler with its middleware, composed once at start. */
export interface Endpoint {
  run: (req: Request<any, any>) => unknown
  names: readonly string[]
  /** The route streams its request body (`{ stream: true }`). */
  stream: boolean
}

/** Turns a thrown value into the response for it. */
export type ErrorResponder = (error: unknown, req: Request<any, any>) => unknown

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
export class Dispatcher implements DrainSink {
  native!: NativeServer
  readonly #endpoints: readonly Endpoint[]
  readonly #context: RequestContext
  readonly #onError: ErrorResponder
  /** Filled by `drain`. */
  readonly #inbox = new Uint32Array(16_384)
  /** Answers waiting for the flush. */
  readonly #outbox = new Outgoing(4096)
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
    for (;;) {
      let text: string | null
      try {
        text = this.native.drain(inbox)
      } catch (error) {
        console.error('[armature] could not take requests from the engine:', error)
        return
      }
      if (text === null || !readDrain(inbox, text, this)) break
    }
    this.#flush()
  }

  ended(id: number, why: Ended): void {
    // The signal first, then the stream's source: its `finally` sees the signal aborted.
    const reason = abortReason(why)
    const signals = this.#context.signals
    const controller = signals.get(id)
    if (controller !== undefined) {
      signals.delete(id)
      controller.abort(reason)
    }
    this.#streams.close(id, reason)
  }

  room(id: number): void {
    this.#streams.room(id)
  }

  readable(id: number): void {
    const readers = this.#context.readers
    const wake = readers.get(id)
    if (wake !== undefined) {
      readers.delete(id)
      wake()
    }
  }

  paramCount(endpoint: number): number {
    return (this.#endpoints[endpoint] as Endpoint).names.length
  }

  request(id: number, index: number, method: string, url: string, params: readonly string[]): void {
    const endpoint = this.#endpoints[index] as Endpoint
    this.#run(endpoint, new Request(this.native, id, method, url, endpoint.names, params, this.#context, endpoint.stream))
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
    let body: string | Uint8Array | StreamSource | FileBody | undefined
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
        // The answer is over: the body the engine holds is let go, temp files removed.
        req.finish()
      })
      return
    }
    req.done = true
    this.#context.signals.delete(req.slot)
    // A whole answer ends the request: what is left of its body is discarded, temp files removed.
    req.finish()
    this.#queue(req.slot, status, type, headers, body)
  }

  /** Appends one answer to the outbox, as `NativeServer.respond` reads it. */
  #queue(
    id: number,
    status: number,
    type: ContentType,
    headers: readonly string[] | undefined,
    body: string | Uint8Array | FileBody | undefined,
    streamed = false,
  ): void {
    const headerSlots = headers === undefined ? 0 : headers.length
    const outbox = this.#outbox
    const start = outbox.record(RespondRecord.Size + headerSlots, id)
    const out = outbox.slots
    out[start + RespondRecord.Status] = status
    out[start + RespondRecord.ContentType] = type
    out[start + RespondRecord.HeaderCount] = headerSlots >> 1
    for (let i = 0; i < headerSlots; i++) {
      out[start + RespondRecord.Size + i] = outbox.text((headers as readonly string[])[i] as string)
    }
    if (streamed) {
      out[start + RespondRecord.BodyKind] = BodyKind.Stream
      out[start + RespondRecord.Body] = 0
    } else if (body === undefined) {
      out[start + RespondRecord.BodyKind] = BodyKind.None
      out[start + RespondRecord.Body] = 0
    } else if (typeof body === 'string') {
      out[start + RespondRecord.BodyKind] = BodyKind.Text
      out[start + RespondRecord.Body] = outbox.text(body)
    } else if (body instanceof FileBody) {
      out[start + RespondRecord.BodyKind] = BodyKind.File
      out[start + RespondRecord.Body] = outbox.text(JSON.stringify(body.spec))
    } else {
      out[start + RespondRecord.BodyKind] = BodyKind.Buffer
      out[start + RespondRecord.Body] = outbox.buffer(body)
    }
    if (!this.#flushQueued) {
      this.#flushQueued = true
      queueMicrotask(this.#flush)
    }
  }

  readonly #flush = (): void => {
    this.#flushQueued = false
    if (this.#outbox.count === 0) return
    // Runs from the engine's wake and from microtasks: a throw here would be uncaught.
    try {
      const problems = this.#outbox.send((slots, text, buffers) => this.native.respond(slots, text, buffers))
      if (problems) for (const message of problems) console.error(`[armature] ${message}`)
    } catch (error) {
      console.error('[armature] could not hand responses to the engine:', error)
    }
    // Chunks already queued go out in the same turn, behind the heads they follow.
    this.#streams.flush()
  }
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
