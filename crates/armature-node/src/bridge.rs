//! The one path by which the engine reaches JS and JS answers it.
//!
//! Measured on two cores (see ARCHITECTURE.md): awaiting a JS Promise from
//! Rust per request costs ~25 µs; waking JS once per batch and taking the
//! answers back in batches costs ~5 µs. So:
//! - the engine queues requests in a [`Batcher`]; its wake calls a weak
//!   ThreadsafeFunction with no payload, at most once per batch;
//! - JS then calls [`NativeServer::drain`], which returns every waiting
//!   request as one flat array;
//! - JS runs middleware and handlers, and answers any number of requests in
//!   one [`NativeServer::respond`] call per microtask flush.

use std::sync::Arc;

use armature_engine::http::header::{HeaderName, CONTENT_TYPE};
use armature_engine::http::{HeaderMap, HeaderValue, Method, Response, StatusCode};
use armature_engine::{problem, Batcher, Bytes, PROBLEM_JSON};
use napi::bindgen_prelude::{Array, BufferSlice, Env, Function, Unknown};
use napi::threadsafe_function::{ThreadsafeFunction, ThreadsafeFunctionCallMode};
use napi::{Status, ValueType};
use napi_derive::napi;

use crate::server::NativeServer;

/// A payload-free callback into JS; weak, so it never keeps Node alive.
type Wake = ThreadsafeFunction<(), (), (), Status, false, true>;
/// A payload-free callback into JS that keeps Node alive until it is dropped.
pub(crate) type KeepAlive = ThreadsafeFunction<(), (), (), Status, false, false>;

/// The smallest `inflight` table that is swept for abandoned requests.
pub(crate) const SWEEP_MIN: usize = 1024;

/// Slots per request in the array `drain` returns, before the parameters.
const DRAIN_SLOTS: u32 = 3;
/// Slots per answer in the array `respond` takes.
const RESPOND_SLOTS: u32 = 5;

/// Methods JS receives as small numbers; others come as strings.
const METHODS: [Method; 7] = [
    Method::GET,
    Method::HEAD,
    Method::POST,
    Method::PUT,
    Method::DELETE,
    Method::PATCH,
    Method::OPTIONS,
];

/// `content-type` values JS selects by number, so the common ones never
/// cross the boundary as strings. Index 0 sets none.
const CONTENT_TYPES: [Option<HeaderValue>; 6] = [
    None,
    Some(HeaderValue::from_static("text/plain; charset=utf-8")),
    Some(HeaderValue::from_static("application/json")),
    Some(HeaderValue::from_static("application/octet-stream")),
    Some(HeaderValue::from_static("text/html; charset=utf-8")),
    Some(PROBLEM_JSON),
];

/// A batcher whose wake calls `wake` on the JS thread.
pub(crate) fn batcher(wake: &Function<(), ()>) -> napi::Result<Arc<Batcher>> {
    let wake: Wake = wake
        .build_threadsafe_function::<()>()
        .callee_handled::<false>()
        .weak::<true>()
        .build()?;
    Ok(Batcher::new(move || {
        wake.call((), ThreadsafeFunctionCallMode::NonBlocking);
    }))
}

/// A reference to `closed` that holds the Node event loop open.
pub(crate) fn keep_alive(closed: &Function<(), ()>) -> napi::Result<KeepAlive> {
    closed
        .build_threadsafe_function::<()>()
        .callee_handled::<false>()
        .weak::<false>()
        .build()
}

/// A response body as JS hands it over.
pub(crate) enum ResponseBody {
    Empty,
    Text(String),
    Bytes(Vec<u8>),
}

impl ResponseBody {
    pub(crate) fn into_bytes(self) -> Bytes {
        match self {
            Self::Empty => Bytes::new(),
            Self::Text(text) => Bytes::from(text),
            Self::Bytes(bytes) => Bytes::from(bytes),
        }
    }
}

/// Checks and converts a status, a content-type code and alternating header
/// names and values; the error names what is wrong.
pub(crate) fn response_parts(
    status: u16,
    content_type: u32,
    headers: &[String],
) -> Result<(StatusCode, HeaderMap), String> {
    let status = StatusCode::from_u16(status)
        .ok()
        .filter(|s| s.as_u16() >= 200)
        .ok_or_else(|| format!("invalid status {status}: use 200 to 999"))?;
    let mut map = HeaderMap::with_capacity(headers.len() / 2 + 1);
    if let Some(Some(value)) = CONTENT_TYPES.get(content_type as usize) {
        map.insert(CONTENT_TYPE, value.clone());
    }
    for pair in headers.chunks(2) {
        let [name, value] = pair else {
            return Err(format!("header '{}' has no value", pair[0]));
        };
        let name = HeaderName::from_bytes(name.as_bytes())
            .map_err(|_| format!("invalid header name '{name}'"))?;
        let value = HeaderValue::from_str(value)
            .map_err(|_| format!("invalid value for header '{name}'"))?;
        map.append(name, value);
    }
    Ok((status, map))
}

