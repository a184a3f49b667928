//! The route table as JS builds it: every registration is checked at once, so
//! a bad or conflicting route throws where it is declared.

use armature_engine::http::{Method, Response};
use std::sync::Arc;

use armature_engine::files::StaticFiles;
use armature_engine::json::{route_options_for, route_options_from_json};
use armature_engine::middleware::Layer;
use armature_engine::schema::SharedSchemas;
use armature_engine::{
    Bytes, Endpoint, ErrorCode, FixedResponse, Methods, RouteOptions, RouterBuilder,
};
use napi::bindgen_prelude::{Buffer, Either, Function};
use napi_derive::napi;

use crate::error::{coded, guard, thrown, CodedError};
use crate::middleware::{build_feature, build_layers, Feature, Inline, MiddlewareSpec};
use crate::options::ServerOptions;
use crate::response::response_parts;
use crate::server::{AppWide, NativeServer};

/// The native half of an `App`: its route table.
#[napi]
#[derive(Default)]
pub struct NativeApp {
    routes: RouterBuilder,
    /// App-wide native middleware, outermost first.
    layers: Vec<Arc<dyn Layer>>,
    /// App features that are layers, in their order: inside the app-wide middleware.
    features: Vec<Arc<dyn Layer>>,
    /// `Static`s, in their order.
    statics: Vec<Arc<StaticFiles>>,
    /// Schemas every route may `$ref` (`app.schema`).
    schemas: SharedSchemas,
}

/// A response fixed when the app is built.
#[napi(object)]
pub struct ConstantResponse {
    /// The status code.
    pub status: u16,
    /// A content-type code as for `respond`.
    pub content_type: u32,
    /// Alternating header names and values.
    pub headers: Vec<String>,
    /// The body.
    pub body: Either<String, Buffer>,
}

#[napi]
impl NativeApp {
    /// An empty route table.
    #[napi(constructor)]
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds native middleware around every request, inside those added before.
    #[napi]
    pub fn wrap(&mut self, spec: MiddlewareSpec) -> Result<(), CodedError> {
        guard(|| -> Result<_, CodedError> {
            self.layers
                .extend(build_layers(Some(vec![spec]))?.iter().cloned());
            Ok(())
        })
    }

    /// Adds an app feature: it runs for every request, inside the app-wide
    /// native middleware, wherever `App.wrap` declared it.
    #[napi]
    pub fn feature(&mut self, spec: MiddlewareSpec) -> Result<(), CodedError> {
        guard(|| -> Result<_, CodedError> {
            match build_feature(&spec)? {
                Feature::Layer(layer) => self.features.push(layer),
                Feature::Static(files) => self.statics.push(files),
            }
            Ok(())
        })
    }

    /// Adds a schema every route added after it may `$ref`: under `uri`, or
    /// its own `$id` when `uri` is `null`.
    #[napi]
    pub fn schema(
        &mut self,
        uri: Option<String>,
        schema: serde_json::Value,
    ) -> Result<(), CodedError> {
        guard(|| self.schemas.add(uri.as_deref(), schema).map_err(coded))
    }

    /// Routes `methods` (all when `null`) on `path` to the JS handler numbered
    /// `endpoint`, inside the native `middleware` (outermost first), with the
    /// route's `properties` (`RouteOptionsJson`); returns the path's
    /// parameter names in match order.
    #[napi]
    pub fn route(
        &mut self,
        methods: Option<Vec<String>>,
        path: String,
        endpoint: u32,
        middleware: Option<Vec<MiddlewareSpec>>,
        properties: Option<serde_json::Value>,
    ) -> Result<Vec<String>, CodedError> {
        guard(|| -> Result<_, CodedError> {
            let label = format!(
                "{} {path}",
                methods
                    .as_deref()
                    .map_or("*".to_owned(), |methods| methods.join(","))
            );
            let methods = parse_methods(methods, &path)?;
            let layers = build_layers(middleware)?;
            let options = properties
                .map_or(Ok(RouteOptions::default()), |properties| {
                    route_options_for(&label, properties, &self.schemas)
                })
                .map_err(coded)?;
            self.routes
                .route_layered(
                    &methods,
                    &path,
                    Endpoint::External(endpoint),
                    layers,
                    options,
                )
                .map_err(coded)
        })
    }

