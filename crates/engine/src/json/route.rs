//! A route's properties as bindings pass them: `BodyLimit.new`, `Timeout.new`
//! and `{ stream: true }`, resolved to the one that wins for each route.

use serde::Deserialize;

use crate::routing::{BodyLimit, BodyType, RouteOptions, Timeout};
use crate::units::Amount;
use crate::Error;

/// A route's properties, as JSON.
#[derive(Debug, Default, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(optional_fields))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RouteOptionsJson {
    /// The largest body the route reads: `'10mb'` or bytes.
    #[cfg_attr(feature = "ts", ts(inline))]
    pub body_limit: Option<Amount>,
    /// The time its handler has: `'30s'` or milliseconds.
    #[cfg_attr(feature = "ts", ts(inline))]
    pub timeout: Option<Amount>,
    /// Its body goes to the handler as it arrives.
    pub stream: Option<bool>,
    /// The media type its body must have: another gets 415.
    pub body: Option<BodyType>,
}

impl TryFrom<RouteOptionsJson> for RouteOptions {
    type Error = Error;

    fn try_from(json: RouteOptionsJson) -> Result<Self, Error> {
        Ok(Self {
            body_limit: json.body_limit.map(BodyLimit::try_from).transpose()?,
            timeout: json.timeout.map(Timeout::try_from).transpose()?,
            stream: json.stream.unwrap_or(false),
            body: json.body,
        })
    }
}
