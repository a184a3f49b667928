//! `RateLimit.new`'s options.

use http::HeaderName;
use serde::Deserialize;

use crate::middleware::{Algorithm, RateLimitConfig, RateLimitKey};
use crate::units::{self, Amount};
use crate::Error;

/// How clients are told apart.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub enum KeySpec {
    /// `"ip"`.
    Name(String),
    /// `{ "header": "x-api-key" }`.
    Header {
        /// The header whose value is the key.
        header: String,
    },
}

/// Options of `RateLimit.new` (the `RateLimit` middleware), as JSON.
#[derive(Debug, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(optional_fields))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RateLimitOptions {
    /// Requests a client may make per window.
    pub limit: f64,
    /// The window: milliseconds or text (`'1m'`, `'30s'`).
    #[cfg_attr(feature = "ts", ts(inline))]
    pub window: Amount,
    /// What tells clients apart: `'ip'` (the client's address, as the app's
    /// `trustProxy` works it out) or `{ header: 'x-api-key' }`.
    /// @default 'ip'
    #[cfg_attr(feature = "ts", ts(type = "\"ip\" | { header: string }", optional))]
    pub key: Option<KeySpec>,
    /// `slidingWindow` weighs the last window by how much of it still overlaps
    /// (smooth, no bursts at window edges); `tokenBucket` refills `limit` tokens
    /// evenly over the window.
    /// @default 'slidingWindow'
    pub algorithm: Option<Algorithm>,
    /// Moved to the app: `App.new({ trustProxy })`. Refused with a message
    /// that says so, rather than as an unknown key.
    #[cfg_attr(feature = "ts", ts(skip))]
    pub trust_proxy: Option<serde_json::Value>,
    /// Clients remembered at most; idle ones, then the least recently seen, are forgotten first. @default 100000
    pub max_keys: Option<f64>,
    /// Memory the remembered clients may take: bytes or text (`'16mb'`); a
    /// key longer than 256 bytes is remembered as its hash. @default '16mb'
    #[cfg_attr(feature = "ts", ts(inline))]
    pub max_bytes: Option<Amount>,
}

/// Reads the JSON shape, naming what is wrong.
impl TryFrom<RateLimitOptions> for RateLimitConfig {
    type Error = Error;

    fn try_from(options: RateLimitOptions) -> Result<Self, Error> {
        let invalid = |why: String| Error::invalid_option(format!("rateLimit: {why}"));
        let mut config = Self::new(
            whole("limit", options.limit)?,
            units::duration("rateLimit: window", &options.window)?,
        );
        if options.trust_proxy.is_some() {
            return Err(invalid(
                "trustProxy is the app's now, for every middleware and req.ip: App.new({ trustProxy })"
                    .to_owned(),
            ));
        }
        config.key = match options.key {
            None => RateLimitKey::Ip,
            Some(KeySpec::Name(name)) if name == "ip" => RateLimitKey::Ip,
            Some(KeySpec::Name(other)) => {
                return Err(invalid(format!(
                    "key '{other}' is not 'ip' or {{ header }}"
                )))
            }
            Some(KeySpec::Header { header }) => RateLimitKey::Header(
                HeaderName::from_bytes(header.as_bytes())
                    .map_err(|_| invalid(format!("'{header}' is not a valid header name")))?,
            ),
        };
        config.algorithm = options.algorithm.unwrap_or_default();
        if let Some(max_keys) = options.max_keys {
            config.max_keys = whole("maxKeys", max_keys)? as usize;
        }
        if let Some(max_bytes) = &options.max_bytes {
            let bytes = units::size("rateLimit: maxBytes", max_bytes)?;
            config.max_bytes = usize::try_from(bytes).unwrap_or(usize::MAX);
        }
        Ok(config)
    }
}

fn whole(name: &str, value: f64) -> Result<u64, Error> {
    crate::units::whole(
        &format!("rateLimit: {name}"),
        value,
        1,
        crate::units::MAX_SAFE_INTEGER,
    )
}
