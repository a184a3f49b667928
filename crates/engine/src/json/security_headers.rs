//! `SecurityHeaders.new`'s options.

use std::collections::BTreeMap;
use std::time::Duration;

use http::header::{CONTENT_SECURITY_POLICY, STRICT_TRANSPORT_SECURITY};
use http::{HeaderName, HeaderValue};
use serde::Deserialize;

use crate::middleware::{default_policy, SecurityHeadersConfig, StrictTransportSecurity};
use crate::Error;

/// A setting that is on with a value, or switched off with `false`.
#[derive(Debug)]
pub enum Toggle<T> {
    /// `false` (`true` keeps the default).
    Off(bool),
    /// The value.
    On(T),
}

/// By hand rather than `untagged`, so that a bad value gets the value's own
/// error (naming its field), not "did not match any variant".
impl<'de, T: serde::de::DeserializeOwned> Deserialize<'de> for Toggle<T> {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        match serde_json::Value::deserialize(deserializer)? {
            serde_json::Value::Bool(on) => Ok(Self::Off(on)),
            value => serde_path_to_error::deserialize(value)
                .map(Self::On)
                .map_err(|error| match error.path().to_string() {
                    path if path == "." => serde::de::Error::custom(error.into_inner()),
                    path => serde::de::Error::custom(format!("{path}: {}", error.into_inner())),
                }),
        }
    }
}

/// `Strict-Transport-Security` settings. Preloading needs a year and subdomains.
#[derive(Debug, Deserialize)]
#[cfg_attr(
    feature = "ts",
    derive(ts_rs::TS),
    ts(optional_fields, rename = "StrictTransportSecurity")
)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Hsts {
    /// Seconds browsers remember to use HTTPS. @default 31536000
    pub max_age: Option<u64>,
    /// Covers subdomains too. @default true
    pub include_sub_domains: Option<bool>,
    /// Asks to be preloaded into browsers. @default false
    pub preload: Option<bool>,
}

/// `Content-Security-Policy` settings.
#[derive(Debug, Deserialize)]
#[cfg_attr(
    feature = "ts",
    derive(ts_rs::TS),
    ts(optional_fields, rename = "ContentSecurityPolicy")
)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Csp {
    /// Directives by name (`'img-src'`), each a list of sources, or `false` to
    /// drop a default one.
    /// @example { 'img-src': ["'self'", 'https://cdn.example.com'] }
    #[serde(default)]
    #[cfg_attr(
        feature = "ts",
        ts(type = "Record<string, Array<string> | false>", optional)
    )]
    pub directives: BTreeMap<String, Toggle<Vec<String>>>,
    /// Start from the default directives. @default true
    pub use_defaults: Option<bool>,
}

/// Options of `SecurityHeaders.new` (the `SecurityHeaders` middleware), as
/// JSON; every header is only set when the response has none.
#[derive(Debug, Default, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(optional_fields))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SecurityHeadersOptions {
    /// `Content-Security-Policy`; `false` sends no policy.
    /// @default helmet's policy: `default-src 'self'`, `script-src 'self'`, `object-src 'none'`, …
    #[cfg_attr(feature = "ts", ts(type = "false | ContentSecurityPolicy", optional))]
    pub content_security_policy: Option<Toggle<Csp>>,
    /// `Strict-Transport-Security`; `false` sends none.
    /// @default { maxAge: 31536000, includeSubDomains: true, preload: false }
    #[cfg_attr(feature = "ts", ts(type = "false | StrictTransportSecurity", optional))]
    pub strict_transport_security: Option<Toggle<Hsts>>,
    /// Any other header by name: a value replaces the default, `false` drops it.
    /// Defaults: `cross-origin-opener-policy: same-origin`,
    /// `cross-origin-resource-policy: same-origin`, `origin-agent-cluster: ?1`,
    /// `referrer-policy: no-referrer`, `x-content-type-options: nosniff`,
    /// `x-dns-prefetch-control: off`, `x-download-options: noopen`,
    /// `x-frame-options: SAMEORIGIN`, `x-permitted-cross-domain-policies: none`,
    /// `x-xss-protection: 0`.
    /// @example { 'x-frame-options': 'DENY', 'x-download-options': false }
    #[serde(default)]
    #[cfg_attr(feature = "ts", ts(type = "Record<string, string | false>", optional))]
    pub headers: BTreeMap<String, Toggle<String>>,
}

/// Reads the JSON shape onto helmet's defaults, naming what is wrong.
impl TryFrom<SecurityHeadersOptions> for SecurityHeadersConfig {
    type Error = Error;

    fn try_from(options: SecurityHeadersOptions) -> Result<Self, Error> {
        let invalid = |why: String| Error::invalid_option(format!("securityHeaders: {why}"));
        let mut config = Self::default();
        match options.content_security_policy {
            Some(Toggle::Off(false)) => config.content_security_policy = None,
            Some(Toggle::Off(true)) | None => {}
            Some(Toggle::On(csp)) => {
                let mut policy = if csp.use_defaults.unwrap_or(true) {
                    default_policy()
                } else {
                    BTreeMap::new()
                };
                for (name, sources) in csp.directives {
                    match sources {
                        Toggle::Off(false) => {
                            policy.remove(&name);
                        }
                        Toggle::Off(true) => {}
                        Toggle::On(sources) => {
                            policy.insert(name, sources);
                        }
                    }
                }
                if policy.is_empty() {
                    return Err(invalid(
                        "Content-Security-Policy has no directives: pass false to send none"
                            .to_owned(),
                    ));
                }
                config.content_security_policy = Some(policy);
            }
        }
        match options.strict_transport_security {
            Some(Toggle::Off(false)) => config.strict_transport_security = None,
            Some(Toggle::Off(true)) | None => {}
            Some(Toggle::On(hsts)) => {
                let default = StrictTransportSecurity::default();
                config.strict_transport_security = Some(StrictTransportSecurity {
                    max_age: hsts.max_age.map_or(default.max_age, Duration::from_secs),
                    include_sub_domains: hsts
                        .include_sub_domains
                        .unwrap_or(default.include_sub_domains),
                    preload: hsts.preload.unwrap_or(default.preload),
                });
            }
        }
        for (name, value) in options.headers {
            let header = HeaderName::from_bytes(name.as_bytes())
                .map_err(|_| invalid(format!("'{name}' is not a valid header name")))?;
            match value {
                Toggle::Off(true) => {}
                Toggle::Off(false) if header == CONTENT_SECURITY_POLICY => {
                    config.content_security_policy = None;
                }
                Toggle::Off(false) if header == STRICT_TRANSPORT_SECURITY => {
                    config.strict_transport_security = None;
                }
                Toggle::Off(false) => config.headers.retain(|(known, _)| *known != header),
                Toggle::On(value) => {
                    let value = HeaderValue::from_str(&value).map_err(|_| {
                        invalid(format!("the value of '{name}' is not a valid header value"))
                    })?;
                    config.headers.retain(|(known, _)| *known != header);
                    config.headers.push((header, value));
                }
            }
        }
        Ok(config)
    }
}
