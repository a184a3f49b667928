//! What happens to one request: limits, routing, method dispatch, the call to
//! the handler, and the final touches (server header, HEAD).

use std::borrow::Cow;
use std::net::SocketAddr;
use std::panic::AssertUnwindSafe;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use futures_util::FutureExt;
use http::request::Parts;
use http::{header, HeaderValue, Method, Request, Response, StatusCode, Version};
use http_body_util::{BodyExt, LengthLimitError, Limited};
use tokio::sync::oneshot;

use super::request_body::RequestBody;
use super::upload::{self, Feed};
use crate::dispatch::Claim;
use crate::inlet::Inlet;
use crate::load::{Load, Pending};
use crate::middleware::{self, After};
use crate::problem::problem;
use crate::routing::{BodyLimit, Endpoint, Resolution, Timeout};
use crate::{App, Body, Call, Dispatch, Ended};

/// State shared by every connection of one server.
pub(crate) struct Shared {
    pub(crate) app: App,
    pub(crate) dispatch: Arc<dyn Dispatch>,
    pub(crate) load: Arc<Load>,
    /// Set when the server closes the connections left past its grace
    /// period: the calls they drop ended for that, not for their clients.
    pub(crate) closing: AtomicBool,
}

/// Answers one request; never fails: errors become problem responses, and a
/// panic on the way becomes a 500 that closes the connection, so that one
/// bad request costs neither the connection's other requests nor the process.
pub(crate) async fn serve(
    shared: &Shared,
    request: Request<impl RequestBody>,
    remote_addr: SocketAddr,
) -> Response<Body> {
    let http1 = request.version() < Version::HTTP_2;
    // Nothing of the request is used after a panic, and each layer's state
    // stays consistent under its own locks (which recover from poisoning).
    let answered = AssertUnwindSafe(serve_request(shared, request, remote_addr))
        .catch_unwind()
        .await;
    answered.unwrap_or_else(|_| {
        let detail = "the server failed while answering this request";
        let mut response = problem(StatusCode::INTERNAL_SERVER_ERROR, Some(detail), "");
        if http1 {
            // The body may be unread and the connection out of step.
            response
                .headers_mut()
                .insert(header::CONNECTION, HeaderValue::from_static("close"));
            response.extensions_mut().insert(Linger);
        }
        response
    })
}

async fn serve_request(
    shared: &Shared,
    request: Request<impl RequestBody>,
    remote_addr: SocketAddr,
) -> Response<Body> {
    // hyper drops HEAD bodies itself on HTTP/1 (keeping their length), not on HTTP/2.
    let strip_body = request.method() == Method::HEAD && request.version() == Version::HTTP_2;
    let http1 = request.version() < Version::HTTP_2;
    let continue_expected = request
        .headers()
        .get(header::EXPECT)
        .is_some_and(|expect| expect.as_bytes().eq_ignore_ascii_case(b"100-continue"));
    let (mut parts, body) = request.into_parts();
    let mut body = RequestBodyState::Unread(body);
    let mut afters = Vec::new();
    let app_layers = &shared.app.layers;
    let trust = &shared.app.trust_proxy;
    let mut response =
        match middleware::before(app_layers, &mut parts, remote_addr, trust, &mut afters) {
            Some(response) => response,
            None => answer(shared, parts, &mut body, remote_addr, &mut afters).await,
        };
    if http1 {
        settle_body(body, &mut response, continue_expected).await;
    }
    middleware::after(afters, &mut response);
    if let Some(name) = &shared.app.server_name {
        response.headers_mut().insert(header::SERVER, name.clone());
    }
    if strip_body {
        set_length(&mut response);
        *response.body_mut() = Body::empty();
    }
    response
}

/// Adds the `content-length` hyper would send for a complete body (none for
/// 1xx, 204 and 304), unless the response has one.
pub(crate) fn set_length(response: &mut Response<Body>) {
    let status = response.status();
    if status.is_informational()
        || status == StatusCode::NO_CONTENT
        || status == StatusCode::NOT_MODIFIED
    {
        return;
    }
    let Some(body) = response.body().as_bytes() else {
        return;
    };
    let length = HeaderValue::from(body.len());
    response
        .headers_mut()
        .entry(header::CONTENT_LENGTH)
        .or_insert(length);
}

