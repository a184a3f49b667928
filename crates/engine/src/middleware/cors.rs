//! Cross-origin resource sharing: preflights answered by the engine, and the
//! `Access-Control-*` headers on the answers to allowed origins.

use std::sync::Arc;
use std::time::Duration;

use http::header::{
    ACCESS_CONTROL_ALLOW_CREDENTIALS, ACCESS_CONTROL_ALLOW_HEADERS, ACCESS_CONTROL_ALLOW_METHODS,
    ACCESS_CONTROL_ALLOW_ORIGIN, ACCESS_CONTROL_EXPOSE_HEADERS, ACCESS_CONTROL_MAX_AGE,
    ACCESS_CONTROL_REQUEST_HEADERS, ACCESS_CONTROL_REQUEST_METHOD, ORIGIN,
};
use http::request::Parts;
use http::{HeaderMap, HeaderName, HeaderValue, Method, Response, StatusCode};

use super::{add_vary, Flow, Layer};
use crate::Body;
use crate::Error;

/// Which origins may read answers.
#[derive(Debug, Clone, Default)]
pub enum AllowOrigins {
    /// Any (`Access-Control-Allow-Origin: *`).
    #[default]
    Any,
    /// These: exact (`https://app.example.com`) or a subdomain pattern
    /// (`https://*.example.com`), checked by [`Cors::new`].
    List(Vec<String>),
}

/// Which request headers a preflight allows.
#[derive(Debug, Clone, Default)]
pub enum AllowHeaders {
    /// Whatever the preflight asks for.
    #[default]
    Requested,
    /// These.
    List(Vec<HeaderName>),
}

/// A [`Cors`] layer's settings, as a Rust caller gives them.
#[derive(Debug, Clone)]
pub struct CorsConfig {
    /// Origins allowed to read answers.
    pub origins: AllowOrigins,
    /// Methods a preflight allows.
    pub methods: Vec<Method>,
    /// Request headers a preflight allows.
    pub headers: AllowHeaders,
    /// Allow credentials (cookies, Authorization); needs a list of origins.
    pub credentials: bool,
    /// How long a browser may cache a preflight answer (sent in whole seconds).
    pub max_age: Option<Duration>,
    /// Response headers that scripts may read.
    pub expose_headers: Vec<HeaderName>,
}

/// Any origin; GET, HEAD, PUT, PATCH, POST and DELETE; the headers asked for;
/// no credentials.
impl Default for CorsConfig {
    fn default() -> Self {
        Self {
            origins: AllowOrigins::Any,
            methods: vec![
                Method::GET,
                Method::HEAD,
                Method::PUT,
                Method::PATCH,
                Method::POST,
                Method::DELETE,
            ],
            headers: AllowHeaders::Requested,
            credentials: false,
            max_age: None,
            expose_headers: Vec::new(),
        }
    }
}

#[derive(Debug)]
enum Origins {
    Any,
    /// Exact origins, and `(scheme://, .suffix)` pairs for `scheme://*.suffix`.
    List {
        exact: Vec<String>,
        wildcard: Vec<(String, String)>,
    },
}

/// Answers preflights and marks the answers to allowed origins.
#[derive(Debug)]
pub struct Cors {
    origins: Origins,
    methods: HeaderValue,
    headers: Option<HeaderValue>,
    credentials: bool,
    max_age: Option<HeaderValue>,
    expose: Option<HeaderValue>,
}

impl Cors {
    /// Checks the settings: origin patterns, and credentials only with listed
    /// origins.
    pub fn new(config: CorsConfig) -> Result<Self, Error> {
        let invalid = |why: String| Error::invalid_option(format!("cors: {why}"));
        let origins = match config.origins {
            AllowOrigins::Any => Origins::Any,
            AllowOrigins::List(list) => {
                let mut exact = Vec::new();
                let mut wildcard = Vec::new();
                for origin in list {
                    let (scheme, host) = origin
                        .split_once("://")
                        .filter(|(scheme, host)| {
                            matches!(*scheme, "http" | "https")
                                && !host.is_empty()
                                && !host.contains(['/', '?', '#'])
                        })
                        .ok_or_else(|| {
                            invalid(format!(
                                "origin '{origin}' is not scheme://host[:port] (e.g. https://app.example.com or https://*.example.com)"
                            ))
                        })?;
                    match host.strip_prefix('*') {
                        Some(suffix) if suffix.starts_with('.') && !suffix.contains('*') => {
                            wildcard.push((format!("{scheme}://"), suffix.to_ascii_lowercase()));
                        }
                        Some(_) => return Err(invalid(format!("origin '{origin}': a wildcard must be a whole leading label, as in https://*.example.com"))),
                        None if host.contains('*') => return Err(invalid(format!("origin '{origin}': a wildcard must be a whole leading label, as in https://*.example.com"))),
                        None => exact.push(origin.to_ascii_lowercase()),
                    }
                }
                Origins::List { exact, wildcard }
            }
        };
        if config.credentials && matches!(origins, Origins::Any) {
            return Err(invalid(
                "credentials need a list of origins: browsers refuse credentials with any origin"
                    .to_owned(),
            ));
        }
        let headers = match &config.headers {
            AllowHeaders::Requested => None,
            AllowHeaders::List(names) => Some(list_value(names.iter().map(HeaderName::as_str))),
        };
        let expose = (!config.expose_headers.is_empty())
            .then(|| list_value(config.expose_headers.iter().map(HeaderName::as_str)));
        Ok(Self {
            origins,
            methods: list_value(config.methods.iter().map(Method::as_str)),
            headers,
            credentials: config.credentials,
            max_age: config.max_age.map(|age| HeaderValue::from(age.as_secs())),
            expose,
        })
    }

