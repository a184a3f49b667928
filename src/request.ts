import type { ClientInfo, NativeServer } from '../index.js'
import type Accepts from 'accepts'
import fs from 'node:fs'
import { parseCookies, unsignCookie } from './cookies.js'
import { HttpError } from './response.js'
import { Ended, PullState } from './wire.js'
import { Code, codedError } from './errors.js'
import { formData, type MultipartOptions, type Part, partError, parts } from './multipart.js'

/** `accepts` (and the MIME database it loads, ~4 MiB) only once a handler negotiates. */
let acceptsModule: typeof Accepts | undefined
function negotiator(): typeof Accepts {
  acceptsModule ??= require('accepts') as typeof Accepts
  return acceptsModule
}

/** What every request of an app shares. */
export interface RequestContext {
  /** The app state given to `App.data`. */
  data: unknown
  /** The app's cookie secrets, first one signing. */
  secrets: readonly string[] | undefined
  /** The controllers of the `req.signal`s made, by request id, until answered. */
  signals: Map<number, AbortController>
  /** What wakes a `req.stream()` waiting for chunks, by request id. */
  readers: Map<number, () => void>
}

/** Why a request ended, as the engine reports it. */
const ENDED: Record<Exclude<Ended, Ended.Waiting>, { code: Code; message: string }> = {
  [Ended.ClientGone]: { code: Code.ClientGone, message: 'the client went away before the answer' },
  [Ended.Timeout]: { code: Code.Timeout, message: 'the handler did not answer within requestTimeout' },
  [Ended.Shutdown]: { code: Code.Shutdown, message: 'the server closed before the answer' },
  [Ended.Unknown]: { code: Code.ClientGone, message: 'the request has ended' },
}

/** The `reason` of an aborted `req.signal`: an `Error` whose `code` says why. */
export function abortReason(ended: Ended): Error {
  const { code, message } = ENDED[ended as Exclude<Ended, Ended.Waiting>] ?? ENDED[Ended.Unknown]
  return codedError(code, message)
}

/** Parsed query-string values: a repeated key gives an array. */
export type QueryValue = string | string[]

const NO_VALUES: readonly string[] = []

function finished(): Error {
  return codedError(Code.RequestFinished, 'this request has already been answered; read what you need from it before the handler returns')
}

function decode(part: string): string {
  const spaced = part.includes('+') ? part.replace(/\+/g, ' ') : part
  if (!spaced.includes('%')) return spaced
  try {
    return decodeURIComponent(spaced)
  } catch {
    return spaced
  }
}

/** Parses `a=1&b=2&a=3` into `{ a: ['1', '3'], b: '2' }`. */
function parseQuery(query: string): Record<string, QueryValue> {
  const out: Record<string, QueryValue> = Object.create(null) as Record<string, QueryValue>
  const length = query.length
  let start = 0
  // indexOf and slice instead of split: half the cost on the request path.
  while (start < length) {
    let end = query.indexOf('&', start)
    if (end < 0) end = length
    if (end > start) {
      const part = query.slice(start, end)
      const eq = part.indexOf('=')
      const key = decode(eq < 0 ? part : part.slice(0, eq))
      const value = eq < 0 ? '' : decode(part.slice(eq + 1))
      const previous = out[key]
      if (previous === undefined) out[key] = value
      else if (typeof previous === 'string') out[key] = [previous, value]
      else previous.push(value)
    }
    start = end + 1
  }
  return out
}

/**
 * The request a handler receives.
 *
 * It reads from the engine lazily: nothing is converted that the handler does
 * not ask for. It is valid until the response is sent; reading it afterwards
 * throws an error with code `ERR_ARMATURE_REQUEST_FINISHED`.
 *
 * @typeParam Params the route's parameter names and types
 * @typeParam Data the app state given to `App.data` (`any` when not typed)
 */
