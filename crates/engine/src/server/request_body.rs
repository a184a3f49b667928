//! A request body, whichever way it is read: the type the pipeline
//! ([`super::service`]) and a streamed body ([`super::upload`]) read from,
//! what became of it, why one is refused ([`Cut`]), and how an HTTP/1
//! connection is kept in step after an answer that left it unread.

use std::time::Duration;

use bytes::Bytes;
use http::{header, HeaderValue, Response, StatusCode};
use http_body_util::{BodyExt, LengthLimitError, Limited};
use hyper::body::Body as HttpBody;

use crate::problem::{problem, Problem};
use crate::{Body, BoxError};

/// A request body the pipeline can read: hyper's, or a complete one handed in.
pub(crate) trait RequestBody:
    HttpBody<Data = Bytes, Error: Into<BoxError>> + Send + Unpin + 'static
{
}
impl<B: HttpBody<Data = Bytes, Error: Into<BoxError>> + Send + Unpin + 'static> RequestBody for B {}

/// What became of a request body.
pub(super) enum RequestBodyState<B> {
    /// Not polled: the answer came before it was needed.
    Unread(B),
    /// Read to its end.
    Read,
    /// Read in part: over the limit, or broken.
    Cut,
}

/// The most of an unread body that is read and discarded to keep the
/// connection, and the longest that may take (Go's net/http drains 256 KiB).
const DRAIN_BYTES: u64 = 256 * 1024;
const DRAIN_TIME: Duration = Duration::from_secs(1);

/// Marks a response whose connection must close lingering: the client may
/// still be sending a body that was never read.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Linger;

/// Keeps an HTTP/1 connection usable after an answer that did not read the
/// whole body: drains a small rest, or closes lingering, so that the client
/// gets the answer rather than a reset. An `Expect: 100-continue` body is
/// never asked for.
pub(super) async fn settle_body(
    body: RequestBodyState<impl RequestBody>,
    response: &mut Response<Body>,
    continue_expected: bool,
) {
    let closing = response
        .headers()
        .get(header::CONNECTION)
        .is_some_and(|value| value.as_bytes().eq_ignore_ascii_case(b"close"));
    match body {
        RequestBodyState::Read => return,
        RequestBodyState::Unread(body) if body.is_end_stream() => return,
        RequestBodyState::Unread(body)
            if !closing
                && !continue_expected
                && body.size_hint().upper().is_none_or(|n| n <= DRAIN_BYTES) =>
        {
            if drain(body).await {
                return;
            }
        }
        RequestBodyState::Unread(_) | RequestBodyState::Cut => {}
    }
    response
        .headers_mut()
        .insert(header::CONNECTION, HeaderValue::from_static("close"));
    response.extensions_mut().insert(Linger);
}

/// Reads and discards `body` within [`DRAIN_BYTES`] and [`DRAIN_TIME`];
/// true when it reached its end.
async fn drain(body: impl RequestBody) -> bool {
    let mut body = std::pin::pin!(body);
    let mut left = DRAIN_BYTES;
    let discard = async {
        while let Some(frame) = body.frame().await {
            let Ok(frame) = frame else {
                return false;
            };
            let length = frame.data_ref().map_or(0, |data| data.len() as u64);
            let Some(rest) = left.checked_sub(length) else {
                return false;
            };
            left = rest;
        }
        true
    };
    tokio::time::timeout(DRAIN_TIME, discard)
        .await
        .unwrap_or(false)
}

/// Why a body was refused before its end: read whole or fed as it came.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Cut {
    /// More than the limit: the route's `BodyLimit`, or `bodySize`.
    TooLarge(usize),
    /// The client took longer than `bodyTimeout` to send it.
    TooSlow(Duration),
    /// The connection broke.
    Broken,
}

impl Cut {
    /// The status of the answer, when nothing was answered yet.
    fn status(self) -> StatusCode {
        match self {
            Self::TooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            Self::TooSlow(_) => StatusCode::REQUEST_TIMEOUT,
            Self::Broken => StatusCode::BAD_REQUEST,
        }
    }

    /// Why, as the problem's `detail` and as a streamed body's cut tells it.
    pub(crate) fn detail(self) -> String {
        match self {
            Self::TooLarge(limit) => format!("the request body is larger than {limit} bytes"),
            Self::TooSlow(time) => format!(
                "the request body did not arrive within {} ms",
                time.as_millis()
            ),
            Self::Broken => "the request body could not be read".to_owned(),
        }
    }

    /// The problem that answers the request: every refused body's answer,
    /// read whole or streamed, declared too large or found so.
    /// A body over its size limit names it in a `limit` member, as the
    /// multipart limits' 413s do, so a client can tell which one it hit.
    pub(crate) fn problem(self, path: &str) -> Response<Body> {
        let detail = self.detail();
        let Self::TooLarge(_) = self else {
            return problem(self.status(), Some(&detail), path);
        };
        let mut members = serde_json::Map::new();
        members.insert("limit".to_owned(), "bodySize".into());
        Problem {
            detail: Some(&detail),
            instance: path,
            extensions: Some(&members),
            ..Problem::new(self.status())
        }
        .response()
    }
}

/// Reads the whole body within `time` of the head (a deadline for all of
/// it, so a trickle of bytes does not extend it), or says why it was cut.
pub(super) async fn read_body(
    body: impl RequestBody,
    limit: usize,
    time: Duration,
) -> Result<Bytes, Cut> {
    if body.is_end_stream() {
        return Ok(Bytes::new());
    }
    match tokio::time::timeout(time, Limited::new(body, limit).collect()).await {
        Ok(Ok(collected)) => Ok(collected.to_bytes()),
        Ok(Err(error)) if error.is::<LengthLimitError>() => Err(Cut::TooLarge(limit)),
        Ok(Err(_)) => Err(Cut::Broken),
        Err(_) => Err(Cut::TooSlow(time)),
    }
}
