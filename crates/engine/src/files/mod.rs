//! Files served from disk by the engine (`Static`): a request path resolved
//! under a root it cannot leave ([`path`]), and the file answered with its
//! validators, conditional requests, a byte range or a precompressed
//! sibling, streamed in bounded memory ([`send`]); the same for a file a
//! handler answers with ([`answer`]). The file system is
//! touched only through tokio's fs (its blocking pool), never on an engine
//! worker.

mod answer;
mod path;
mod send;
mod statics;

use std::sync::Arc;

use http::request::Parts;
use http::Response;

pub(crate) use answer::deliver;
pub use answer::FileAnswer;
pub use send::Precompressed;
pub use statics::{Dotfiles, StaticConfig, StaticFiles};

use crate::Body;

/// The answer of the first `Static` with a file for `parts`, else of the
/// first fallback: what a request no route matched gets before its 404.
pub(crate) async fn lookup(statics: &[Arc<StaticFiles>], parts: &Parts) -> Option<Response<Body>> {
    for files in statics {
        if let Some(response) = files.serve(parts).await {
            return Some(response);
        }
    }
    for files in statics {
        if let Some(response) = files.fallback(parts).await {
            return Some(response);
        }
    }
    None
}
