//! Responses as JS gives them and takes them back: the content-type codes
//! that spare the common types a crossing as strings, the check of a
//! status and headers (the engine's [`armature_engine::response::head`]),
//! and whole responses handed to JS outside the batches.

use armature_engine::http::header::CONTENT_TYPE;
use armature_engine::http::{HeaderMap, HeaderValue, Response, StatusCode};
use std::sync::LazyLock;

use armature_engine::{Body, ErrorCode, Problem};
use armature_wire::ContentType;
use napi::bindgen_prelude::Buffer;
use napi_derive::napi;
use serde_json::{Map, Value};

use crate::error::{guard, thrown, CodedError};

/// The header value of each [`ContentType`] code, made once.
fn content_types() -> &'static [Option<HeaderValue>] {
    static VALUES: LazyLock<Vec<Option<HeaderValue>>> = LazyLock::new(|| {
        ContentType::ALL
            .iter()
            .map(|kind| kind.mime().map(HeaderValue::from_static))
            .collect()
    });
    &VALUES
}

/// Checks and converts a status, a [`ContentType`] code and header name and
/// value pairs; the error names what is wrong. JS gives a code only when
/// no `content-type` header is among the pairs.
pub(crate) fn response_parts<'a>(
    status: u32,
    content_type: u32,
    headers: impl IntoIterator<Item = (&'a str, &'a str)>,
) -> Result<(StatusCode, HeaderMap), String> {
    let (status, mut map) = armature_engine::response::head(status, headers, 1)?;
    if let Some(Some(value)) = content_types().get(content_type as usize) {
        map.insert(CONTENT_TYPE, value.clone());
    }
    Ok((status, map))
}

/// The reason phrase of `status` (`Not Found` for 404), as the engine's own
/// problem responses use it; `null` for codes without one.
// napi registers exports only outside `cfg(test)`, so a test build sees no caller.
#[cfg_attr(test, allow(dead_code))]
#[napi]
pub fn status_reason(status: u32) -> Result<Option<&'static str>, CodedError> {
    guard(|| {
        let status = StatusCode::from_u16(u16::try_from(status).ok()?).ok()?;
        status.canonical_reason()
    })
}

/// A whole response as JS receives it outside the batches: from `inject`,
/// or from native middleware run on the JS thread.
#[napi(object)]
pub struct WholeResponse {
    /// The status code.
    pub status: u32,
    /// Alternating lower-case names and values, in order.
    pub headers: Vec<String>,
    /// The body.
    pub body: Buffer,
    /// Why a streamed body ended before its end (`inject` only).
    pub stream_error: Option<String>,
}

/// A response whose body is whole: what native layers answer with, and what
/// `inject` has collected. (A stream's chunks are not there to copy: a
/// streamed body would cross as empty.)
impl From<Response<Body>> for WholeResponse {
    fn from(response: Response<Body>) -> Self {
        let (parts, body) = response.into_parts();
        let body = body.as_bytes().unwrap_or_default();
        let headers = parts
            .headers
            .iter()
            .flat_map(|(name, value)| {
                [
                    name.as_str().to_owned(),
                    String::from_utf8_lossy(value.as_bytes()).into_owned(),
                ]
            })
            .collect();
        Self {
            status: u32::from(parts.status.as_u16()),
            headers,
            body: body.to_vec().into(),
            stream_error: None,
        }
    }
}

/// The body of a problem response JS makes (an `HttpError`, a 500), written
/// by the engine's writer so that it has the bytes the engine's own problems
/// have. `extensions` is a JSON object's text, checked by JS.
// napi registers exports only outside `cfg(test)`, so a test build sees no caller.
#[cfg_attr(test, allow(dead_code))]
#[napi]
pub fn problem_json(
    status: u32,
    instance: String,
    detail: Option<String>,
    kind: Option<String>,
    title: Option<String>,
    extensions: Option<String>,
) -> Result<String, CodedError> {
    guard(|| -> Result<_, CodedError> {
        let status = u16::try_from(status)
            .ok()
            .and_then(|status| StatusCode::from_u16(status).ok())
            .ok_or_else(|| {
                thrown(
                    ErrorCode::InvalidResponse,
                    format!("invalid HTTP status {status}"),
                )
            })?;
        let extensions = extensions
            .map(|text| serde_json::from_str::<Map<String, Value>>(&text))
            .transpose()
            .map_err(|why| {
                thrown(
                    ErrorCode::InvalidOption,
                    format!("problem extension members must be a JSON object: {why}"),
                )
            })?;
        Ok(Problem {
            status,
            kind: kind.as_deref().unwrap_or("about:blank"),
            title: title.as_deref(),
            detail: detail.as_deref(),
            instance: &instance,
            extensions: extensions.as_ref(),
        }
        .to_json())
    })
}
