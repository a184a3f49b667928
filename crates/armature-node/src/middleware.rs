//! Native middleware as JS declares them, and the ones JS runs itself: a
//! native middleware declared inside a JS middleware runs at its place in the
//! chain, on the JS thread, through `layerBefore` and `layerAfter`. Those
//! declared before any JS middleware run on the engine's threads instead.

use std::collections::HashMap;
use std::sync::Arc;

use armature_engine::files::StaticFiles;
use armature_engine::http::{Request, Response};
use armature_engine::json;
use armature_engine::middleware::{ClientAddr, Flow, HeadOnly, Layer, Layers, RateLimit};
use armature_engine::proxy::TrustProxy;
use armature_engine::{Body, BoxError, Bytes, ErrorCode};
use napi::bindgen_prelude::{Buffer, Either};
use napi_derive::napi;

use crate::error::{coded, guard, thrown, CodedError};
use crate::inflight::Inflight;
use crate::response::{response_parts, WholeResponse};
use crate::{test_feature, test_panics};

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

/// What an app feature becomes in the engine.
pub(crate) enum Feature {
    /// A layer around every request, inside the app's native middleware.
    Layer(Arc<dyn Layer>),
    /// A directory served for the requests no route matches.
    Static(Arc<StaticFiles>),
}

/// Builds the app feature `spec` names: what `App.wrap` runs app-wide,
/// wherever it is declared.
pub(crate) fn build_feature(spec: &MiddlewareSpec) -> Result<Feature, CodedError> {
    match spec.kind.as_str() {
        "static" => json::static_from_json(spec.options.clone())
            .map(|files| Feature::Static(Arc::new(files)))
            .map_err(coded),
        test_feature::KIND => test_feature::layer(&spec.options).map(Feature::Layer),
        kind => Err(thrown(
            ErrorCode::InvalidOption,
            format!("unknown app feature '{kind}'"),
        )),
    }
}

/// Checks an app feature's options, throwing `ERR_ARMATURE_INVALID_OPTION`
/// naming the problem; JS calls it where the feature is made.
// napi registers exports only outside `cfg(test)`, so a test build sees no caller.
#[cfg_attr(test, allow(dead_code))]
#[napi]
pub fn check_feature(spec: MiddlewareSpec) -> Result<(), CodedError> {
    guard(|| build_feature(&spec).map(drop))
}

/// The native middleware JS runs inside its own, by index, and among them
/// the rate limiters whose keys a JS function gives.
#[derive(Default)]
pub(crate) struct Inline {
    layers: Vec<Arc<dyn Layer>>,
    keyed: HashMap<u32, Arc<RateLimit>>,
}

impl Inline {
    /// Builds them from what JS declared, in order.
    pub(crate) fn build(specs: Option<Vec<MiddlewareSpec>>) -> Result<Self, CodedError> {
        let mut inline = Self::default();
        for (index, spec) in specs.unwrap_or_default().into_iter().enumerate() {
            if spec.keyed_by_caller == Some(true) {
                let limiter = json::rate_limit_from_json(spec.options).map_err(coded)?;
                inline.keyed.insert(index as u32, limiter.clone());
                inline.layers.push(limiter);
            } else {
                inline.layers.push(native_layer(spec.kind, spec.options)?);
            }
        }
        Ok(inline)
    }

    /// Runs the request side of middleware `index` on request `id`; returns
    /// its answer when it answers the request itself. Does nothing for a
    /// request that was answered or has ended.
    pub(crate) fn before(
        &self,
        requests: &mut Inflight,
        trust: &Arc<TrustProxy>,
        index: u32,
        id: i64,
    ) -> napi::Result<Option<WholeResponse>> {
        let layer = self
            .layers
            .get(index as usize)
            .cloned()
            .ok_or_else(missing)?;
        let Some(call) = requests.get_mut(id) else {
            return Ok(None);
        };
        let (mut parts, ()) = Request::new(()).into_parts();
        parts.method = call.method.clone();
        parts.uri = call.uri.clone();
        parts.version = call.version;
        parts.headers = std::mem::take(&mut call.headers);
        parts
            .extensions
            .insert(ClientAddr::new(call.remote_addr, trust.clone()));
        let flow = layer.before(&mut parts);
        call.headers = parts.headers;
        Ok(settle(requests, index, id, flow))
    }

    /// Counts request `id` against rate limiter `index` as client `key`;
    /// returns the 429 answer when it is over the limit.
    pub(crate) fn rate_limit_hit(
        &self,
        requests: &mut Inflight,
        index: u32,
        id: i64,
        key: &str,
    ) -> napi::Result<Option<WholeResponse>> {
        let limiter = self.keyed.get(&index).cloned().ok_or_else(missing)?;
        let Some(call) = requests.get(id) else {
            return Ok(None);
        };
        let path = call.uri.path().to_owned();
        let flow = limiter.check(key, &path);
        Ok(settle(requests, index, id, flow))
    }
}

/// Runs the response side of middleware `index` of request `id` on a
/// response (status, content-type code, alternating header names and values,
/// body) and returns the response it leaves.
/// A `streamed` body stays in JS: the layer sees the head only.
pub(crate) fn after(
    requests: &mut Inflight,
    index: u32,
    id: i64,
    (status, content_type): (u32, u32),
    headers: &[String],
    body: Option<Either<String, Buffer>>,
    streamed: bool,
) -> napi::Result<WholeResponse> {
    let pairs = headers
        .chunks_exact(2)
        .map(|pair| (pair[0].as_str(), pair[1].as_str()));
    let (status, headers) =
        response_parts(status, content_type, pairs).map_err(napi::Error::from_reason)?;
    let body = match body {
        None => Body::empty(),
        Some(Either::A(text)) => Body::from(text),
        Some(Either::B(bytes)) => Body::from(Bytes::copy_from_slice(&bytes)),
    };
    let body = if streamed {
        // A stand-in, so that the layer sees a stream.
        Body::stream(futures_util::stream::empty::<Result<Bytes, BoxError>>())
    } else {
        body
    };
    let mut response = Response::new(body);
    *response.status_mut() = status;
    *response.headers_mut() = headers;
    if streamed {
        response.extensions_mut().insert(HeadOnly);
    }
    if let Some(after) = requests.take_after(id, index) {
        after(&mut response);
    }
    Ok(WholeResponse::from(response))
}

/// The answer of a layer that answered, or `None` after keeping its response
/// hook for [`after`].
fn settle(requests: &mut Inflight, index: u32, id: i64, flow: Flow) -> Option<WholeResponse> {
    match flow {
        Flow::Respond(response) => Some(WholeResponse::from(response)),
        Flow::Next(after) => {
            if let Some(after) = after {
                requests.push_after(id, index, after);
            }
            None
        }
    }
}

fn missing() -> napi::Error {
    napi::Error::from_reason("native middleware: no such inline middleware")
}

/// Checks a native middleware's options, throwing `ERR_ARMATURE_INVALID_OPTION`
/// naming the problem; JS calls it where the middleware is made.
// napi registers exports only outside `cfg(test)`, so a test build sees no caller.
#[cfg_attr(test, allow(dead_code))]
#[napi]
pub fn check_middleware(spec: MiddlewareSpec) -> Result<(), CodedError> {
    guard(|| -> Result<_, CodedError> { build_layers(Some(vec![spec])).map(drop) })
}
