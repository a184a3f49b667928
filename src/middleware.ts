import { resolve } from 'node:path'
import type { MiddlewareSpec, WholeResponse } from '../index.js'
import { binding } from './native.js'
import { FileBody, HttpError, HttpResponse } from './response.js'
import type { Request } from './request.js'
import type { Middleware } from './types.js'
import { isStreamSource, type StreamSource } from './streams.js'
import type {
  CompressionOptions,
  CorsOptions,
  ETagOptions,
  LoggerOptions,
  LogLevel,
  RateLimitOptions as RateLimitJson,
  RequestIdOptions,
  RouteOptionsJson,
  SecurityHeadersOptions,
  StaticOptions,
} from './generated/middleware.js'
import { Code, codedError } from './errors.js'

/** Option shapes generated from the engine's Rust structs (crates/engine/tests/typescript.rs). */
export type { CompressionOptions, CorsOptions, ETagOptions, LoggerOptions, LogLevel, RequestIdOptions, SecurityHeadersOptions, StaticOptions }

/**
 * A middleware that runs inside the engine: `SecurityHeaders.default()`,
 * `RequestId.default()`, … Pass it to `wrap` like a JS middleware.
 *
 * Native middleware declared before every JS middleware of a route run on the
 * engine's threads and cost the JS thread nothing; app-wide ones also wrap the
 * engine's own answers (404, 405, limit errors). One declared inside a JS
 * middleware runs at its place in the chain, on the JS thread.
 */
export class NativeMiddleware {
  /** Makes the type nominal: its other members are internal, and an empty type would take anything. */
  readonly #brand = 'native'
  /** @internal what the engine builds it from */
  readonly spec: MiddlewareSpec
  /** @internal a JS function the key of a rate limiter comes from: it then runs on the JS thread */
  readonly keyOf: KeyFunction | undefined

  /** @internal checks the options at once: a bad one throws `ERR_ARMATURE_INVALID_OPTION` here. */
  constructor(kind: string, options: unknown, keyOf?: KeyFunction) {
    refuseNonFinite(kind, options, '')
    this.spec = keyOf === undefined ? { kind, options } : { kind, options, keyedByCaller: true }
    this.keyOf = keyOf
    binding.checkMiddleware(this.spec)
  }
}

/**
 * A property of the routes it wraps (`BodyLimit`, `Timeout`), not a step of
 * their chain: the engine reads it from the matched route, so it applies
 * wherever it is declared, and the one closest to the route wins.
 */
export class RouteProperty {
  /** Makes the type nominal, as `NativeMiddleware`'s. */
  readonly #brand = 'property'
  /** @internal the route options it sets */
  readonly options: RouteOptionsJson

  /** @internal checks the value at once: a bad one throws `ERR_ARMATURE_INVALID_OPTION` here. */
  constructor(name: 'bodyLimit' | 'timeout', value: string | number) {
    refuseNonFinite(name, value, '')
    this.options = { [name]: value }
    binding.checkRouteOptions(this.options)
  }
}

/** JSON has no `NaN` or `Infinity`: name where one is, before napi's own message (no code, no key) would. */
function refuseNonFinite(kind: string, value: unknown, path: string): void {
  if (typeof value === 'number' && !Number.isFinite(value)) {
    throw codedError(Code.InvalidOption, `${kind} options: ${path === '' ? 'the value' : path} must be a finite number, got ${value}`, undefined, TypeError)
  }
  if (value !== null && typeof value === 'object') {
    for (const [key, inner] of Object.entries(value)) refuseNonFinite(kind, inner, path === '' ? key : `${path}.${key}`)
  }
}

/**
 * What the whole app has, not a route (`Static`, `OpenApi`, `Health`,
 * `Metrics`): `App.wrap` runs it for every request, the engine's own 404s
 * included, wherever it is declared among the middleware; a scope's or a
 * route's `wrap` refuses it with `ERR_ARMATURE_APP_ONLY`.
 */
