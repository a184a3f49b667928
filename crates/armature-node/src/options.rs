//! Options as JS passes them, converted to the engine's types.

use std::net::{SocketAddr, ToSocketAddrs};
use std::time::Duration;

use armature_engine::{Error, Limits, Options};
use napi_derive::napi;

/// Request limits; every field is optional and falls back to its default.
#[napi(object)]
#[derive(Default)]
pub struct LimitsOptions {
    /// Largest request body in bytes; larger ones get 413.
    /// @default 1048576
    pub body_size: Option<f64>,
    /// Largest total size of request header names and values in bytes; larger get 431.
    /// @default 16384
    pub header_size: Option<f64>,
    /// Longest request target (path and query) in bytes; longer get 414.
    /// @default 8192
    pub uri_length: Option<f64>,
    /// Milliseconds a handler has to answer before the client gets 503.
    /// @default 30000
    pub request_timeout: Option<f64>,
    /// Milliseconds an idle keep-alive connection (or a client still sending
    /// request headers, or an HTTP/2 connection with no open stream) is kept
    /// before it is closed.
    /// @default 5000
    pub keep_alive_timeout: Option<f64>,
    /// Milliseconds from accept until the client's first bytes show its
    /// protocol; a connection that sends nothing is closed after it.
    /// @default 5000
    pub headers_timeout: Option<f64>,
    /// Milliseconds a whole request body has from the end of its head,
    /// however slowly it trickles in; later gets 408.
    /// @default 30000
    pub body_timeout: Option<f64>,
    /// Milliseconds between HTTP/2 PINGs; a peer that does not answer within
    /// the same time is dropped.
    /// @default 20000
    pub http2_ping_interval: Option<f64>,
}

/// Where and how the native server listens.
#[napi(object)]
pub struct ServerOptions {
    /// Host name or IP address to bind.
    pub host: String,
    /// TCP port; 0 picks a free one.
    pub port: u32,
    /// Request limits.
    pub limits: Option<LimitsOptions>,
    /// The `server` response header; an empty string leaves it out.
    pub server_name: Option<String>,
    /// Engine worker threads, fixed by the first server of the process.
    pub workers: Option<u32>,
    /// Show error details in 500 responses (NODE_ENV=development).
    pub development: Option<bool>,
}

impl ServerOptions {
    pub(crate) fn address(&self) -> Result<SocketAddr, Error> {
        let unresolved = || {
            Error::invalid_option(format!(
                "cannot resolve the host '{}' to an address",
                self.host
            ))
        };
        let port = u16::try_from(self.port).map_err(|_| {
            Error::invalid_option(format!("port {} is not between 0 and 65535", self.port))
        })?;
        (self.host.as_str(), port)
            .to_socket_addrs()
            .map_err(|_| unresolved())?
            .next()
            .ok_or_else(unresolved)
    }

    pub(crate) fn engine_options(&self) -> Result<Options, Error> {
        let no_limits = LimitsOptions::default();
        let given = self.limits.as_ref().unwrap_or(&no_limits);
        let defaults = Limits::default();
        let field = |value: Option<f64>, name: &str| -> Result<Option<u64>, Error> {
            match value {
                None => Ok(None),
                Some(v) if v.is_finite() && v >= 0.0 && v.fract() == 0.0 => Ok(Some(v as u64)),
                Some(v) => Err(Error::invalid_option(format!(
                    "limits.{name} must be a whole number, got {v}"
                ))),
            }
        };
        let size = |value, name, default: usize| -> Result<usize, Error> {
            Ok(field(value, name)?.map_or(default, |v| v as usize))
        };
        let millis = |value, name, default: Duration| -> Result<Duration, Error> {
            Ok(field(value, name)?.map_or(default, Duration::from_millis))
        };
        let limits = Limits {
            body_size: size(given.body_size, "bodySize", defaults.body_size)?,
            header_size: size(given.header_size, "headerSize", defaults.header_size)?,
            uri_length: size(given.uri_length, "uriLength", defaults.uri_length)?,
            request_timeout: millis(
                given.request_timeout,
                "requestTimeout",
                defaults.request_timeout,
            )?,
            keep_alive_timeout: millis(
                given.keep_alive_timeout,
                "keepAliveTimeout",
                defaults.keep_alive_timeout,
            )?,
            headers_timeout: millis(
                given.headers_timeout,
                "headersTimeout",
                defaults.headers_timeout,
            )?,
            body_timeout: millis(given.body_timeout, "bodyTimeout", defaults.body_timeout)?,
            http2_ping_interval: millis(
                given.http2_ping_interval,
                "http2PingInterval",
                defaults.http2_ping_interval,
            )?,
        };
        let server_name = match &self.server_name {
            None => Options::default().server_name,
            Some(name) if name.is_empty() => None,
            Some(name) => Some(name.clone()),
        };
        Ok(Options {
            limits,
            server_name,
            ..Options::default()
        })
    }
}
