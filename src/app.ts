import type { ConstantResponse, LimitsOptions, MiddlewareSpec, NativeApp, NativeServer, ServerOptions } from '../index.js'
import type { RouteOptionsJson } from './generated/middleware.js'
import { binding } from './native.js'
import { defaultError, Dispatcher, type Endpoint, type ErrorResponder } from './bridge.js'
import type { Request } from './request.js'
import { FileBody, HttpResponse } from './response.js'
import { secretsOf, type CookieSettings } from './cookies.js'
import { AppFeature, inline, inlineRateLimit, NativeMiddleware, refuseFeature, RouteProperty, type AnyMiddleware } from './middleware.js'
import { compose, joinPath, type MethodEntry, type MethodRouter, type Params, type RouteSchema } from './routing.js'
import type { Handler, HandlerResult, Middleware } from './types.js'
import { Server } from './server.js'
import { LIMITS_OPTIONS } from './generated/options.js'
import { checkOptions, millis, type Shape } from './options.js'
import { isStreamSource } from './streams.js'
import { Code, codedError } from './errors.js'

/**
 * Request limits; each falls back to its default. The type is napi's, from
 * the Rust struct (`LimitsOptions` in crates/armature-node/src/options.rs).
 */
export type Limits = LimitsOptions

/** Options of `App.new`. */
export interface AppOptions {
  /** Request limits. */
  limits?: Limits
  /** The `server` response header, or `false` for none. @default 'armature' */
  serverName?: string | false
  /** Cookie settings: the secret signed cookies use. @default no secret: signing throws */
  cookies?: CookieSettings
  /**
   * The proxies in front whose word on the client is taken: `req.ip`,
   * `req.ips`, `req.protocol`, `req.hostname`, `RateLimit` by IP and the
   * `Logger`'s `remoteAddress` follow it. See the README's "Proxies and
   * client addresses". @default false: the client is the socket's peer
   */
  trustProxy?: TrustProxy
  /** How the routes' JSON Schemas act; a route's `schema.formats` wins. See docs/schemas.md. */
  schemas?: SchemaSettings
}

/** App-wide settings of the routes' JSON Schemas. */
export interface SchemaSettings {
  /** `'assert'`: `format` is a check; `'annotate'`: an annotation only. @default 'annotate' */
  formats?: 'assert' | 'annotate'
}

/**
 * Which proxies are trusted: a hop count (`1`: the socket's peer), `true`
 * (every hop), addresses, networks (`'10.0.0.0/8'`) and presets
 * (`'loopback'`, `'linklocal'`, `'uniquelocal'`), or one of those with the
 * header the proxies write. The header defaults to `x-forwarded-for` (with
 * `x-forwarded-proto` and `x-forwarded-host`); the other one is ignored.
 */
export type TrustProxy =
  | boolean
  | number
  | string
  | readonly string[]
  | { hops: number; header?: ForwardedHeader }
  | { addresses: string | readonly string[]; header?: ForwardedHeader }
  | { all: true; header?: ForwardedHeader }

/** The header trusted proxies write the client's address into. */
export type ForwardedHeader = 'x-forwarded-for' | 'forwarded'

const APP_OPTIONS: Shape<AppOptions> = {
  limits: 'object',
  serverName: (value) => (typeof value === 'string' || value === false ? undefined : "a string, or false for none"),
  cookies: 'object',
  schemas: 'object',
  trustProxy: (value) =>
    typeof value === 'function'
      ? 'a hop count, true, addresses or presets, not a function: the engine works out the client before any JS runs'
      : undefined,
}

/** Where and how `App.run` listens. */
export interface RunOptions {
  /** Host name or IP address. @default '127.0.0.1' */
  host?: string
  /** TCP port; 0 picks a free one. @default 8080 */
  port?: number
  /** Engine worker threads; the first server of the process decides. @default one less than the CPUs available (at least 1) */
  workers?: number
  /** Close gracefully on SIGTERM and SIGINT. @default false */
  handleSignals?: boolean
  /** Time `close` on a signal lets in-flight requests finish: milliseconds or `'10s'`. @default 10000 */
  shutdownTimeout?: number | string
}

