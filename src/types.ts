/**
 * The function types an app is made of: handlers, middleware, and what they
 * return. Here so that the modules using them (routing, middleware, the
 * bridge) need not import each other.
 */
import type { Request } from './request.js'
import type { HttpResponse } from './response.js'
import type { StreamSource } from './streams.js'

/** What a handler or middleware may return. */
export type HandlerResult = HttpResponse | string | Uint8Array | StreamSource | object | number | boolean | null | undefined

/** A request handler: sync or async, returning a response or a value that becomes one. */
export type Handler<P extends Record<string, string> = Record<string, string>, D = any> = (
  req: Request<P, D>,
) => HandlerResult | Promise<HandlerResult>

/**
 * Middleware: runs before the handler, calls `next(req)` to continue, and
 * may change the response it gets back. `next` rejects when the handler
 * throws, so middleware can catch errors too.
 *
 * @example
 * const timing: Middleware = async (req, next) => {
 *   const started = performance.now()
 *   const res = await next(req)
 *   return res.header('server-timing', `total;dur=${performance.now() - started}`)
 * }
 */
export type Middleware<D = any> = (
  req: Request<any, D>,
  // Any request: a middleware that needs only part of the app state still fits an app with more.
  next: (req: Request<any, any>) => Promise<HttpResponse>,
) => HandlerResult | Promise<HandlerResult>