    /// Routes `methods` on `path` to a response the engine serves by itself,
    /// without calling JS, inside the native `middleware`.
    #[napi]
    pub fn fixed_route(
        &mut self,
        methods: Option<Vec<String>>,
        path: String,
        response: ConstantResponse,
        middleware: Option<Vec<MiddlewareSpec>>,
    ) -> Result<Vec<String>, CodedError> {
        guard(|| -> Result<_, CodedError> {
            let methods = parse_methods(methods, &path)?;
            let layers = build_layers(middleware)?;
            let body = match response.body {
                Either::A(text) => Bytes::from(text),
                Either::B(bytes) => Bytes::copy_from_slice(&bytes),
            };
            let headers = &response.headers;
            if headers.len() % 2 != 0 {
                return Err(thrown(
                    ErrorCode::InvalidRoute,
                    format!("the headers of the fixed response for '{path}' do not pair up"),
                ));
            }
            let pairs = headers
                .chunks_exact(2)
                .map(|pair| (pair[0].as_str(), pair[1].as_str()));
            let (status, headers) =
                response_parts(u32::from(response.status), response.content_type, pairs)
                    .map_err(|why| thrown(ErrorCode::InvalidRoute, why))?;
            let mut fixed = Response::new(body);
            *fixed.status_mut() = status;
            *fixed.headers_mut() = headers;
            self.routes
                .route_layered(
                    &methods,
                    &path,
                    Endpoint::Fixed(FixedResponse::new(fixed)),
                    layers,
                    RouteOptions::default(),
                )
                .map_err(coded)
        })
    }

    /// Starts a server with a frozen copy of this route table. `wake` is
    /// called (weakly: it does not keep Node alive) whenever requests wait in
    /// the batch; `closed` is called once the server has shut down, and its
    /// reference keeps Node alive until then. `inline_middleware` are the
    /// native middleware that JS runs inside its own, by index
    /// (`layerBefore`, `layerAfter`).
    #[napi]
    pub fn listen(
        &self,
        options: ServerOptions,
        wake: Function<(), ()>,
        closed: Function<(), ()>,
        inline_middleware: Option<Vec<MiddlewareSpec>>,
    ) -> Result<NativeServer, CodedError> {
        guard(|| -> Result<_, CodedError> {
            let wide = self.app_wide();
            let mut server =
                NativeServer::start(self.routes.clone().build(), wide, &options, &wake, &closed)?;
            server.set_inline(Inline::build(inline_middleware)?);
            Ok(server)
        })
    }

    /// Like `listen`, but without a socket: requests come through
    /// `NativeServer.inject`. The host and port of `options` are ignored.
    #[napi]
    pub fn in_process(
        &self,
        options: ServerOptions,
        wake: Function<(), ()>,
        inline_middleware: Option<Vec<MiddlewareSpec>>,
    ) -> Result<NativeServer, CodedError> {
        guard(|| -> Result<_, CodedError> {
            let wide = self.app_wide();
            let mut server =
                NativeServer::in_process(self.routes.clone().build(), wide, &options, &wake)?;
            server.set_inline(Inline::build(inline_middleware)?);
            Ok(server)
        })
    }
}

impl NativeApp {
    /// What a server runs around every request: the middleware, then the
    /// features that are layers, and the `Static`s.
    fn app_wide(&self) -> AppWide {
        AppWide {
            layers: self.layers.iter().chain(&self.features).cloned().collect(),
            statics: self.statics.clone(),
        }
    }
}

fn parse_methods(methods: Option<Vec<String>>, path: &str) -> Result<Methods, CodedError> {
    let Some(names) = methods else {
        return Ok(Methods::Any);
    };
    names
        .iter()
        .map(|name| {
            Method::from_bytes(name.to_ascii_uppercase().as_bytes()).map_err(|_| {
                thrown(
                    ErrorCode::InvalidRoute,
                    format!("invalid method '{name}' for route '{path}'"),
                )
            })
        })
        .collect::<Result<Vec<_>, _>>()
        .map(Methods::Only)
}

/// A route's properties from JS, none when absent.
fn route_options(properties: Option<serde_json::Value>) -> Result<RouteOptions, CodedError> {
    properties
        .map_or(Ok(RouteOptions::default()), route_options_from_json)
        .map_err(coded)
}

/// Checks a route property's options (`BodyLimit.new`, `Timeout.new`),
/// throwing `ERR_ARMATURE_INVALID_OPTION` naming the problem; JS calls it
/// where the property is made.
// napi registers exports only outside `cfg(test)`, so a test build sees no caller.
#[cfg_attr(test, allow(dead_code))]
#[napi]
pub fn check_route_options(properties: serde_json::Value) -> Result<(), CodedError> {
    guard(|| route_options(Some(properties)).map(drop))
}
