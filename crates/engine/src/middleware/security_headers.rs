//! Security headers in the manner of helmet: safe defaults on every response,
//! each replaceable or removable, and never over a header the handler set.

use std::collections::BTreeMap;
use std::sync::Arc;

use http::request::Parts;
use http::{HeaderName, HeaderValue};
use serde::Deserialize;

use super::{Flow, Layer};
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

/// helmet's default Content-Security-Policy directives.
const CSP_DEFAULTS: [(&str, &[&str]); 11] = [
    ("default-src", &["'self'"]),
    ("base-uri", &["'self'"]),
    ("font-src", &["'self'", "https:", "data:"]),
    ("form-action", &["'self'"]),
    ("frame-ancestors", &["'self'"]),
    ("img-src", &["'self'", "data:"]),
    ("object-src", &["'none'"]),
    ("script-src", &["'self'"]),
    ("script-src-attr", &["'none'"]),
    ("style-src", &["'self'", "https:", "'unsafe-inline'"]),
    ("upgrade-insecure-requests", &[]),
];

/// The other headers set by default, in helmet's manner.
const DEFAULTS: [(&str, &str); 10] = [
    ("cross-origin-opener-policy", "same-origin"),
    ("cross-origin-resource-policy", "same-origin"),
    ("origin-agent-cluster", "?1"),
    ("referrer-policy", "no-referrer"),
    ("x-content-type-options", "nosniff"),
    ("x-dns-prefetch-control", "off"),
    ("x-download-options", "noopen"),
    ("x-frame-options", "SAMEORIGIN"),
    ("x-permitted-cross-domain-policies", "none"),
    ("x-xss-protection", "0"),
];

const YEAR: u64 = 365 * 24 * 60 * 60;

/// Adds security headers to every response that does not have them.
#[derive(Debug)]
pub struct SecurityHeaders {
    headers: Arc<[(HeaderName, HeaderValue)]>,
}

impl SecurityHeaders {
    /// Builds the header set, rejecting values that cannot be sent.
    pub fn new(options: SecurityHeadersOptions) -> Result<Self, Error> {
        let invalid = |why: String| Error::invalid_option(format!("securityHeaders: {why}"));
        let mut headers: BTreeMap<String, String> = DEFAULTS
            .iter()
            .map(|(name, value)| ((*name).to_owned(), (*value).to_owned()))
            .collect();
        match options.content_security_policy {
            Some(Toggle::Off(false)) => {}
            Some(Toggle::On(csp)) => {
                headers.insert(
                    "content-security-policy".into(),
                    csp_value(csp).map_err(invalid)?,
                );
            }
            Some(Toggle::Off(true)) | None => {
                let csp = Csp {
                    directives: BTreeMap::new(),
                    use_defaults: None,
                };
                headers.insert(
                    "content-security-policy".into(),
                    csp_value(csp).map_err(invalid)?,
                );
            }
        }
        match options.strict_transport_security {
            Some(Toggle::Off(false)) => {}
            Some(Toggle::On(hsts)) => {
                headers.insert(
                    "strict-transport-security".into(),
                    hsts_value(&hsts).map_err(invalid)?,
                );
            }
            Some(Toggle::Off(true)) | None => {
                let hsts = Hsts {
                    max_age: None,
                    include_sub_domains: None,
                    preload: None,
                };
                headers.insert(
                    "strict-transport-security".into(),
                    hsts_value(&hsts).map_err(invalid)?,
                );
            }
        }
        for (name, value) in options.headers {
            let name = name.to_ascii_lowercase();
            match value {
                Toggle::Off(false) => {
                    headers.remove(&name);
                }
                Toggle::Off(true) => {}
                Toggle::On(value) => {
                    headers.insert(name, value);
                }
            }
        }
        let headers = headers
            .into_iter()
            .map(|(name, value)| {
                let header = HeaderName::from_bytes(name.as_bytes())
                    .map_err(|_| invalid(format!("'{name}' is not a valid header name")))?;
                let value = HeaderValue::from_str(&value).map_err(|_| {
                    invalid(format!("the value of '{name}' is not a valid header value"))
                })?;
                Ok((header, value))
            })
            .collect::<Result<Vec<_>, Error>>()?;
        Ok(Self {
            headers: headers.into(),
        })
    }
}

