//! Files served from disk by the engine (`Static`): a request path resolved
//! under a root it cannot leave ([`path`]), and the file answered with its
//! validators, conditional requests, a byte range or a precompressed
//! sibling, streamed in bounded memory ([`send`]); the same for a file a
//! handler answers with ([`answer`]). The file system is touched only on
//! tokio's blocking pool, one task per request, never on an engine worker.

mod answer;
mod path;
mod send;
mod statics;

use std::sync::Arc;

use http::request::Parts;
use http::{Method, Response};

pub(crate) use answer::deliver;
pub use answer::FileAnswer;
pub use send::Precompressed;
pub use statics::{Dotfiles, StaticConfig, StaticFiles};

use crate::Body;

/// The answer of the first `Static` with a file for `parts`, else of the
/// first fallback: what a request no route matched gets before its 404. The
/// whole search runs as one task of tokio's blocking pool.
pub(crate) async fn lookup(statics: &[Arc<StaticFiles>], parts: &Parts) -> Option<Response<Body>> {
    if statics.is_empty() || (parts.method != Method::GET && parts.method != Method::HEAD) {
        return None;
    }
    let statics = statics.to_vec();
    let parts = parts.clone();
    let search = move || {
        statics
            .iter()
            .find_map(|files| files.serve(&parts))
            .or_else(|| statics.iter().find_map(|files| files.fallback(&parts)))
    };
    tokio::task::spawn_blocking(search).await.unwrap_or(None)
}
