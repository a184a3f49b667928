//! Per-route limits: a body size and a handler time that replace the app's
//! for the routes they wrap. They only mark the request; the pipeline reads
//! the marks when it reads the body and when it waits for the handler.

use std::time::Duration;

use super::{Flow, Layer};
use crate::units::{self, Amount};
use crate::Error;
use http::request::Parts;

/// The largest body a route reads, set by [`BodyLimit`].
#[derive(Debug, Clone, Copy)]
pub(crate) struct BodySize(pub(crate) usize);

/// The time a route's handler has, set by [`Timeout`].
#[derive(Debug, Clone, Copy)]
pub(crate) struct HandlerTime(pub(crate) Duration);

/// Replaces the body-size limit for the routes it wraps.
#[derive(Debug)]
pub struct BodyLimit(BodySize);

impl BodyLimit {
    /// `"10mb"` (units b, kb, mb, gb are powers of 1024, as in Node's `bytes`) or bytes.
    pub fn new(size: Amount) -> Result<Self, Error> {
        let bytes = units::size("bodyLimit", &size)?;
        if bytes == 0 {
            return Err(Error::invalid_option("bodyLimit must be above zero"));
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
        let time = units::duration("timeout", &time)?;
        if time.is_zero() {
            return Err(Error::invalid_option("timeout must be above zero"));
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