#[napi]
impl NativeServer {
    /// Takes every waiting request. For each, the array holds its id, its
    /// endpoint, its method (a number indexing `GET HEAD POST PUT DELETE
    /// PATCH OPTIONS`, or the name) and then its parameter values, as many as
    /// the endpoint's route has names.
    #[napi]
    pub fn drain<'env>(&mut self, env: &'env Env) -> napi::Result<Array<'env>> {
        self.batcher.drain(&mut self.incoming);
        let mut batch = env.create_array(0)?;
        let mut slot = 0;
        for mut call in self.incoming.drain(..) {
            let params = std::mem::take(&mut call.params);
            let endpoint = call.endpoint;
            let method = METHODS.iter().position(|m| *m == call.method);
            let id = self.inflight.insert(call);
            batch.set(slot, id as u32)?;
            batch.set(slot + 1, endpoint)?;
            match method {
                Some(code) => batch.set(slot + 2, code as u32)?,
                None => batch.set(slot + 2, self.inflight[id].method.as_str())?,
            }
            slot += DRAIN_SLOTS;
            for value in params {
                batch.set(slot, value)?;
                slot += 1;
            }
        }
        if self.inflight.len() >= self.sweep_at {
            self.sweep();
        }
        Ok(batch)
    }

    /// Answers requests. `batch` holds, per answer, five slots: the request
    /// id, the status, a content-type code (0 none, 1 text, 2 JSON, 3 bytes,
    /// 4 HTML, 5 problem JSON), alternating header names and values (or
    /// `undefined`), and the body (a string, a Buffer or `undefined`).
    /// Answers for finished requests are ignored. Returns the problems found
    /// in invalid answers, which were replaced by 500 responses.
    #[napi]
    pub fn respond(&mut self, batch: Array) -> napi::Result<Option<Vec<String>>> {
        let mut problems = None;
        let mut slot = 0;
        while slot + RESPOND_SLOTS <= batch.len() {
            let id = batch.get::<u32>(slot)?.unwrap_or(u32::MAX) as usize;
            let status = batch.get::<u32>(slot + 1)?.unwrap_or(0);
            let content_type = batch.get::<u32>(slot + 2)?.unwrap_or(0);
            let headers = batch.get::<Option<Vec<String>>>(slot + 3)?.flatten();
            let body = read_body(&batch, slot + 4)?;
            slot += RESPOND_SLOTS;
            let Some(call) = self.inflight.try_remove(id) else {
                continue;
            };
            let status = u16::try_from(status).unwrap_or(0);
            let response =
                match response_parts(status, content_type, headers.as_deref().unwrap_or(&[])) {
                    Ok((status, headers)) => {
                        let mut response = Response::new(body.into_bytes());
                        *response.status_mut() = status;
                        *response.headers_mut() = headers;
                        response
                    }
                    Err(why) => {
                        let detail = self.development.then_some(why.as_str());
                        let response =
                            problem(StatusCode::INTERNAL_SERVER_ERROR, detail, call.uri.path());
                        problems.get_or_insert_with(Vec::new).push(format!(
                            "invalid response to {} {}: {why}",
                            call.method,
                            call.uri.path()
                        ));
                        response
                    }
                };
            call.respond(response);
        }
        Ok(problems)
    }
}

impl NativeServer {
    /// Releases the memory of requests nobody waits for any more (timed out,
    /// or the client left) while keeping their ids reserved, so a handler
    /// still holding one never reads another request.
    fn sweep(&mut self) {
        for (_, call) in self.inflight.iter_mut() {
            if call.is_abandoned() {
                call.headers = HeaderMap::new();
                call.body = Bytes::new();
            }
        }
        self.sweep_at = (self.inflight.len() * 2).max(SWEEP_MIN);
    }
}

fn read_body(batch: &Array, slot: u32) -> napi::Result<ResponseBody> {
    let Some(value) = batch.get::<Unknown>(slot)? else {
        return Ok(ResponseBody::Empty);
    };
    // SAFETY: each cast below follows the `get_type` check for its type.
    #[allow(unsafe_code)]
    unsafe {
        match value.get_type()? {
            ValueType::String => Ok(ResponseBody::Text(value.cast::<String>()?)),
            ValueType::Object => Ok(ResponseBody::Bytes(value.cast::<BufferSlice>()?.to_vec())),
            _ => Ok(ResponseBody::Empty),
        }
    }
}