export class AppFeature {
  /** Makes the type nominal, as `NativeMiddleware`'s: a scope's or a route's `wrap` takes none. */
  readonly #brand = 'feature'
  /** @internal what the engine builds it from */
  readonly spec: MiddlewareSpec

  /** @internal checks the options at once: a bad one throws `ERR_ARMATURE_INVALID_OPTION` here. */
  constructor(kind: string, options: unknown) {
    refuseNonFinite(kind, options, '')
    this.spec = { kind, options }
    binding.checkFeature(this.spec)
  }
}

/**
 * Serves the files under `root` from the engine, for GET and HEAD requests no
 * route matched (an API and a site share one app): `Content-Type`, a weak
 * `ETag` and `Last-Modified`, conditional requests (304, 412), single byte
 * ranges (206, 416), precompressed siblings, an index file per directory and
 * a single-page app's `fallback`; a path can never leave `root`. Files stream
 * from disk: a 1 GiB file costs no more memory than a small one. An app
 * feature: declare it with `App.wrap`; several are tried in order. A relative
 * `root` resolves against the working directory now; a root that is not a
 * directory throws `ERR_ARMATURE_INVALID_OPTION`.
 *
 * @example
 * App.new().wrap(Static.new('public', { maxAge: '1h', immutable: /\.[0-9a-f]{8}\./, precompressed: ['br', 'gzip'], fallback: 'index.html' }))
 */
export const Static = {
  new: (root: string, options: StaticOptions = {}): AppFeature => {
    const { immutable, ...rest } = options
    if (immutable !== undefined && !(immutable instanceof RegExp)) {
      throw codedError(Code.InvalidOption, 'static options: immutable must be a RegExp', undefined, TypeError)
    }
    const pattern = immutable && { source: immutable.source, flags: immutable.flags }
    return new AppFeature('static', { ...rest, ...(pattern && { immutable: pattern }), root: resolve(root) })
  },
}

/** Throws `ERR_ARMATURE_APP_ONLY` for an app feature given to a scope's or a route's `wrap`. */
export function refuseFeature(middleware: unknown, where: string): void {
  if (middleware instanceof AppFeature) {
    throw codedError(Code.AppOnly, `${middleware.spec.kind} is an app feature: declare it with App.wrap, not on ${where}`)
  }
}

/** A function of the request giving a rate limiter's key; `undefined` leaves the request uncounted. */
export type KeyFunction = (req: Request<any, any>) => string | undefined | Promise<string | undefined>

/** What `wrap` takes: a JS or a native middleware, or a route property. */
export type AnyMiddleware<D = any> = Middleware<D> | NativeMiddleware | RouteProperty

/** A header value, or `false` to leave the header out. */
export type HeaderSetting = string | false

/** helmet-like security headers, set natively on every response that lacks them. */
export const SecurityHeaders = {
  /** The defaults (see {@link SecurityHeadersOptions}). */
  default: (): NativeMiddleware => new NativeMiddleware('securityHeaders', {}),
  /** The defaults changed by `options`. */
  new: (options: SecurityHeadersOptions): NativeMiddleware => new NativeMiddleware('securityHeaders', options),
}

/**
 * Gives every request an id (a random UUID unless the client sent a valid
 * one), readable in handlers as `req.header('x-request-id')` and echoed on the
 * response.
 */
export const RequestId = {
  /** `x-request-id`, trusting a valid incoming id. */
  default: (): NativeMiddleware => new NativeMiddleware('requestId', {}),
  /** With another header, or without trusting the client. */
  new: (options: RequestIdOptions): NativeMiddleware => new NativeMiddleware('requestId', options),
}

/**
 * Cross-origin resource sharing. Preflights (`OPTIONS` with
 * `Access-Control-Request-Method`) are answered by the engine; answers to
 * allowed origins get `Access-Control-Allow-Origin` (and `Vary: Origin` when
 * origins are listed). Declare it before JS middleware so that preflights
 * never reach them.
 */
export const Cors = {
  /** Any origin, the common methods, any request header; no credentials. */
  permissive: (): NativeMiddleware => new NativeMiddleware('cors', {}),
  /** Configured by `options`. */
  new: (options: CorsOptions): NativeMiddleware => new NativeMiddleware('cors', options),
}

