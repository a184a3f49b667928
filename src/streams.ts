import type { NativeServer } from '../index.js'

/**
 * Where a streamed response body comes from: an async iterable (an async
 * generator, say), a web `ReadableStream` (a `fetch` response's body) or a
 * Node `Readable` (`fs.createReadStream`), yielding strings or bytes.
 */
export type StreamSource = AsyncIterable<string | Uint8Array> | ReadableStream<string | Uint8Array> | NodeJS.ReadableStream

/** Whether `value` is a body to stream rather than a value to send whole. */
export function isStreamSource(value: unknown): value is StreamSource {
  if (value === null || typeof value !== 'object' || value instanceof Uint8Array) return false
  const source = value as { getReader?: unknown; [Symbol.asyncIterator]?: unknown }
  return typeof source.getReader === 'function' || typeof source[Symbol.asyncIterator] === 'function'
}

/** A source read chunk by chunk, and how to stop it early. */
interface Reader {
  next(): Promise<IteratorResult<unknown>>
  /** `cancel()` on a ReadableStream, `destroy()` on a Readable, `return()` on an iterator: `finally` blocks run. */
  cancel(reason: Error): void
}

function reader(source: StreamSource): Reader {
  if (typeof (source as ReadableStream).getReader === 'function') {
    const reader = (source as ReadableStream<unknown>).getReader()
    return { next: () => reader.read() as Promise<IteratorResult<unknown>>, cancel: (reason) => void reader.cancel(reason).catch(() => {}) }
  }
  const readable = source as { destroy?: (error?: Error) => void; pipe?: unknown }
  const iterator = (source as AsyncIterable<unknown>)[Symbol.asyncIterator]()
  if (typeof readable.destroy === 'function' && typeof readable.pipe === 'function') {
    return { next: () => iterator.next(), cancel: () => readable.destroy?.() }
  }
  return { next: () => iterator.next(), cancel: () => void iterator.return?.()?.catch(() => {}) }
}

/** Record kinds of `NativeServer.write`, and the outcomes it writes back. */
const enum Kind {
  Text = 0,
  Buffer = 1,
  End = 2,
  Error = 3,
}
const enum Outcome {
  Room = 0,
  Full = 1,
  Closed = 2,
}
const WRITE_RECORD = 4
const HIGH = 0x1_0000_0000

/** One stream being pumped. */
interface Pump {
  reader: Reader
  /** Set when the engine closed the stream (the client went away). */
  closed: boolean
  /** Resolves the wait for room. */
  room: ((outcome: Outcome) => void) | undefined
}

/**
 * The response bodies JS streams into the engine. Each source is pulled only
 * while its window has room; the chunks of every stream written in one
 * microtask cross in one `write` call, and the engine says in its `drain`
 * batches which streams have room again or were closed.
 */
export class Streams {
  readonly #native: () => NativeServer
  readonly #pumps = new Map<number, Pump>()
  #meta = new Uint32Array(1 + 64 * WRITE_RECORD)
  #count = 0
  #text = ''
  #buffers: Buffer[] | undefined
  #settle: ((outcome: Outcome) => void)[] = []
  #flushQueued = false

  constructor(native: () => NativeServer) {
    this.#native = native
  }

  /** Pumps `source` into the stream of request `id`; `done` runs when it ends, however. */
  start(id: number, source: StreamSource, done: () => void): void {
    const pump: Pump = { reader: reader(source), closed: false, room: undefined }
    this.#pumps.set(id, pump)
    void this.#pump(id, pump).finally(() => {
      this.#pumps.delete(id)
      done()
    })
  }

  async #pump(id: number, pump: Pump): Promise<void> {
    try {
      for (;;) {
        const { value, done } = await pump.reader.next()
        if (pump.closed) return
        if (done) {
          await this.#write(id, Kind.End, '')
          return
        }
        if (typeof value === 'string' ? value.length === 0 : value instanceof Uint8Array && value.byteLength === 0) continue
        if (typeof value !== 'string' && !(value instanceof Uint8Array)) {
          throw new TypeError(`a stream yielded a ${value === null ? 'null' : typeof value}; yield strings or Uint8Arrays`)
        }
        let outcome = await this.#write(id, typeof value === 'string' ? Kind.Text : Kind.Buffer, value)
        if (outcome === Outcome.Full && !pump.closed) outcome = await new Promise<Outcome>((resolve) => (pump.room = resolve))
        if (outcome === Outcome.Closed || pump.closed) return
      }
    } catch (error) {
      if (pump.closed) return
      console.error(`[armature] a response stream failed:`, error)
      const message = error instanceof Error ? error.message : String(error)
      await this.#write(id, Kind.Error, message || 'the source failed')
    }
  }

  /** The engine has room again for stream `id`. */
  room(id: number): void {
    const pump = this.#pumps.get(id)
    const resolve = pump?.room
    if (pump && resolve) {
      pump.room = undefined
      resolve(Outcome.Room)
    }
  }

  /** The engine closed stream `id` (its client went away): stop its source. */
  close(id: number, reason: Error): void {
    const pump = this.#pumps.get(id)
    if (!pump || pump.closed) return
    pump.closed = true
    pump.room?.(Outcome.Closed)
    pump.room = undefined
    pump.reader.cancel(reason)
  }

  /** Queues one record; resolves with its outcome once the batch is written. */
  #write(id: number, kind: Kind, chunk: string | Uint8Array): Promise<Outcome> {
    const at = 1 + this.#count * WRITE_RECORD
    if (at + WRITE_RECORD > this.#meta.length) {
      const grown = new Uint32Array(this.#meta.length * 2)
      grown.set(this.#meta)
      this.#meta = grown
    }
    const meta = this.#meta
    meta[at] = id % HIGH
    meta[at + 1] = Math.floor(id / HIGH)
    meta[at + 2] = kind
    if (typeof chunk === 'string') {
      meta[at + 3] = chunk.length
      this.#text += chunk
    } else {
      const buffers = (this.#buffers ??= [])
      meta[at + 3] = buffers.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength)) - 1
    }
    this.#count++
    if (!this.#flushQueued) {
      this.#flushQueued = true
      queueMicrotask(this.flush)
    }
    return new Promise<Outcome>((resolve) => this.#settle.push(resolve))
  }

  /** Hands every queued record to the engine in one call. */
  readonly flush = (): void => {
    this.#flushQueued = false
    const count = this.#count
    if (count === 0) return
    const meta = this.#meta
    const settle = this.#settle
    meta[0] = count
    const text = this.#text
    const buffers = this.#buffers
    this.#count = 0
    this.#text = ''
    this.#buffers = undefined
    this.#settle = []
    let failed = false
    try {
      this.#native().write(meta, text, buffers)
    } catch (error) {
      failed = true
      console.error('[armature] could not hand stream chunks to the engine:', error)
    }
    for (let n = 0; n < count; n++) {
      ;(settle[n] as (outcome: Outcome) => void)(failed ? Outcome.Closed : (meta[1 + n * WRITE_RECORD + 2] as Outcome))
    }
  }
}
