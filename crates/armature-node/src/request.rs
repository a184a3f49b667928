//! What a handler may read of a request, converted only when it asks.
//!
//! Each accessor takes the id `drain` gave; it returns `undefined` once the
//! request has been answered or has ended without JS (its client left, or it
//! timed out): its memory is gone then.

use armature_engine::Bytes;
use napi::bindgen_prelude::{BufferSlice, Env};
use napi_derive::napi;

use crate::error::{guard, CodedError};

use crate::server::NativeServer;

/// Bodies shorter than this are copied into a new Buffer; longer ones are
/// lent to JS without a copy, which costs a finalizer and a GC callback.
/// Measured with `wrk` POSTing bodies that a handler reads, one core: copying
/// and lending were even at 1–4 KiB; lending won in most rounds from 16 KiB
/// (64 KiB: 10.6k vs 10.4k and 11.2k vs 7.1k req/s).
const COPY_BELOW: usize = 4096;

#[napi]
impl NativeServer {
    /// One header's value; repeated headers are joined with `, `.
    #[napi]
    pub fn header(&self, id: i64, name: String) -> Result<Option<String>, CodedError> {
        guard(|| {
            let headers = &self.inflight.get(id)?.headers;
            let mut values = headers.get_all(name.as_str()).iter();
            let first = values.next()?;
            let mut joined = String::from_utf8_lossy(first.as_bytes()).into_owned();
            for value in values {
                joined.push_str(", ");
                joined.push_str(&String::from_utf8_lossy(value.as_bytes()));
            }
            Some(joined)
        })
    }

    /// Every header as alternating lower-case names and values, in the order
    /// received.
    #[napi]
    pub fn headers(&self, id: i64) -> Result<Option<Vec<String>>, CodedError> {
        guard(|| {
            let headers = &self.inflight.get(id)?.headers;
            let mut flat = Vec::with_capacity(headers.len() * 2);
            for (name, value) in headers {
                flat.push(name.as_str().to_owned());
                flat.push(String::from_utf8_lossy(value.as_bytes()).into_owned());
            }
            Some(flat)
        })
    }

    /// The body as a Buffer over the engine's own memory (copied when short).
    /// The JS layer calls this at most once per request.
    #[napi]
    pub fn body<'env>(
        &self,
        env: &'env Env,
        id: i64,
    ) -> Result<Option<BufferSlice<'env>>, CodedError> {
        guard(|| -> napi::Result<_> {
            let Some(call) = self.inflight.get(id) else {
                return Ok(None);
            };
            let body: Bytes = call.body.clone();
            if body.len() < COPY_BELOW {
                return BufferSlice::copy_from(env, &body).map(Some);
            }
            let data = body.as_ptr().cast_mut();
            let len = body.len();
            // SAFETY: `data` points into `body`, which the finalizer owns and drops
            // only when the Buffer is collected, so the memory outlives the Buffer.
            #[allow(unsafe_code)]
            unsafe {
                BufferSlice::from_external(env, data, len, body, |_, body| drop(body)).map(Some)
            }
        })
    }

    /// The body decoded as UTF-8 (invalid sequences become U+FFFD).
    #[napi]
    pub fn text(&self, id: i64) -> Result<Option<String>, CodedError> {
        guard(|| {
            let call = self.inflight.get(id)?;
            Some(String::from_utf8_lossy(&call.body).into_owned())
        })
    }

    /// The client's IP address.
    #[napi]
    pub fn remote_address(&self, id: i64) -> Result<Option<String>, CodedError> {
        guard(|| Some(self.inflight.get(id)?.remote_addr.ip().to_string()))
    }

    /// The protocol version: `1.0`, `1.1` or `2`.
    #[napi]
    pub fn http_version(&self, id: i64) -> Result<Option<&'static str>, CodedError> {
        guard(|| {
            use armature_engine::http::Version;
            Some(match self.inflight.get(id)?.version {
                Version::HTTP_09 => "0.9",
                Version::HTTP_10 => "1.0",
                Version::HTTP_2 => "2",
                Version::HTTP_3 => "3",
                _ => "1.1",
            })
        })
    }
}
