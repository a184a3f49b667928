//! What answers a matched route: a handler the dispatcher runs, or a
//! response fixed when the app is built.

use bytes::Bytes;
use http::{HeaderMap, Response, StatusCode};

use crate::Body;

/// What answers a matched route.
#[derive(Debug, Clone)]
pub enum Endpoint {
    /// Handed to the [`Dispatch`](crate::Dispatch) of the server; the number
    /// names the handler to the dispatcher.
    External(u32),
    /// Answered by the engine alone with a response fixed when the app is built.
    Fixed(FixedResponse),
}

/// A response decided at build time and cloned cheaply for every request.
#[derive(Debug, Clone)]
pub struct FixedResponse {
    status: StatusCode,
    headers: HeaderMap,
    body: Bytes,
}

impl FixedResponse {
    /// Freezes `response` so it can be served without calling a handler.
    pub fn new(response: Response<Bytes>) -> Self {
        let (parts, body) = response.into_parts();
        Self {
            status: parts.status,
            headers: parts.headers,
            body,
        }
    }

    pub(crate) fn to_response(&self) -> Response<Body> {
        let mut response = Response::new(Body::from(self.body.clone()));
        *response.status_mut() = self.status;
        *response.headers_mut() = self.headers.clone();
        response
    }
}