export class Request<Params extends Record<string, string> = Record<string, string>, Data = any> {
  /** The method, upper case (`HEAD` when a GET handler answers HEAD). */
  readonly method: string
  /** @internal set once the response is on its way. */
  done = false
  /** @internal the route streams its body (`{ stream: true }`). */
  readonly streamed: boolean
  /** @internal the engine's id for this request. */
  readonly slot: number
  readonly #native: NativeServer
  readonly #names: readonly string[]
  readonly #values: readonly string[]
  readonly #url: string
  readonly #context: RequestContext
  #queries: Record<string, QueryValue> | undefined
  #cookies: Record<string, string> | undefined
  #clientInfo: ClientInfo | undefined
  #signal: AbortSignal | undefined
  #headers: Record<string, string> | undefined
  #body: Buffer | undefined
  /** How the body was read: by a view (`body`, `text()`, `json()`) or by a parser, which takes it. */
  #reader: 'view' | 'parser' | undefined
  /** The engine parses the body as multipart. */
  #multipart = false
  /** What runs once the answer is over: temp files removed. */
  #after: (() => void)[] | undefined

  /** @internal created by the engine bridge only. */
  constructor(
    native: NativeServer,
    id: number,
    method: string,
    url: string,
    names: readonly string[],
    values: readonly string[],
    context: RequestContext,
    streamed = false,
  ) {
    this.streamed = streamed
    this.#native = native
    this.slot = id
    this.method = method
    this.#url = url
    this.#names = names
    this.#values = values.length === 0 ? NO_VALUES : values
    this.#context = context
    this.#queries = undefined
    this.#headers = undefined
    this.#body = undefined
  }

  /** The app state given to `App.data`. */
  get data(): Data {
    return this.#context.data as Data
  }

  /** A cookie the client sent (percent-decoded), or `undefined`. */
  cookie(name: string): string | undefined {
    return this.cookies[name]
  }

  /** Every cookie the client sent, by name. */
  get cookies(): Record<string, string> {
    this.#cookies ??= parseCookies(this.header('cookie'))
    return this.#cookies
  }

  /**
   * The value of a cookie set with `{ signed: true }`, or `undefined` when it
   * is missing, unsigned, or was changed by the client (its signature fails
   * against every secret of `App.new({ cookies: { secret } })`).
   */
  signedCookie(name: string): string | undefined {
    return unsignCookie(this.cookies[name], this.#context.secrets)
  }

  /**
   * The type the client prefers among `types` (by its `Accept` header and
   * q-values), or `false` when it takes none of them. Types are media types
   * (`application/json`) or extensions (`json`, `html`); the first wins ties.
   *
   * @example
   * switch (req.accepts(['json', 'html'])) { case 'html': return HttpResponse.html(page); default: return data }
   */
  accepts<T extends string>(types: readonly T[]): T | false {
    return negotiator()({ headers: { accept: this.header('accept') } } as never).type([...types]) as T | false
  }

  /** @internal the engine holds a body this request reads: let go once the answer is over. */
  get holdsBody(): boolean {
    return this.streamed || this.#multipart
  }

  /** @internal the answer is over: the body the engine holds is let go, and temp files removed. */
  finish(): void {
    if (this.holdsBody) this.#native.release(this.slot)
    const after = this.#after
    this.#after = undefined
    after?.forEach((run) => run())
  }

  /** @internal the server this request belongs to, for native middleware run inline. */
  get native(): NativeServer {
    return this.#native
  }

  #check(): void {
    if (this.done) throw finished()
  }

  /** The request target as sent: path and query, e.g. `/users/1?fields=name`. */
  get url(): string {
    return this.#url
  }

  /** The path, without the query string. */
  get path(): string {
    const url = this.url
    const q = url.indexOf('?')
    return q < 0 ? url : url.slice(0, q)
  }

