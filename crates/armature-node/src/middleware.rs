//! Native middleware as JS declares them, and the ones JS runs itself: a
//! native middleware declared inside a JS middleware runs at its place in the
//! chain, on the JS thread, through `layerBefore` and `layerAfter`. Those
//! declared before any JS middleware run on the engine's threads instead.

use std::sync::Arc;

use armature_engine::http::{Request, Response};
use std::collections::HashMap;

use armature_engine::json;
use armature_engine::middleware::{ClientAddr, Flow, Layer, Layers, RateLimit};
use armature_engine::Bytes;
use napi::bindgen_prelude::{Buffer, Either};
use napi_derive::napi;

use crate::bridge::{response_parts, WholeResponse};
use crate::error::{coded, guard, CodedError};
use crate::server::NativeServer;
use crate::test_panics;

/// A native middleware as JS describes it: its kind and its options.
#[napi(object)]
pub struct MiddlewareSpec {
    /// `securityHeaders`, `requestId`, …
    pub kind: String,
    /// The options, checked by the engine.
    pub options: serde_json::Value,
    /// A rate limiter whose keys a JS function gives (`kind` is `rateLimit`).
    pub keyed_by_caller: Option<bool>,
}

pub(crate) fn build_layers(specs: Option<Vec<MiddlewareSpec>>) -> Result<Layers, CodedError> {
    specs
        .unwrap_or_default()
        .into_iter()
        .map(|spec| native_layer(spec.kind, spec.options))
        .collect::<Result<Vec<Arc<dyn Layer>>, _>>()
        .map(Layers::from)
}

fn native_layer(kind: String, options: serde_json::Value) -> Result<Arc<dyn Layer>, CodedError> {
    if kind == test_panics::KIND {
        return test_panics::layer();
    }
    json::from_json(&kind, options).map_err(coded)
}

/// The middleware JS runs inline, and among them the rate limiters whose keys
/// a JS function gives, by their index.
pub(crate) fn build_inline(
    specs: Option<Vec<MiddlewareSpec>>,
) -> Result<(Layers, HashMap<u32, Arc<RateLimit>>), CodedError> {
    let mut layers: Vec<Arc<dyn Layer>> = Vec::new();
    let mut keyed = HashMap::new();
    for (index, spec) in specs.unwrap_or_default().into_iter().enumerate() {
        if spec.keyed_by_caller == Some(true) {
            let limiter = json::rate_limit_from_json(spec.options).map_err(coded)?;
            keyed.insert(index as u32, limiter.clone());
            layers.push(limiter);
        } else {
            layers.push(native_layer(spec.kind, spec.options)?);
        }
    }
    Ok((Layers::from(layers), keyed))
}

/// Checks a native middleware's options, throwing `ERR_ARMATURE_INVALID_OPTION`
/// naming the problem; JS calls it where the middleware is made.
// napi registers exports only outside `cfg(test)`, so a test build sees no caller.
#[cfg_attr(test, allow(dead_code))]
#[napi]
pub fn check_middleware(spec: MiddlewareSpec) -> Result<(), CodedError> {
    guard(|| -> Result<_, CodedError> { build_layers(Some(vec![spec])).map(drop) })
}

fn missing() -> napi::Error {
    napi::Error::from_reason("native middleware: no such inline middleware")
}

#[napi]
impl NativeServer {
    /// Runs the request side of inline middleware `index` on request `id`;
    /// returns its answer when it answers the request itself. Does nothing
    /// for a request that was answered or has ended.
    #[napi]
    pub fn layer_before(
        &mut self,
        index: u32,
        id: i64,
    ) -> Result<Option<WholeResponse>, CodedError> {
        guard(|| -> napi::Result<_> {
            let layer = self
                .inline
                .get(index as usize)
                .cloned()
                .ok_or_else(missing)?;
            let Some(call) = self.inflight.get_mut(id) else {
                return Ok(None);
            };
            let (mut parts, ()) = Request::new(()).into_parts();
            parts.method = call.method.clone();
            parts.uri = call.uri.clone();
            parts.version = call.version;
            parts.headers = std::mem::take(&mut call.headers);
            parts
                .extensions
                .insert(ClientAddr::new(call.remote_addr, self.trust.clone()));
            let flow = layer.before(&mut parts);
            call.headers = parts.headers;
            Ok(self.settle(index, id, flow))
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
        guard(|| -> napi::Result<_> {
            let limiter = self.keyed.get(&index).cloned().ok_or_else(missing)?;
            let Some(call) = self.inflight.get(id) else {
                return Ok(None);
            };
            let path = call.uri.path().to_owned();
            let flow = limiter.check(&key, &path);
            Ok(self.settle(index, id, flow))
        })
    }

    /// Runs the response side of inline middleware `index` of request `id` on
    /// a response (status, content-type code, alternating header names and
    /// values, body) and returns the response it leaves.
    #[napi]
    pub fn layer_after(
        &mut self,
        index: u32,
        id: i64,
        status: u32,
        content_type: u32,
        headers: Vec<String>,
        body: Option<Either<String, Buffer>>,
    ) -> Result<WholeResponse, CodedError> {
        guard(|| -> napi::Result<_> {
            let pairs = headers
                .chunks_exact(2)
                .map(|pair| (pair[0].as_str(), pair[1].as_str()));
            let (status, headers) =
                response_parts(status, content_type, pairs).map_err(napi::Error::from_reason)?;
            let body = match body {
                None => Bytes::new(),
                Some(Either::A(text)) => Bytes::from(text),
                Some(Either::B(bytes)) => Bytes::copy_from_slice(&bytes),
            };
            let mut response = Response::new(body);
            *response.status_mut() = status;
            *response.headers_mut() = headers;
            if let Some(after) = self.inflight.take_after(id, index) {
                after(&mut response);
            }
            Ok(WholeResponse::from(response))
        })
    }
}

impl NativeServer {
    /// The answer of a layer that answered, or `None` after keeping its
    /// response hook for `layer_after`.
    fn settle(&mut self, index: u32, id: i64, flow: Flow) -> Option<WholeResponse> {
        match flow {
            Flow::Respond(response) => Some(WholeResponse::from(response)),
            Flow::Next(after) => {
                if let Some(after) = after {
                    self.inflight.push_after(id, index, after);
                }
                None
            }
        }
    }
}
