//! Requests handed in from JS instead of read from a socket: how
//! `@armature/core/testing` runs an app through the whole engine without
//! opening a port.

use std::net::{Ipv4Addr, SocketAddr};

use armature_engine::http::header::HOST;
use armature_engine::http::{HeaderName, HeaderValue, Method, Request, Response, Version};
use armature_engine::{Bytes, ErrorCode, Handler};
use napi::bindgen_prelude::{Buffer, Env, Object};

use crate::error::{internal, thrown, CodedError};
use crate::js_call::Promised;
use crate::response::WholeResponse;

/// The client address injected requests come from.
const CLIENT: SocketAddr = SocketAddr::new(std::net::IpAddr::V4(Ipv4Addr::LOCALHOST), 0);

/// A request as JS hands it in: method, URL, alternating header names and
/// values, and the body.
pub(crate) struct Injected {
    pub(crate) method: String,
    pub(crate) url: String,
    pub(crate) headers: Vec<String>,
    pub(crate) body: Option<Buffer>,
}

/// Sends one HTTP/1.1 request through `handler`'s whole pipeline; the
/// promise resolves to its response. `host: localhost` is added when no Host
/// header is given. Throws `ERR_ARMATURE_INVALID_REQUEST` when the method,
/// URL or a header is not valid HTTP.
pub(crate) fn inject<'env>(
    handler: Option<&Handler>,
    env: &'env Env,
    injected: Injected,
) -> Result<Object<'env>, CodedError> {
    let invalid = |why: String| thrown(ErrorCode::InvalidRequest, why);
    let Some(handler) = handler.cloned() else {
        return Err(invalid(
            "inject needs a server made with inProcess".to_owned(),
        ));
    };
    let Injected {
        method,
        url,
        headers,
        body,
    } = injected;
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
    let (answer, promise) = Promised::new(env).map_err(internal)?;
    let runtime = crate::runtime::runtime(None).map_err(internal)?;
    runtime.spawn(async move {
        let (head, body) = handler.handle(request, CLIENT).await.into_parts();
        // A streamed body is collected; one that fails is reported as such.
        let (body, failed) = match body.collect().await {
            Ok(body) => (body, None),
            Err(error) => (Bytes::new(), Some(error.to_string())),
        };
        let mut whole = WholeResponse::from(Response::from_parts(head, body.into()));
        whole.stream_error = failed;
        answer.resolve(whole);
    });
    Ok(promise)
}
