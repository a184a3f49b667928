//! RFC 9457 problem details: the body of every error response the engine makes.

use crate::Body;
use http::{header, HeaderValue, Response, StatusCode};
use serde::ser::{Serialize, SerializeMap, Serializer};
use serde_json::{Map, Value};

/// The media type of problem responses.
pub const PROBLEM_JSON: HeaderValue = HeaderValue::from_static("application/problem+json");

/// A problem detail (RFC 9457): what the body of every error response says,
/// whichever side makes it (the engine here; JS through the binding, so
/// that both write the same bytes for the same problem).
///
/// Members go out in the RFC's order (`type`, `title`, `status`, `detail`,
/// `instance`), `detail` only when given and `instance` only when not empty,
/// then the extension members (§3.2) in their order; an extension named
/// like a standard member is left out.
#[derive(Debug, Clone, Copy)]
pub struct Problem<'a> {
    /// The status code, also the response's.
    pub status: StatusCode,
    /// The `type` URI; `about:blank` says the status is all there is.
    pub kind: &'a str,
    /// The `title`; the status's reason phrase when `None`.
    pub title: Option<&'a str>,
    /// What went wrong this time.
    pub detail: Option<&'a str>,
    /// Where it happened: the request path.
    pub instance: &'a str,
    /// Extension members, such as the `errors` of a validation.
    pub extensions: Option<&'a Map<String, Value>>,
}

const STANDARD: [&str; 5] = ["type", "title", "status", "detail", "instance"];

impl<'a> Problem<'a> {
    /// A problem of `status` with no detail, at no path.
    pub fn new(status: StatusCode) -> Self {
        Self {
            status,
            kind: "about:blank",
            title: None,
            detail: None,
            instance: "",
            extensions: None,
        }
    }

    /// The `application/problem+json` body.
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).expect("a problem of strings and JSON values always serialises")
    }

    /// The response: the status, `content-type` and body.
    pub fn response(&self) -> Response<Body> {
        let mut response = Response::new(Body::from(self.to_json()));
        *response.status_mut() = self.status;
        response
            .headers_mut()
            .insert(header::CONTENT_TYPE, PROBLEM_JSON);
        response
    }
}

impl Serialize for Problem<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(None)?;
        map.serialize_entry("type", self.kind)?;
        let title = self
            .title
            .unwrap_or_else(|| self.status.canonical_reason().unwrap_or("Error"));
        map.serialize_entry("title", title)?;
        map.serialize_entry("status", &self.status.as_u16())?;
        if let Some(detail) = self.detail {
            map.serialize_entry("detail", detail)?;
        }
        if !self.instance.is_empty() {
            map.serialize_entry("instance", self.instance)?;
        }
        for (name, value) in self.extensions.into_iter().flatten() {
            if !STANDARD.contains(&name.as_str()) {
                map.serialize_entry(name, value)?;
            }
        }
        map.end()
    }
}

/// Builds an `application/problem+json` response for `status`.
///
/// `instance` is the request path the problem occurred on (omitted when
/// empty); `detail` explains this occurrence and is omitted when `None`.
pub fn problem(status: StatusCode, detail: Option<&str>, instance: &str) -> Response<Body> {
    Problem {
        detail,
        instance,
        ..Problem::new(status)
    }
    .response()
}