const RUN_OPTIONS: Shape<RunOptions> = {
  host: 'string',
  port: 'number',
  workers: 'number',
  handleSignals: 'boolean',
  shutdownTimeout: ['number', 'string'],
}

/** A route as `App.routes()` lists it. */
export interface RouteInfo {
  /** The methods it answers, upper case; `['*']` for `any`. */
  methods: string[]
  /** The full path, scope prefixes included. */
  path: string
  /** Middleware around it, JS and native: the app's, its scopes' and its own (native ones only for `fixed`). */
  middleware: number
  /** `'js'` for a handler function, `'fixed'` for a constant response the engine serves. */
  handler: 'js' | 'fixed'
}

/** A route collected by a scope, with the scopes it sits in (outermost first). */
interface ScopedRoute {
  path: string
  router: MethodRouter<any, any>
  scopes: readonly Scope<any>[]
}

/**
 * Checks every entry of `router` against the routes already in `table`, so a
 * bad or conflicting route throws where it is declared.
 */
function check(table: NativeApp, path: string, router: MethodRouter<any, any>, schemas?: SchemaSettings): void {
  for (const entry of router.entries) {
    const target = entry.target
    if (target instanceof HttpResponse) {
      table.fixedRoute(entry.methods, path, constant(target))
    } else if (typeof target === 'function') {
      // An app's routes compile their schemas here, so that a bad one throws where it is
      // added; a scope's wait for the app (`schemas` unset), whose shared schemas they may use.
      const compile = schemas !== undefined && entry.schema !== undefined
      table.route(entry.methods, path, 0, undefined, compile ? { stream: entry.stream, body: entry.body, schema: schemaOf(entry, schemas) } : undefined)
    } else {
      throw codedError(Code.InvalidRoute, `the handler for '${path}' must be a function or an HttpResponse`, undefined, TypeError)
    }
  }
}

/** A route's schemas with the app's settings where the route has none. */
function schemaOf(entry: MethodEntry, settings: SchemaSettings): RouteSchema | undefined {
  return entry.schema === undefined ? undefined : { ...entry.schema, formats: entry.schema.formats ?? settings.formats }
}

const isNative = (m: AnyMiddleware): m is NativeMiddleware => m instanceof NativeMiddleware
const isProperty = (m: AnyMiddleware): m is RouteProperty => m instanceof RouteProperty
/** A chain's steps: what is not a route property. */
const steps = (chain: readonly AnyMiddleware[]): (Middleware<any> | NativeMiddleware)[] =>
  chain.filter((m): m is Middleware<any> | NativeMiddleware => !isProperty(m))
/** Native middleware the engine can run alone: not those that need a JS function. */
const isEngine = (m: AnyMiddleware): m is NativeMiddleware => isNative(m) && m.keyOf === undefined

/** How many middleware lead `chain` before its first one that needs JS. */
function leadingNatives(chain: readonly AnyMiddleware[]): number {
  const first = chain.findIndex((m) => !isEngine(m))
  return first < 0 ? chain.length : first
}

/** The route properties of a chain, outermost first: the one closest to the route wins. */
function propertiesOf(chain: readonly AnyMiddleware[]): RouteOptionsJson {
  const options: RouteOptionsJson = {}
  for (const m of chain) if (isProperty(m)) Object.assign(options, m.options)
  return options
}

function constant(response: HttpResponse): ConstantResponse {
  const body = response.body
  if (isStreamSource(body)) {
    // A stream is read once; a constant answer is sent to every request.
    throw codedError(Code.InvalidRoute, 'a route answered by a constant HttpResponse cannot stream: return HttpResponse.stream(...) from a handler', undefined, TypeError)
  }
  if (body instanceof FileBody) {
    throw codedError(Code.InvalidRoute, 'a route answered by a constant HttpResponse cannot send a file: return HttpResponse.file(...) from a handler, or use Static', undefined, TypeError)
  }
  return {
    status: response.status,
    contentType: response.contentType,
    headers: response.headerList ?? [],
    body: body === undefined || typeof body === 'string' ? (body ?? '') : Buffer.from(body.buffer, body.byteOffset, body.byteLength),
  }
}

