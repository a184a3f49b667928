import { setCookie, type CookieOptions } from './cookies.js'
import { binding } from './native.js'
import { EVENT_STREAM_HEADERS, eventStream, type EventStreamOptions, type SseEvent } from './sse.js'
import { isStreamSource, type StreamSource } from './streams.js'
import { resolve as resolvePath } from 'node:path'
import type { FileOptions as FileJson } from './generated/middleware.js'
import { CONTENT_TYPE_NAMES, ContentType } from './wire.js'
import { Code, codedError } from './errors.js'
import { millis } from './options.js'

/** The reason phrase of a status, from the engine (node:http would cost ~2.5 MiB of memory to load). */
function reason(status: number): string {
  return binding.statusReason(status) ?? 'Error'
}


/** Options of `HttpResponse.file`. */
export interface FileOptions extends FileJson {
  /** The status of a whole answer. @default 200 */
  status?: number
}

/** Options of `HttpResponse.sse`. */
export interface SseOptions extends Pick<ResponseInit, 'status' | 'headers'>, EventStreamOptions {}

/** A file the engine sends as a response body (`HttpResponse.file`). */
export class FileBody {
  /** @internal the file and its options, as the engine reads them */
  readonly spec: { path: string } & FileJson

  /** @internal checks the options at once */
  constructor(path: string, options: FileJson) {
    if (typeof path !== 'string') throw codedError(Code.InvalidOption, 'HttpResponse.file: the path must be a string', undefined, TypeError)
    if (options.maxAge !== undefined) millis('HttpResponse.file maxAge', options.maxAge)
    if (options.filename !== undefined && typeof options.filename !== 'string') {
      throw codedError(Code.InvalidOption, 'HttpResponse.file: filename must be a string', undefined, TypeError)
    }
    this.spec = { ...options, path: resolvePath(path) }
  }
}

/** A response body: text, bytes, a stream, a file, or nothing. */
export type Body = string | Uint8Array | StreamSource | FileBody | undefined

/** Options shared by the `HttpResponse` factories. */
export interface ResponseInit {
  /** HTTP status code, 200–999. @default 200 */
  status?: number
  /** Response headers; a value array sends the header once per value. */
  headers?: Record<string, string | number | readonly string[]>
}

function checkStatus(status: number): number {
  if (!Number.isInteger(status) || status < 200 || status > 999) {
    throw codedError(Code.InvalidResponse, `invalid HTTP status ${String(status)}: use an integer from 200 to 999`, undefined, RangeError)
  }
  return status
}

/**
 * A response to send: status, headers and body.
 *
 * Build one with a factory (`HttpResponse.text('hi')`, `HttpResponse.json({ ok: true })`)
 * and adjust it with the chainable `header`, `appendHeader` and `withStatus`.
 * A handler may also return a plain value: a string (text/plain), a Buffer or
 * Uint8Array (application/octet-stream), an object or array (JSON), or
 * `undefined` (204 No Content).
 *
 * @example
 * HttpResponse.json({ id: 1 }, { status: 201 }).header('location', '/users/1')
 */
export class HttpResponse {
  #status: number
  /** @internal content-type code; 0 when set as a header or absent. */
  contentType: ContentType
  /** @internal alternating lower-case names and values. */
  headerList: string[] | undefined
  /** @internal cookies to sign with the app's secret when the response is sent. */
  signedCookies: { name: string; value: string; options: CookieOptions }[] | undefined
  readonly body: Body

  /** A response with `body`; set its `content-type` header, or use a factory. A stream body is `application/octet-stream` unless told otherwise. */
  constructor(body?: Body, init?: ResponseInit) {
    this.body = body
    this.#status = init?.status === undefined ? 200 : checkStatus(init.status)
    this.contentType = ContentType.None
    this.headerList = undefined
    this.signedCookies = undefined
    if (init?.headers) {
      for (const [name, value] of Object.entries(init.headers)) {
        if (Array.isArray(value)) for (const v of value) this.appendHeader(name, v)
        else this.header(name, String(value))
      }
    }
    if (isStreamSource(body)) typed(this, ContentType.Bytes)
  }

  /** A `text/plain; charset=utf-8` response. */
  static text(body: string, init?: ResponseInit): HttpResponse {
    return typed(new HttpResponse(body, init), ContentType.Text)
  }

