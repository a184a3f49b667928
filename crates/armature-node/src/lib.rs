//! Node.js bindings for the Armature engine.
//!
//! The only crate that knows about napi or JavaScript: it translates options,
//! routes, requests and responses between JS and `armature_engine`, and owns
//! the one path by which the engine reaches JS ([`bridge`]).

// `#[napi]` items are public because JS reaches them, which rustc cannot see.
#![allow(unreachable_pub)]

mod app;
mod bridge;
mod error;
mod options;
mod request;
mod server;

use std::sync::OnceLock;

/// The tokio runtime shared by every server in the process, created by the
/// first `listen` with that call's worker count.
fn runtime(workers: Option<usize>) -> napi::Result<&'static tokio::runtime::Runtime> {
    static RUNTIME: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
    if let Some(runtime) = RUNTIME.get() {
        return Ok(runtime);
    }
    let runtime = armature_engine::runtime(workers)
        .map_err(|error| napi::Error::from_reason(format!("cannot start the engine: {error}")))?;
    Ok(RUNTIME.get_or_init(|| runtime))
}
