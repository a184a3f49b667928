//! Request ids: keeps a well-formed id the client sent or makes one, puts it
//! on the request (so handlers and logs read it) and echoes it on the response.

use http::header::{CONTENT_LENGTH, CONTENT_TYPE};
use http::request::Parts;
use http::{HeaderName, HeaderValue, Response};
use serde_json::Value;

use super::{Flow, Layer};
use crate::Body;
use crate::PROBLEM_JSON;

/// A [`RequestId`] layer's settings, as a Rust caller gives them.
#[derive(Debug, Clone)]
pub struct RequestIdConfig {
    /// The header that carries the id, on the request and the response.
    pub header: HeaderName,
    /// Keep an id the client sent when it is 1–128 URL-safe characters.
    pub trust_incoming: bool,
}

/// `x-request-id`, trusting well-formed incoming ids.
impl Default for RequestIdConfig {
    fn default() -> Self {
        Self {
            header: HeaderName::from_static("x-request-id"),
            trust_incoming: true,
        }
    }
}

/// The longest incoming id kept.
const MAX_LEN: usize = 128;

/// Gives every request an id.
#[derive(Debug)]
pub struct RequestId {
    header: HeaderName,
    trust_incoming: bool,
}

impl RequestId {
    /// A layer with these settings.
    pub fn new(config: RequestIdConfig) -> Self {
        Self {
            header: config.header,
            trust_incoming: config.trust_incoming,
        }
    }
}

/// An id from a client is kept only when short and made of URL-safe characters.
fn well_formed(value: &HeaderValue) -> bool {
    let bytes = value.as_bytes();
    !bytes.is_empty()
        && bytes.len() <= MAX_LEN
        && bytes
            .iter()
            .all(|b| b.is_ascii_alphanumeric() || b"-_.~:+/=".contains(b))
}

impl Layer for RequestId {
    fn before(&self, request: &mut Parts) -> Flow {
        let mut incoming = request.headers.get_all(&self.header).iter();
        let kept = match (incoming.next(), incoming.next()) {
            (Some(value), None) if self.trust_incoming && well_formed(value) => Some(value.clone()),
            _ => None,
        };
        let id = kept.unwrap_or_else(|| {
            let mut buffer = uuid::Uuid::encode_buffer();
            let text = uuid::Uuid::new_v4().hyphenated().encode_lower(&mut buffer);
            HeaderValue::from_str(text).expect("a UUID is a valid header value")
        });
        request.headers.insert(self.header.clone(), id.clone());
        let header = self.header.clone();
        Flow::Next(Some(Box::new(move |response| {
            add_to_problem(response, &id);
            response.headers_mut().entry(header).or_insert(id);
        })))
    }
}

/// Adds `"requestId"` to an `application/problem+json` body (RFC 9457 allows
/// extension members), so that a client reporting an error can quote it.
fn add_to_problem(response: &mut Response<Body>, id: &HeaderValue) {
    let is_problem = response.headers().get(CONTENT_TYPE) == Some(&PROBLEM_JSON);
    let Ok(id) = id.to_str() else {
        return;
    };
    if !is_problem {
        return;
    }
    let Some(body) = response.body().as_bytes() else {
        return;
    };
    let Ok(Value::Object(mut problem)) = serde_json::from_slice::<Value>(body) else {
        return;
    };
    problem
        .entry("requestId")
        .or_insert_with(|| Value::from(id));
    if let Ok(body) = serde_json::to_vec(&problem) {
        *response.body_mut() = Body::from(body);
        response.headers_mut().remove(CONTENT_LENGTH);
    }
}
