//! A frozen application: the route table and the options, decided once.

use std::sync::Arc;

use http::HeaderValue;

use crate::files::StaticFiles;
use crate::middleware::Layers;
use crate::proxy::TrustProxy;
use crate::{Error, Limits, Router};

/// Server-wide options.
#[derive(Debug, Clone)]
pub struct Options {
    /// Request limits.
    pub limits: Limits,
    /// The `server` response header; `None` leaves it out. Default `armature`.
    pub server_name: Option<String>,
    /// Native middleware around every request, outermost first.
    pub layers: Layers,
    /// The proxies in front whose word on the client is taken. Default none.
    pub trust_proxy: TrustProxy,
    /// Directories served for the requests no route matches, in order.
    pub statics: Vec<Arc<StaticFiles>>,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            limits: Limits::default(),
            server_name: Some("armature".to_owned()),
            layers: Layers::from([]),
            trust_proxy: TrustProxy::default(),
            statics: Vec::new(),
        }
    }
}

/// Everything a server needs to answer requests, immutable once built.
#[derive(Debug)]
pub struct App {
    pub(crate) router: Router,
    pub(crate) limits: Limits,
    pub(crate) server_name: Option<HeaderValue>,
    pub(crate) layers: Layers,
    pub(crate) trust_proxy: Arc<TrustProxy>,
    pub(crate) statics: Vec<Arc<StaticFiles>>,
}

impl App {
    /// Freezes `router` with `options`, rejecting options that cannot work.
    pub fn new(router: Router, options: Options) -> Result<Self, Error> {
        options.limits.validate()?;
        let server_name = options
            .server_name
            .map(|name| {
                HeaderValue::from_str(&name).map_err(|_| {
                    Error::invalid_option(format!(
                        "serverName '{name}' is not a valid header value"
                    ))
                })
            })
            .transpose()?;
        Ok(Self {
            router,
            limits: options.limits,
            server_name,
            layers: options.layers,
            trust_proxy: Arc::new(options.trust_proxy),
            statics: options.statics,
        })
    }
}