/**
 * Compresses answers with brotli, zstd, gzip or deflate, picked from the
 * client's `Accept-Encoding` (q-values count; the server's order breaks ties).
 * Never for 1xx, 204 or 304, bodies already encoded, `Cache-Control:
 * no-transform`, small bodies or other media types; `Vary: Accept-Encoding` is
 * added to every answer that could have been compressed, and a strong ETag
 * becomes weak when the body is.
 */
export const Compression = {
  /** The defaults (see {@link CompressionOptions}). */
  default: (): NativeMiddleware => new NativeMiddleware('compression', {}),
  /** The defaults changed by `options`. */
  new: (options: CompressionOptions): NativeMiddleware => new NativeMiddleware('compression', options),
}

/** What `Logger.custom` hands its function for each request. */
export interface LogRecord {
  req: { method: string; url: string; id: string | undefined }
  res: { statusCode: number }
  /** Milliseconds from the request to its response. */
  responseTime: number
}

/**
 * Request logs. `Logger.default()` and `Logger.json()` write one JSON line per
 * request in pino's format (`pino-pretty` reads them) from the engine, through
 * a writer thread of their own: the JS thread and the engine threads never wait
 * on the stream.
 *
 * @example
 * {"level":30,"time":1764000000000,"pid":4242,"hostname":"web-1","req":{"method":"GET","url":"/users/1","id":"4c1e…"},"res":{"statusCode":200},"responseTime":0.412,"msg":"request completed"}
 */
export const Logger = {
  /** Every request at `info` and above, to stdout. */
  default: (): NativeMiddleware => Logger.json({}),
  /** JSON lines with these options. */
  json: (options: LoggerOptions): NativeMiddleware =>
    new NativeMiddleware('logger', options),
  /**
   * Your function gets each request's record instead; it runs on the JS
   * thread, as a JS middleware.
   */
  custom:
    (log: (record: LogRecord) => void): Middleware<any> =>
    async (req, next) => {
      const started = performance.now()
      const record = (statusCode: number): LogRecord => ({
        req: { method: req.method, url: req.url, id: req.header('x-request-id') },
        res: { statusCode },
        responseTime: performance.now() - started,
      })
      try {
        const res = await next(req)
        log(record(res.status))
        return res
      } catch (error) {
        log(record(error instanceof HttpError ? error.status : 500))
        throw error
      }
    },
}

/**
 * Replaces the body-size limit (`limits.bodySize`) for the routes it wraps:
 * larger bodies get 413, a declared `Content-Length` before anything is read.
 * It applies wherever it is declared, since the body is read before any JS runs;
 * the innermost one wins.
 *
 * @example
 * scope('/uploads').wrap(BodyLimit.new('50mb'))
 */
export const BodyLimit = {
  /** `'512kb'`, `'10mb'`, `'1gb'` (powers of 1024, as Node's `bytes` reads them), or bytes. */
  new: (size: string | number): RouteProperty => new RouteProperty('bodyLimit', size),
}

/**
 * Replaces the time handlers have (`limits.requestTimeout`) for the routes it
 * wraps; after it the client gets a 503 problem and a late answer is dropped.
 * It applies wherever it is declared; the innermost one wins.
 *
 * @example
 * get(report).wrap(Timeout.new('2m'))
 */
export const Timeout = {
  /** `'500ms'`, `'5s'`, `'1m 30s'`, or milliseconds. */
  new: (time: string | number): RouteProperty => new RouteProperty('timeout', time),
}

/**
 * Entity tags and conditional GET/HEAD requests: a tag (a hash of the body)
 * on every 200 answer without one, then `If-None-Match` or
 * `If-Modified-Since` (against a `Last-Modified` the handler set) answer 304
 * without a body, keeping `ETag`, `Cache-Control`, `Vary` and the other
 * caching headers, and `If-Match` or `If-Unmodified-Since` that fail answer 412.
 * Unsafe methods must check their preconditions in the handler, before they
 * change anything.
 */