    /// The `Access-Control-Allow-Origin` value for `origin`, when allowed.
    fn allow(&self, origin: &HeaderValue) -> Option<HeaderValue> {
        match &self.origins {
            Origins::Any => Some(HeaderValue::from_static("*")),
            Origins::List { exact, wildcard } => {
                let text = origin.to_str().ok()?.to_ascii_lowercase();
                let allowed = exact.contains(&text)
                    || wildcard.iter().any(|(scheme, suffix)| {
                        text.strip_prefix(scheme.as_str()).is_some_and(|host| {
                            let host = host.split(':').next().unwrap_or(host);
                            host.len() > suffix.len() && host.ends_with(suffix.as_str())
                        })
                    });
                allowed.then(|| origin.clone())
            }
        }
    }

    fn vary_on_origin(&self) -> bool {
        matches!(self.origins, Origins::List { .. })
    }

    fn preflight(&self, request: &Parts, origin: &HeaderValue) -> Response<Body> {
        let mut response = Response::new(Body::empty());
        *response.status_mut() = StatusCode::NO_CONTENT;
        let headers = response.headers_mut();
        for name in [
            "Origin",
            "Access-Control-Request-Method",
            "Access-Control-Request-Headers",
        ] {
            add_vary(headers, name);
        }
        let Some(allowed) = self.allow(origin) else {
            return response;
        };
        headers.insert(ACCESS_CONTROL_ALLOW_ORIGIN, allowed);
        headers.insert(ACCESS_CONTROL_ALLOW_METHODS, self.methods.clone());
        let asked = request.headers.get(ACCESS_CONTROL_REQUEST_HEADERS);
        if let Some(allowed) = self.headers.clone().or_else(|| asked.cloned()) {
            headers.insert(ACCESS_CONTROL_ALLOW_HEADERS, allowed);
        }
        if self.credentials {
            headers.insert(
                ACCESS_CONTROL_ALLOW_CREDENTIALS,
                HeaderValue::from_static("true"),
            );
        }
        if let Some(max_age) = &self.max_age {
            headers.insert(ACCESS_CONTROL_MAX_AGE, max_age.clone());
        }
        response
    }
}

/// `a, b, c`: methods and header names are tokens, which header values
/// always hold.
fn list_value<'a>(items: impl Iterator<Item = &'a str>) -> HeaderValue {
    let list = items.collect::<Vec<_>>().join(", ");
    HeaderValue::from_str(&list).expect("tokens are a valid header value")
}

/// The headers the answer to an allowed actual request gets.
#[derive(Debug)]
struct Marks {
    allow_origin: Option<HeaderValue>,
    credentials: bool,
    expose: Option<HeaderValue>,
    vary: bool,
}

impl Marks {
    fn apply(&self, headers: &mut HeaderMap) {
        if self.vary {
            add_vary(headers, "Origin");
        }
        let Some(origin) = &self.allow_origin else {
            return;
        };
        headers.insert(ACCESS_CONTROL_ALLOW_ORIGIN, origin.clone());
        if self.credentials {
            headers.insert(
                ACCESS_CONTROL_ALLOW_CREDENTIALS,
                HeaderValue::from_static("true"),
            );
        }
        if let Some(expose) = &self.expose {
            headers.insert(ACCESS_CONTROL_EXPOSE_HEADERS, expose.clone());
        }
    }
}

impl Layer for Cors {
    fn before(&self, request: &mut Parts) -> Flow {
        let origin = request.headers.get(ORIGIN).cloned();
        if let Some(origin) = &origin {
            if request.method == Method::OPTIONS
                && request.headers.contains_key(ACCESS_CONTROL_REQUEST_METHOD)
            {
                return Flow::Respond(self.preflight(request, origin));
            }
        }
        let marks = Arc::new(Marks {
            allow_origin: origin.as_ref().and_then(|origin| self.allow(origin)),
            credentials: self.credentials,
            expose: self.expose.clone(),
            vary: self.vary_on_origin(),
        });
        if marks.allow_origin.is_none() && !marks.vary {
            return Flow::Next(None);
        }
        Flow::Next(Some(Box::new(move |response| {
            marks.apply(response.headers_mut())
        })))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cors(origins: &[&str]) -> Cors {
        let origins = origins.iter().map(|o| (*o).to_owned()).collect();
        Cors::new(CorsConfig {
            origins: AllowOrigins::List(origins),
            ..CorsConfig::default()
        })
        .unwrap()
    }

    #[test]
    fn matches_exact_origins_and_subdomain_patterns() {
        let cors = cors(&["https://app.example.com", "https://*.example.org"]);
        let cases = [
            ("https://app.example.com", true),
            ("HTTPS://APP.EXAMPLE.COM", true),
            ("http://app.example.com", false),
            ("https://app.example.com.evil.net", false),
            ("https://a.example.org", true),
            ("https://a.b.example.org:8443", true),
            ("https://example.org", false),
            ("https://evilexample.org", false),
            ("null", false),
        ];
        for (origin, allowed) in cases {
            let value = HeaderValue::from_str(origin).unwrap();
            assert_eq!(cors.allow(&value).is_some(), allowed, "{origin}");
        }
    }
}
