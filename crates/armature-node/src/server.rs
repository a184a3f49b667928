//! A listening server as JS holds it.

use std::collections::HashMap;
use std::sync::Arc;

use armature_engine::middleware::{Layers, RateLimit};
use armature_engine::proxy::TrustProxy;
use armature_engine::{App, Batcher, Call, Handler, Router, Server};
use napi::bindgen_prelude::{Either, Function};
use napi::threadsafe_function::ThreadsafeFunctionCallMode;
use napi_derive::napi;

use crate::bridge::{self, KeepAlive};
use crate::error::{coded, guard, internal, CodedError};
use crate::inflight::Inflight;
use crate::options::ServerOptions;

/// What `prepare` makes: the frozen app, the proxies it trusts, the runtime
/// and the batcher.
type Prepared = (
    App,
    Arc<TrustProxy>,
    &'static tokio::runtime::Runtime,
    Arc<Batcher>,
);

/// A running server and the requests JS is answering.
///
/// Only the JS thread touches it: requests arrive through the engine's
/// [`Batcher`] and are moved into `inflight` by `drain`.
#[napi]
pub struct NativeServer {
    server: Option<Server>,
    /// Set for a server that takes requests through `inject`, not a socket.
    pub(crate) handler: Option<Handler>,
    port: u32,
    pub(crate) batcher: Arc<Batcher>,
    /// Requests handed to JS and not answered yet.
    pub(crate) inflight: Inflight,
    /// Reused buffers for `drain`.
    pub(crate) incoming: Vec<Call>,
    pub(crate) ended: Vec<u64>,
    pub(crate) development: bool,
    keep_alive: Option<KeepAlive>,
    /// Native middleware that JS runs inside its own, by index.
    pub(crate) inline: Layers,
    /// The inline rate limiters whose keys come from JS, by index.
    pub(crate) keyed: HashMap<u32, Arc<RateLimit>>,
    /// The proxies the app trusts, for `client` and inline middleware.
    pub(crate) trust: Arc<TrustProxy>,
}

impl NativeServer {
    pub(crate) fn start(
        router: Router,
        layers: Layers,
        options: &ServerOptions,
        wake: &Function<(), ()>,
        closed: &Function<(), ()>,
    ) -> Result<Self, CodedError> {
        let (app, trust, runtime, batcher) = Self::prepare(router, layers, options, wake)?;
        let address = options.address().map_err(coded)?;
        let keep_alive = bridge::keep_alive(closed).map_err(internal)?;
        let server =
            Server::start(runtime.handle(), address, app, batcher.clone()).map_err(coded)?;
        let mut native = Self::new(batcher, trust, options);
        native.port = u32::from(server.local_addr().port());
        native.server = Some(server);
        native.keep_alive = Some(keep_alive);
        Ok(native)
    }

    /// A server without a socket: `inject` hands it requests. It holds no
    /// reference that keeps Node alive.
    pub(crate) fn in_process(
        router: Router,
        layers: Layers,
        options: &ServerOptions,
        wake: &Function<(), ()>,
    ) -> Result<Self, CodedError> {
        let (app, trust, _, batcher) = Self::prepare(router, layers, options, wake)?;
        let mut native = Self::new(batcher.clone(), trust, options);
        native.handler = Some(Handler::new(app, batcher));
        Ok(native)
    }

    fn prepare(
        router: Router,
        layers: Layers,
        options: &ServerOptions,
        wake: &Function<(), ()>,
    ) -> Result<Prepared, CodedError> {
        let mut engine_options = options.engine_options().map_err(coded)?;
        engine_options.layers = layers;
        let trust = Arc::new(engine_options.trust_proxy.clone());
        let app = App::new(router, engine_options).map_err(coded)?;
        let runtime = crate::runtime(options.workers().map_err(coded)?).map_err(internal)?;
        let batcher = bridge::batcher(wake).map_err(internal)?;
        Ok((app, trust, runtime, batcher))
    }

    fn new(batcher: Arc<Batcher>, trust: Arc<TrustProxy>, options: &ServerOptions) -> Self {
        Self {
            server: None,
            handler: None,
            port: 0,
            batcher,
            inflight: Inflight::default(),
            incoming: Vec::new(),
            ended: Vec::new(),
            development: options.development.unwrap_or(false),
            keep_alive: None,
            inline: Layers::from([]),
            keyed: HashMap::new(),
            trust,
        }
    }
}

/// What a server carries now, as the engine counts it.
#[napi(object)]
pub struct EngineStats {
    /// Connections open.
    pub connections: u32,
    /// Requests queued for JS or being answered by it.
    pub pending: u32,
    /// Of those, the ones still queued.
    pub queued: u32,
    /// Milliseconds the oldest queued request has waited (0 when none wait).
    pub oldest_queued_ms: f64,
    /// Requests answered 503 by load shedding so far.
    pub shed: f64,
}

#[napi]
impl NativeServer {
    /// What the server carries now.
    #[napi]
    pub fn stats(&self) -> Result<EngineStats, CodedError> {
        guard(|| -> Result<_, CodedError> {
            let load = self.server.as_ref().map(Server::load).unwrap_or_default();
            let (queued, age) = self.batcher.backlog();
            let count = |n: usize| u32::try_from(n).unwrap_or(u32::MAX);
            Ok(EngineStats {
                connections: count(load.connections),
                pending: count(load.pending),
                queued: count(queued),
                oldest_queued_ms: age.as_secs_f64() * 1000.0,
                shed: load.shed as f64,
            })
        })
    }

    /// The port the server listens on.
    #[napi(getter)]
    pub fn port(&self) -> Result<u32, CodedError> {
        guard(|| -> Result<_, CodedError> { Ok(self.port) })
    }

    /// Stops accepting, gives in-flight requests up to `grace_ms` to finish,
    /// closes what is left, then calls the `closed` callback given to
    /// `listen`. Calling it again does nothing. Throws
    /// `ERR_ARMATURE_INVALID_OPTION` for a time that is not a whole number
    /// of milliseconds up to 2^31 - 1.
    #[napi]
    pub fn close(&mut self, grace_ms: f64) -> Result<(), CodedError> {
        guard(|| -> Result<_, CodedError> {
            let grace =
                crate::options::millis("close timeout", &Either::A(grace_ms)).map_err(coded)?;
            let (Some(server), Some(keep_alive)) = (self.server.take(), self.keep_alive.take())
            else {
                return Ok(());
            };
            let runtime = crate::runtime(None).expect("a server ran, so the runtime exists");
            runtime.spawn(async move {
                server.shutdown(grace).await;
                keep_alive.call((), ThreadsafeFunctionCallMode::NonBlocking);
            });
            Ok(())
        })
    }
}