export const ETag = {
  /** Strong tags. */
  default: (): NativeMiddleware => new NativeMiddleware('etag', {}),
  /** With options. */
  new: (options: ETagOptions): NativeMiddleware => new NativeMiddleware('etag', options),
}

/**
 * Options of `RateLimit.new`: the engine's, where `key` may also be a function
 * of the request (it runs on the JS thread; `undefined` lets the request
 * through uncounted).
 */
export type RateLimitOptions = Omit<RateLimitJson, 'key'> & {
  /** `'ip'`, `{ header: 'x-api-key' }`, or a function of the request. @default 'ip' */
  key?: RateLimitJson['key'] | KeyFunction
}

/**
 * Limits each client to `limit` requests per `window`, exactly, however many
 * arrive at once. Answers get `RateLimit-Policy`, `RateLimit-Limit`,
 * `RateLimit-Remaining` and `RateLimit-Reset`; a request over the limit gets
 * a 429 problem with `Retry-After`, and its handler does not run.
 *
 * @example
 * App.new().wrap(RateLimit.new({ limit: 100, window: '1m' }))
 */
export const RateLimit = {
  /** A limiter with these options. */
  new: (options: RateLimitOptions): NativeMiddleware => {
    const { key, ...rest } = options
    return typeof key === 'function'
      ? new NativeMiddleware('rateLimit', rest, key)
      : new NativeMiddleware('rateLimit', options)
  },
}

/**
 * The response native code left after its response hook ran on `res`: the
 * cookies to sign when it is sent go along, since native code never sees them.
 */
function after(res: HttpResponse, whole: WholeResponse): HttpResponse {
  // A streamed body or a file never reached native code: it goes on as it was.
  const response = fromWhole(whole, heldBack(res.body) ? res.body : undefined)
  response.signedCookies = res.signedCookies
  return response
}

/** A response handed back by native code, as an `HttpResponse`, with `kept` as its body when given. */
function fromWhole(whole: WholeResponse, kept?: StreamSource | FileBody): HttpResponse {
  const response = new HttpResponse(kept ?? (whole.body.length === 0 ? undefined : whole.body), { status: whole.status })
  for (let i = 0; i + 1 < whole.headers.length; i += 2) {
    response.appendHeader(whole.headers[i] as string, whole.headers[i + 1] as string)
  }
  return response
}

/** A body native code sees only the head of: a stream, or a file the engine sends. */
function heldBack(body: HttpResponse['body']): body is StreamSource | FileBody {
  return body instanceof FileBody || isStreamSource(body)
}

function bodyOf(body: HttpResponse['body']): string | Buffer | undefined {
  if (body === undefined || typeof body === 'string' || Buffer.isBuffer(body)) return body
  if (heldBack(body)) return undefined
  return Buffer.from(body.buffer, body.byteOffset, body.byteLength)
}

/**
 * A rate limiter keyed by a JS function, as a JS middleware: the function
 * gives the key, the engine's limiter `index` counts it.
 */
export function inlineRateLimit(index: number, keyOf: KeyFunction): Middleware<any> {
  return async (req, next) => {
    const key = await keyOf(req)
    if (key === undefined) return next(req)
    const native = req.native
    const refused = native.rateLimitHit(index, req.slot, String(key))
    if (refused) return fromWhole(refused)
    const res = await next(req)
    return after(res, native.layerAfter(index, req.slot, res.status, res.contentType, res.headerList ?? [], bodyOf(res.body), heldBack(res.body)))
  }
}

/**
 * A native middleware declared inside a JS one, as a JS middleware: it runs
 * the engine's code for the inline middleware `index` at its place in the
 * chain, synchronously on the JS thread.
 */
export function inline(index: number): Middleware<any> {
  return (req, next) => {
    const native = req.native
    const early = native.layerBefore(index, req.slot)
    if (early) return fromWhole(early)
    return next(req).then((res) =>
      after(res, native.layerAfter(index, req.slot, res.status, res.contentType, res.headerList ?? [], bodyOf(res.body), heldBack(res.body))),
    )
  }
}
