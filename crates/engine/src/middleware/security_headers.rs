//! Security headers in the manner of helmet: safe defaults on every response,
//! each replaceable or removable, and never over a header the handler set.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use http::request::Parts;
use http::{HeaderName, HeaderValue};

use super::{Flow, Layer};
use crate::Error;

/// `Strict-Transport-Security` settings. Preloading needs a year and subdomains.
#[derive(Debug, Clone)]
pub struct StrictTransportSecurity {
    /// How long browsers remember to use HTTPS (sent in whole seconds).
    pub max_age: Duration,
    /// Covers subdomains too.
    pub include_sub_domains: bool,
    /// Asks to be preloaded into browsers.
    pub preload: bool,
}

/// A year, subdomains included, no preload.
impl Default for StrictTransportSecurity {
    fn default() -> Self {
        Self {
            max_age: Duration::from_secs(YEAR),
            include_sub_domains: true,
            preload: false,
        }
    }
}

/// A [`SecurityHeaders`] layer's settings, as a Rust caller gives them; the
/// default is helmet's set.
#[derive(Debug, Clone)]
pub struct SecurityHeadersConfig {
    /// `Content-Security-Policy` directives by name (`img-src`), each with its
    /// sources; `None` sends no policy.
    pub content_security_policy: Option<BTreeMap<String, Vec<String>>>,
    /// `Strict-Transport-Security`; `None` sends none.
    pub strict_transport_security: Option<StrictTransportSecurity>,
    /// Every other header; one named here wins over the two above.
    pub headers: Vec<(HeaderName, HeaderValue)>,
}

impl Default for SecurityHeadersConfig {
    fn default() -> Self {
        Self {
            content_security_policy: Some(default_policy()),
            strict_transport_security: Some(StrictTransportSecurity::default()),
            headers: DEFAULTS
                .iter()
                .map(|(name, value)| {
                    (
                        HeaderName::from_static(name),
                        HeaderValue::from_static(value),
                    )
                })
                .collect(),
        }
    }
}

/// helmet's default Content-Security-Policy directives.
pub fn default_policy() -> BTreeMap<String, Vec<String>> {
    CSP_DEFAULTS
        .iter()
        .map(|(name, sources)| {
            let sources = sources.iter().map(|s| (*s).to_owned()).collect();
            ((*name).to_owned(), sources)
        })
        .collect()
}

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
    /// Builds the header set, rejecting a policy or HSTS setting that
    /// browsers would misread.
    pub fn new(config: SecurityHeadersConfig) -> Result<Self, Error> {
        let invalid = |why: String| Error::invalid_option(format!("securityHeaders: {why}"));
        let mut headers = Vec::with_capacity(config.headers.len() + 2);
        if let Some(policy) = config.content_security_policy {
            let value = csp_value(policy).map_err(invalid)?;
            headers.push((http::header::CONTENT_SECURITY_POLICY, value));
        }
        if let Some(hsts) = config.strict_transport_security {
            let value = hsts_value(&hsts).map_err(invalid)?;
            headers.push((http::header::STRICT_TRANSPORT_SECURITY, value));
        }
        for (name, value) in config.headers {
            match headers.iter_mut().find(|(known, _)| *known == name) {
                Some(slot) => slot.1 = value,
                None => headers.push((name, value)),
            }
        }
        Ok(Self {
            headers: headers.into(),
        })
    }
}

fn csp_value(directives: BTreeMap<String, Vec<String>>) -> Result<HeaderValue, String> {
    for (name, sources) in &directives {
        if name.is_empty() || !name.bytes().all(|b| b.is_ascii_lowercase() || b == b'-') {
            return Err(format!(
                "Content-Security-Policy directive '{name}' is not a directive name (lower-case, as in 'script-src')"
            ));
        }
        if let Some(bad) = sources
            .iter()
            .find(|s| s.contains([';', ',']) || s.trim().is_empty())
        {
            return Err(format!(
                "Content-Security-Policy source '{bad}' of '{name}' is not a single source"
            ));
        }
    }
    if directives.is_empty() {
        return Err(
            "Content-Security-Policy has no directives: leave the policy out instead".to_owned(),
        );
    }
    let policy = directives
        .into_iter()
        .map(|(name, sources)| {
            if sources.is_empty() {
                name
            } else {
                format!("{name} {}", sources.join(" "))
            }
        })
        .collect::<Vec<_>>()
        .join(";");
    HeaderValue::from_str(&policy)
        .map_err(|_| format!("Content-Security-Policy '{policy}' is not a valid header value"))
}

fn hsts_value(hsts: &StrictTransportSecurity) -> Result<HeaderValue, String> {
    let max_age = hsts.max_age.as_secs();
    if hsts.preload && (max_age < YEAR || !hsts.include_sub_domains) {
        return Err("Strict-Transport-Security preload needs maxAge of at least 31536000 and includeSubDomains".to_owned());
    }
    let mut value = format!("max-age={max_age}");
    if hsts.include_sub_domains {
        value.push_str("; includeSubDomains");
    }
    if hsts.preload {
        value.push_str("; preload");
    }
    Ok(HeaderValue::from_str(&value).expect("digits and tokens are a valid header value"))
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
        let csp = |directives: &[(&str, &[&str])]| {
            let directives = directives
                .iter()
                .map(|(name, sources)| {
                    let sources = sources.iter().map(|s| (*s).to_owned()).collect();
                    ((*name).to_owned(), sources)
                })
                .collect();
            csp_value(directives).map(|value| value.to_str().unwrap().to_owned())
        };
        assert_eq!(
            csp(&[("script-src", &["'self'", "cdn.example.com"])]).unwrap(),
            "script-src 'self' cdn.example.com"
        );
        assert!(csp_value(default_policy())
            .unwrap()
            .to_str()
            .unwrap()
            .starts_with("base-uri 'self';default-src 'self'"));
        assert!(csp(&[]).is_err());
        assert!(csp(&[("Script-Src", &["'self'"])]).is_err());
        assert!(csp(&[("script-src", &["'self'; evil"])]).is_err());
        let hsts = |secs, include_sub_domains, preload| {
            hsts_value(&StrictTransportSecurity {
                max_age: Duration::from_secs(secs),
                include_sub_domains,
                preload,
            })
            .map(|value| value.to_str().unwrap().to_owned())
        };
        assert_eq!(
            hsts(YEAR, true, false).unwrap(),
            "max-age=31536000; includeSubDomains"
        );
        assert_eq!(hsts(600, false, false).unwrap(), "max-age=600");
        assert_eq!(
            hsts(YEAR * 2, true, true).unwrap(),
            "max-age=63072000; includeSubDomains; preload"
        );
        assert!(hsts(600, true, true).is_err());
    }
}
