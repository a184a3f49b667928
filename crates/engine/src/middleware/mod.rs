//! Native middleware: code that runs on the engine's threads around a request,
//! before its handler and on its response, and never calls into JavaScript.
//!
//! A [`Layer`] sees the request head first and either lets it go on, with an
//! optional hook for the response, or answers it at once. App-wide layers wrap
//! everything the engine answers (404, 405 and limit errors included); route
//! layers wrap one route.

mod compression;
mod cors;
mod etag;
mod logger;
mod rate_limit;
mod request_id;
mod route_limits;
mod security_headers;

use std::fmt;
use std::net::SocketAddr;
use std::sync::Arc;

use bytes::Bytes;
use http::header::VARY;
use http::request::Parts;
use http::{HeaderMap, HeaderValue, Response};
use serde::de::DeserializeOwned;

pub use crate::units::Amount;
use crate::Error;
pub use compression::{Coding, Compression, CompressionLevel, CompressionOptions};
pub use cors::{Any, Cors, CorsOptions};
pub use etag::{ETag, ETagOptions};
pub(crate) use logger::flush as flush_logs;
pub use logger::{Destination, LogLevel, Logger, LoggerOptions};
pub use rate_limit::{
    Algorithm, ClientAddr, Decision, KeySpec, RateLimit, RateLimitConfig, RateLimitKey,
    RateLimitOptions, TrustProxy,
};
pub use request_id::{RequestId, RequestIdOptions};
pub use route_limits::{BodyLimit, Timeout};
pub(crate) use route_limits::{BodySize, HandlerTime};
pub use security_headers::{Csp, Hsts, SecurityHeaders, SecurityHeadersOptions, Toggle};

/// Work a layer left for the response, run once it exists.
pub type After = Box<dyn FnOnce(&mut Response<Bytes>) + Send>;

/// What a layer decides for a request.
pub enum Flow {
    /// Go on to the next layer, and run the hook on the response, if any.
    Next(Option<After>),
    /// Answer with this response; inner layers and the handler do not run.
    Respond(Response<Bytes>),
}

/// One native middleware.
pub trait Layer: Send + Sync + fmt::Debug {
    /// Sees, and may change, the request head before the handler runs.
    fn before(&self, request: &mut Parts) -> Flow;
}

/// Layers in the order they were declared, outermost first.
pub type Layers = Arc<[Arc<dyn Layer>]>;

