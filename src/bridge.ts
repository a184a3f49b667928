import type { NativeServer } from '../index.js'
import { Request } from './request.js'
import { ContentType, HttpError, HttpResponse, problem, stringify } from './response.js'

/** What a handler or middleware may return. */
export type HandlerResult = HttpResponse | string | Uint8Array | object | number | boolean | null | undefined

/** One routed handler with its middleware, composed once at start. */
export interface Endpoint {
  run: (req: Request<any, any>) => unknown
  names: readonly string[]
}

/** Turns a thrown value into the response for it. */
export type ErrorResponder = (error: unknown, req: Request<any, any>) => unknown

const METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS'] as const
const EMPTY: readonly string[] = []

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return value !== null && typeof value === 'object' && typeof (value as { then?: unknown }).then === 'function'
}

/**
 * The JS half of the bridge (see crates/armature-node/src/bridge.rs): takes a
 * batch of requests per wake, runs their handlers, and answers every
 * response ready in one microtask flush with a single native call.
 */
export class Dispatcher {
  native!: NativeServer
  readonly #endpoints: readonly Endpoint[]
  readonly #data: unknown
  readonly #onError: ErrorResponder
  /** Five slots per answer, as `NativeServer.respond` reads them. */
  #outbox: unknown[] = []
  #flushQueued = false

  constructor(endpoints: readonly Endpoint[], data: unknown, onError: ErrorResponder) {
    this.#endpoints = endpoints
    this.#data = data
    this.#onError = onError
  }

  /** Called by the engine (through a weak threadsafe function) when requests wait. */
  readonly wake = (): void => {
    let batch: unknown[]
    try {
      batch = this.native.drain()
    } catch (error) {
      console.error('[armature] could not take requests from the engine:', error)
      return
    }
    let i = 0
    while (i < batch.length) {
      const id = batch[i] as number
      const endpoint = this.#endpoints[batch[i + 1] as number] as Endpoint
      const method = batch[i + 2]
      const count = endpoint.names.length
      const values = count === 0 ? EMPTY : (batch.slice(i + 3, i + 3 + count) as string[])
      i += 3 + count
      const req = new Request(
        this.native,
        id,
        typeof method === 'number' ? (METHODS[method] as string) : (method as string),
        endpoint.names,
        values,
        this.#data,
      )
      this.#run(endpoint, req)
    }
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
    const out = this.#outbox
    const start = out.length
    try {
      encode(out, value)
    } catch (error) {
      out.length = start
      if (failing) this.#send(req, defaultError(error, req), true)
      else this.#fail(req, error)
      return
    }
    req.done = true
    out[start] = req.slot
    if (!this.#flushQueued) {
      this.#flushQueued = true
      queueMicrotask(this.#flush)
    }
  }

  readonly #flush = (): void => {
    this.#flushQueued = false
    if (this.#outbox.length === 0) return
    const batch = this.#outbox
    this.#outbox = []
    // Runs from the engine's wake and from microtasks: a throw here would be uncaught.
    try {
      const problems = this.native.respond(batch)
      if (problems) for (const message of problems) console.error(`[armature] ${message}`)
    } catch (error) {
      console.error('[armature] could not hand responses to the engine:', error)
    }
  }
}

/** Appends the five respond slots for `value`; slot 0 is filled by the caller. */
function encode(out: unknown[], value: unknown): void {
  if (value instanceof HttpResponse) {
    out.push(0, value.status, value.contentType, value.headerList, bodyOf(value.body))
  } else if (typeof value === 'string') {
    out.push(0, 200, ContentType.Text, undefined, value)
  } else if (value === undefined) {
    out.push(0, 204, ContentType.None, undefined, undefined)
  } else if (value instanceof Uint8Array) {
    out.push(0, 200, ContentType.Bytes, undefined, bodyOf(value))
  } else if (typeof value === 'object' || typeof value === 'number' || typeof value === 'boolean') {
    out.push(0, 200, ContentType.Json, undefined, stringify(value))
  } else {
    throw new TypeError(
      `a handler returned a ${typeof value}; return an HttpResponse, a string, a Buffer, a JSON value or undefined`,
    )
  }
}

function bodyOf(body: string | Uint8Array | undefined): string | Buffer | undefined {
  if (body === undefined || typeof body === 'string' || Buffer.isBuffer(body)) return body
  return Buffer.from(body.buffer, body.byteOffset, body.byteLength)
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