  /** An `application/json` response; `value` is serialised with `JSON.stringify`. */
  static json(value: unknown, init?: ResponseInit): HttpResponse {
    return typed(new HttpResponse(stringify(value), init), ContentType.Json)
  }

  /** A `text/html; charset=utf-8` response. */
  static html(body: string, init?: ResponseInit): HttpResponse {
    return typed(new HttpResponse(body, init), ContentType.Html)
  }

  /** An `application/octet-stream` response (set `content-type` to change it). */
  static bytes(body: Uint8Array, init?: ResponseInit): HttpResponse {
    return typed(new HttpResponse(body, init), ContentType.Bytes)
  }

  /**
   * A response whose body streams from `source` (an async iterable, a web
   * `ReadableStream` or a Node `Readable`, yielding strings or bytes), pulled
   * only as fast as the client reads; `application/octet-stream` unless a
   * `content-type` header is given. A `content-length` header holds the
   * stream to exactly that many bytes.
   *
   * @example
   * HttpResponse.stream(rowsAsCsv(), { headers: { 'content-type': 'text/csv' } })
   */
  static stream(source: StreamSource, init?: ResponseInit): HttpResponse {
    return typed(new HttpResponse(source, init), ContentType.Bytes)
  }

  /**
   * A file sent by the engine, as `Static` sends one: `Content-Type` from its
   * extension, `ETag` and `Last-Modified`, conditional requests (304, 412),
   * a single byte range (206, 416) and HEAD, streamed from disk in bounded
   * memory, never through JS. `filename` makes it a download
   * (`Content-Disposition: attachment`, RFC 6266); `maxAge` sets
   * `Cache-Control`. Headers you set replace the file's. A missing file is a
   * 404 problem. A relative `path` resolves against the working directory.
   *
   * @example
   * app.route('/files/*rest', get((req) => HttpResponse.file(path.join('/srv/files', req.safePath('rest')))))
   */
  static file(path: string, options: FileOptions = {}): HttpResponse {
    const { status, ...rest } = options
    return new HttpResponse(new FileBody(path, rest), status === undefined ? undefined : { status })
  }

  /**
   * A Server-Sent Events stream: `text/event-stream`, not cached, not
   * buffered by proxies. `source` yields events (`{ data, event?, id?, retry? }`,
   * or a string as `data`; `data` that is not a string is sent as JSON, and
   * each of its lines as a `data:` line); a comment goes out as a heartbeat
   * whenever it is quiet for `heartbeat` (15 s). A line break in `event` or
   * `id` fails the stream (the response is aborted) rather than reach the wire.
   *
   * @example
   * app.route('/events', get((req) => HttpResponse.sse(ticker(req.signal), { heartbeat: '15s' })))
   */
  static sse(source: AsyncIterable<SseEvent | string>, options: SseOptions = {}): HttpResponse {
    const response = HttpResponse.stream(eventStream(source, options), { status: options.status, headers: options.headers })
    const given = new Set(Object.keys(options.headers ?? {}).map((name) => name.toLowerCase()))
    for (const [name, value] of EVENT_STREAM_HEADERS) if (!given.has(name)) response.header(name, value)
    return response
  }

  /** A response without a body. @default status 204 */
  static empty(status = 204, init?: Omit<ResponseInit, 'status'>): HttpResponse {
    return new HttpResponse(undefined, { ...init, status })
  }

  /** A redirect to `location`. @default status 302 */
  static redirect(location: string, status = 302): HttpResponse {
    return new HttpResponse(undefined, { status, headers: { location } })
  }

  /** The status code. */
  get status(): number {
    return this.#status
  }

  /** Returns this response with another status. */
  withStatus(status: number): this {
    this.#status = checkStatus(status)
    return this
  }

  /** Sets a header, replacing any value it had. Names are case-insensitive. */
  header(name: string, value: string): this {
    const lower = name.toLowerCase()
    const list = this.headerList
    if (list) {
      for (let i = list.length - 2; i >= 0; i -= 2) {
        if (list[i] === lower) list.splice(i, 2)
      }
    }
    return this.appendHeader(lower, value)
  }

  /** Adds a header value, keeping the ones already set (as for `set-cookie`). */
  appendHeader(name: string, value: string): this {
    const lower = name.toLowerCase()
    if (lower === 'content-type') this.contentType = ContentType.None
    ;(this.headerList ??= []).push(lower, String(value))
    return this
  }

