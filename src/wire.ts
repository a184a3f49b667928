/**
 * The JS side of the bridge's arrays: ids, the `drain` batch, and the
 * records JS hands to `respond` and `write`. Every slot and code is in
 * `./generated/wire.ts`, written from `crates/wire`: numbers are never
 * spelled here or by the callers.
 */
import { Aborted, Batch, CUSTOM_METHOD, DrainHeader, DrainRecord, type Ended, METHODS, Room } from './generated/wire.js'

export * from './generated/wire.js'

/** Ids are below 2^53 and cross as two 32-bit slots, low first. */
const HIGH = 0x1_0000_0000

export function readId(slots: Uint32Array, at: number): number {
  return (slots[at] as number) + (slots[at + 1] as number) * HIGH
}

export function writeId(slots: Uint32Array, at: number, id: number): void {
  slots[at] = id % HIGH
  slots[at + 1] = Math.floor(id / HIGH)
}

const NO_VALUES: readonly string[] = []

/** What a `drain` batch tells, record by record. */
export interface DrainSink {
  /** A watched request or a stream ended without its answer. */
  ended(id: number, why: Ended): void
  /** Response stream `id` has room again. */
  room(id: number): void
  /** Streamed request body `id` has chunks to pull. */
  readable(id: number): void
  /** How many path parameters a request routed to `endpoint` carries. */
  paramCount(endpoint: number): number
  request(id: number, endpoint: number, method: string, url: string, params: readonly string[]): void
}

/** Reads the batch `drain` left in `slots` and `text`; true when more wait. */
export function readDrain(slots: Uint32Array, text: string, sink: DrainSink): boolean {
  let slot = DrainHeader.Size
  for (let n = slots[DrainHeader.Aborted] as number; n > 0; n--) {
    sink.ended(readId(slots, slot + Aborted.Id), slots[slot + Aborted.Why] as Ended)
    slot += Aborted.Size
  }
  for (let n = slots[DrainHeader.Rooms] as number; n > 0; n--) {
    sink.room(readId(slots, slot + Room.Id))
    slot += Room.Size
  }
  for (let n = slots[DrainHeader.Readables] as number; n > 0; n--) {
    sink.readable(readId(slots, slot + Room.Id))
    slot += Room.Size
  }
  let at = 0
  for (let n = slots[DrainHeader.Count] as number; n > 0; n--) {
    const id = readId(slots, slot + DrainRecord.Id)
    const endpoint = slots[slot + DrainRecord.Endpoint] as number
    const code = slots[slot + DrainRecord.Method] as number
    let end = at + (slots[slot + DrainRecord.UrlLength] as number)
    const url = text.slice(at, end)
    at = end
    slot += DrainRecord.Size
    const count = sink.paramCount(endpoint)
    let params = NO_VALUES
    if (count > 0) {
      const list: string[] = new Array<string>(count)
      for (let i = 0; i < count; i++) {
        end = at + (slots[slot++] as number)
        list[i] = text.slice(at, end)
        at = end
      }
      params = list
    }
    let method: string
    if (code === CUSTOM_METHOD) {
      end = at + (slots[slot++] as number)
      method = text.slice(at, end)
      at = end
    } else {
      method = METHODS[code] as string
    }
    sink.request(id, endpoint, method, url, params)
  }
  return slots[DrainHeader.More] === 1
}

/**
 * Records on their way to `respond` or `write`: numbers in one array after
 * their count, strings joined into one, Buffers in a list beside, so that a
 * batch crosses in one call whatever its size.
 */
export class Outgoing {
  #slots: Uint32Array
  #end: number = Batch.Records
  #count = 0
  #text = ''
  #buffers: Buffer[] | undefined

  constructor(slots: number) {
    this.#slots = new Uint32Array(slots)
  }

  get count(): number {
    return this.#count
  }

  /** The slots, for filling the record just opened: `record` may replace them. */
  get slots(): Uint32Array {
    return this.#slots
  }

  /** Opens a record of `size` slots whose id is `id`; returns where it starts. */
  record(size: number, id: number): number {
    const start = this.#end
    const end = start + size
    if (end > this.#slots.length) {
      const grown = new Uint32Array(Math.max(end, this.#slots.length * 2))
      grown.set(this.#slots.subarray(0, start))
      this.#slots = grown
    }
    writeId(this.#slots, start, id)
    this.#end = end
    this.#count++
    return start
  }

  /** Adds a piece to the text; returns its length, which its record holds. */
  text(piece: string): number {
    this.#text += piece
    return piece.length
  }

  /** Adds a Buffer to the list; returns its index, which its record holds. */
  buffer(bytes: Uint8Array): number {
    const buffer = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)
    return (this.#buffers ??= []).push(buffer) - 1
  }

  /**
   * Hands the batch to `send` and starts the next one. The slots stay the
   * caller's to read until a record is added: `write` answers in them.
   */
  send<T>(send: (slots: Uint32Array, text: string, buffers: Buffer[] | undefined) => T): T {
    const slots = this.#slots
    slots[Batch.Count] = this.#count
    const text = this.#text
    const buffers = this.#buffers
    this.#end = Batch.Records
    this.#count = 0
    this.#text = ''
    this.#buffers = undefined
    return send(slots, text, buffers)
  }
}
