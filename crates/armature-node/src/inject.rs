//! Requests handed in from JS instead of read from a socket: how
//! `@armature/core/testing` runs an app through the whole engine without
//! opening a port.

use std::net::{Ipv4Addr, SocketAddr};

use armature_engine::http::header::HOST;
use armature_engine::http::{HeaderName, HeaderValue, Method, Request, Version};
use armature_engine::Bytes;
use napi::bindgen_prelude::{Buffer, Env, Object};

use crate::bridge::WholeResponse;
use napi_derive::napi;

use crate::error::{guard, CodedError, INVALID_REQUEST};
use crate::server::NativeServer;

/// The client address injected requests come from.
const CLIENT: SocketAddr = SocketAddr::new(std::net::IpAddr::V4(Ipv4Addr::LOCALHOST), 0);

#[napi]
impl NativeServer {
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
        guard(|| -> Result<_, CodedError> {
            let invalid = |why: String| napi::Error::new(INVALID_REQUEST, why);
            let Some(handler) = self.handler.clone() else {
                return Err(invalid(
                    "inject needs a server made with inProcess".to_owned(),
                ));
            };
            let method = Method::from_bytes(method.as_bytes())
                .map_err(|_| invalid(format!("invalid method '{method}'")))?;
            let mut request = Request::builder()
                .method(method)
                .uri(url.as_str())
                .version(Version::HTTP_11)
                .body(body.map_or_else(Bytes::new, |body| Bytes::copy_from_slice(&body)))
                .map_err(|error| invalid(format!("invalid URL '{url}': {error}")))?;
            if headers.len() % 2 != 0 {
                return Err(invalid(
                    "headers must alternate names and values".to_owned(),
                ));
            }
            for pair in headers.chunks_exact(2) {
                let name = HeaderName::from_bytes(pair[0].as_bytes())
                    .map_err(|_| invalid(format!("invalid header name '{}'", pair[0])))?;
                let value = HeaderValue::from_str(&pair[1])
                    .map_err(|_| invalid(format!("invalid value for header '{name}'")))?;
                request.headers_mut().append(name, value);
            }
            if !request.headers().contains_key(HOST) {
                request
                    .headers_mut()
                    .insert(HOST, HeaderValue::from_static("localhost"));
            }
            let (deferred, promise) = env.create_deferred().map_err(crate::error::internal)?;
            let runtime = crate::runtime(None).map_err(crate::error::internal)?;
            runtime.spawn(async move {
                let response = handler.handle(request, CLIENT).await;
                deferred.resolve(move |_| Ok(WholeResponse::from(response)));
            });
            Ok(promise)
        })
    }
}
