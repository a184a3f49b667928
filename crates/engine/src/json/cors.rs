//! `Cors.new`'s options.

use std::time::Duration;

use http::{HeaderName, Method};
use serde::Deserialize;

use crate::middleware::{AllowHeaders, AllowOrigins, CorsConfig};
use crate::Error;

/// A list, or `"*"` for any.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub enum Any<T> {
    /// `"*"`.
    All(String),
    /// The list.
    List(Vec<T>),
}

/// Options of `Cors.new` (the `Cors` middleware), as JSON.
#[derive(Debug, Default, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(optional_fields))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CorsOptions {
    /// Origins allowed to read answers: exact (`https://app.example.com`), a
    /// subdomain pattern (`https://*.example.com`), or `'*'` for any.
    /// @default '*'
    // The conversion's message names a wrong string: TS says which.
    #[cfg_attr(feature = "ts", ts(type = "\"*\" | Array<string>", optional))]
    pub origins: Option<Any<String>>,
    /// Methods a preflight allows. @default ['GET', 'HEAD', 'PUT', 'PATCH', 'POST', 'DELETE']
    pub methods: Option<Vec<String>>,
    /// Request headers a preflight allows; `'*'` allows what it asks for. @default '*'
    #[cfg_attr(feature = "ts", ts(type = "\"*\" | Array<string>", optional))]
    pub headers: Option<Any<String>>,
    /// Allow credentials (cookies, Authorization); needs a list of origins. @default false
    pub credentials: Option<bool>,
    /// Seconds a browser may cache a preflight answer. @default none sent
    pub max_age: Option<u64>,
    /// Response headers that scripts may read. @default none
    pub expose_headers: Option<Vec<String>>,
}

/// Reads the JSON shape, naming what is wrong.
impl TryFrom<CorsOptions> for CorsConfig {
    type Error = Error;

    fn try_from(options: CorsOptions) -> Result<Self, Error> {
        let invalid = |why: String| Error::invalid_option(format!("cors: {why}"));
        let star = |name: &str, value: String| {
            (value == "*")
                .then_some(())
                .ok_or_else(|| invalid(format!("{name} must be \"*\" or a list, got \"{value}\"")))
        };
        let header_names = |names: Vec<String>| {
            names
                .into_iter()
                .map(|name| {
                    HeaderName::from_bytes(name.as_bytes())
                        .map_err(|_| invalid(format!("'{name}' is not a header name")))
                })
                .collect::<Result<Vec<_>, _>>()
        };
        let mut config = Self::default();
        match options.origins {
            None => {}
            Some(Any::All(value)) => star("origins", value)?,
            Some(Any::List(list)) => config.origins = AllowOrigins::List(list),
        }
        if let Some(methods) = options.methods {
            config.methods = methods
                .into_iter()
                .map(|method| {
                    Method::from_bytes(method.as_bytes())
                        .map_err(|_| invalid(format!("'{method}' is not a method")))
                })
                .collect::<Result<_, _>>()?;
        }
        match options.headers {
            None => {}
            Some(Any::All(value)) => star("headers", value)?,
            Some(Any::List(names)) => config.headers = AllowHeaders::List(header_names(names)?),
        }
        config.credentials = options.credentials.unwrap_or(false);
        config.max_age = options.max_age.map(Duration::from_secs);
        if let Some(names) = options.expose_headers {
            config.expose_headers = header_names(names)?;
        }
        Ok(config)
    }
}
