//! A server as JS holds it: the one class JS calls into for a running
//! server. Its methods only translate and guard; the work is in the modules
//! that own it ([`bridge`], [`request`], [`middleware`], [`inject`]), which
//! receive exactly the state they need and know nothing of this class.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use armature_engine::files::StaticFiles;
use armature_engine::middleware::Layers;
use armature_engine::proxy::TrustProxy;
use armature_engine::{App, Batcher, Handler, Router, Server};
use napi::bindgen_prelude::{
    Array, Buffer, BufferSlice, Either, Env, Function, Object, Uint32ArraySlice,
};
use napi_derive::napi;

use crate::bridge::{self, Intake, Outlets};
use crate::error::{coded, guard, internal, CodedError};
use crate::inflight::{Inflight, Watch};
use crate::inject::{self, Injected};
use crate::js_call::{KeepAlive, Wake};
use crate::middleware::{self, Inline};
use crate::multipart::{self, PartFailure, PartInfo, SaveFrom, WholeParts};
use crate::options::ServerOptions;
use crate::request::{self, ClientInfo};
use crate::response::WholeResponse;
use crate::stream::Streams;

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
/// [`Batcher`] and are moved into `requests` by `drain`.
#[napi]
pub struct NativeServer {
    server: Option<Server>,
    /// Set for a server that takes requests through `inject`, not a socket.
    handler: Option<Handler>,
    port: u32,
    batcher: Arc<Batcher>,
    intake: Intake,
    /// Requests handed to JS and not answered yet.
    requests: Inflight,
    development: bool,
    keep_alive: Option<KeepAlive>,
    /// Native middleware that JS runs inside its own, by index.
    inline: Inline,
    /// The proxies the app trusts, for `client` and inline middleware.
    trust: Arc<TrustProxy>,
    /// The response bodies JS is streaming.
    streams: Streams,
    /// Set once `close` is called.
    closing: Arc<AtomicBool>,
}

/// What a server runs around every request, besides its routes.
pub(crate) struct AppWide {
    /// The app's native middleware and the features that are layers.
    pub(crate) layers: Layers,
    /// The `Static`s, tried in order when no route matches.
    pub(crate) statics: Vec<Arc<StaticFiles>>,
}

impl NativeServer {
    /// Sets the native middleware JS runs inside its own.
    pub(crate) fn set_inline(&mut self, inline: Inline) {
        self.inline = inline;
    }

    pub(crate) fn start(
        router: Router,
        wide: AppWide,
        options: &ServerOptions,
        wake: &Function<(), ()>,
        closed: &Function<(), ()>,
    ) -> Result<Self, CodedError> {
        let (app, trust, runtime, batcher) = Self::prepare(router, wide, options, wake)?;
        let address = options.address().map_err(coded)?;
        let keep_alive = KeepAlive::new(closed).map_err(internal)?;
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
        wide: AppWide,
        options: &ServerOptions,
        wake: &Function<(), ()>,
    ) -> Result<Self, CodedError> {
        let (app, trust, _, batcher) = Self::prepare(router, wide, options, wake)?;
        let mut native = Self::new(batcher.clone(), trust, options);
        native.handler = Some(Handler::new(app, batcher));
        Ok(native)
    }

    fn prepare(
        router: Router,
        wide: AppWide,
        options: &ServerOptions,
        wake: &Function<(), ()>,
    ) -> Result<Prepared, CodedError> {
        let mut engine_options = options.engine_options().map_err(coded)?;
        engine_options.layers = wide.layers;
        engine_options.statics = wide.statics;
        let trust = Arc::new(engine_options.trust_proxy.clone());
        let app = App::new(router, engine_options).map_err(coded)?;
        let runtime =
            crate::runtime::runtime(options.workers().map_err(coded)?).map_err(internal)?;
        let wake = Wake::new(wake).map_err(internal)?;
        let batcher = Batcher::new(move || wake.call());
        Ok((app, trust, runtime, batcher))
    }

