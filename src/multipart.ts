import { randomUUID } from 'node:crypto'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import type { NativeServer, PartFailure, PartInfo, WholeParts } from '../index.js'
import type { MultipartOptions } from './generated/middleware.js'
import { HttpError } from './response.js'
import { PullState } from './wire.js'
import { Code, codedError } from './errors.js'

export type { MultipartOptions, MultipartLimitsJson as MultipartLimits } from './generated/middleware.js'

/** What the parts of one request read through: its engine and id. */
export interface PartSource {
  readonly native: NativeServer
  readonly id: number
  /** What wakes a reader waiting for the engine, by request id. */
  readonly readers: Map<number, () => void>
}

/** Waits for the engine's next readable news of request `id`. */
function news(source: PartSource): Promise<void> {
  return new Promise<void>((resolve) => source.readers.set(source.id, resolve))
}

/** The error a failed body (or save) becomes: an `HttpError` where the client is to blame. */
export function partError(failure: PartFailure): Error {
  switch (failure.kind) {
    case 'limit':
      return new HttpError(413, failure.detail, { limit: failure.limit })
    case 'malformed':
      return new HttpError(400, failure.detail)
    case 'cut':
      return codedError(Code.BodyCut, `the request body was cut short: ${failure.detail}`)
    default:
      return codedError(Code.SaveFailed, failure.detail)
  }
}

/** Takes what has come of the current part; `state[0]` says whether more will. Throws for a failed body. */
function pull(source: PartSource, state: Uint32Array): Buffer | undefined {
  const pulled = source.native.partPull(source.id, state)
  const where = state[0] as PullState
  if (where === PullState.Cut) throw partError(pulled as PartFailure)
  if (where === PullState.Unknown) throw ended()
  return (pulled as Buffer | null) ?? undefined
}

function ended(): Error {
  return codedError(Code.BodyCut, 'the request body was cut short: the request has ended')
}

/** What a part read once more, or after the next part, throws. */
function partUsed(name: string, why: string): Error {
  return codedError(Code.BodyUsed, `the part '${name}' ${why}: read each part once, before asking for the next`)
}

/**
 * One part of a `multipart/form-data` body, as `req.multipart()` yields it.
 * Read it with one of `text()`, `bytes()`, `stream()` or `saveTo()`, before
 * asking for the next part: a part left unread is skipped by the engine.
 */
export class Part {
  /** The `name` of its `Content-Disposition`. */
  readonly name: string
  /** Its `filename`: set for a file, `undefined` for a field. */
  readonly filename: string | undefined
  /** Its `Content-Type` as sent, or `''` when it has none. */
  readonly type: string
  readonly #source: PartSource
  /** Header names and values, alternating, as sent. */
  readonly #headerList: readonly string[]
  #headers: Record<string, string> | undefined
  /** A part of a body the engine had read whole: its bytes, and its index there. */
  readonly #held: { data: Buffer; index: number } | undefined
  /** Set once read (or left for the next part). */
  #used: string | undefined

  /** @internal made by `req.multipart()` only. */
  constructor(source: PartSource, info: PartInfo, held?: { data: Buffer; index: number }) {
    this.#source = source
    this.name = info.name
    this.filename = info.filename ?? undefined
    this.type = info.type ?? ''
    this.#headerList = info.headers
    this.#held = held
  }

  /** Every header of the part, by lower-case name (repeated ones joined by `, `). */
  get headers(): Record<string, string> {
    if (this.#headers === undefined) {
      const headers = Object.create(null) as Record<string, string>
      const list = this.#headerList
      for (let i = 0; i + 1 < list.length; i += 2) {
        const name = list[i] as string
        const value = list[i + 1] as string
        headers[name] = name in headers ? `${headers[name]}, ${value}` : value
      }
      this.#headers = headers
    }
    return this.#headers
  }

  /** @internal the iterator moved past this part. */
  leave(): void {
    this.#used ??= 'was left for the next part'
  }

  #take(how: string): void {
    if (this.#used !== undefined) throw partUsed(this.name, this.#used)
    this.#used = `was already read (${how})`
  }

  /**
   * The part's bytes as they arrive. The engine reads the request only as
   * fast as this iterator takes them (256 KiB at most wait), and counts
   * them against `fileSize` or `fieldSize`.
   */
  stream(): AsyncIterableIterator<Buffer> {
    this.#take('stream()')
    return this.#chunks()
  }

  async *#chunks(): AsyncGenerator<Buffer> {
    if (this.#held !== undefined) {
      if (this.#held.data.length > 0) yield this.#held.data
      return
    }
    const source = this.#source
    const state = new Uint32Array(1)
    try {
      for (;;) {
        const pulled = pull(source, state)
        if (pulled !== undefined) yield pulled
        if (state[0] === PullState.Ended) return
        if (pulled === undefined) await news(source)
      }
    } finally {
      source.readers.delete(source.id)
    }
  }

