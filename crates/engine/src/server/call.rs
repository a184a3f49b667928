//! One call's life once the pipeline hands it to the dispatcher: the claim
//! that reports it if it ends unanswered, the wait for its answer (the queue
//! delay, the handler's time), and the response for how the wait ended.

use std::net::SocketAddr;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http::request::Parts;
use http::{Response, StatusCode};
use tokio::sync::oneshot;

use super::shared::Shared;
use crate::dispatch::Claim;
use crate::inlet::Inlet;
use crate::load::Pending;
use crate::problem::problem;
use crate::{Body, Call, Ended};

/// What a call carries besides its body.
pub(super) struct CallHead {
    pub(super) endpoint: u32,
    pub(super) parts: Parts,
    pub(super) params: Vec<String>,
    pub(super) remote_addr: SocketAddr,
}

/// Hands a call to the dispatcher; the guard reports it as ended unless its
/// answer comes (on the timeout, or when hyper drops the request's future
/// because the client left).
pub(super) fn send<'a>(
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
pub(super) fn conclude(
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

/// The 503 for a request that finds `maxPending` requests pending.
pub(super) fn busy(shared: &Shared, path: &str) -> Response<Body> {
    let limits = &shared.app.limits;
    let why = format!(
        "the server is busy: {} requests wait for their handlers",
        limits.max_pending
    );
    shared.load.shed(&why, limits.retry_after, path)
}

/// How the wait for a handler's answer ended.
pub(super) enum Waited {
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
pub(super) async fn wait(
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
pub(super) struct Unanswered<'a> {
    pub(super) claim: Arc<Claim>,
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