/// What became of a request body.
enum RequestBodyState<B> {
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
async fn settle_body(
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

async fn answer<B: RequestBody>(
    shared: &Shared,
    mut parts: Parts,
    body: &mut RequestBodyState<B>,
    remote_addr: SocketAddr,
    afters: &mut Vec<After>,
) -> Response<Body> {
    let limits = &shared.app.limits;
    if let Some(mut rejection) = check_head(&parts, limits) {
        // A client that sent a bad head may be out of step: start afresh.
        rejection
            .headers_mut()
            .insert(header::CONNECTION, HeaderValue::from_static("close"));
        return rejection;
    }
    let path = parts.uri.path().to_owned();
    let Some((resolution, params)) = shared.app.router.resolve(&parts.method, &path) else {
        let detail = format!("no route matches {} {path}", parts.method);
        return problem(StatusCode::NOT_FOUND, Some(&detail), &path);
    };
    let route = match resolution {
        Resolution::Route(route) => route,
        Resolution::Options(allow) => {
            let mut response = Response::new(Body::empty());
            *response.status_mut() = StatusCode::NO_CONTENT;
            response.headers_mut().insert(header::ALLOW, allow.clone());
            return response;
        }
        Resolution::NotAllowed(allow) => {
            let detail = format!("{} is not allowed on {path}", parts.method);
            let mut response = problem(StatusCode::METHOD_NOT_ALLOWED, Some(&detail), &path);
            response.headers_mut().insert(header::ALLOW, allow.clone());
            return response;
        }
    };
    let mut values = Vec::with_capacity(params.len());
    for (name, raw) in params.iter() {
        match percent_encoding::percent_decode_str(raw).decode_utf8() {
            Ok(Cow::Borrowed(value)) => values.push(value.to_owned()),
            Ok(Cow::Owned(value)) => values.push(value),
            Err(_) => {
                let detail = format!("path parameter '{name}' is not valid UTF-8 once decoded");
                return problem(StatusCode::BAD_REQUEST, Some(&detail), &path);
            }
        }
    }
    if let Some(response) = middleware::before(
        &route.layers,
        &mut parts,
        remote_addr,
        &shared.app.trust_proxy,
        afters,
    ) {
        return response;
    }
    let endpoint = match &route.endpoint {
        Endpoint::Fixed(fixed) => return fixed.to_response(),
        Endpoint::External(endpoint) => *endpoint,
    };
    // The route's properties replace the app's body limit and handler time.
    let streamed = route.options.stream;
    // A streamed body is never buffered: only a route's body limit holds it.
    let route_limit = route.options.body_limit.map(BodyLimit::bytes);
    let body_size = route_limit.unwrap_or(limits.body_size);
    let request_timeout = route
        .options
        .timeout
        .map_or(limits.request_timeout, Timeout::duration);
    if shared.load.full(limits.max_pending) {
        // Refused unread, as an early answer; `settle_body` keeps the connection in step.
        return busy(shared, &path);
    }
    let RequestBodyState::Unread(unread) = std::mem::replace(body, RequestBodyState::Cut) else {
        unreachable!("the body is read here only");
    };
    let limit = if streamed {
        route_limit
    } else {
        Some(body_size)
    };
    if let Some(limit) = limit.filter(|&limit| {
        unread
            .size_hint()
            .exact()
            .is_some_and(|length| length > limit as u64)
    }) {
        // Refused unread; `settle_body` keeps the connection in step.
        *body = RequestBodyState::Unread(unread);
        let detail = format!("the request body is larger than {limit} bytes");
        return problem(StatusCode::PAYLOAD_TOO_LARGE, Some(&detail), &path);
    }
    if streamed {
        let call = CallHead {
            endpoint,
            parts,
            params: values,
            remote_addr,
        };
        return answer_streamed(shared, call, unread, body, limit, request_timeout).await;
    }
    let body = match read_body(unread, body_size, limits.body_timeout).await {
        Ok(read) => {
            *body = RequestBodyState::Read;
            read
        }
        Err(status) => {
            let detail = match status {
                StatusCode::PAYLOAD_TOO_LARGE => {
                    format!("the request body is larger than {body_size} bytes")
                }
                StatusCode::REQUEST_TIMEOUT => format!(
                    "the request body did not arrive within {} ms",
                    limits.body_timeout.as_millis()
                ),
                _ => "the request body could not be read".to_owned(),
            };
            return problem(status, Some(&detail), &path);
        }
    };
    let Some(pending) = shared.load.admit(limits.max_pending) else {
        return busy(shared, &path);
    };
    let head = CallHead {
        endpoint,
        parts,
        params: values,
        remote_addr,
    };
    let (answer, unanswered) = send(shared, head, body, None, pending);
    let claim = unanswered.claim.clone();
    let waited = wait(answer, &claim, limits.max_queue_delay, request_timeout).await;
    conclude(shared, waited, unanswered, &path, request_timeout)
}

/// What a call carries besides its body.
struct CallHead {
    endpoint: u32,
    parts: Parts,
    params: Vec<String>,
    remote_addr: SocketAddr,
}

/// Hands a call to the dispatcher; the guard reports it as ended unless its
/// answer comes (on the timeout, or when hyper drops the request's future
/// because the client left).
fn send<'a>(
    shared: &'a Shared,
    head: CallHead,
    body: Bytes,
    body_stream: Option<Inlet>,
    pending: Pending,
) -> (oneshot::Receiver<Response<Body>>, Unanswered<'a>) {
    let (reply, answer) = oneshot::channel();
    let claim = Arc::new(Claim::default());
    shared.dispatch.dispatch(Call {
        endpoint: head.endpoint,
        method: head.parts.method,
        uri: head.parts.uri,
        version: head.parts.version,
        headers: head.parts.headers,
        params: head.params,
        body,
        body_stream,
        remote_addr: head.remote_addr,
        reply,
        claim: claim.clone(),
        _pending: pending,
    });
    let unanswered = Unanswered {
        claim,
        shared,
        why: Some(Ended::ClientGone),
    };
    (answer, unanswered)
}

/// The response for how the wait for a handler ended.
fn conclude(
    shared: &Shared,
    waited: Waited,
    unanswered: Unanswered<'_>,
    path: &str,
    request_timeout: Duration,
) -> Response<Body> {
    let limits = &shared.app.limits;
    match waited {
        Waited::Answer(response) => {
            unanswered.answered();
            response
        }
        Waited::Stopped => problem(
            StatusCode::SERVICE_UNAVAILABLE,
            Some("the server stopped before the handler answered"),
            path,
        ),
        Waited::Stale => {
            let why = format!(
                "the server is busy: the request waited {} ms for its handler",
                limits.max_queue_delay.as_millis()
            );
            shared.load.shed(&why, limits.retry_after, path)
        }
        Waited::TimedOut => {
            unanswered.timed_out();
            let detail = format!(
                "the handler did not answer within {} ms",
                request_timeout.as_millis()
            );
            problem(StatusCode::SERVICE_UNAVAILABLE, Some(&detail), path)
        }
    }
}

/// A call on a route that streams its body: the handler gets it at once,
/// and the body is fed to it as it arrives while the engine waits for the
/// answer. Once answered with a whole body the rest is discarded under the
/// early-answer rules; answered with a stream, it goes on feeding the
/// handler, which may still be reading.
async fn answer_streamed<B: RequestBody>(
    shared: &Shared,
    head: CallHead,
    unread: B,
    body: &mut RequestBodyState<B>,
    limit: Option<usize>,
    request_timeout: Duration,
) -> Response<Body> {
    let limits = &shared.app.limits;
    let path = head.parts.uri.path().to_owned();
    let Some(pending) = shared.load.admit(limits.max_pending) else {
        *body = RequestBodyState::Unread(unread);
        return busy(shared, &path);
    };
    let inlet = Inlet::new(upload::WINDOW);
    let mut feed = Feed::new(unread, inlet.clone(), limit, limits.body_timeout);
    let (answer, unanswered) = send(shared, head, Bytes::new(), Some(inlet.clone()), pending);
    let claim = unanswered.claim.clone();
    let waited = {
        let mut waiting = std::pin::pin!(wait(
            answer,
            &claim,
            limits.max_queue_delay,
            request_timeout
        ));
        loop {
            tokio::select! {
                waited = &mut waiting => break Ok(waited),
                fed = feed.step(), if !feed.done() => {
                    if let Err(cut) = fed {
                        break Err(cut);
                    }
                }
            }
        }
    };
    let waited = match waited {
        Ok(waited) => waited,
        Err(cut) => {
            // Nothing was answered: the refusal is the answer, and the
            // connection closes lingering (the rest may still be coming).
            *body = RequestBodyState::Cut;
            return problem(cut.status(), Some(&cut.detail()), &path);
        }
    };
    let response = conclude(shared, waited, unanswered, &path, request_timeout);
    if feed.done() {
        *body = RequestBodyState::Read;
    } else if response.body().is_stream() && !inlet.released() {
        tokio::spawn(feed.run());
        *body = RequestBodyState::Read;
    } else {
        inlet.release();
        *body = RequestBodyState::Unread(feed.into_body());
    }
    response
}

/// The 503 for a request that finds `maxPending` requests pending.
fn busy(shared: &Shared, path: &str) -> Response<Body> {
    let limits = &shared.app.limits;
    let why = format!(
        "the server is busy: {} requests wait for their handlers",
        limits.max_pending
    );
    shared.load.shed(&why, limits.retry_after, path)
}

/// How the wait for a handler's answer ended.
enum Waited {
    Answer(Response<Body>),
    /// The dispatcher dropped the call unanswered (the server stopped).
    Stopped,
    /// No handler took the call within the queue delay; it never will.
    Stale,
    /// A handler took it but did not answer in time.
    TimedOut,
}

/// Waits for the answer: at most `queue_delay` for a handler to take the call
/// (the queue's wait is what grows when the handlers' thread falls behind),
/// and `timeout` in all.
async fn wait(
    answer: oneshot::Receiver<Response<Body>>,
    claim: &Claim,
    queue_delay: Duration,
    timeout: Duration,
) -> Waited {
    let deadline = tokio::time::Instant::now() + timeout;
    let mut answer = std::pin::pin!(answer);
    if queue_delay < timeout {
        match tokio::time::timeout(queue_delay, &mut answer).await {
            Ok(answered) => return answered.map_or(Waited::Stopped, Waited::Answer),
            Err(_) if claim.end_unclaimed() => return Waited::Stale,
            Err(_) => {}
        }
    }
    match tokio::time::timeout_at(deadline, answer).await {
        Ok(answered) => answered.map_or(Waited::Stopped, Waited::Answer),
        Err(_) => Waited::TimedOut,
    }
}

/// A dispatched call whose answer has not come.
struct Unanswered<'a> {
    claim: Arc<Claim>,
    shared: &'a Shared,
    /// `None` once answered.
    why: Option<Ended>,
}

