// Generated from crates/engine by tests/typescript.rs (cargo test --features ts); do not edit.

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
