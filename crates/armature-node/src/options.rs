//! Options as JS passes them, converted to the engine's types.

use std::net::{SocketAddr, ToSocketAddrs};
use std::time::Duration;

use armature_engine::json;
use armature_engine::units::{self, Amount};
use armature_engine::{Error, Limits, Options};
use napi::bindgen_prelude::Either;
use napi_derive::napi;

use crate::error::{guard, CodedError};

/// Request limits; every field is optional and falls back to its default.
/// Sizes are bytes or text with a unit (`'512kb'`, `'10mb'`); times are
/// milliseconds or text with a unit (`'500ms'`, `'30s'`).
#[napi(object)]
#[derive(Default)]
pub struct LimitsOptions {
    /// Largest request body in bytes; larger ones get 413.
    /// @default 1048576
    pub body_size: Option<Either<f64, String>>,
    /// Largest total size of request header names and values in bytes; larger get 431.
    /// @default 16384
    pub header_size: Option<Either<f64, String>>,
    /// Longest request target (path and query) in bytes; longer get 414.
    /// @default 8192
    pub uri_length: Option<Either<f64, String>>,
    /// Milliseconds a handler has to answer before the client gets 503.
    /// @default 30000
    pub request_timeout: Option<Either<f64, String>>,
    /// Milliseconds an idle keep-alive connection (or a client still sending
    /// request headers, or an HTTP/2 connection with no open stream) is kept
    /// before it is closed.
    /// @default 5000
    pub keep_alive_timeout: Option<Either<f64, String>>,
    /// Milliseconds from accept until the client's first bytes show its
    /// protocol; a connection that sends nothing is closed after it.
    /// @default 5000
    pub headers_timeout: Option<Either<f64, String>>,
    /// Milliseconds a whole request body has from the end of its head,
    /// however slowly it trickles in; later gets 408.
    /// @default 30000
    pub body_timeout: Option<Either<f64, String>>,
    /// Milliseconds between HTTP/2 PINGs; a peer that does not answer within
    /// the same time is dropped.
    /// @default 20000
    pub http2_ping_interval: Option<Either<f64, String>>,
    /// Milliseconds a client may accept none of the bytes waiting for it
    /// before its connection is dropped and its streams' sources cancelled.
    /// @default 30000
    pub send_timeout: Option<Either<f64, String>>,
    /// Requests queued for handlers or being answered, at most; beyond it a
    /// request gets 503 with `Retry-After` at once, without reaching JS.
    /// @default 1024
    pub max_pending: Option<f64>,
    /// Milliseconds a request may wait for the JS thread to take it; after
    /// it, 503 with `Retry-After`.
    /// @default 1000
    pub max_queue_delay: Option<Either<f64, String>>,
    /// The `Retry-After` of load shedding's 503s, sent in whole seconds
    /// (rounded up).
    /// @default 1000
    pub retry_after: Option<Either<f64, String>>,
    /// Connections open at once; beyond it the server stops accepting, and
    /// new connections wait in the kernel's backlog.
    /// @default 16384
    pub max_connections: Option<f64>,
}

/// Where and how the native server listens.
#[napi(object)]
pub struct ServerOptions {
    /// Host name or IP address to bind.
    pub host: String,
    /// TCP port; 0 picks a free one.
    pub port: f64,
    /// Request limits.
    pub limits: Option<LimitsOptions>,
    /// The `server` response header; an empty string leaves it out.
    pub server_name: Option<String>,
    /// Engine worker threads, fixed by the first server of the process.
    pub workers: Option<f64>,
    /// Show error details in 500 responses (NODE_ENV=development).
    pub development: Option<bool>,
    /// The proxies in front whose word on the client is taken, as
    /// `App.new({ trustProxy })` gives them.
    pub trust_proxy: Option<serde_json::Value>,
}

impl ServerOptions {
    pub(crate) fn address(&self) -> Result<SocketAddr, Error> {
        let unresolved = || {
            Error::invalid_option(format!(
                "cannot resolve the host '{}' to an address",
                self.host
            ))
        };
        let port = units::whole("port", self.port, 0, u64::from(u16::MAX))? as u16;
        (self.host.as_str(), port)
            .to_socket_addrs()
            .map_err(|_| unresolved())?
            .next()
            .ok_or_else(unresolved)
    }

    /// The engine worker threads asked for, from 1 to [`MAX_WORKERS`].
    pub(crate) fn workers(&self) -> Result<Option<usize>, Error> {
        self.workers
            .map(|n| units::whole("workers", n, 1, MAX_WORKERS).map(|n| n as usize))
            .transpose()
    }