impl Unanswered<'_> {
    fn answered(mut self) {
        self.why = None;
    }

    fn timed_out(mut self) {
        self.why = Some(Ended::Timeout);
    }
}

impl Drop for Unanswered<'_> {
    fn drop(&mut self) {
        let Some(mut why) = self.why else {
            return;
        };
        if why == Ended::ClientGone && self.shared.closing.load(Ordering::Acquire) {
            why = Ended::Shutdown;
        }
        if let Some(id) = self.claim.end() {
            self.shared.dispatch.ended(id, why);
        }
    }
}

/// Checks what can be checked before routing: target length, `Host` and
/// header size.
fn check_head(request: &Parts, limits: &crate::Limits) -> Option<Response<Body>> {
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

/// Reads the whole body within `time` of the head (a deadline for all of
/// it, so a trickle of bytes does not extend it), or says which status
/// refuses it.
async fn read_body(
    body: impl RequestBody,
    limit: usize,
    time: Duration,
) -> Result<Bytes, StatusCode> {
    if body.is_end_stream() {
        return Ok(Bytes::new());
    }
    match tokio::time::timeout(time, Limited::new(body, limit).collect()).await {
        Ok(Ok(collected)) => Ok(collected.to_bytes()),
        Ok(Err(error)) if error.is::<LengthLimitError>() => Err(StatusCode::PAYLOAD_TOO_LARGE),
        Ok(Err(_)) => Err(StatusCode::BAD_REQUEST),
        Err(_) => Err(StatusCode::REQUEST_TIMEOUT),
    }
}
