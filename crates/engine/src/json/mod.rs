//! The JSON shapes of the native middleware's options, as bindings pass
//! them, and their conversion into the typed settings of [`crate::middleware`]:
//! serde reads them (naming the key that is wrong), `TryFrom` checks them.
//! With the `ts` feature each shape also derives its TypeScript declaration.

mod compression;
mod cors;
mod etag;
mod logger;
mod multipart;
mod rate_limit;
mod request_id;
mod route;
mod security_headers;
mod statics;
mod trust_proxy;

use std::sync::Arc;

use serde::de::DeserializeOwned;

pub use compression::CompressionOptions;
pub use cors::{Any, CorsOptions};
pub use etag::ETagOptions;
pub use logger::LoggerOptions;
pub use multipart::{MultipartLimitsJson, MultipartOptions};
pub use rate_limit::{KeySpec, RateLimitOptions};
pub use request_id::RequestIdOptions;
pub use route::{Formats, RouteOptionsJson, RouteSchemaJson};
pub use security_headers::{Csp, Hsts, SecurityHeadersOptions, Toggle};
pub use statics::{FileOptions, Pattern, StaticOptions};
pub use trust_proxy::trust_proxy_from_json;

use crate::middleware::{
    Compression, Cors, ETag, Layer, Logger, RateLimit, RateLimitConfig, RateLimitKey, RequestId,
    SecurityHeaders,
};
use crate::routing::RouteOptions;
use crate::Error;

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
        "securityHeaders" => Ok(Arc::new(SecurityHeaders::new(
            parse::<SecurityHeadersOptions>(kind, options)?.try_into()?,
        )?)),
        "requestId" => Ok(Arc::new(RequestId::new(
            parse::<RequestIdOptions>(kind, options)?.try_into()?,
        ))),
        "cors" => Ok(Arc::new(Cors::new(
            parse::<CorsOptions>(kind, options)?.try_into()?,
        )?)),
        "compression" => Ok(Arc::new(Compression::new(
            parse::<CompressionOptions>(kind, options)?.into(),
        )?)),
        "logger" => Ok(Arc::new(Logger::new(
            parse::<LoggerOptions>(kind, options)?.try_into()?,
        )?)),
        "etag" => {
            let options: ETagOptions = parse(kind, options)?;
            Ok(Arc::new(ETag::new(options.weak.unwrap_or(false))))
        }
        "rateLimit" => Ok(Arc::new(RateLimit::new(RateLimitConfig::try_from(
            parse::<RateLimitOptions>(kind, options)?,
        )?)?)),
        _ => Err(Error::invalid_option(format!(
            "unknown native middleware '{kind}'"
        ))),
    }
}

/// A `Static` from its options as JSON ([`StaticOptions`]); a bad one, or a
/// root that is not a directory, is an [`Error::is_invalid_option`] naming it.
pub fn static_from_json(options: serde_json::Value) -> Result<crate::files::StaticFiles, Error> {
    parse::<StaticOptions>("static", options)?.try_into()
}

/// A route's properties from their JSON shape ([`RouteOptionsJson`]); a bad
/// one is an [`Error::is_invalid_option`] naming it.
pub fn route_options_from_json(options: serde_json::Value) -> Result<RouteOptions, Error> {
    route_options_for("a route", options, &crate::schema::SharedSchemas::default())
}

/// A route's properties from their JSON shape, with its schemas compiled
/// for `route` (`POST /users`), which errors name, against the app's
/// `shared` schemas.
pub fn route_options_for(
    route: &str,
    options: serde_json::Value,
    shared: &crate::schema::SharedSchemas,
) -> Result<RouteOptions, Error> {
    parse::<RouteOptionsJson>("route", options)?.resolve(route, shared)
}

/// `req.multipart()`'s limits from their JSON shape ([`MultipartOptions`]);
/// a bad one is an [`Error::is_invalid_option`] naming it.
pub fn multipart_limits_from_json(
    options: serde_json::Value,
) -> Result<crate::multipart::MultipartLimits, Error> {
    parse::<MultipartOptions>("multipart", options)?.try_into()
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