    pub(crate) fn engine_options(&self) -> Result<Options, Error> {
        let no_limits = LimitsOptions::default();
        let given = self.limits.as_ref().unwrap_or(&no_limits);
        let defaults = Limits::default();
        let size = |value: &Option<Either<f64, String>>, name: &str, default: usize| {
            value.as_ref().map_or(Ok(default), |v| {
                units::size(&format!("limits.{name}"), &amount(v)).map(|v| v as usize)
            })
        };
        let millis = |value: &Option<Either<f64, String>>, name: &str, default: Duration| {
            value.as_ref().map_or(Ok(default), |v| {
                units::duration(&format!("limits.{name}"), &amount(v))
            })
        };
        let count = |value: Option<f64>, name: &str, default: usize| {
            value.map_or(Ok(default), |v| {
                units::whole(&format!("limits.{name}"), v, 1, units::MAX_SAFE_INTEGER)
                    .map(|v| v as usize)
            })
        };
        let limits = Limits {
            body_size: size(&given.body_size, "bodySize", defaults.body_size)?,
            header_size: size(&given.header_size, "headerSize", defaults.header_size)?,
            uri_length: size(&given.uri_length, "uriLength", defaults.uri_length)?,
            request_timeout: millis(
                &given.request_timeout,
                "requestTimeout",
                defaults.request_timeout,
            )?,
            keep_alive_timeout: millis(
                &given.keep_alive_timeout,
                "keepAliveTimeout",
                defaults.keep_alive_timeout,
            )?,
            headers_timeout: millis(
                &given.headers_timeout,
                "headersTimeout",
                defaults.headers_timeout,
            )?,
            body_timeout: millis(&given.body_timeout, "bodyTimeout", defaults.body_timeout)?,
            http2_ping_interval: millis(
                &given.http2_ping_interval,
                "http2PingInterval",
                defaults.http2_ping_interval,
            )?,
            send_timeout: millis(&given.send_timeout, "sendTimeout", defaults.send_timeout)?,
            max_pending: count(given.max_pending, "maxPending", defaults.max_pending)?,
            max_queue_delay: millis(
                &given.max_queue_delay,
                "maxQueueDelay",
                defaults.max_queue_delay,
            )?,
            retry_after: millis(&given.retry_after, "retryAfter", defaults.retry_after)?,
            max_connections: count(
                given.max_connections,
                "maxConnections",
                defaults.max_connections,
            )?,
        };
        let server_name = match &self.server_name {
            None => Options::default().server_name,
            Some(name) if name.is_empty() => None,
            Some(name) => Some(name.clone()),
        };
        let trust_proxy = self
            .trust_proxy
            .clone()
            .map(json::trust_proxy_from_json)
            .transpose()?
            .unwrap_or_default();
        Ok(Options {
            limits,
            server_name,
            trust_proxy,
            ..Options::default()
        })
    }
}

/// More engine threads than any machine has cores for.
const MAX_WORKERS: u64 = 1024;

fn amount(value: &Either<f64, String>) -> Amount {
    match value {
        Either::A(number) => Amount::Number(*number),
        Either::B(text) => Amount::Text(text.clone()),
    }
}

/// A time JS passes, checked before it becomes a `Duration` (which panics
/// on huge, negative or NaN seconds).
pub(crate) fn millis(name: &str, value: &Either<f64, String>) -> Result<Duration, Error> {
    units::duration(name, &amount(value))
}

/// Reads a time as `close` and the limits take it (milliseconds, or text
/// with a unit) and returns its milliseconds, so that JS can refuse one where
/// it is given rather than where it is used; throws
/// `ERR_ARMATURE_INVALID_OPTION` naming `name`.
// napi registers exports only outside `cfg(test)`, so a test build sees no caller.
#[cfg_attr(test, allow(dead_code))]
#[napi]
pub fn check_millis(name: String, value: Either<f64, String>) -> Result<f64, CodedError> {
    guard(|| -> Result<_, CodedError> {
        millis(&name, &value)
            .map(|time| time.as_millis() as f64)
            .map_err(crate::error::coded)
    })
}

/// Checks `App.new({ trustProxy })` where it is given, throwing
/// `ERR_ARMATURE_INVALID_OPTION` naming what is wrong.
// napi registers exports only outside `cfg(test)`, so a test build sees no caller.
#[cfg_attr(test, allow(dead_code))]
#[napi]
pub fn check_trust_proxy(value: serde_json::Value) -> Result<(), CodedError> {
    guard(|| -> Result<_, CodedError> {
        json::trust_proxy_from_json(value)
            .map(drop)
            .map_err(crate::error::coded)
    })
}