/**
 * A group of routes under a path prefix with its own middleware.
 *
 * @example
 * app.service(scope('/api/v1').wrap(auth).route('/items', get(list).post(create)))
 */
export class Scope<D = any> {
  /** The path prefix, e.g. `/api/v1`. */
  readonly prefix: string
  /** @internal */
  readonly middleware: AnyMiddleware<D>[] = []
  /** @internal routes relative to this scope, nested scopes included. */
  readonly routes: ScopedRoute[] = []
  /** Checks this scope's routes as they are added. */
  readonly #check = new binding.NativeApp()

  constructor(prefix: string) {
    if (prefix !== '' && !prefix.startsWith('/')) {
      throw codedError(Code.InvalidRoute, `invalid scope prefix '${prefix}': it must start with '/'`)
    }
    this.prefix = prefix
  }

  /** Adds a route below the prefix; `'/'` is the prefix itself. */
  route<Path extends string>(path: Path, router: MethodRouter<Params<Path>, D>): this {
    const full = joinPath(this.prefix, path)
    check(this.#check, full, router)
    this.routes.push({ path: full, router, scopes: [this] })
    return this
  }

  /** Adds middleware, JS or native, to every route of this scope, nested scopes included. */
  wrap(middleware: AnyMiddleware<D>): this {
    refuseFeature(middleware, `the scope '${this.prefix}'`)
    this.middleware.push(middleware)
    return this
  }

  /** Nests another scope below this one's prefix. */
  service(scope: Scope<D>): this {
    for (const route of scope.routes) {
      const full = joinPath(this.prefix, route.path)
      check(this.#check, full, route.router)
      this.routes.push({ path: full, router: route.router, scopes: [this, ...route.scopes] })
    }
    return this
  }
}

/** A scope of routes under `prefix`. */
export function scope<D = any>(prefix: string): Scope<D> {
  return new Scope<D>(prefix)
}

/**
 * An Armature application: routes, middleware, state and error handling.
 * Routes are checked as they are added; the whole app is frozen into the
 * engine when it runs.
 *
 * @example
 * const app = App.new().route('/', get(() => 'Hello, World!'))
 * const server = await app.run('127.0.0.1:8080')
 */
export class App<D extends object = Record<never, never>> {
  /** Checks routes as they are added; the engine's table is built when the app runs. */
  readonly #check = new binding.NativeApp()
  readonly #routes: ScopedRoute[] = []
  readonly #middleware: AnyMiddleware<D>[] = []
  readonly #features: AppFeature[] = []
  /** The shared schemas, in the order added: the engine's table gets them before the routes. */
  readonly #schemas: [string | undefined, object][] = []
  readonly #options: AppOptions
  #data: object = {}
  #onError: ErrorResponder | undefined

  readonly #secrets: readonly string[] | undefined

  private constructor(options: AppOptions) {
    checkOptions('', options, APP_OPTIONS)
    checkOptions('limits', options.limits, LIMITS_OPTIONS)
    checkOptions('cookies', options.cookies, { secret: (value) => (typeof value === 'string' || Array.isArray(value) ? undefined : 'a string or a list of strings') })
    checkOptions('schemas', options.schemas, { formats: (value) => (value === 'assert' || value === 'annotate' ? undefined : "'assert' or 'annotate'") })
    if (options.trustProxy !== undefined) binding.checkTrustProxy(options.trustProxy)
    this.#options = options
    this.#secrets = secretsOf(options.cookies)
  }

  /** A new, empty application. */
  static new(options: AppOptions = {}): App {
    return new App(options)
  }

  /** Adds shared state, reachable as `req.data` from every handler and middleware. */
  data<T extends object>(data: T): App<D & T> {
    this.#data = { ...this.#data, ...data }
    return this as unknown as App<D & T>
  }

  /**
   * Adds middleware, JS or native, around every route; the first added runs
   * first. Native middleware added before any JS one also wrap the engine's
   * own answers (404, 405, OPTIONS, limit errors). An app feature applies to
   * every request wherever it is added, inside the app's native middleware.
   */
  wrap(middleware: AnyMiddleware<D> | AppFeature): this {
    if (middleware instanceof AppFeature) this.#features.push(middleware)
    else this.#middleware.push(middleware)
    return this
  }

  /**
   * Adds a route. Paths take `:name` parameters and a final `*name` wildcard.
   * Throws (code `ERR_ARMATURE_INVALID_ROUTE` or `ERR_ARMATURE_ROUTE_CONFLICT`)
   * when the path is invalid or overlaps a route added before.
   */
  route<Path extends string>(path: Path, router: MethodRouter<Params<Path>, D>): this {
    this.#add(path, router, [])
    return this
  }

  /** Adds a scope's routes with its prefix and middleware. */
  service(scope: Scope<D>): this {
    for (const route of scope.routes) this.#add(route.path, route.router, route.scopes)
    return this
  }

  /**
   * Replaces the default error response. The function gets whatever a
   * handler or middleware threw and returns the response; if it throws, the
   * default (a problem+json 500, or the `HttpError`'s status) is sent.
   */
  onError(handler: (error: unknown, req: Request<any, D>) => HandlerResult | Promise<HandlerResult>): this {
    this.#onError = handler
    return this
  }

  /** Every route in the order added, e.g. for `armature routes`. */
  routes(): RouteInfo[] {
    return this.#routes.flatMap(({ path, router, scopes }) => {
      const chain = this.#chain(scopes, router)
      return router.entries.map((entry): RouteInfo => {
        const fixed = entry.target instanceof HttpResponse
        return {
          methods: entry.methods ?? ['*'],
          path,
          middleware: fixed ? chain.filter(isEngine).length : chain.length,
          handler: fixed ? 'fixed' : 'js',
        }
      })
    })
  }

