// Generated from crates/engine by tests/typescript.rs (cargo test --features ts); do not edit.

/**
 * A content coding the engine can produce.
 */
export type Coding = "br" | "zstd" | "gzip" | "deflate";

/**
 * How hard `Compression` works: speed against size.
 */
export type CompressionLevel = "fastest" | "default" | "best";

/**
 * Options of `Compression.new` (the `Compression` middleware), as JSON.
 */
export type CompressionOptions = { 
/**
 * Codings in the server's order of preference. @default ['br', 'zstd', 'gzip', 'deflate']
 */
algorithms?: Array<Coding>, 
/**
 * Bodies smaller than this many bytes are sent as they are. @default 1024
 */
minSize?: number, 
/**
 * Media types worth compressing; an entry ending in `/` is a prefix.
 * @default ['text/', 'application/json', 'application/problem+json', 'application/javascript', 'application/xml', 'application/xhtml+xml', 'application/rss+xml', 'application/wasm', 'image/svg+xml']
 */
contentTypes?: Array<string>, 
/**
 * Speed against size. @default 'default'
 */
level?: CompressionLevel, };

/**
 * Options of `Cors.new` (the `Cors` middleware), as JSON.
 */
export type CorsOptions = { 
/**
 * Origins allowed to read answers: exact (`https://app.example.com`), a
 * subdomain pattern (`https://*.example.com`), or `'*'` for any.
 * @default '*'
 */
origins?: "*" | Array<string>, 
/**
 * Methods a preflight allows. @default ['GET', 'HEAD', 'PUT', 'PATCH', 'POST', 'DELETE']
 */
methods?: Array<string>, 
/**
 * Request headers a preflight allows; `'*'` allows what it asks for. @default '*'
 */
headers?: "*" | Array<string>, 
/**
 * Allow credentials (cookies, Authorization); needs a list of origins. @default false
 */
credentials?: boolean, 
/**
 * Seconds a browser may cache a preflight answer. @default none sent
 */
maxAge?: number, 
/**
 * Response headers that scripts may read. @default none
 */
exposeHeaders?: Array<string>, };

/**
 * Options of `ETag.new` (the `ETag` middleware), as JSON.
 */
export type ETagOptions = { 
/**
 * Make weak tags (`W/"…"`): equal meaning, not byte for byte. @default false
 */
weak?: boolean, };

/**
 * pino's levels, least severe first; `silent` writes nothing.
 */
export type LogLevel = "trace" | "debug" | "info" | "warn" | "error" | "fatal" | "silent";

/**
 * Where lines go; the value indexes the writers' sinks.
 */
export type Destination = "stdout" | "stderr";

/**
 * Options of `Logger.json` (the `Logger` middleware), as JSON.
 */
export type LoggerOptions = { 
/**
 * The least level written. Answers log at `info`, 4xx at `warn` and 5xx at
 * `error`, so `'warn'` logs only failures.
 * @default 'info'
 */
level?: LogLevel, 
/**
 * Fields added to every line, e.g. `{ service: 'api' }`. @default none
 */
fields?: Record<string, unknown>, 
/**
 * The stream lines go to. @default 'stdout'
 */
destination?: Destination, 
/**
 * The header whose request id lines report (see `RequestId`). @default 'x-request-id'
 */
requestIdHeader?: string, };

/**
 * The caps on a multipart body, as JSON.
 */
export type MultipartLimitsJson = { 
/**
 * The largest file part: `'100mb'` or bytes. @default '10mb'
 */
fileSize?: number | string, 
/**
 * The most file parts. @default 10
 */
files?: number, 
/**
 * The most field parts (parts without a filename). @default 100
 */
fields?: number, 
/**
 * The largest field part: `'64kb'` or bytes. @default '1mb'
 */
fieldSize?: number | string, 
/**
 * The most parts of either kind. @default 1000
 */
parts?: number, 
/**
 * The most header lines in one part, at most 32. @default 32
 */
headerPairs?: number, };

/**
 * Options of `req.multipart()` and `req.formData()`, as JSON.
 */
export type MultipartOptions = { 
/**
 * What the body may hold; each violation is a 413 naming its limit.
 */
limits?: MultipartLimitsJson, };

/**
 * How `format` keywords act.
 */
export type Formats = "assert" | "annotate";

/**
 * A route's schemas, as JSON.
 */
export type RouteSchemaJson = { 
/**
 * The JSON Schema (draft 2020-12, or the draft its `$schema` names)
 * the JSON body must match; a body that does not gets a 400 listing
 * every violation.
 */
body?: unknown, 
/**
 * Whether `format` asserts (`'assert'`) or only annotates
 * (`'annotate'`). @default 'annotate'
 */
formats?: Formats, };

/**
 * How `RateLimit` counts.
 */
export type Algorithm = "slidingWindow" | "tokenBucket";

/**
 * Options of `RateLimit.new` (the `RateLimit` middleware), as JSON.
 */
export type RateLimitOptions = { 
/**
 * Requests a client may make per window.
 */
limit: number, 
/**
 * The window: milliseconds or text (`'1m'`, `'30s'`).
 */
window: number | string, 
/**
 * What tells clients apart: `'ip'` (the client's address, as the app's
 * `trustProxy` works it out) or `{ header: 'x-api-key' }`.
 * @default 'ip'
 */
key?: "ip" | { header: string }, 
/**
 * `slidingWindow` weighs the last window by how much of it still overlaps
 * (smooth, no bursts at window edges); `tokenBucket` refills `limit` tokens
 * evenly over the window.
 * @default 'slidingWindow'
 */
algorithm?: Algorithm, 
/**
 * Clients remembered at most; idle ones, then the least recently seen, are forgotten first. @default 100000
 */
maxKeys?: number, 
/**
 * Memory the remembered clients may take: bytes or text (`'16mb'`); a
 * key longer than 256 bytes is remembered as its hash. @default '16mb'
 */
maxBytes?: number | string, };

