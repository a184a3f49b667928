//! Native middleware: code that runs on the engine's threads around a request,
//! before its handler and on its response, and never calls into JavaScript.
//!
//! A [`Layer`] sees the request head first and either lets it go on, with an
//! optional hook for the response, or answers it at once. App-wide layers wrap
//! everything the engine answers (404, 405 and limit errors included); route
//! layers wrap one route.

mod client_addr;
mod compression;
mod cors;
mod encoder;
mod etag;
mod logger;
mod rate_limit;
mod rate_store;
mod request_id;
mod security_headers;

use std::fmt;
use std::net::SocketAddr;
use std::sync::Arc;

use http::header::VARY;
use http::request::Parts;
use http::{HeaderMap, HeaderValue, Response};

use crate::proxy::TrustProxy;
use crate::Body;

pub use client_addr::ClientAddr;
pub(crate) use compression::quality;
pub use compression::{Compression, CompressionConfig};
pub use cors::{AllowHeaders, AllowOrigins, Cors, CorsConfig};
pub use encoder::{Coding, CompressionLevel};
pub use etag::ETag;
pub(crate) use logger::flush as flush_logs;
pub use logger::{Destination, LogLevel, Logger, LoggerConfig};
pub use rate_limit::{Algorithm, Decision, RateLimit, RateLimitConfig, RateLimitKey};
pub use request_id::{RequestId, RequestIdConfig};
pub use security_headers::{
    default_policy, SecurityHeaders, SecurityHeadersConfig, StrictTransportSecurity,
};

/// Marks a response whose body is not there to touch: it streams from
/// elsewhere (in Armature, a JS stream seen by a native layer that runs
/// inside a JS middleware). Layers act on its head only.
#[derive(Debug, Clone, Copy)]
pub struct HeadOnly;

/// Work a layer left for the response, run once it exists.
pub type After = Box<dyn FnOnce(&mut Response<Body>) + Send>;

/// What a layer decides for a request.
pub enum Flow {
    /// Go on to the next layer, and run the hook on the response, if any.
    Next(Option<After>),
    /// Answer with this response; inner layers and the handler do not run.
    Respond(Response<Body>),
}

/// One native middleware.
pub trait Layer: Send + Sync + fmt::Debug {
    /// Sees, and may change, the request head before the handler runs.
    fn before(&self, request: &mut Parts) -> Flow;
}

/// Layers in the order they were declared, outermost first.
pub type Layers = Arc<[Arc<dyn Layer>]>;

/// Runs the request side of `layers`, collecting their response hooks in
/// `afters`; returns the response of a layer that answered. Who sent the
/// request is put on it first, only when there are layers to read it.
pub(crate) fn before(
    layers: &[Arc<dyn Layer>],
    request: &mut Parts,
    peer: SocketAddr,
    trust: &Arc<TrustProxy>,
    afters: &mut Vec<After>,
) -> Option<Response<Body>> {
    if layers.is_empty() {
        return None;
    }
    if request.extensions.get::<ClientAddr>().is_none() {
        request
            .extensions
            .insert(ClientAddr::new(peer, trust.clone()));
    }
    for layer in layers {
        match layer.before(request) {
            Flow::Next(after) => afters.extend(after),
            Flow::Respond(response) => return Some(response),
        }
    }
    None
}

/// Runs the response hooks, innermost layer first.
pub(crate) fn after(afters: Vec<After>, response: &mut Response<Body>) {
    for after in afters.into_iter().rev() {
        after(response);
    }
}

/// Adds `name` to the response's `Vary` unless it is there (or `Vary: *`),
/// so that middleware which each vary the answer keep one correct list.
pub(crate) fn add_vary(headers: &mut HeaderMap, name: &'static str) {
    let present = headers.get_all(VARY).iter().any(|value| {
        value.to_str().is_ok_and(|list| {
            list.split(',')
                .map(str::trim)
                .any(|item| item == "*" || item.eq_ignore_ascii_case(name))
        })
    });
    if !present {
        headers.append(VARY, HeaderValue::from_static(name));
    }
}
