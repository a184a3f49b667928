// Generated from crates/wire by its tests/typescript.rs (cargo test -p armature-wire); do not edit.

/**
 * Every `code` an error Armature throws can carry: the engine's, the
 * binding's and those the TypeScript side throws, in one list.
 */
export const enum Code {
  /**
   * A path with invalid syntax, an invalid method, or a handler that
   * is not a function.
   */
  InvalidRoute = 'ERR_ARMATURE_INVALID_ROUTE',
  /** A route overlapping an earlier one; the message names both. */
  RouteConflict = 'ERR_ARMATURE_ROUTE_CONFLICT',
  /** An unusable option (a zero limit, an unknown host, a bad port). */
  InvalidOption = 'ERR_ARMATURE_INVALID_OPTION',
  /**
   * A route's JSON Schema that does not compile, or a `$ref` nothing
   * resolves; the message names the route and the part.
   */
  InvalidSchema = 'ERR_ARMATURE_INVALID_SCHEMA',
  /**
   * An app feature given to a scope's or a route's `wrap`: declare it
   * with `App.wrap`.
   */
  AppOnly = 'ERR_ARMATURE_APP_ONLY',
  /** The address cannot be parsed or bound (e.g. the port is in use). */
  Listen = 'ERR_ARMATURE_LISTEN',
  /** `HttpResponse` got a status outside 200–999. */
  InvalidResponse = 'ERR_ARMATURE_INVALID_RESPONSE',
  /** A request read after its response was sent. */
  RequestFinished = 'ERR_ARMATURE_REQUEST_FINISHED',
  /**
   * `testClient` got a request that is not valid HTTP (method, URL or
   * header).
   */
  InvalidRequest = 'ERR_ARMATURE_INVALID_REQUEST',
  /** No native binary loads on this platform. */
  NoBinary = 'ERR_ARMATURE_NO_BINARY',
  /** The native binding failed (a bug: please report it). */
  Internal = 'ERR_ARMATURE_INTERNAL',
  /** The `reason` of an aborted `req.signal`: the client went away. */
  ClientGone = 'ERR_ARMATURE_CLIENT_GONE',
  /**
   * The `reason` of an aborted `req.signal`: the handler ran past
   * `requestTimeout`.
   */
  Timeout = 'ERR_ARMATURE_TIMEOUT',
  /**
   * The `reason` of an aborted `req.signal`: the server closed past
   * its grace period.
   */
  Shutdown = 'ERR_ARMATURE_SHUTDOWN',
  /**
   * `req.body`, `text()` or `json()` on a route declared
   * `{ stream: true }`: read it with `req.stream()`.
   */
  BodyStreamed = 'ERR_ARMATURE_BODY_STREAMED',
  /**
   * `req.stream()` when the body was cut short: over a `BodyLimit`,
   * slower than `bodyTimeout`, or the connection broke.
   */
  BodyCut = 'ERR_ARMATURE_BODY_CUT',
  /**
   * A body read by a parser (`req.multipart()`, `formData()`, `form()`) and by another reader: a
   * parser takes the body, so read it one way.
   */
  BodyUsed = 'ERR_ARMATURE_BODY_USED',
  /**
   * `part.saveTo(path)` could not make or write its file (it exists
   * and `overwrite` is not set, a folder is missing, the disk is
   * full); nothing is left at `path`.
   */
  SaveFailed = 'ERR_ARMATURE_SAVE_FAILED',
  /**
   * `testClient` got a response whose stream failed before its end
   * (over a socket the client sees the response cut short).
   */
  StreamFailed = 'ERR_ARMATURE_STREAM_FAILED',
  /**
   * The native addon panicked in a call from JS (a bug: please report
   * it); the process goes on.
   */
  Panic = 'ERR_ARMATURE_PANIC',
}

/** An `ERR_ARMATURE_*` code, as `err.code` holds it. */
export type ErrorCode = `${Code}`

/** Every code, in the order the docs list them. */
export const ERROR_CODES = [
  'ERR_ARMATURE_INVALID_ROUTE',
  'ERR_ARMATURE_ROUTE_CONFLICT',
  'ERR_ARMATURE_INVALID_OPTION',
  'ERR_ARMATURE_INVALID_SCHEMA',
  'ERR_ARMATURE_APP_ONLY',
  'ERR_ARMATURE_LISTEN',
  'ERR_ARMATURE_INVALID_RESPONSE',
  'ERR_ARMATURE_REQUEST_FINISHED',
  'ERR_ARMATURE_INVALID_REQUEST',
  'ERR_ARMATURE_NO_BINARY',
  'ERR_ARMATURE_INTERNAL',
  'ERR_ARMATURE_CLIENT_GONE',
  'ERR_ARMATURE_TIMEOUT',
  'ERR_ARMATURE_SHUTDOWN',
  'ERR_ARMATURE_BODY_STREAMED',
  'ERR_ARMATURE_BODY_CUT',
  'ERR_ARMATURE_BODY_USED',
  'ERR_ARMATURE_SAVE_FAILED',
  'ERR_ARMATURE_STREAM_FAILED',
  'ERR_ARMATURE_PANIC',
] as const satisfies readonly ErrorCode[]
