//! How a request leaves the engine for a handler that lives elsewhere (in
//! Armature, JavaScript) and how its answer comes back.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use bytes::Bytes;
use http::{HeaderMap, Method, Response, Uri, Version};
use tokio::sync::oneshot;

use crate::inlet::Inlet;
use crate::load::Pending;
use crate::Body;

/// Receives the requests routed to [`Endpoint::External`](crate::Endpoint::External).
///
/// `dispatch` runs on an engine worker thread and must not block; the answer
/// is given later, from any thread, with [`Call::respond`].
pub trait Dispatch: Send + Sync + 'static {
    /// Takes ownership of one request.
    fn dispatch(&self, call: Call);

    /// Told, from an engine thread, that the call the dispatcher
    /// [claimed](Call::claim) as `id` ended without its answer, and `why`.
    /// Nothing waits for it any more, so its memory can go at once.
    fn ended(&self, id: u64, why: Ended) {
        let _ = (id, why);
    }
}

/// Why a call ended before its answer came.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ended {
    /// The client went away: the connection closed, or the HTTP/2 stream was
    /// reset.
    ClientGone,
    /// The handler did not answer within the request timeout.
    Timeout,
    /// The server closed past its grace period.
    Shutdown,
}

/// One request waiting for its handler's answer.
///
/// Everything was parsed, routed and checked against the limits before the
/// call was made; the body is complete.
#[derive(Debug)]
pub struct Call {
    /// The handler chosen by the route table.
    pub endpoint: u32,
    /// The request method (HEAD when a GET handler answers a HEAD request).
    pub method: Method,
    /// The request target as sent (path and query).
    pub uri: Uri,
    /// The protocol version.
    pub version: Version,
    /// The request headers.
    pub headers: HeaderMap,
    /// Percent-decoded path parameters, in the order of the route's names.
    pub params: Vec<String>,
    /// The whole request body, within the body-size limit; empty when the
    /// route streams its body (see [`Call::body_stream`]).
    pub body: Bytes,
    /// The body as it arrives, on a route marked
    /// [`crate::middleware::StreamBody`].
    pub body_stream: Option<Inlet>,
    /// The client's address.
    pub remote_addr: SocketAddr,
    pub(crate) reply: oneshot::Sender<Response<Body>>,
    pub(crate) claim: Arc<Claim>,
    /// Counts the call in its server's load until it is dropped.
    pub(crate) _pending: Pending,
}

impl Call {
    /// Sends the answer, whole bytes or a [`Body::stream`]. A client that has
    /// gone, or a request that already timed out, drops it silently.
    pub fn respond(self, response: Response<impl Into<Body>>) {
        let _ = self.reply.send(response.map(Into::into));
    }

    /// Names the call `id` (not 0) for [`Dispatch::ended`]. False when the
    /// call has ended already: nobody waits for it, so drop it.
    pub fn claim(&self, id: u64) -> bool {
        self.claim.take(id)
    }
}

/// The dispatcher's id for a call, shared with the request that waits for
/// it, so that whichever side finishes first decides: a request that ends
/// unanswered reports the id, a dispatcher that claims too late learns it
/// ended.
#[derive(Debug, Default)]
pub(crate) struct Claim(AtomicU64);

/// The claim of a call whose request has ended.
const ENDED: u64 = u64::MAX;

impl Claim {
    fn take(&self, id: u64) -> bool {
        debug_assert!(id != 0 && id != ENDED);
        self.0
            .compare_exchange(0, id, Ordering::AcqRel, Ordering::Acquire)
            .is_ok()
    }

    /// Marks the call ended if no dispatcher has claimed it yet; true then.
    pub(crate) fn end_unclaimed(&self) -> bool {
        self.0
            .compare_exchange(0, ENDED, Ordering::AcqRel, Ordering::Acquire)
            .is_ok()
    }

    /// Marks the call ended; returns its id when a dispatcher claimed it.
    pub(crate) fn end(&self) -> Option<u64> {
        match self.0.swap(ENDED, Ordering::AcqRel) {
            0 | ENDED => None,
            id => Some(id),
        }
    }
}
