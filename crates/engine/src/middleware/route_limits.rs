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
    /// At most `bytes` (above zero).
    pub fn new(bytes: usize) -> Result<Self, Error> {
        if bytes == 0 {
            return Err(Error::invalid_option("bodyLimit must be above zero"));
        }
        Ok(Self(BodySize(bytes)))
    }
}

/// `"10mb"` (units b, kb, mb, gb are powers of 1024, as in Node's `bytes`) or bytes.
impl TryFrom<Amount> for BodyLimit {
    type Error = Error;

    fn try_from(size: Amount) -> Result<Self, Error> {
        let bytes = units::size("bodyLimit", &size)?;
        Self::new(usize::try_from(bytes).unwrap_or(usize::MAX))
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
    /// Handlers get `time` (above zero).
    pub fn new(time: Duration) -> Result<Self, Error> {
        if time.is_zero() {
            return Err(Error::invalid_option("timeout must be above zero"));
        }
        Ok(Self(HandlerTime(time)))
    }
}

/// `"5s"`, `"500ms"`, `"1m 30s"`, or milliseconds.
impl TryFrom<Amount> for Timeout {
    type Error = Error;

    fn try_from(time: Amount) -> Result<Self, Error> {
        Self::new(units::duration("timeout", &time)?)
    }
}

impl Layer for Timeout {
    fn before(&self, request: &mut Parts) -> Flow {
        request.extensions.insert(self.0);
        Flow::Next(None)
    }
}

/// Hands the routes it wraps their request body as it arrives, through an
/// [`crate::inlet::Inlet`], instead of reading it whole first: `bodySize`
/// does not apply to them (a [`BodyLimit`] does, as bytes arrive).
#[derive(Debug, Default)]
pub struct StreamBody;

/// Set on a request whose route streams its body.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Streamed;

impl Layer for StreamBody {
    fn before(&self, request: &mut Parts) -> Flow {
        request.extensions.insert(Streamed);
        Flow::Next(None)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typed_and_json_forms_agree() {
        assert_eq!(
            BodyLimit::new(10 * 1024 * 1024).unwrap().0 .0,
            10 * 1024 * 1024
        );
        let from_text = BodyLimit::try_from(Amount::Text("10mb".to_owned())).unwrap();
        assert_eq!(from_text.0 .0, 10 * 1024 * 1024);
        assert!(BodyLimit::new(0).is_err());
        let time = Timeout::try_from(Amount::Text("1m 30s".to_owned())).unwrap();
        assert_eq!(
            time.0 .0,
            Timeout::new(Duration::from_secs(90)).unwrap().0 .0
        );
        assert!(Timeout::new(Duration::ZERO).is_err());
    }
}