  /**
   * Adds a JSON Schema every route added after it may `$ref` by its URI: its
   * own `$id` (`app.schema(S)`), or the `uri` given (`app.schema(uri, S)`).
   * Throws `ERR_ARMATURE_INVALID_SCHEMA` for a schema without either, or a
   * URI already taken. References are never fetched: register them here.
   *
   * @example
   * App.new().schema({ $id: 'https://example.com/user', type: 'object' })
   *   .route('/users', post(create, { schema: { body: { $ref: 'https://example.com/user' } } }))
   */
  schema(schema: object): this
  schema(uri: string, schema: object): this
  schema(uriOrSchema: string | object, schema?: object): this {
    const [uri, value] = typeof uriOrSchema === 'string' ? [uriOrSchema, schema] : [undefined, uriOrSchema]
    if (value === null || typeof value !== 'object') {
      throw codedError(Code.InvalidSchema, 'app.schema takes a JSON Schema object (and before it, optionally, the URI it goes by)', undefined, TypeError)
    }
    this.#check.schema(uri, value)
    this.#schemas.push([uri, value])
    return this
  }

  #add(path: string, router: MethodRouter<any, any>, scopes: readonly Scope<any>[]): void {
    check(this.#check, path, router, this.#options.schemas ?? {})
    this.#routes.push({ path, router, scopes })
  }

  /** The middleware of a route, outermost first. */
  #chain(scopes: readonly Scope<any>[], router: MethodRouter<any, any>): AnyMiddleware[] {
    return [...this.#middleware, ...scopes.flatMap((s) => s.middleware), ...router.middleware]
  }

