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