  /**
   * The whole part as a Buffer. What has not come yet is gathered by the
   * engine and handed over in one piece, capped by `fileSize` or
   * `fieldSize`.
   */
  async bytes(): Promise<Buffer> {
    this.#take('bytes()')
    if (this.#held !== undefined) return this.#held.data
    const source = this.#source
    const state = new Uint32Array(1)
    const pulled = pull(source, state)
    if (state[0] === PullState.Ended) return pulled ?? Buffer.alloc(0)
    const gathered = await source.native.partGather(source.id, pulled)
    if (!Buffer.isBuffer(gathered)) throw partError(gathered)
    return gathered
  }

  /** The whole part as UTF-8 text. */
  async text(): Promise<string> {
    return (await this.bytes()).toString('utf8')
  }

  /**
   * Writes the part to the file `path` from an engine thread (its bytes do
   * not cross to JS) and resolves with the bytes written. The file must not
   * exist, unless `{ overwrite: true }`; on any failure nothing is left at
   * `path`: a limit (a 413 `HttpError`), a cut body
   * (`ERR_ARMATURE_BODY_CUT`) or a file that cannot be made or written
   * (`ERR_ARMATURE_SAVE_FAILED`).
   *
   * @example
   * if (part.filename) await part.saveTo(path.join(dir, randomUUID()))
   */
  async saveTo(path: string, options: { overwrite?: boolean } = {}): Promise<number> {
    this.#take('saveTo()')
    return this.save(path, options.overwrite === true)
  }

  /** @internal saves the rest of the part after `prefix`, what was taken of it. */
  async save(path: string, overwrite: boolean, prefix?: Buffer): Promise<number> {
    if (typeof path !== 'string' || path === '') {
      throw codedError(Code.InvalidOption, 'part.saveTo: path must be a non-empty string', undefined, TypeError)
    }
    const { native, id } = this.#source
    const held = this.#held
    const saved = await (held === undefined ? native.partSave(id, path, overwrite, prefix) : native.partSaveAt(id, held.index, path, overwrite))
    if (typeof saved !== 'number') throw partError(saved)
    return saved
  }
}

/** The parts of a body the engine had read, parsed whole: no call into the engine per part. */
async function* heldParts(source: PartSource, whole: WholeParts): AsyncGenerator<Part> {
  const { strings, meta, data } = whole
  let at = 0
  let offset = 0
  let current: Part | undefined
  for (let index = 0; index * 3 < meta.length; index++) {
    const flags = meta[index * 3] as number
    const pairs = meta[index * 3 + 1] as number
    const length = meta[index * 3 + 2] as number
    const name = strings[at++] as string
    const filename = flags & 1 ? strings[at++] : undefined
    const type = flags & 2 ? strings[at++] : undefined
    const headers = strings.slice(at, (at += pairs * 2))
    current?.leave()
    current = new Part(source, { name, filename, type, headers }, { data: data.subarray(offset, (offset += length)), index })
    yield current
  }
  current?.leave()
  if (whole.failure != null) throw partError(whole.failure)
}

/** The parts of a request's multipart body, in order, the last one left once the next is asked for. */
export async function* parts(source: PartSource, whole?: WholeParts): AsyncGenerator<Part> {
  if (whole !== undefined) return yield* heldParts(source, whole)
  const state = new Uint32Array(1)
  let current: Part | undefined
  try {
    for (;;) {
      const found = source.native.partNext(source.id, state)
      const where = state[0] as PullState
      current?.leave()
      if (where === PullState.Cut) throw partError(found as PartFailure)
      if (where === PullState.Unknown) throw ended()
      if (where === PullState.Ended) return
      if (found == null) {
        await news(source)
        continue
      }
      current = new Part(source, found as PartInfo)
      yield current
    }
  } finally {
    source.readers.delete(source.id)
  }
}

/** Files up to this size stay in memory in `req.formData()`; larger ones go to the OS temp folder. */
export const MEMORY_FILE_SIZE = 1024 * 1024

/**
 * The parts as a web `FormData`: fields as strings, files as `File`s held
 * in memory up to `MEMORY_FILE_SIZE`, larger ones saved by the engine to a
 * temp file and backed by it (`fs.openAsBlob`). `temp` is told of each temp
 * file as it is made, for its removal.
 */
export async function formData(parts: AsyncIterable<Part>, temp: (path: string) => void): Promise<FormData> {
  const form = new FormData()
  for await (const part of parts) {
    if (part.filename === undefined) {
      form.append(part.name, await part.text())
      continue
    }
    const chunks: Buffer[] = []
    let size = 0
    for await (const chunk of part.stream()) {
      chunks.push(chunk)
      size += chunk.length
      if (size > MEMORY_FILE_SIZE) break
    }
    if (size <= MEMORY_FILE_SIZE) {
      form.append(part.name, new Blob(chunks, { type: part.type }), part.filename)
      continue
    }
    // The rest goes from the engine to disk; what was read goes first.
    const file = path.join(os.tmpdir(), `armature-upload-${randomUUID()}`)
    temp(file)
    await part.save(file, false, Buffer.concat(chunks))
    form.append(part.name, await fs.openAsBlob(file, { type: part.type }), part.filename)
  }
  return form
}