/**
 * Options of `RequestId.new` (the `RequestId` middleware), as JSON.
 */
export type RequestIdOptions = { 
/**
 * The header that carries the id, on the request and the response. @default 'x-request-id'
 */
header?: string, 
/**
 * Keep an id the client sent when it is 1–128 URL-safe characters. @default true
 */
trustIncoming?: boolean, };

/**
 * What a route's body is, when it declares it.
 */
export type BodyType = "multipart" | "form";

/**
 * A route's properties, as JSON.
 */
export type RouteOptionsJson = { 
/**
 * The largest body the route reads: `'10mb'` or bytes.
 */
bodyLimit?: number | string, 
/**
 * The time its handler has: `'30s'` or milliseconds.
 */
timeout?: number | string, 
/**
 * Its body goes to the handler as it arrives.
 */
stream?: boolean, 
/**
 * The media type its body must have: another gets 415.
 */
body?: BodyType, 
/**
 * JSON Schemas the request must match.
 */
schema?: RouteSchemaJson, };

/**
 * `Content-Security-Policy` settings.
 */
export type ContentSecurityPolicy = { 
/**
 * Directives by name (`'img-src'`), each a list of sources, or `false` to
 * drop a default one.
 * @example { 'img-src': ["'self'", 'https://cdn.example.com'] }
 */
directives?: Record<string, Array<string> | false>, 
/**
 * Start from the default directives. @default true
 */
useDefaults?: boolean, };

/**
 * `Strict-Transport-Security` settings. Preloading needs a year and subdomains.
 */
export type StrictTransportSecurity = { 
/**
 * Seconds browsers remember to use HTTPS. @default 31536000
 */
maxAge?: number, 
/**
 * Covers subdomains too. @default true
 */
includeSubDomains?: boolean, 
/**
 * Asks to be preloaded into browsers. @default false
 */
preload?: boolean, };

/**
 * Options of `SecurityHeaders.new` (the `SecurityHeaders` middleware), as
 * JSON; every header is only set when the response has none.
 */
export type SecurityHeadersOptions = { 
/**
 * `Content-Security-Policy`; `false` sends no policy.
 * @default helmet's policy: `default-src 'self'`, `script-src 'self'`, `object-src 'none'`, …
 */
contentSecurityPolicy?: false | ContentSecurityPolicy, 
/**
 * `Strict-Transport-Security`; `false` sends none.
 * @default { maxAge: 31536000, includeSubDomains: true, preload: false }
 */
strictTransportSecurity?: false | StrictTransportSecurity, 
/**
 * Any other header by name: a value replaces the default, `false` drops it.
 * Defaults: `cross-origin-opener-policy: same-origin`,
 * `cross-origin-resource-policy: same-origin`, `origin-agent-cluster: ?1`,
 * `referrer-policy: no-referrer`, `x-content-type-options: nosniff`,
 * `x-dns-prefetch-control: off`, `x-download-options: noopen`,
 * `x-frame-options: SAMEORIGIN`, `x-permitted-cross-domain-policies: none`,
 * `x-xss-protection: 0`.
 * @example { 'x-frame-options': 'DENY', 'x-download-options': false }
 */
headers?: Record<string, string | false>, };

/**
 * A precompressed sibling's coding: `file.br`, `file.gz`, `file.zst`.
 */
export type Precompressed = "br" | "gzip" | "zstd";

/**
 * What `Static` does with a path that has a segment starting with a dot.
 */
export type Dotfiles = "deny" | "allow" | "ignore";

/**
 * Options of `Static.new` (the `Static` app feature), as JSON; `root` is
 * resolved by the caller.
 */
export type StaticOptions = { 
/**
 * The path the directory is mounted under. @default '/'
 */
prefix?: string, 
/**
 * `Cache-Control: max-age`: `'1h'`, `'30s'`, or milliseconds. @default 0
 */
maxAge?: number | string, 
/**
 * Request paths whose answers are also `immutable` (hashed names).
 */
immutable?: RegExp, 
/**
 * Precompressed siblings (`file.br`, `file.gz`, `file.zst`) served to
 * clients that accept them, in this order of preference. @default []
 */
precompressed?: Array<Precompressed>, 
/**
 * The file a directory answers with, or `false`. @default 'index.html'
 */
index?: string | false, 
/**
 * A file under the root for GET and HEAD requests that accept HTML and
 * that no route and no file matched (a single-page app's shell).
 */
fallback?: string, 
/**
 * Paths with a segment starting with a dot. @default 'deny'
 */
dotfiles?: Dotfiles, 
/**
 * Extensions tried for a path without one (`['html']`). @default []
 */
extensions?: Array<string>, 
/**
 * Serve symlinks that lead out of the root. @default false
 */
followSymlinks?: boolean, };

/**
 * `HttpResponse.file`'s path and options, as JSON.
 */
export type FileOptions = { 
/**
 * Sends `Content-Disposition: attachment` with this name: a download.
 */
filename?: string, 
/**
 * `Cache-Control: public, max-age=…`: `'1h'`, or milliseconds.
 */
maxAge?: number | string, };
