//! `RequestId.new`'s options.

use http::HeaderName;
use serde::Deserialize;

use crate::middleware::RequestIdConfig;
use crate::Error;

/// Options of `RequestId.new` (the `RequestId` middleware), as JSON.
#[derive(Debug, Default, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(optional_fields))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RequestIdOptions {
    /// The header that carries the id, on the request and the response. @default 'x-request-id'
    pub header: Option<String>,
    /// Keep an id the client sent when it is 1–128 URL-safe characters. @default true
    pub trust_incoming: Option<bool>,
}

/// Reads the JSON shape, naming a bad header.
impl TryFrom<RequestIdOptions> for RequestIdConfig {
    type Error = Error;

    fn try_from(options: RequestIdOptions) -> Result<Self, Error> {
        let mut config = Self::default();
        if let Some(name) = options.header {
            config.header = HeaderName::from_bytes(name.as_bytes()).map_err(|_| {
                Error::invalid_option(format!("requestId: '{name}' is not a valid header name"))
            })?;
        }
        config.trust_incoming = options.trust_incoming.unwrap_or(true);
        Ok(config)
    }
}
