//! What a route is besides its path: what answers it, the native middleware
//! around it, and its properties (a body limit, a handler time, a streamed
//! body), resolved once when the app is built. The pipeline reads them from
//! the matched route: they are not steps of a chain.

use std::time::Duration;

use super::endpoint::Endpoint;
use crate::middleware::Layers;
use crate::units::{self, Amount};
use crate::Error;

/// One registration of a path for some methods. A GET and a POST on one
/// path may differ; the automatic HEAD uses GET's.
#[derive(Debug)]
pub struct Route {
    /// The path as written (`/users/:id`), scope prefixes included.
    pub path: String,
    /// What answers it.
    pub endpoint: Endpoint,
    /// Its native middleware, outermost first.
    pub layers: Layers,
    /// Its properties.
    pub options: RouteOptions,
}

/// A route's properties; `None` takes the app's limit.
#[derive(Debug, Clone, Default)]
pub struct RouteOptions {
    /// The largest body it reads, in place of `bodySize`.
    pub body_limit: Option<BodyLimit>,
    /// The time its handler has, in place of `requestTimeout`.
    pub timeout: Option<Timeout>,
    /// Its body goes to the handler as it arrives, through an
    /// [`crate::inlet::Inlet`], instead of being read whole first:
    /// `bodySize` does not apply (a body limit does, as bytes arrive).
    pub stream: bool,
    /// The media type its body must have; another one gets 415 before the
    /// handler runs.
    pub body: Option<BodyType>,
    /// The JSON Schema its body must match, checked before the handler runs.
    pub body_schema: Option<std::sync::Arc<crate::schema::BodySchema>>,
}

/// What a route's body is, when it declares it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(
    feature = "json",
    derive(serde::Deserialize),
    serde(rename_all = "lowercase")
)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum BodyType {
    /// `multipart/form-data`.
    Multipart,
    /// `application/x-www-form-urlencoded`.
    Form,
}

impl BodyType {
    /// Its media type.
    pub fn media_type(self) -> &'static str {
        match self {
            Self::Multipart => "multipart/form-data",
            Self::Form => "application/x-www-form-urlencoded",
        }
    }

    /// Its name in route options: `multipart` or `form`.
    pub fn name(self) -> &'static str {
        match self {
            Self::Multipart => "multipart",
            Self::Form => "form",
        }
    }

    /// Whether a `Content-Type` value is of this type (parameters aside).
    pub fn accepts(self, content_type: &str) -> bool {
        content_type
            .split(';')
            .next()
            .is_some_and(|essence| essence.trim().eq_ignore_ascii_case(self.media_type()))
    }
}

/// The largest body a route reads.
#[derive(Debug, Clone, Copy)]
pub struct BodyLimit(usize);

impl BodyLimit {
    /// At most `bytes` (above zero).
    pub fn new(bytes: usize) -> Result<Self, Error> {
        if bytes == 0 {
            return Err(Error::invalid_option("bodyLimit must be above zero"));
        }
        Ok(Self(bytes))
    }

    /// The limit in bytes.
    pub fn bytes(self) -> usize {
        self.0
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

/// The time a route's handler has before the client gets 503.
#[derive(Debug, Clone, Copy)]
pub struct Timeout(Duration);

impl Timeout {
    /// Handlers get `time` (above zero).
    pub fn new(time: Duration) -> Result<Self, Error> {
        if time.is_zero() {
            return Err(Error::invalid_option("timeout must be above zero"));
        }
        Ok(Self(time))
    }

    /// The time.
    pub fn duration(self) -> Duration {
        self.0
    }
}

/// `"5s"`, `"500ms"`, `"1m 30s"`, or milliseconds.
impl TryFrom<Amount> for Timeout {
    type Error = Error;

    fn try_from(time: Amount) -> Result<Self, Error> {
        Self::new(units::duration("timeout", &time)?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typed_and_json_forms_agree() {
        assert_eq!(
            BodyLimit::new(10 * 1024 * 1024).unwrap().bytes(),
            10 * 1024 * 1024
        );
        let from_text = BodyLimit::try_from(Amount::Text("10mb".to_owned())).unwrap();
        assert_eq!(from_text.bytes(), 10 * 1024 * 1024);
        assert!(BodyLimit::new(0).is_err());
        let time = Timeout::try_from(Amount::Text("1m 30s".to_owned())).unwrap();
        assert_eq!(time.duration(), Duration::from_secs(90));
        assert!(Timeout::new(Duration::ZERO).is_err());
    }
}
