import type { Request } from './request.js'
import type { Handler, Middleware } from './types.js'
import { refuseFeature, type AnyMiddleware } from './middleware.js'
import type { BodyType, RouteSchemaJson as RouteSchema } from './generated/middleware.js'

export type { RouteSchema }
import { binding } from './native.js'
import { checkOptions, type Shape } from './options.js'
import { HttpResponse } from './response.js'
import { isStreamSource } from './streams.js'

/** Names of the parameters in a route path: `'/users/:id/*rest'` → `'id' | 'rest'`. */
export type ParamNames<Path extends string> = Path extends `${string}:${infer Name}/${infer Rest}`
  ? Name | ParamNames<`/${Rest}`>
  : Path extends `${string}:${infer Name}`
    ? Name
    : Path extends `${string}*${infer Name}`
      ? Name
      : never

/** The parameters object of a route path. */
export type Params<Path extends string> = { [K in ParamNames<Path>]: string }

/** A handler function, or a constant response that the engine serves without calling JS. */
export type Target<P extends Record<string, string>, D> = Handler<P, D> | HttpResponse

/** Options of one route's handler: `post(ingest, { stream: true })`. */
export interface RouteOptions {
  /**
   * Hand the handler its request body as it arrives (`req.stream()`), not
   * read whole first: `limits.bodySize` does not apply, a `BodyLimit` does.
   * @default false
   */
  stream?: boolean
  /**
   * The body the route takes: `'form'` (`application/x-www-form-urlencoded`)
   * or `'multipart'` (`multipart/form-data`). A request of another media type
   * gets a 415 problem from the engine before the handler runs.
   */
  body?: BodyType
  /**
   * JSON Schemas the request must match, checked in the engine before the
   * handler runs: `body` (draft 2020-12, or the draft its `$schema` names)
   * for a JSON body; a body that does not match gets a 400 problem whose
   * `errors` list every violation. `formats: 'assert'` makes `format` a
   * check rather than an annotation.
   */
  schema?: RouteSchema
}

const ROUTE_OPTIONS: Shape<RouteOptions> = { stream: 'boolean', body: 'string', schema: 'object' }

/** @internal one method entry of a `MethodRouter`. */
export interface MethodEntry {
  methods: string[] | null
  target: Target<any, any>
  /** The body streams to the handler (`{ stream: true }`). */
  stream: boolean
  /** The media type the body must have (`{ body: 'form' }`). */
  body: BodyType | undefined
  /** The schemas the request must match (`{ schema: { body } }`). */
  schema: RouteSchema | undefined
}

/**
 * The handlers of one path, by method: `get(list).post(create)`.
 * Build it with `get`, `post`, … `any` and pass it to `route`.
 */
export class MethodRouter<P extends Record<string, string> = Record<string, string>, D = any> {
  /** @internal */
  readonly entries: MethodEntry[] = []
  /** @internal */
  readonly middleware: AnyMiddleware<any>[] = []

  #add(methods: string[] | null, target: Target<any, any>, options: RouteOptions | undefined): this {
    checkOptions('route options', options, ROUTE_OPTIONS)
    if (options?.body !== undefined) binding.checkRouteOptions({ body: options.body })
    this.entries.push({ methods, target, stream: options?.stream === true, body: options?.body, schema: options?.schema })
    return this
  }

  /** Handles GET (and, automatically, HEAD). */
  get(target: Target<P, D>, options?: RouteOptions): this {
    return this.#add(['GET'], target, options)
  }
  /** Handles POST. */
  post(target: Target<P, D>, options?: RouteOptions): this {
    return this.#add(['POST'], target, options)
  }
  /** Handles PUT. */
  put(target: Target<P, D>, options?: RouteOptions): this {
    return this.#add(['PUT'], target, options)
  }
  /** Handles PATCH. */
  patch(target: Target<P, D>, options?: RouteOptions): this {
    return this.#add(['PATCH'], target, options)
  }
  /** Handles DELETE. */
  delete(target: Target<P, D>, options?: RouteOptions): this {
    return this.#add(['DELETE'], target, options)
  }
  /** Handles HEAD explicitly (GET handlers already answer HEAD). */
  head(target: Target<P, D>, options?: RouteOptions): this {
    return this.#add(['HEAD'], target, options)
  }
  /** Handles OPTIONS explicitly (otherwise answered with `Allow`). */
  options(target: Target<P, D>, options?: RouteOptions): this {
    return this.#add(['OPTIONS'], target, options)
  }
  /** Handles the given methods, e.g. `on(['PROPFIND'], handler)`. */
  on(methods: readonly string[], target: Target<P, D>, options?: RouteOptions): this {
    return this.#add(methods.map((m) => m.toUpperCase()), target, options)
  }
  /** Handles every method not handled explicitly on the same path. */
  any(target: Target<P, D>, options?: RouteOptions): this {
    return this.#add(null, target, options)
  }
  /** Adds middleware, JS or native, for this route only, inside the app's and scopes'. */
  wrap(middleware: AnyMiddleware<D>): this {
    refuseFeature(middleware, 'a route')
    this.middleware.push(middleware)
    return this
  }
}

type Starter = <P extends Record<string, string> = Record<string, string>, D = any>(
  target: Target<P, D>,
  options?: RouteOptions,
) => MethodRouter<P, D>
const starter =
  (method: 'get' | 'post' | 'put' | 'patch' | 'delete' | 'head' | 'options' | 'any'): Starter =>
  <P extends Record<string, string>, D>(target: Target<P, D>, options?: RouteOptions) =>
    new MethodRouter<P, D>()[method](target, options)

/** A route answering GET (and HEAD). */
export const get: Starter = starter('get')
/** A route answering POST. */
export const post: Starter = starter('post')
/** A route answering PUT. */
export const put: Starter = starter('put')
/** A route answering PATCH. */
export const patch: Starter = starter('patch')
/** A route answering DELETE. */
export const del: Starter = starter('delete')
/** A route answering HEAD. */
export const head: Starter = starter('head')
/** A route answering OPTIONS. */
export const options: Starter = starter('options')
/** A route answering every method. */
export const any: Starter = starter('any')

/** Joins a scope prefix and a route path: `'/api' + '/items'`, `'/api' + '/'` → `'/api'`. */
export function joinPath(prefix: string, path: string): string {
  const base = prefix.endsWith('/') ? prefix.slice(0, -1) : prefix
  if (path === '/') return base === '' ? '/' : base
  return base + path
}

/** Composes middleware around a handler, outermost first. */
export function compose(middleware: readonly Middleware<any>[], handler: Handler<any, any>): (req: Request<any, any>) => unknown {
  let run: (req: Request<any, any>) => unknown = handler
  for (let i = middleware.length - 1; i >= 0; i--) {
    const layer = middleware[i] as Middleware<any>
    const inner = run
    const next = (req: Request<any, any>): Promise<HttpResponse> => {
      try {
        const result = inner(req)
        return result instanceof Promise ? result.then(toResponse) : Promise.resolve(toResponse(result))
      } catch (error) {
        return Promise.reject(error)
      }
    }
    run = (req) => layer(req, next)
  }
  return run
}

/** Turns a handler's value into an `HttpResponse` for middleware to inspect. */
export function toResponse(value: unknown): HttpResponse {
  if (value instanceof HttpResponse) return value
  if (value === undefined) return HttpResponse.empty()
  if (typeof value === 'string') return HttpResponse.text(value)
  if (value instanceof Uint8Array) return HttpResponse.bytes(value)
  if (isStreamSource(value)) return HttpResponse.stream(value)
  return HttpResponse.json(value)
}
