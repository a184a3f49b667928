/**
 * Armature: a Rust HTTP engine (hyper, tokio) with a typed, actix-web-like API.
 *
 * @example
 * import { App, get } from '@armature/core'
 * const server = await App.new().route('/', get(() => 'Hello, World!')).run('127.0.0.1:8080')
 */
export { App, Scope, scope, type AppOptions, type ForwardedHeader, type Limits, type RunOptions, type SchemaSettings, type TrustProxy } from './app.js'
export type { Handler, HandlerResult, Middleware } from './types.js'
export {
  AppFeature,
  BodyLimit,
  Compression,
  Cors,
  ETag,
  Logger,
  NativeMiddleware,
  RateLimit,
  RequestId,
  RouteProperty,
  SecurityHeaders,
  Static,
  Timeout,
  type AnyMiddleware,
  type CompressionOptions,
  type CorsOptions,
  type ETagOptions,
  type LoggerOptions,
  type LogLevel,
  type LogRecord,
  type RateLimitOptions,
  type HeaderSetting,
  type KeyFunction,
  type RequestIdOptions,
  type SecurityHeadersOptions,
  type StaticOptions,
} from './middleware.js'
export { Request, type QueryValue } from './request.js'
export { Part, type MultipartOptions, type MultipartLimits } from './multipart.js'
export type { StreamSource } from './streams.js'
export type { SseEvent } from './sse.js'
export { HttpError, HttpResponse, type Body, type CacheControl, type FileBody, type FileOptions, type HttpErrorOptions, type ResponseInit, type SseOptions } from './response.js'
export type { CookieOptions, CookieSettings } from './cookies.js'
export {
  any,
  del,
  del as delete,
  get,
  head,
  MethodRouter,
  options,
  patch,
  post,
  put,
  type ParamNames,
  type Params,
  type RouteOptions,
  type RouteSchema,
  type Target,
} from './routing.js'
export { Server, type CloseOptions, type ServerStats } from './server.js'
export type { ErrorCode } from './errors.js'
import { ERROR_CODES, type ErrorCode } from './errors.js'

/** Every `code` an Armature error can carry (the engine's, the binding's and the JS layer's), e.g. for tests that keep docs in sync. */
export const errorCodes = (): ErrorCode[] => [...ERROR_CODES]