  /**
   * A path parameter, percent-decoded: `req.param('id')` on `/users/:id`.
   * On a route declared inline the names are typed: `req.param('nope')` on
   * `/users/:id` does not compile. A `*rest` parameter is the decoded rest of
   * the path as sent, `..` and decoded `%2F` included: to use it as a file
   * path, take `req.safePath('rest')`.
   */
  param<K extends keyof Params & string>(name: K): Params[K] {
    const index = this.#names.indexOf(name)
    return (index < 0 ? undefined : this.#values[index]) as Params[K]
  }

  /**
   * The path parameter `name` (a `*rest` one) as a relative path that cannot
   * leave the directory it is joined to: segments joined by `/`, with empty
   * and `.` segments removed. A `..` segment, a backslash, a NUL, a drive
   * letter (`C:`), or an encoded slash (`%2F`) anywhere in the request path
   * throws an `HttpError`: the client gets a 400 problem.
   *
   * @example
   * // GET /files/docs/./guide.md → 'docs/guide.md'; GET /files/../etc/passwd → 400
   * app.route('/files/*rest', get((req) => readFile(path.join(root, req.safePath('rest')))))
   */
  safePath<K extends keyof Params & string>(name: K): string {
    const value = this.param(name) as string | undefined
    if (value === undefined) throw new TypeError(`safePath: the route has no parameter '${name}'`)
    const refuse = (why: string): never => {
      throw new HttpError(400, `the path parameter '${name}' ${why}`)
    }
    if (/%2f/i.test(this.path)) refuse('holds an encoded slash (%2F)')
    if (value.includes('\\')) refuse('holds a backslash')
    if (value.includes('\0')) refuse('holds a NUL byte')
    const segments = value.split('/').filter((segment) => segment !== '' && segment !== '.')
    if (segments.includes('..')) refuse("leaves its directory ('..')")
    if (/^[a-z]:/i.test(segments[0] ?? '')) refuse('starts with a drive letter')
    return segments.join('/')
  }

  /** Every path parameter by name. */
  get params(): Params {
    const out: Record<string, string> = {}
    this.#names.forEach((name, i) => {
      out[name] = this.#values[i] as string
    })
    return out as Params
  }

  /** A query-string value; a repeated key gives an array, a missing one `undefined`. */
  query(name: string): QueryValue | undefined {
    return this.queries[name]
  }

  /** Every query-string value by name (percent- and `+`-decoded). */
  get queries(): Record<string, QueryValue> {
    if (this.#queries === undefined) {
      const url = this.url
      const q = url.indexOf('?')
      this.#queries = parseQuery(q < 0 ? '' : url.slice(q + 1))
    }
    return this.#queries
  }

  /** A header's value (case-insensitive name); repeated headers are joined by `, `. */
  header(name: string): string | undefined {
    if (this.#headers !== undefined) return this.#headers[name.toLowerCase()]
    this.#check()
    return this.#native.header(this.slot, name) ?? undefined
  }

  /** Every header by lower-case name; repeated headers are joined by `, `. */
  get headers(): Record<string, string> {
    if (this.#headers === undefined) {
      this.#check()
      const flat = this.#native.headers(this.slot) ?? []
      const out: Record<string, string> = Object.create(null) as Record<string, string>
      for (let i = 0; i < flat.length; i += 2) {
        const name = flat[i] as string
        const value = flat[i + 1] as string
        // HTTP/2 clients may send each cookie as a field of its own (RFC 9113 §8.2.3).
        out[name] = name in out ? `${out[name]}${name === 'cookie' ? '; ' : ', '}${value}` : value
      }
      this.#headers = out
    }
    return this.#headers
  }

  /**
   * The client's IP address: the socket's peer, or with `trustProxy` the
   * address the trusted proxies report.
   */
  get ip(): string {
    return this.#client().ip
  }

  /** With `trustProxy`, the addresses from the client to the nearest proxy, client first; otherwise empty. */
  get ips(): string[] {
    return this.#client().ips
  }

  /** `https` when a trusted proxy says the client used it, otherwise `http`. */
  get protocol(): 'http' | 'https' {
    return this.#client().protocol as 'http' | 'https'
  }

  /** The host the client asked for, without a port: a trusted proxy's `X-Forwarded-Host` (or `Forwarded` `host=`), else `Host`. */
  get hostname(): string | undefined {
    return this.#client().hostname ?? undefined
  }

  #client(): ClientInfo {
    if (this.#clientInfo === undefined) {
      this.#check()
      this.#clientInfo = this.#native.client(this.slot) ?? { ip: '', ips: [], protocol: 'http' }
    }
    return this.#clientInfo
  }

  /**
   * Aborts when the request will get no answer from this handler: the client
   * went away (`ERR_ARMATURE_CLIENT_GONE`: the connection closed or the
   * HTTP/2 stream was reset), the handler ran past `requestTimeout`
   * (`ERR_ARMATURE_TIMEOUT`) or the server closed past its grace period
   * (`ERR_ARMATURE_SHUTDOWN`); `signal.reason` is an `Error` with that
   * `code`. Pass it to `fetch`, database drivers or timers to stop work
   * nobody waits for. Made on first use: a handler that never reads it pays
   * nothing.
   */
  get signal(): AbortSignal {
    if (this.#signal === undefined) {
      const controller = new AbortController()
      this.#signal = controller.signal
      const ended: Ended = this.done ? Ended.Unknown : this.#native.watch(this.slot)
      if (ended === Ended.Waiting) this.#context.signals.set(this.slot, controller)
      else controller.abort(abortReason(ended))
    }
    return this.#signal
  }

  /** The HTTP version: `1.0`, `1.1` or `2`. */
  get httpVersion(): string {
    this.#check()
    return this.#native.httpVersion(this.slot) ?? '1.1'
  }

  /**
   * The raw body, as a Buffer this request owns: a copy the engine hands
   * over (it drops its own), so keep it or write into it as you like.
   */
  get body(): Buffer {
    if (this.#body === undefined) {
      this.#check()
      if (this.streamed) throw streamedBody()
      if (this.#reader === 'parser') throw bodyUsed()
      this.#reader = 'view'
      this.#body = this.#native.body(this.slot) ?? Buffer.alloc(0)
    }
    return this.#body
  }

  /** The body as UTF-8 text. */
  text(): string {
    if (this.#body !== undefined) return this.#body.toString('utf8')
    this.#check()
    if (this.streamed) throw streamedBody()
    if (this.#reader === 'parser') throw bodyUsed()
    this.#reader = 'view'
    return this.#native.text(this.slot) ?? ''
  }

  /**
   * The body as an `application/x-www-form-urlencoded` form, parsed in Rust:
   * an object without a prototype (so `__proto__` or `constructor` is a
   * plain key, never the object's prototype), each name mapped to its value,
   * or to an array of its values when repeated, in the order sent. A body of
   * another type is answered with a 415 problem. A parser takes the body:
   * after it, `req.body`, `text()` and `json()` throw
   * `ERR_ARMATURE_BODY_USED`, and so does `form()` after one of them.
   *
   * @example
   * app.route('/login', post((req) => {
   *   const { user, password } = req.form()
   *   return { user }
   * }))
   */
  form(): Record<string, string | string[]> {
    this.#check()
    if (this.streamed) throw streamedBody()
    const type = this.header('content-type')
    if (type === undefined || !/^application\/x-www-form-urlencoded\s*(;|$)/i.test(type)) {
      throw new HttpError(415, `the request body must be application/x-www-form-urlencoded, not ${type ?? 'untyped'}`)
    }
    this.#parser()
    const flat = this.#native.form(this.slot) ?? []
    const form = Object.create(null) as Record<string, string | string[]>
    for (let i = 0; i + 1 < flat.length; i += 2) {
      const name = flat[i] as string
      const value = flat[i + 1] as string
      const held = form[name]
      form[name] = held === undefined ? value : Array.isArray(held) ? [...held, value] : [held, value]
    }
    return form
  }

  /**
   * The parts of a `multipart/form-data` body, in order, parsed in Rust. On
   * a route declared `{ stream: true }` they come from the socket as the
   * client sends them, and the engine reads only as fast as the parts are
   * taken; on any other route they are parsed from the body the engine
   * read (which `limits.bodySize` caps). Read each part with `text()`,
   * `bytes()`, `stream()` or `saveTo()` before asking for the next; a part
   * left unread is skipped. A body over one of `options.limits` is a 413
   * `HttpError` naming the limit in its `limit` member; a malformed one a
   * 400; a body of another media type a 415. A parser takes the body: after
   * it, any other reader throws `ERR_ARMATURE_BODY_USED`, and so does this
   * after one.
   *
   * @example
   * app.route('/upload', post(async (req) => {
   *   const fields: Record<string, string> = {}
   *   for await (const part of req.multipart({ limits: { fileSize: '100mb', files: 5 } })) {
   *     if (part.filename) await part.saveTo(path.join(dir, randomUUID()))
   *     else fields[part.name] = await part.text()
   *   }
   *   return fields
   * }, { stream: true }))
   */
  multipart(options: MultipartOptions = {}): AsyncIterableIterator<Part> {
    this.#check()
    const type = this.header('content-type')
    if (type === undefined || !/^multipart\/form-data\s*(;|$)/i.test(type)) {
      throw new HttpError(415, `the request body must be multipart/form-data, not ${type ?? 'untyped'}`)
    }
    this.#parser()
    const started = this.#native.multipart(this.slot, options)
    this.#multipart = true
    if (started != null && !('strings' in started)) throw partError(started)
    return parts({ native: this.#native, id: this.slot, readers: this.#context.readers }, started ?? undefined)
  }

  /**
   * A `multipart/form-data` body as a web `FormData`, for small forms:
   * fields as strings, files as `File`s, held in memory up to 1 MiB and
   * above it saved by the engine to the OS temp folder and backed by that
   * file. Such a `File` is valid until the response ends, when (or when the
   * client goes away) its temp file is removed, whatever happened: read it
   * during the request, or `saveTo` the part with `req.multipart()`
   * instead. Limits and errors are `req.multipart()`'s, whose options it
   * takes. Repeated names are kept in order (`getAll`).
   *
   * @example
   * app.route('/form', post(async (req) => (await req.formData()).get('title')))
   */
  async formData(options?: MultipartOptions): Promise<FormData> {
    const parts = this.multipart(options)
    const temps: string[] = []
    const removeTemps = () => {
      for (const file of temps.splice(0)) fs.rm(file, { force: true }, () => {})
    }
    // A client gone, or a handler past its timeout, may never answer.
    this.signal.addEventListener('abort', removeTemps, { once: true })
    ;(this.#after ??= []).push(removeTemps)
    try {
      return await formData(parts, (file) => temps.push(file))
    } catch (error) {
      removeTemps()
      throw error
    }
  }

  /** Takes the body for a parser: nothing may have read it before. */
  #parser(): void {
    if (this.#reader !== undefined) throw bodyUsed()
    this.#reader = 'parser'
  }

  /**
   * The body as it arrives, in chunks: on a route declared with
   * `{ stream: true }` they come as the client sends them, and the engine
   * reads the socket only while this iterator has taken what came before
   * (256 KiB at most are left waiting), so a slow handler slows the client
   * rather than filling memory. On any other route it yields the body
   * already read. Throws `ERR_ARMATURE_BODY_CUT` when the body is cut short
   * (over a `BodyLimit`, slower than `bodyTimeout`, or the connection broke).
   * Read it once.
   *
   * @example
   * app.route('/ingest', post(async (req) => {
   *   let bytes = 0
   *   for await (const chunk of req.stream()) bytes += chunk.length
   *   return { bytes }
   * }, { stream: true }))
   */
  stream(): AsyncIterableIterator<Buffer> {
    if (!this.streamed) {
      const body = this.body
      return (async function* () {
        if (body.length > 0) yield body
      })()
    }
    this.#parser()
    return this.#chunks()
  }

  /** `req.stream()` as a web `ReadableStream` of bytes, for APIs that take one. */
  readable(): ReadableStream<Uint8Array> {
    const chunks = this.stream()
    return new ReadableStream<Uint8Array>({
      async pull(controller) {
        const { value, done } = await chunks.next()
        if (done) controller.close()
        else controller.enqueue(value)
      },
      async cancel() {
        await chunks.return?.()
      },
    })
  }

  async *#chunks(): AsyncGenerator<Buffer> {
    const native = this.#native
    const readers = this.#context.readers
    const id = this.slot
    const state = new Uint32Array(1)
    try {
      for (;;) {
        const pulled = native.pull(id, state)
        const where = state[0] as PullState
        if (where === PullState.Cut) {
          throw codedError(Code.BodyCut, `the request body was cut short: ${String(pulled)}`)
        }
        if (pulled != null) yield pulled as Buffer
        if (where !== PullState.More) return
        if (pulled == null) await new Promise<void>((resolve) => readers.set(id, resolve))
      }
    } finally {
      readers.delete(id)
      native.release(id)
    }
  }

  /** The body parsed as JSON; invalid JSON is answered with a 400 problem. */
  json<T = unknown>(): T {
    const text = this.text()
    try {
      return JSON.parse(text) as T
    } catch (error) {
      const why = text === '' ? 'the request body is empty' : (error as Error).message
      throw new HttpError(400, `the request body is not valid JSON: ${why}`, { cause: error })
    }
  }
}

/** What a second way of reading one body throws. */
function bodyUsed(): Error {
  return codedError(Code.BodyUsed, 'the request body was read another way: a parser (req.multipart(), formData(), form(), or stream() on a { stream: true } route) takes the body, so read it with one parser, or with req.body, text() and json()')
}

/** What `req.body` throws on a route that streams its body. */
function streamedBody(): Error {
  return codedError(Code.BodyStreamed, 'this route streams its request body ({ stream: true }): read it with req.stream()')
}