    fn new(batcher: Arc<Batcher>, trust: Arc<TrustProxy>, options: &ServerOptions) -> Self {
        Self {
            server: None,
            handler: None,
            port: 0,
            batcher,
            intake: Intake::default(),
            requests: Inflight::default(),
            development: options.development.unwrap_or(false),
            keep_alive: None,
            inline: Inline::default(),
            trust,
            streams: Streams::default(),
            closing: Arc::default(),
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
            self.closing.store(true, Ordering::Release);
            let runtime =
                crate::runtime::runtime(None).expect("a server ran, so the runtime exists");
            runtime.spawn(async move {
                server.shutdown(grace).await;
                keep_alive.release();
            });
            Ok(())
        })
    }

    /// Takes the waiting requests into `meta` and returns the text they refer
    /// to, or `null` when none wait (the layout is `bridge::drain`'s).
    #[napi]
    pub fn drain(&mut self, meta: Uint32ArraySlice) -> Result<Option<String>, CodedError> {
        guard(|| {
            bridge::drain(
                &self.batcher,
                &mut self.intake,
                &mut self.requests,
                &mut self.streams,
                meta,
            )
        })
    }

    /// Answers requests (the layout is `bridge::respond`'s); returns the
    /// problems found in invalid answers, which were replaced by 500s.
    #[napi]
    pub fn respond(
        &mut self,
        meta: Uint32ArraySlice,
        text: Option<String>,
        buffers: Option<Array>,
    ) -> Result<Option<Vec<String>>, CodedError> {
        let outlets = Outlets {
            streams: &mut self.streams,
            batcher: &self.batcher,
            closing: &self.closing,
            development: self.development,
        };
        guard(|| bridge::respond(&mut self.requests, outlets, meta, text, buffers))
    }

    /// Takes chunks and ends of the streamed bodies, many at once; each
    /// record's kind is replaced by what became of it (the layout is
    /// `Streams::write`'s).
    #[napi]
    pub fn write(
        &mut self,
        meta: Uint32ArraySlice,
        text: Option<String>,
        buffers: Option<Array>,
    ) -> Result<(), CodedError> {
        guard(|| self.streams.write(meta, text, buffers))
    }

    /// One header's value; repeated headers are joined with `, `, and
    /// `cookie` fields with `; ` (RFC 9113 §8.2.3).
    #[napi]
    pub fn header(&self, id: i64, name: String) -> Result<Option<String>, CodedError> {
        guard(|| request::header(&self.requests, id, &name))
    }

    /// Every header as alternating lower-case names and values, in the order
    /// received.
    #[napi]
    pub fn headers(&self, id: i64) -> Result<Option<Vec<String>>, CodedError> {
        guard(|| request::headers(&self.requests, id))
    }

    /// The body as a Buffer that JS owns and may write into (a copy; later
    /// calls get an empty body). The JS layer calls this at most once.
    #[napi]
    pub fn body<'env>(
        &mut self,
        env: &'env Env,
        id: i64,
    ) -> Result<Option<BufferSlice<'env>>, CodedError> {
        guard(|| request::body(&mut self.requests, env, id))
    }

    /// Takes what has come of a streamed request body (a route with
    /// `{ stream: true }`): the chunks joined, or why it was cut; `state[0]`
    /// says where it stands (the codes are `request::pull`'s).
    #[napi]
    pub fn pull<'env>(
        &mut self,
        env: &'env Env,
        id: i64,
        state: Uint32ArraySlice,
    ) -> Result<Option<Either<BufferSlice<'env>, String>>, CodedError> {
        guard(|| request::pull(&mut self.requests, env, id, state))
    }

    /// JS is done with request `id`'s streamed body: the rest is discarded.
    #[napi]
    pub fn release(&mut self, id: i64) -> Result<(), CodedError> {
        guard(|| -> Result<_, CodedError> {
            self.requests.release(id);
            Ok(())
        })
    }

    /// The body decoded as UTF-8 (invalid sequences become U+FFFD).
    #[napi]
    pub fn text(&self, id: i64) -> Result<Option<String>, CodedError> {
        guard(|| request::text(&self.requests, id))
    }

    /// The body as a URL-encoded form: names and values alternating, in
    /// order (JS checked the content type).
    #[napi]
    pub fn form(&self, id: i64) -> Result<Option<Vec<String>>, CodedError> {
        guard(|| request::form(&self.requests, id))
    }

    /// Starts parsing request `id`'s multipart body with `options`
    /// (`MultipartOptions`); returns why its `Content-Type` is not usable,
    /// if it is not. JS checked the media type and that nothing read the
    /// body before.
    #[napi]
    pub fn multipart(
        &mut self,
        id: i64,
        options: serde_json::Value,
    ) -> Result<Option<Either<PartFailure, WholeParts>>, CodedError> {
        guard(|| multipart::start(&mut self.requests, &self.batcher, id, options))
    }

    /// The next part of request `id`'s multipart body (the rest of the
    /// current one is skipped), or why the body failed; `state[0]` says
    /// where the body stands (the codes are `multipart::next`'s).
    #[napi]
    pub fn part_next(
        &self,
        id: i64,
        state: Uint32ArraySlice,
    ) -> Result<Option<Either<PartInfo, PartFailure>>, CodedError> {
        guard(|| multipart::next(&self.requests, id, state))
    }

    /// Takes what has come of the current part: its chunks joined, or why
    /// the body failed; `state[0]` says where the part stands.
    #[napi]
    pub fn part_pull<'env>(
        &self,
        env: &'env Env,
        id: i64,
        state: Uint32ArraySlice,
    ) -> Result<Option<Either<BufferSlice<'env>, PartFailure>>, CodedError> {
        guard(|| multipart::pull(&self.requests, env, id, state))
    }

    /// Gathers the rest of the current part, after `prefix` (what JS took
    /// of it), into one Buffer: a Promise of it, or of why the body failed.
    #[napi(ts_return_type = "Promise<Buffer | PartFailure>")]
    pub fn part_gather<'env>(
        &self,
        env: &'env Env,
        id: i64,
        prefix: Option<Buffer>,
    ) -> Result<Object<'env>, CodedError> {
        let prefix = prefix.as_deref();
        guard(|| multipart::gather(&self.requests, env, id, prefix))
    }

    /// Saves the rest of the current part to `path` from an engine task,
    /// after `prefix` (what JS took of it): a Promise of the bytes written,
    /// or of why nothing was kept at `path`.
    #[napi(ts_return_type = "Promise<number | PartFailure>")]
    pub fn part_save<'env>(
        &self,
        env: &'env Env,
        id: i64,
        path: String,
        overwrite: bool,
        prefix: Option<Buffer>,
    ) -> Result<Object<'env>, CodedError> {
        let from = SaveFrom::Current(prefix.as_deref());
        guard(|| multipart::save(&self.requests, env, id, path, overwrite, from))
    }

    /// Saves part `index` of a body the engine parsed whole (`multipart`
    /// returned its parts) to `path` from an engine task: a Promise of the
    /// bytes written, or of why nothing was kept at `path`.
    #[napi(ts_return_type = "Promise<number | PartFailure>")]
    pub fn part_save_at<'env>(
        &self,
        env: &'env Env,
        id: i64,
        index: u32,
        path: String,
        overwrite: bool,
    ) -> Result<Object<'env>, CodedError> {
        let from = SaveFrom::Whole(index as usize);
        guard(|| multipart::save(&self.requests, env, id, path, overwrite, from))
    }

    /// Who sent the request, as the app's trusted proxies report it.
    #[napi]
    pub fn client(&self, id: i64) -> Result<Option<ClientInfo>, CodedError> {
        guard(|| request::client(&self.requests, &self.trust, id))
    }

    /// Watches request `id` for its `req.signal`: an [`armature_wire::Ended`],
    /// `Waiting` while it waits for its answer (`drain` reports it if it
    /// ends).
    #[napi]
    pub fn watch(&mut self, id: i64) -> Result<u32, CodedError> {
        guard(|| -> Result<_, CodedError> {
            let ended = match self.requests.watch(id) {
                Watch::Watching => armature_wire::Ended::Waiting,
                Watch::Ended(why) => bridge::ended_code(why),
                Watch::Unknown => armature_wire::Ended::Unknown,
            };
            Ok(ended.code())
        })
    }

    /// The protocol version: `1.0`, `1.1` or `2`.
    #[napi]
    pub fn http_version(&self, id: i64) -> Result<Option<&'static str>, CodedError> {
        guard(|| request::http_version(&self.requests, id))
    }

    /// Runs the request side of inline middleware `index` on request `id`;
    /// returns its answer when it answers the request itself. Does nothing
    /// for a request that was answered or has ended.
    #[napi]
    pub fn layer_before(
        &mut self,
        index: u32,
        id: i64,
    ) -> Result<Option<WholeResponse>, CodedError> {
        guard(|| {
            self.inline
                .before(&mut self.requests, &self.trust, index, id)
        })
    }

    /// Counts request `id` against the inline rate limiter `index` as client
    /// `key`; returns the 429 answer when it is over the limit.
    #[napi]
    pub fn rate_limit_hit(
        &mut self,
        index: u32,
        id: i64,
        key: String,
    ) -> Result<Option<WholeResponse>, CodedError> {
        guard(|| {
            self.inline
                .rate_limit_hit(&mut self.requests, index, id, &key)
        })
    }

    /// Runs the response side of inline middleware `index` of request `id` on
    /// a response (status, content-type code, alternating header names and
    /// values, body, and whether the body streams from JS: the layer then
    /// sees the head only) and returns the response it leaves.
    // Each part as JS holds it, rather than an object built per call.
    #[allow(clippy::too_many_arguments)]
    #[napi]
    pub fn layer_after(
        &mut self,
        index: u32,
        id: i64,
        status: u32,
        content_type: u32,
        headers: Vec<String>,
        body: Option<Either<String, Buffer>>,
        streamed: Option<bool>,
    ) -> Result<WholeResponse, CodedError> {
        guard(|| {
            middleware::after(
                &mut self.requests,
                index,
                id,
                (status, content_type),
                &headers,
                body,
                streamed == Some(true),
            )
        })
    }

    /// Sends one HTTP/1.1 request through the whole pipeline (limits,
    /// routing, handlers, errors) of a server made by `NativeApp.inProcess`.
    /// `headers` alternate names and values; `host: localhost` is added when
    /// no Host header is given. Throws `ERR_ARMATURE_INVALID_REQUEST` when the
    /// method, URL or a header is not valid HTTP.
    #[napi(ts_return_type = "Promise<WholeResponse>")]
    pub fn inject<'env>(
        &self,
        env: &'env Env,
        method: String,
        url: String,
        headers: Vec<String>,
        body: Option<Buffer>,
    ) -> Result<Object<'env>, CodedError> {
        let injected = Injected {
            method,
            url,
            headers,
            body,
        };
        guard(|| inject::inject(self.handler.as_ref(), env, injected))
    }
}
