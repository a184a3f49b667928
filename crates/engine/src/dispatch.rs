//! How a request leaves the engine for a handler that lives elsewhere (in
//! Armature, JavaScript) and how its answer comes back.

use std::net::SocketAddr;

use bytes::Bytes;
use http::{HeaderMap, Method, Response, Uri, Version};
use tokio::sync::oneshot;

/// Receives the requests routed to [`Endpoint::External`](crate::Endpoint::External).
///
/// `dispatch` runs on an engine worker thread and must not block; the answer
/// is given later, from any thread, with [`Call::respond`].
pub trait Dispatch: Send + Sync + 'static {
    /// Takes ownership of one request.
    fn dispatch(&self, call: Call);
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
    /// The whole request body, within the body-size limit.
    pub body: Bytes,
    /// The client's address.
    pub remote_addr: SocketAddr,
    pub(crate) reply: oneshot::Sender<Response<Bytes>>,
}

impl Call {
    /// Sends the answer. A client that has gone, or a request that already
    /// timed out, drops it silently.
    pub fn respond(self, response: Response<Bytes>) {
        let _ = self.reply.send(response);
    }

    /// True once nobody waits for the answer any more (the client went away or
    /// the request timed out), so the call can be discarded.
    pub fn is_abandoned(&self) -> bool {
        self.reply.is_closed()
    }
}