/// Runs the request side of `layers`, collecting their response hooks in
/// `afters`; returns the response of a layer that answered. The client's
/// address is put on the request first, only when there are layers to read it.
pub(crate) fn before(
    layers: &[Arc<dyn Layer>],
    request: &mut Parts,
    client: SocketAddr,
    afters: &mut Vec<After>,
) -> Option<Response<Bytes>> {
    if layers.is_empty() {
        return None;
    }
    if request.extensions.get::<ClientAddr>().is_none() {
        request.extensions.insert(ClientAddr(client));
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
pub(crate) fn after(afters: Vec<After>, response: &mut Response<Bytes>) {
    for after in afters.into_iter().rev() {
        after(response);
    }
}

/// A rate limiter whose keys the caller gives to [`RateLimit::check`], from
/// its options as JSON.
pub fn rate_limit_from_json(options: serde_json::Value) -> Result<Arc<RateLimit>, Error> {
    let options: RateLimitOptions = parse("rateLimit", options)?;
    if options.key.is_some() {
        return Err(Error::invalid_option(
            "rateLimit: a limiter keyed by its caller takes no key option",
        ));
    }
    let config = RateLimitConfig {
        key: RateLimitKey::Caller,
        ..RateLimitConfig::try_from(options)?
    };
    Ok(Arc::new(RateLimit::new(config)?))
}

/// Builds the middleware named `kind` from its options as JSON, as bindings
/// pass them; a bad option is an [`Error::is_invalid_option`] naming it.
pub fn from_json(kind: &str, options: serde_json::Value) -> Result<Arc<dyn Layer>, Error> {
    match kind {
        "securityHeaders" => Ok(Arc::new(SecurityHeaders::new(parse(kind, options)?)?)),
        "requestId" => Ok(Arc::new(RequestId::new(parse(kind, options)?)?)),
        "cors" => Ok(Arc::new(Cors::new(parse(kind, options)?)?)),
        "compression" => Ok(Arc::new(Compression::new(parse(kind, options)?)?)),
        "logger" => Ok(Arc::new(Logger::new(parse(kind, options)?)?)),
        "bodyLimit" => Ok(Arc::new(BodyLimit::try_from(parse::<Amount>(
            kind, options,
        )?)?)),
        "timeout" => Ok(Arc::new(Timeout::try_from(parse::<Amount>(
            kind, options,
        )?)?)),
        "etag" => Ok(Arc::new(ETag::new(parse(kind, options)?)?)),
        "rateLimit" => Ok(Arc::new(RateLimit::new(RateLimitConfig::try_from(
            parse::<RateLimitOptions>(kind, options)?,
        )?)?)),
        _ => Err(Error::invalid_option(format!(
            "unknown native middleware '{kind}'"
        ))),
    }
}

/// Reads `kind`'s options; the error names the key that is wrong
/// (`cors options: maxAge: invalid type: …`).
fn parse<T: DeserializeOwned>(kind: &str, options: serde_json::Value) -> Result<T, Error> {
    serde_path_to_error::deserialize(options).map_err(|error| {
        let path = error.path().to_string();
        let inner = error.into_inner();
        let at = if path == "." {
            String::new()
        } else {
            format!("{path}: ")
        };
        let message = plain_types(&inner.to_string());
        let hint = did_you_mean(&message).unwrap_or_default();
        Error::invalid_option(format!("{kind} options: {at}{message}{hint}"))
    })
}

/// serde names Rust's integer types (`expected u64`); JS users read what
/// the number must be.
fn plain_types(message: &str) -> String {
    ["u8", "u16", "u32", "u64", "usize"]
        .iter()
        .fold(message.to_owned(), |message, ty| {
            message.replace(
                &format!("expected {ty}"),
                "expected a whole number of at least 0",
            )
        })
}

/// For serde's "unknown field `x`, expected one of `a`, `b`", the closest
/// valid name, as `; did you mean a?`. serde gives the names only in that
/// message, so it is read back from it.
fn did_you_mean(message: &str) -> Option<String> {
    let rest = message.strip_prefix("unknown field `")?;
    let (unknown, expected) = rest.split_once('`')?;
    let (distance, name) = expected
        .split('`')
        .skip(1)
        .step_by(2)
        .map(|name| {
            let distance = strsim::levenshtein(&unknown.to_lowercase(), &name.to_lowercase());
            (distance, name)
        })
        .min()?;
    (distance <= (name.len() / 3).max(2)).then(|| format!("; did you mean {name}?"))
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

#[cfg(test)]
mod tests {
    use super::did_you_mean;

    #[test]
    fn suggests_the_closest_known_field() {
        let message = "unknown field `windw`, expected one of `limit`, `window`, `key`";
        assert_eq!(
            did_you_mean(message).as_deref(),
            Some("; did you mean window?")
        );
        assert_eq!(
            did_you_mean("unknown field `orign`, expected `origins` or `methods`").as_deref(),
            Some("; did you mean origins?")
        );
        assert_eq!(
            did_you_mean("unknown field `zzzzzz`, expected `weak`"),
            None
        );
        assert_eq!(
            did_you_mean("invalid type: string \"x\", expected u64"),
            None
        );
    }

    #[test]
    fn names_numbers_as_js_users_know_them() {
        assert_eq!(
            super::plain_types("invalid value: integer `-1`, expected u64"),
            "invalid value: integer `-1`, expected a whole number of at least 0"
        );
    }
}
