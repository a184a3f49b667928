//! The request pipeline: app middleware, the head checks ([`super::head`]),
//! routing and method dispatch, the body ([`super::request_body`]), the call
//! to the handler ([`super::call`]), and the final touches (server header,
//! HEAD).

use std::borrow::Cow;
use std::net::SocketAddr;
use std::panic::AssertUnwindSafe;
use std::time::Duration;

use bytes::Bytes;
use futures_util::FutureExt;
use http::request::Parts;
use http::{header, HeaderValue, Method, Request, Response, StatusCode, Version};

use super::call::{busy, conclude, send, wait, CallHead};
use super::head::check_head;
use super::request_body::{read_body, settle_body, Cut, Linger, RequestBody, RequestBodyState};
use super::shared::Shared;
use super::upload::{self, Feed};
use crate::files;
use crate::inlet::Inlet;
use crate::middleware::{self, After};
use crate::problem::problem;
use crate::routing::{BodyLimit, Endpoint, Resolution, Timeout};
use crate::Body;

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
        if let Some(response) = files::lookup(&shared.app.statics, &parts).await {
            return response;
        }
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
    if let Some(wanted) = route.options.body {
        let given = parts
            .headers
            .get(header::CONTENT_TYPE)
            .and_then(|value| value.to_str().ok());
        if !given.is_some_and(|given| wanted.accepts(given)) {
            let detail = format!(
                "this route takes {}, not {}",
                wanted.media_type(),
                given.unwrap_or("a body without a content-type")
            );
            // Refused unread; `settle_body` keeps the connection in step.
            return problem(StatusCode::UNSUPPORTED_MEDIA_TYPE, Some(&detail), &path);
        }
    }
    let schema = route.options.body_schema.as_ref();
    let content_type = parts.headers.get(header::CONTENT_TYPE);
    let content_type = content_type.and_then(|value| value.to_str().ok());
    if let Some(Err(refused)) = schema.map(|schema| schema.accepts(content_type)) {
        // Refused unread; `settle_body` keeps the connection in step.
        return refused.problem(&path);
    }
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
        return Cut::TooLarge(limit).problem(&path);
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
        Err(cut) => return cut.problem(&path),
    };
    if let Some(schema) = schema {
        if let Err(refused) = schema.check_body(body.clone()).await {
            return refused.problem(&path);
        }
    }
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
    files::deliver(conclude(shared, waited, unanswered, &path, request_timeout)).await
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
            return cut.problem(&path);
        }
    };
    let response =
        files::deliver(conclude(shared, waited, unanswered, &path, request_timeout)).await;
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
