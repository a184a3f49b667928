//! Per-route limits: a body size and a handler time that replace the app's
//! for the routes they wrap. They only mark the request; the pipeline reads
//! the marks when it reads the body and when it waits for the handler.

use std::time::Duration;

use http::request::Parts;
use serde::Deserialize;

use super::{Flow, Layer};
use crate::Error;

/// A size or a duration: a number (bytes, milliseconds) or text (`"10mb"`, `"5s"`).
#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub enum Amount {
    /// Bytes or milliseconds.
    Number(f64),
    /// `"512kb"`, `"10mb"`; `"500ms"`, `"5s"`, `"1m"`.
    Text(String),
}

/// The largest body a route reads, set by [`BodyLimit`].
#[derive(Debug, Clone, Copy)]
pub(crate) struct BodySize(pub(crate) usize);

/// The time a route's handler has, set by [`Timeout`].
#[derive(Debug, Clone, Copy)]
pub(crate) struct HandlerTime(pub(crate) Duration);

fn whole(kind: &str, value: f64) -> Result<u64, Error> {
    if value.is_finite() && value > 0.0 && value.fract() == 0.0 {
        Ok(value as u64)
    } else {
        Err(Error::invalid_option(format!(
            "{kind}: {value} is not a whole number above zero"
        )))
    }
}

/// Replaces the body-size limit for the routes it wraps.
#[derive(Debug)]
pub struct BodyLimit(BodySize);

impl BodyLimit {
    /// `"10mb"` (units b, kb, mb, gb are powers of 1024, as in Node's `bytes`) or bytes.
    pub fn new(size: Amount) -> Result<Self, Error> {
        let bytes = match size {
            Amount::Number(n) => whole("bodyLimit", n)?,
            Amount::Text(text) => parse_size::Config::new()
                .with_binary()
                .parse_size(&text)
                .map_err(|error| {
                    Error::invalid_option(format!(
                        "bodyLimit: '{text}' is not a size ({error}); use e.g. '512kb' or '10mb'"
                    ))
                })?,
        };
        if bytes == 0 {
            return Err(Error::invalid_option(
                "bodyLimit: the limit must be above zero",
            ));
        }
        Ok(Self(BodySize(usize::try_from(bytes).unwrap_or(usize::MAX))))
    }
}

impl Layer for BodyLimit {
    fn before(&self, request: &mut Parts) -> Flow {
        request.extensions.insert(self.0);
        Flow::Next(None)
    }
}

/// Replaces the time handlers have (before the client gets 503) for the routes it wraps.
#[derive(Debug)]
pub struct Timeout(HandlerTime);

impl Timeout {
    /// `"5s"`, `"500ms"`, `"1m 30s"`, or milliseconds.
    pub fn new(time: Amount) -> Result<Self, Error> {
        let time = match time {
            Amount::Number(n) => Duration::from_millis(whole("timeout", n)?),
            Amount::Text(text) => humantime::parse_duration(&text).map_err(|error| {
                Error::invalid_option(format!(
                    "timeout: '{text}' is not a duration ({error}); use e.g. '500ms' or '5s'"
                ))
            })?,
        };
        if time.is_zero() {
            return Err(Error::invalid_option(
                "timeout: the time must be above zero",
            ));
        }
        Ok(Self(HandlerTime(time)))
    }
}

impl Layer for Timeout {
    fn before(&self, request: &mut Parts) -> Flow {
        request.extensions.insert(self.0);
        Flow::Next(None)
    }
}
