//! What is checked of a request's head before it is routed: the target's
//! length, `Host`, and the size of the headers.

use http::request::Parts;
use http::{header, HeaderValue, Response, StatusCode, Version};

use crate::problem::problem;
use crate::{Body, Limits};

/// Checks what can be checked before routing: target length, `Host` and
/// header size.
pub(super) fn check_head(request: &Parts, limits: &Limits) -> Option<Response<Body>> {
    let path = request.uri.path();
    let target = request
        .uri
        .path_and_query()
        .map_or(path.len(), |pq| pq.as_str().len());
    if target > limits.uri_length {
        let detail = format!(
            "the request target is longer than {} bytes",
            limits.uri_length
        );
        // The target itself is the problem: it is not echoed back as `instance`.
        return Some(problem(StatusCode::URI_TOO_LONG, Some(&detail), ""));
    }
    let headers = &request.headers;
    if request.version == Version::HTTP_11 {
        let mut hosts = headers.get_all(header::HOST).iter();
        let valid = matches!((hosts.next(), hosts.next()), (Some(host), None) if valid_host(host));
        if !valid {
            let detail = "an HTTP/1.1 request needs exactly one valid Host header";
            return Some(problem(StatusCode::BAD_REQUEST, Some(detail), path));
        }
    }
    let size: usize = headers
        .iter()
        .map(|(name, value)| name.as_str().len() + value.len())
        .sum();
    if size > limits.header_size {
        let detail = format!(
            "the request headers are larger than {} bytes",
            limits.header_size
        );
        return Some(problem(
            StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
            Some(&detail),
            path,
        ));
    }
    None
}

/// A Host value must parse as an authority without user info.
fn valid_host(host: &HeaderValue) -> bool {
    !host.is_empty()
        && host
            .to_str()
            .ok()
            .and_then(|host| host.parse::<http::uri::Authority>().ok())
            .is_some_and(|authority| !authority.as_str().contains('@'))
}
