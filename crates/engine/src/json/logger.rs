//! `Logger.json`'s options.

use http::HeaderName;
use serde::Deserialize;
use serde_json::{Map, Value};

use crate::middleware::{Destination, LogLevel, LoggerConfig};
use crate::Error;

/// Options of `Logger.json` (the `Logger` middleware), as JSON.
#[derive(Debug, Default, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(optional_fields))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct LoggerOptions {
    /// The least level written. Answers log at `info`, 4xx at `warn` and 5xx at
    /// `error`, so `'warn'` logs only failures.
    /// @default 'info'
    pub level: Option<LogLevel>,
    /// Fields added to every line, e.g. `{ service: 'api' }`. @default none
    #[serde(default)]
    #[cfg_attr(feature = "ts", ts(type = "Record<string, unknown>", optional))]
    pub fields: Map<String, Value>,
    /// The stream lines go to. @default 'stdout'
    pub destination: Option<Destination>,
    /// The header whose request id lines report (see `RequestId`). @default 'x-request-id'
    pub request_id_header: Option<String>,
}

/// Reads the JSON shape, naming what is wrong.
impl TryFrom<LoggerOptions> for LoggerConfig {
    type Error = Error;

    fn try_from(options: LoggerOptions) -> Result<Self, Error> {
        let mut config = Self {
            level: options.level.unwrap_or_default(),
            fields: options.fields,
            destination: options.destination.unwrap_or_default(),
            ..Self::default()
        };
        if let Some(name) = options.request_id_header {
            config.request_id_header = HeaderName::from_bytes(name.as_bytes()).map_err(|_| {
                Error::invalid_option(format!("logger: '{name}' is not a valid header name"))
            })?;
        }
        Ok(config)
    }
}
