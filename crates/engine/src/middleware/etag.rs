//! Entity tags and conditional requests (RFC 9110 §13): a tag for every
//! successful GET/HEAD answer that lacks one (a hash of the body, from the
//! xxhash crate), and `If-None-Match`, `If-Modified-Since` (304),
//! `If-Match` and `If-Unmodified-Since` (412) answered against it.

use std::time::SystemTime;

use http::header::{
    CONTENT_ENCODING, CONTENT_LENGTH, CONTENT_TYPE, ETAG, IF_MATCH, IF_MODIFIED_SINCE,
    IF_NONE_MATCH, IF_UNMODIFIED_SINCE, LAST_MODIFIED,
};
use http::request::Parts;
use http::{HeaderMap, HeaderValue, Method, Response, StatusCode};

use super::{Flow, Layer};
use crate::problem::problem;
use crate::Body;

/// The `Content-Type` a 304 answer would have had, kept for outer middleware.
#[derive(Debug, Clone)]
pub(crate) struct NotModifiedType(pub(crate) HeaderValue);

/// Tags answers and answers conditional requests.
#[derive(Debug)]
pub struct ETag {
    weak: bool,
}

impl ETag {
    /// Strong tags (byte for byte), or weak ones (`W/"…"`: equal meaning).
    pub fn new(weak: bool) -> Self {
        Self { weak }
    }
}

/// The conditions a request carried.
struct Conditions {
    path: String,
    if_match: Option<HeaderValue>,
    if_none_match: Option<HeaderValue>,
    if_modified_since: Option<SystemTime>,
    if_unmodified_since: Option<SystemTime>,
}

fn date(headers: &HeaderMap, name: http::HeaderName) -> Option<SystemTime> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| httpdate::parse_http_date(v).ok())
}

/// The opaque part of a tag, and whether it is weak.
fn opaque(tag: &str) -> (&str, bool) {
    match tag.trim().strip_prefix("W/") {
        Some(rest) => (rest, true),
        None => (tag.trim(), false),
    }
}

/// Whether a list of tags (or `*`) matches `current`; strong comparison
/// refuses weak tags on either side.
fn matches(list: &HeaderValue, current: Option<&HeaderValue>, strong: bool) -> bool {
    let Ok(list) = list.to_str() else {
        return false;
    };
    if list.trim() == "*" {
        return current.is_some();
    }
    let Some((current, current_weak)) = current.and_then(|c| c.to_str().ok()).map(opaque) else {
        return false;
    };
    list.split(',')
        .map(opaque)
        .any(|(tag, weak)| tag == current && !(strong && (weak || current_weak)))
}

impl Conditions {
    /// Applies the preconditions in RFC 9110's order to a successful answer.
    fn apply(self, response: &mut Response<Body>) {
        let headers = response.headers();
        let tag = headers.get(ETAG);
        let modified = date(headers, LAST_MODIFIED);
        let failed = match (&self.if_match, self.if_unmodified_since) {
            (Some(list), _) => !matches(list, tag, true),
            (None, Some(since)) => modified.is_some_and(|modified| modified > since),
            (None, None) => false,
        };
        if failed {
            *response = problem(
                StatusCode::PRECONDITION_FAILED,
                Some("the resource does not match the request's preconditions"),
                &self.path,
            );
            return;
        }
        let fresh = match (&self.if_none_match, self.if_modified_since) {
            (Some(list), _) => matches(list, tag, false),
            (None, Some(since)) => modified.is_some_and(|modified| modified <= since),
            (None, None) => false,
        };
        if fresh {
            *response.status_mut() = StatusCode::NOT_MODIFIED;
            *response.body_mut() = Body::empty();
            // A 304 keeps the validators and caching headers; the body's own go,
            // but outer middleware (Compression's Vary) may still need its type.
            if let Some(media) = response.headers_mut().remove(CONTENT_TYPE) {
                response.extensions_mut().insert(NotModifiedType(media));
            }
            for name in [CONTENT_LENGTH, CONTENT_ENCODING] {
                response.headers_mut().remove(name);
            }
        }
    }
}

impl Layer for ETag {
    fn before(&self, request: &mut Parts) -> Flow {
        if request.method != Method::GET && request.method != Method::HEAD {
            return Flow::Next(None);
        }
        let headers = &request.headers;
        let conditions = Conditions {
            path: request.uri.path().to_owned(),
            if_match: headers.get(IF_MATCH).cloned(),
            if_none_match: headers.get(IF_NONE_MATCH).cloned(),
            if_modified_since: date(headers, IF_MODIFIED_SINCE),
            if_unmodified_since: date(headers, IF_UNMODIFIED_SINCE),
        };
        let weak = self.weak;
        Flow::Next(Some(Box::new(move |response| {
            // A streamed body is left alone: its tag would need all of it first.
            let Some(body) = response.body().as_bytes() else {
                return;
            };
            if response.status() != StatusCode::OK {
                return;
            }
            if !response.headers().contains_key(ETAG) {
                let hash = xxhash_rust::xxh3::xxh3_64(body);
                let tag = format!(
                    "{}\"{:x}-{hash:016x}\"",
                    if weak { "W/" } else { "" },
                    body.len()
                );
                let tag = HeaderValue::from_str(&tag).expect("hex digits are a valid header value");
                response.headers_mut().insert(ETAG, tag);
            }
            conditions.apply(response);
        })))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compares_tags_weakly_and_strongly() {
        let tag = |t: &str| HeaderValue::from_str(t).unwrap();
        let cases = [
            ("\"a\"", "\"a\"", true, true),
            ("\"b\", \"a\"", "\"a\"", true, true),
            ("W/\"a\"", "\"a\"", true, false),
            ("\"a\"", "W/\"a\"", true, false),
            ("*", "\"x\"", true, true),
            ("\"b\"", "\"a\"", false, false),
        ];
        for (list, current, weak, strong) in cases {
            assert_eq!(
                matches(&tag(list), Some(&tag(current)), false),
                weak,
                "weak {list} ~ {current}"
            );
            assert_eq!(
                matches(&tag(list), Some(&tag(current)), true),
                strong,
                "strong {list} ~ {current}"
            );
        }
        assert!(!matches(&tag("*"), None, false));
    }
}