  /**
   * Sets a cookie (a `Set-Cookie` header). Throws a TypeError for a name,
   * value or attribute a cookie cannot carry. With `signed`, the value is
   * signed with the app's `cookies.secret` when the response is sent.
   *
   * @example
   * HttpResponse.json(user).cookie('session', id, { httpOnly: true, secure: true, sameSite: 'lax', maxAge: 3600, signed: true })
   */
  cookie(name: string, value: string, options: CookieOptions = {}): this {
    // Serialised now even when signed, so that a bad name or attribute throws here.
    const header = setCookie(name, value, { ...options, signed: false }, undefined)
    if (options.signed) (this.signedCookies ??= []).push({ name, value, options })
    else this.appendHeader('set-cookie', header)
    return this
  }

  /** Tells the client to delete a cookie; `path` and `domain` must be those it was set with. */
  clearCookie(name: string, options: Pick<CookieOptions, 'path' | 'domain' | 'secure' | 'sameSite' | 'partitioned'> = {}): this {
    return this.cookie(name, '', { ...options, maxAge: 0, expires: new Date(0) })
  }

  /**
   * Sets `Cache-Control` from directives; throws a RangeError for a negative
   * or fractional age and for `public` with `private`.
   *
   * @example
   * HttpResponse.json(data).cacheControl({ public: true, maxAge: 60, staleWhileRevalidate: 30 })
   */
  cacheControl(directives: CacheControl): this {
    return this.header('cache-control', cacheControlValue(directives))
  }

  /** The headers, with repeated values joined by `, `. */
  get headers(): Record<string, string> {
    const out: Record<string, string> = {}
    const list = this.headerList ?? []
    for (let i = 0; i < list.length; i += 2) {
      const name = list[i] as string
      const value = list[i + 1] as string
      out[name] = name in out ? `${out[name]}, ${value}` : value
    }
    const type = CONTENT_TYPE_NAMES[this.contentType]
    if (type && !('content-type' in out)) out['content-type'] = type
    return out
  }
}

/** Sets the content-type code unless a `content-type` header was given. */
export function typed(response: HttpResponse, type: ContentType): HttpResponse {
  const list = response.headerList ?? []
  for (let i = 0; i < list.length; i += 2) if (list[i] === 'content-type') return response
  response.contentType = type
  return response
}

/** `JSON.stringify` that refuses values it would silently drop. */
export function stringify(value: unknown): string {
  const text = JSON.stringify(value)
  if (text === undefined) {
    throw new TypeError(`cannot serialise ${typeof value} as JSON`)
  }
  return text
}

/** Options of an `HttpError`. */
export interface HttpErrorOptions {
  /** Extra response headers, e.g. `www-authenticate` on a 401. */
  headers?: Record<string, string>
  /** The problem `type` URI. @default 'about:blank' */
  type?: string
  /** The problem `title`. @default the status's reason phrase */
  title?: string
  /** The underlying error. */
  cause?: unknown
  /**
   * Any other key is an extension member of the problem (RFC 9457 §3.2),
   * sent after the standard ones: a name of a letter and then two or more
   * letters, digits or `_`, and a JSON value.
   */
  [member: string]: unknown
}

/** The options of `HttpError` that are not extension members. */
const ERROR_OPTIONS = new Set(['headers', 'type', 'title', 'cause'])
/** The standard members, which no extension may replace. */
const STANDARD_MEMBERS = new Set(['type', 'title', 'status', 'detail', 'instance'])
/** RFC 9457 §3.2: extension names usable as identifiers in other formats. */
const MEMBER_NAME = /^[A-Za-z][A-Za-z0-9_]{2,}$/

/** The extension members among `options`, as JSON object text; `undefined` when there are none. */
function extensionsOf(options: HttpErrorOptions): string | undefined {
  let members: Record<string, unknown> | undefined
  for (const [name, value] of Object.entries(options)) {
    if (ERROR_OPTIONS.has(name) || value === undefined) continue
    if (STANDARD_MEMBERS.has(name) || !MEMBER_NAME.test(name)) {
      throw codedError(
        Code.InvalidOption,
        `HttpError option '${name}' cannot be a problem extension member: use a name of a letter and then two or more letters, digits or _, other than ${[...STANDARD_MEMBERS].join(', ')}`,
        undefined,
        TypeError,
      )
    }
    ;(members ??= {})[name] = value
  }
  if (members === undefined) return undefined
  try {
    return JSON.stringify(members)
  } catch (error) {
    throw codedError(Code.InvalidOption, `HttpError extension members must be JSON values: ${(error as Error).message}`, { cause: error }, TypeError)
  }
}