fn csp_value(csp: Csp) -> Result<String, String> {
    let mut directives: BTreeMap<String, Vec<String>> = BTreeMap::new();
    if csp.use_defaults.unwrap_or(true) {
        for (name, sources) in CSP_DEFAULTS {
            directives.insert(
                name.to_owned(),
                sources.iter().map(|s| (*s).to_owned()).collect(),
            );
        }
    }
    for (name, sources) in csp.directives {
        if name.is_empty() || !name.bytes().all(|b| b.is_ascii_lowercase() || b == b'-') {
            return Err(format!(
                "Content-Security-Policy directive '{name}' is not a directive name (lower-case, as in 'script-src')"
            ));
        }
        match sources {
            Toggle::Off(false) => {
                directives.remove(&name);
            }
            Toggle::Off(true) => {}
            Toggle::On(sources) => {
                if let Some(bad) = sources
                    .iter()
                    .find(|s| s.contains([';', ',']) || s.trim().is_empty())
                {
                    return Err(format!(
                        "Content-Security-Policy source '{bad}' of '{name}' is not a single source"
                    ));
                }
                directives.insert(name, sources);
            }
        }
    }
    if directives.is_empty() {
        return Err(
            "Content-Security-Policy has no directives: pass false to send none".to_owned(),
        );
    }
    Ok(directives
        .into_iter()
        .map(|(name, sources)| {
            if sources.is_empty() {
                name
            } else {
                format!("{name} {}", sources.join(" "))
            }
        })
        .collect::<Vec<_>>()
        .join(";"))
}

fn hsts_value(hsts: &Hsts) -> Result<String, String> {
    let max_age = hsts.max_age.unwrap_or(YEAR);
    let subdomains = hsts.include_sub_domains.unwrap_or(true);
    let preload = hsts.preload.unwrap_or(false);
    if preload && (max_age < YEAR || !subdomains) {
        return Err("Strict-Transport-Security preload needs maxAge of at least 31536000 and includeSubDomains".to_owned());
    }
    let mut value = format!("max-age={max_age}");
    if subdomains {
        value.push_str("; includeSubDomains");
    }
    if preload {
        value.push_str("; preload");
    }
    Ok(value)
}

impl Layer for SecurityHeaders {
    fn before(&self, _request: &mut Parts) -> Flow {
        let headers = self.headers.clone();
        Flow::Next(Some(Box::new(move |response| {
            let map = response.headers_mut();
            map.reserve(headers.len());
            for (name, value) in headers.iter() {
                // One lookup per header: `entry` hashes the name once.
                map.entry(name).or_insert_with(|| value.clone());
            }
        })))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builds_policies_and_refuses_bad_ones() {
        let csp = |directives: &[(&str, Toggle<Vec<String>>)], defaults| {
            let directives = directives
                .iter()
                .map(|(name, toggle)| {
                    let toggle = match toggle {
                        Toggle::Off(flag) => Toggle::Off(*flag),
                        Toggle::On(list) => Toggle::On(list.clone()),
                    };
                    ((*name).to_owned(), toggle)
                })
                .collect();
            csp_value(Csp {
                directives,
                use_defaults: Some(defaults),
            })
        };
        assert_eq!(
            csp(
                &[(
                    "script-src",
                    Toggle::On(vec!["'self'".into(), "cdn.example.com".into()])
                )],
                false
            )
            .unwrap(),
            "script-src 'self' cdn.example.com"
        );
        assert!(csp(&[("object-src", Toggle::Off(false))], true)
            .unwrap()
            .contains("default-src 'self'"));
        assert!(!csp(&[("object-src", Toggle::Off(false))], true)
            .unwrap()
            .contains("object-src"));
        assert!(csp(&[], false).is_err());
        assert!(csp(&[("Script-Src", Toggle::On(vec!["'self'".into()]))], false).is_err());
        let hsts = |max_age, include_sub_domains, preload| {
            hsts_value(&Hsts {
                max_age,
                include_sub_domains,
                preload,
            })
        };
        assert_eq!(
            hsts(None, None, None).unwrap(),
            "max-age=31536000; includeSubDomains"
        );
        assert_eq!(hsts(Some(600), Some(false), None).unwrap(), "max-age=600");
        assert_eq!(
            hsts(Some(YEAR * 2), None, Some(true)).unwrap(),
            "max-age=63072000; includeSubDomains; preload"
        );
        assert!(hsts(Some(600), None, Some(true)).is_err());
    }
}
