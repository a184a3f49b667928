import type { NativeServer } from '../index.js'
import { Batch, BodyKind, Outcome, Outgoing, WriteRecord } from './wire.js'

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
  readonly #outgoing = new Outgoing(Batch.Records + 64 * WriteRecord.Size)
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
          await this.#write(id, BodyKind.End, '')
          return
        }
        if (typeof value === 'string' ? value.length === 0 : value instanceof Uint8Array && value.byteLength === 0) continue
        if (typeof value !== 'string' && !(value instanceof Uint8Array)) {
          throw new TypeError(`a stream yielded a ${value === null ? 'null' : typeof value}; yield strings or Uint8Arrays`)
        }
        let outcome = await this.#write(id, typeof value === 'string' ? BodyKind.Text : BodyKind.Buffer, value)
        if (outcome === Outcome.Full && !pump.closed) outcome = await new Promise<Outcome>((resolve) => (pump.room = resolve))
        if (outcome === Outcome.Closed || pump.closed) return
      }
    } catch (error) {
      if (pump.closed) return
      console.error(`[armature] a response stream failed:`, error)
      const message = error instanceof Error ? error.message : String(error)
      await this.#write(id, BodyKind.Error, message || 'the source failed')
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
  #write(id: number, kind: BodyKind, chunk: string | Uint8Array): Promise<Outcome> {
    const outgoing = this.#outgoing
    const at = outgoing.record(WriteRecord.Size, id)
    outgoing.slots[at + WriteRecord.Kind] = kind
    outgoing.slots[at + WriteRecord.Body] = typeof chunk === 'string' ? outgoing.text(chunk) : outgoing.buffer(chunk)
    if (!this.#flushQueued) {
      this.#flushQueued = true
      queueMicrotask(this.flush)
    }
    return new Promise<Outcome>((resolve) => this.#settle.push(resolve))
  }

  /** Hands every queued record to the engine in one call. */
  readonly flush = (): void => {
    this.#flushQueued = false
    const count = this.#outgoing.count
    if (count === 0) return
    const settle = this.#settle
    this.#settle = []
    let slots: Uint32Array | undefined
    try {
      slots = this.#outgoing.send((slots, text, buffers) => {
        this.#native().write(slots, text, buffers)
        return slots
      })
    } catch (error) {
      console.error('[armature] could not hand stream chunks to the engine:', error)
    }
    for (let n = 0; n < count; n++) {
      const outcome = slots === undefined ? Outcome.Closed : (slots[Batch.Records + n * WriteRecord.Size + WriteRecord.Kind] as Outcome)
      ;(settle[n] as (outcome: Outcome) => void)(outcome)
    }
  }
}