/**
 * An error that becomes an `application/problem+json` response with its
 * status (RFC 9457). Its message is the problem's `detail` and is always
 * shown to the client, so word it for them. Options other than `headers`,
 * `type`, `title` and `cause` are extension members of the problem.
 *
 * @example
 * throw new HttpError(404, 'No such user')
 * throw new HttpError(413, 'file too large', { limit: 'fileSize' })
 */
export class HttpError extends Error {
  readonly status: number
  readonly headers: Record<string, string> | undefined
  readonly type: string
  readonly title: string
  /** @internal the extension members as JSON object text, checked when made. */
  readonly extensions: string | undefined

  constructor(status: number, detail?: string, options: HttpErrorOptions = {}) {
    if (!Number.isInteger(status) || status < 400 || status > 599) {
      throw new RangeError(`HttpError status must be an integer from 400 to 599, got ${String(status)}`)
    }
    super(detail ?? reason(status), { cause: options.cause })
    this.name = 'HttpError'
    this.status = status
    this.headers = options.headers
    this.type = options.type ?? 'about:blank'
    this.title = options.title ?? reason(status)
    this.extensions = extensionsOf(options)
  }
}

/**
 * A problem+json response (RFC 9457), its body written by the engine's
 * writer: the same bytes as the engine's own problems for the same input.
 */
export function problem(
  status: number,
  instance: string,
  detail?: string,
  fields: { type?: string; title?: string; extensions?: string | undefined } = {},
): HttpResponse {
  const body = binding.problemJson(status, instance, detail, fields.type, fields.title, fields.extensions)
  return typed(new HttpResponse(body, { status }), ContentType.Problem)
}

/** `Cache-Control` directives (RFC 9111); ages are whole seconds. */
export interface CacheControl {
  /** Any cache may store it. */
  public?: boolean
  /** Only the client's own cache may store it. */
  private?: boolean
  /** Caches must revalidate before each use. */
  noCache?: boolean
  /** Nothing may store it. */
  noStore?: boolean
  /** Intermediaries must not change it (nor compress it). */
  noTransform?: boolean
  /** Once stale, it must be revalidated. */
  mustRevalidate?: boolean
  /** Once stale, shared caches must revalidate. */
  proxyRevalidate?: boolean
  /** It never changes while fresh. */
  immutable?: boolean
  /** Seconds it stays fresh. */
  maxAge?: number
  /** Seconds it stays fresh in shared caches. */
  sMaxAge?: number
  /** Seconds a stale copy may be served while revalidating. */
  staleWhileRevalidate?: number
  /** Seconds a stale copy may be served when revalidation fails. */
  staleIfError?: number
}

const FLAGS: [keyof CacheControl, string][] = [
  ['public', 'public'],
  ['private', 'private'],
  ['noCache', 'no-cache'],
  ['noStore', 'no-store'],
  ['noTransform', 'no-transform'],
  ['mustRevalidate', 'must-revalidate'],
  ['proxyRevalidate', 'proxy-revalidate'],
  ['immutable', 'immutable'],
]
const AGES: [keyof CacheControl, string][] = [
  ['maxAge', 'max-age'],
  ['sMaxAge', 's-maxage'],
  ['staleWhileRevalidate', 'stale-while-revalidate'],
  ['staleIfError', 'stale-if-error'],
]

function cacheControlValue(directives: CacheControl): string {
  if (directives.public && directives.private) throw new RangeError('Cache-Control cannot be both public and private')
  const parts = FLAGS.filter(([key]) => directives[key] === true).map(([, name]) => name)
  for (const [key, name] of AGES) {
    const age = directives[key]
    if (age === undefined) continue
    if (typeof age !== 'number' || !Number.isInteger(age) || age < 0) {
      throw new RangeError(`Cache-Control ${name} must be a whole number of seconds, got ${String(age)}`)
    }
    parts.push(`${name}=${age}`)
  }
  if (parts.length === 0) throw new RangeError('Cache-Control needs at least one directive')
  return parts.join(', ')
}
