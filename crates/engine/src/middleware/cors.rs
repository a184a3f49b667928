//! Cross-origin resource sharing: preflights answered by the engine, and the
//! `Access-Control-*` headers on the answers to allowed origins.

use std::sync::Arc;

use bytes::Bytes;
use http::header::{
    ACCESS_CONTROL_ALLOW_CREDENTIALS, ACCESS_CONTROL_ALLOW_HEADERS, ACCESS_CONTROL_ALLOW_METHODS,
    ACCESS_CONTROL_ALLOW_ORIGIN, ACCESS_CONTROL_EXPOSE_HEADERS, ACCESS_CONTROL_MAX_AGE,
    ACCESS_CONTROL_REQUEST_HEADERS, ACCESS_CONTROL_REQUEST_METHOD, ORIGIN,
};
use http::request::Parts;
use http::{HeaderMap, HeaderName, HeaderValue, Method, Response, StatusCode};
use serde::Deserialize;

use super::{add_vary, Flow, Layer};
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
    // Checked by `Cors::new`, whose message names a wrong string: TS says which.
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

const DEFAULT_METHODS: &str = "GET, HEAD, PUT, PATCH, POST, DELETE";

impl Cors {
    /// Checks the options: origin patterns, method and header names, and
    /// credentials only with listed origins.
    pub fn new(options: CorsOptions) -> Result<Self, Error> {
        let invalid = |why: String| Error::invalid_option(format!("cors: {why}"));
        let origins = match options.origins {
            None => Origins::Any,
            Some(Any::All(star)) if star == "*" => Origins::Any,
            Some(Any::All(other)) => {
                return Err(invalid(format!(
                    "origins must be \"*\" or a list, got \"{other}\""
                )))
            }
            Some(Any::List(list)) => {
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
        let credentials = options.credentials.unwrap_or(false);
        if credentials && matches!(origins, Origins::Any) {
            return Err(invalid(
                "credentials need a list of origins: browsers refuse credentials with any origin"
                    .to_owned(),
            ));
        }
        let methods = match options.methods {
            None => HeaderValue::from_static(DEFAULT_METHODS),
            Some(methods) => {
                for method in &methods {
                    Method::from_bytes(method.as_bytes())
                        .map_err(|_| invalid(format!("'{method}' is not a method")))?;
                }
                list_value(&methods).map_err(invalid)?
            }
        };
        let headers = match options.headers {
            None => None,
            Some(Any::All(star)) if star == "*" => None,
            Some(Any::All(other)) => {
                return Err(invalid(format!(
                    "headers must be \"*\" or a list, got \"{other}\""
                )))
            }
            Some(Any::List(names)) => Some(header_names(&names).map_err(invalid)?),
        };
        let expose = options
            .expose_headers
            .map(|names| header_names(&names))
            .transpose()
            .map_err(invalid)?;
        Ok(Self {
            origins,
            methods,
            headers,
            credentials,
            max_age: options.max_age.map(HeaderValue::from),
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

    fn preflight(&self, request: &Parts, origin: &HeaderValue) -> Response<Bytes> {
        let mut response = Response::new(Bytes::new());
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

fn list_value(items: &[String]) -> Result<HeaderValue, String> {
    HeaderValue::from_str(&items.join(", "))
        .map_err(|_| format!("'{}' cannot be sent in a header", items.join(", ")))
}

fn header_names(names: &[String]) -> Result<HeaderValue, String> {
    for name in names {
        HeaderName::from_bytes(name.as_bytes())
            .map_err(|_| format!("'{name}' is not a header name"))?;
    }
    list_value(names)
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
        Cors::new(CorsOptions {
            origins: Some(Any::List(origins)),
            ..CorsOptions::default()
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
