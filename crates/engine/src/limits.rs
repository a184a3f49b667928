//! Request limits with safe defaults; every one is configurable.

use std::time::Duration;

use tokio::sync::Semaphore;

use crate::Error;

/// What the engine accepts from one request or connection.
///
/// A request over a limit is answered with a problem response and never
/// reaches a handler.
#[derive(Debug, Clone)]
pub struct Limits {
    /// Largest request body in bytes (413 above it). Default 1 MiB.
    pub body_size: usize,
    /// Largest total of header names and values in bytes (431 above it). Default 16 KiB.
    pub header_size: usize,
    /// Longest request target (path and query) in bytes (414 above it). Default 8 KiB.
    pub uri_length: usize,
    /// Time a handler has to answer before the client gets 503. Default 30 s.
    pub request_timeout: Duration,
    /// Time an idle keep-alive connection, or a client sending request headers,
    /// is given before the connection is closed; also an HTTP/2 connection
    /// with no open stream. Default 5 s.
    pub keep_alive_timeout: Duration,
    /// Time from accept until the first bytes show which protocol the client
    /// speaks; a connection that sends nothing is closed after it. Default 5 s.
    pub headers_timeout: Duration,
    /// Time a whole request body has from the end of its head, however it
    /// trickles in (408 after it). Default 30 s.
    pub body_timeout: Duration,
    /// Interval of HTTP/2 PINGs; a peer that does not answer one within the
    /// same time is dropped. Default 20 s.
    pub http2_ping_interval: Duration,
    /// Time a client may accept none of the bytes waiting for it before its
    /// connection is dropped (and its streams' sources cancelled). Default 30 s.
    pub send_timeout: Duration,
    /// Requests handed to their handlers, or queued for them, that clients
    /// still wait for; beyond it a request gets 503 at once, without being
    /// queued. Default 1024.
    pub max_pending: usize,
    /// Time a request may wait in the queue before its handler takes it;
    /// after it, 503. Default 1 s.
    pub max_queue_delay: Duration,
    /// `Retry-After` on the 503s of load shedding, sent in whole seconds
    /// (rounded up). Default 1 s.
    pub retry_after: Duration,
    /// Connections open at once; beyond it the server stops accepting, so new
    /// ones wait in the kernel's backlog. Default 16384.
    pub max_connections: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            body_size: 1024 * 1024,
            header_size: 16 * 1024,
            uri_length: 8 * 1024,
            request_timeout: Duration::from_secs(30),
            keep_alive_timeout: Duration::from_secs(5),
            headers_timeout: Duration::from_secs(5),
            body_timeout: Duration::from_secs(30),
            http2_ping_interval: Duration::from_secs(20),
            send_timeout: Duration::from_secs(30),
            max_pending: 1024,
            max_queue_delay: Duration::from_secs(1),
            retry_after: Duration::from_secs(1),
            max_connections: 16 * 1024,
        }
    }
}

impl Limits {
    /// Rejects limits that would refuse every request.
    pub fn validate(&self) -> Result<(), Error> {
        let zero = [
            ("bodySize", self.body_size == 0),
            ("headerSize", self.header_size == 0),
            ("uriLength", self.uri_length == 0),
            ("requestTimeout", self.request_timeout.is_zero()),
            ("keepAliveTimeout", self.keep_alive_timeout.is_zero()),
            ("headersTimeout", self.headers_timeout.is_zero()),
            ("bodyTimeout", self.body_timeout.is_zero()),
            ("http2PingInterval", self.http2_ping_interval.is_zero()),
            ("sendTimeout", self.send_timeout.is_zero()),
            ("maxPending", self.max_pending == 0),
            ("maxQueueDelay", self.max_queue_delay.is_zero()),
            ("maxConnections", self.max_connections == 0),
        ];
        match zero.iter().find(|(_, is_zero)| *is_zero) {
            Some((name, _)) => Err(Error::invalid_option(format!(
                "limits.{name} must be greater than zero"
            ))),
            None if self.max_connections > Semaphore::MAX_PERMITS => {
                Err(Error::invalid_option(format!(
                    "limits.maxConnections must be at most {}",
                    Semaphore::MAX_PERMITS
                )))
            }
            None if self.uri_length > MAX_URI_LENGTH => Err(Error::invalid_option(format!(
                "limits.uriLength must be at most {MAX_URI_LENGTH} bytes"
            ))),
            None => Ok(()),
        }
    }

    /// hyper's own parse buffer: large enough that our limits, which answer
    /// with problem responses, always apply before hyper's bare ones.
    pub(crate) fn parse_buffer(&self) -> usize {
        (self.header_size + self.uri_length).max(8192) * 2 + 8192
    }
}

/// hyper refuses longer request targets itself.
const MAX_URI_LENGTH: usize = 65_534;