  /**
   * Builds what a server of this app runs: the engine's route table, with the
   * native middleware the engine runs itself, and the JS half, whose chains
   * are composed once. Native middleware that lead a route's chain run in the
   * engine; the ones after a JS middleware run inline, on the JS thread.
   */
  #build(): { table: NativeApp; dispatcher: Dispatcher; inline: MiddlewareSpec[] } {
    const table = new binding.NativeApp()
    for (const [uri, schema] of this.#schemas) table.schema(uri, schema)
    const appSteps = steps(this.#middleware)
    const appWide = leadingNatives(appSteps)
    for (const m of appSteps.slice(0, appWide) as NativeMiddleware[]) table.wrap(m.spec)
    for (const feature of this.#features) table.feature(feature.spec)
    const inlined: MiddlewareSpec[] = []
    const endpoints: Endpoint[] = []
    for (const { path, router, scopes } of this.#routes) {
      const full = this.#chain(scopes, router)
      const properties = propertiesOf(full)
      const chain = steps(full).slice(appWide)
      // Native middleware that lead the chain run in the engine; the rest, JS and native, in JS.
      const lead = leadingNatives(chain)
      const engine = chain.slice(0, lead) as NativeMiddleware[]
      const js = chain.slice(lead)
      for (const entry of router.entries) {
        const target = entry.target
        if (target instanceof HttpResponse) {
          // No JS runs for a constant response: its native middleware all run in the engine.
          const natives = chain.filter(isEngine).map((m) => m.spec)
          table.fixedRoute(entry.methods, path, constant(target), natives)
          continue
        }
        const layers = engine.map((m) => m.spec)
        const run = js.map((m): Middleware<any> => {
          if (!isNative(m)) return m
          const index = inlined.push(m.spec) - 1
          return m.keyOf ? inlineRateLimit(index, m.keyOf) : inline(index)
        })
        const names = table.route(entry.methods, path, endpoints.length, layers, { ...properties, stream: entry.stream, body: entry.body, schema: schemaOf(entry, this.#options.schemas ?? {}) })
        endpoints.push({ names, run: compose(run, target as Handler<any, any>), stream: entry.stream })
      }
    }
    const context = { data: this.#data, secrets: this.#secrets, signals: new Map<number, AbortController>(), readers: new Map<number, () => void>() }
    return { table, dispatcher: new Dispatcher(endpoints, context, this.#onError ?? defaultError), inline: inlined }
  }

  #serverOptions(host: string, port: number, workers?: number): ServerOptions {
    const serverName = this.#options.serverName
    return {
      host,
      port,
      limits: this.#options.limits,
      serverName: serverName === false ? '' : serverName,
      workers,
      development: process.env.NODE_ENV === 'development',
      trustProxy: this.#options.trustProxy,
    }
  }

  /** @internal a server without a socket, for `@armature/core/testing`. */
  inProcess(): NativeServer {
    const { table, dispatcher, inline } = this.#build()
    dispatcher.native = table.inProcess(this.#serverOptions('127.0.0.1', 0), dispatcher.wake, inline)
    return dispatcher.native
  }

  /**
   * Starts serving on `address` (`'host:port'`, a port number, or options)
   * and resolves once listening. Rejects with code `ERR_ARMATURE_LISTEN` when
   * the address cannot be used.
   */
  async run(address: string | number | RunOptions = {}, options: RunOptions = {}): Promise<Server> {
    if (typeof address === 'object') checkOptions('', address, RUN_OPTIONS)
    checkOptions('', options, RUN_OPTIONS)
    const listen = { ...options, ...parseAddress(address) }
    const shutdownTimeout = millis('shutdownTimeout', listen.shutdownTimeout ?? 10_000)
    const { table, dispatcher, inline } = this.#build()
    let resolveClosed!: () => void
    const closed = new Promise<void>((resolve) => (resolveClosed = resolve))
    const host = listen.host ?? '127.0.0.1'
    dispatcher.native = table.listen(
      this.#serverOptions(host, listen.port ?? 8080, listen.workers),
      dispatcher.wake,
      () => resolveClosed(),
      inline,
    )
    let server: Server
    const onSignal = (): void => void server.close({ timeout: shutdownTimeout })
    const signals = listen.handleSignals ? (['SIGTERM', 'SIGINT'] as const) : []
    for (const signal of signals) process.once(signal, onSignal)
    server = new Server(dispatcher.native, host, closed, () => {
      for (const signal of signals) process.removeListener(signal, onSignal)
    })
    return server
  }
}

/** `'127.0.0.1:8080'`, `'[::1]:8080'`, `8080` or `{ host, port }` to options. */
function parseAddress(address: string | number | RunOptions): RunOptions {
  if (typeof address === 'number') return { port: address }
  if (typeof address !== 'string') return address
  const match = /^(?:\[([^\]]+)\]|([^:]*)):(\d+)$/.exec(address)
  if (!match) {
    throw codedError(Code.Listen, `invalid address '${address}': use 'host:port', e.g. '127.0.0.1:8080'`)
  }
  const host = match[1] ?? match[2]
  return { host: host === '' ? undefined : host, port: Number(match[3]) }
}
