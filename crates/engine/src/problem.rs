//! RFC 9457 problem details: the body of every error response the engine makes.

use crate::Body;
use http::{header, HeaderValue, Response, StatusCode};
use serde::Serialize;

/// The media type of problem responses.
pub const PROBLEM_JSON: HeaderValue = HeaderValue::from_static("application/problem+json");

#[derive(Serialize)]
struct Problem<'a> {
    #[serde(rename = "type")]
    kind: &'a str,
    title: &'a str,
    status: u16,
    #[serde(skip_serializing_if = "Option::is_none")]
    detail: Option<&'a str>,
    #[serde(skip_serializing_if = "str::is_empty")]
    instance: &'a str,
}

/// Builds an `application/problem+json` response for `status`.
///
/// `instance` is the request path the problem occurred on (omitted when
/// empty); `detail` explains this occurrence and is omitted when `None`.
pub fn problem(status: StatusCode, detail: Option<&str>, instance: &str) -> Response<Body> {
    let body = serde_json::to_vec(&Problem {
        kind: "about:blank",
        title: status.canonical_reason().unwrap_or("Error"),
        status: status.as_u16(),
        detail,
        instance,
    })
    .expect("a problem of plain strings always serialises");
    let mut response = Response::new(Body::from(body));
    *response.status_mut() = status;
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, PROBLEM_JSON);
    response
}
