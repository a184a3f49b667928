//! What a handler may read of a request, converted only when it asks.
//!
//! Each accessor takes the id `drain` gave; it returns `undefined` once the
//! request has been answered or has ended without JS (its client left, or it
//! timed out): its memory is gone then.

use armature_engine::http::Version;
use armature_engine::proxy::TrustProxy;
use armature_wire::PullState;
use napi::bindgen_prelude::{BufferSlice, Either, Env, Uint32ArraySlice};
use napi_derive::napi;

use crate::inflight::Inflight;

/// Who sent a request: `req.ip`, `req.ips`, `req.protocol`, `req.hostname`.
#[napi(object)]
pub struct ClientInfo {
    /// The client's address.
    pub ip: String,
    /// The addresses from the client to the nearest proxy, client first.
    pub ips: Vec<String>,
    /// `http` or `https`.
    pub protocol: String,
    /// The host asked for, without a port.
    pub hostname: Option<String>,
}

/// One header's value; repeated headers are joined with `, `, and `cookie`
/// fields with `; `, as HTTP/2 clients may send each cookie as a field of its
/// own (RFC 9113 §8.2.3).
pub(crate) fn header(requests: &Inflight, id: i64, name: &str) -> Option<String> {
    let headers = &requests.get(id)?.headers;
    let mut values = headers.get_all(name).iter();
    let first = values.next()?;
    let separator = if name.eq_ignore_ascii_case("cookie") {
        "; "
    } else {
        ", "
    };
    let mut joined = String::from_utf8_lossy(first.as_bytes()).into_owned();
    for value in values {
        joined.push_str(separator);
        joined.push_str(&String::from_utf8_lossy(value.as_bytes()));
    }
    Some(joined)
}

/// Every header as alternating lower-case names and values, in the order
/// received.
pub(crate) fn headers(requests: &Inflight, id: i64) -> Option<Vec<String>> {
    let headers = &requests.get(id)?.headers;
    let mut flat = Vec::with_capacity(headers.len() * 2);
    for (name, value) in headers {
        flat.push(name.as_str().to_owned());
        flat.push(String::from_utf8_lossy(value.as_bytes()).into_owned());
    }
    Some(flat)
}

/// The body as a Buffer that JS owns and may write into: a copy in V8's
/// memory, and the engine drops its own at once (later calls get an empty
/// body). Lending the engine's bytes instead would let JS write into memory
/// Rust still reads, or that hyper shares with other requests. Handing over
/// a body nothing shares, without a copy, measured no faster: 64 KiB uploads
/// read through `req.body`, one core, five interleaved rounds: 20.6k req/s
/// and 47.8 µs of CPU per request copied, 19.2k and 51.8 µs handed over (p99
/// 6.0 against 13.7 ms: external memory makes V8's collector work harder).
pub(crate) fn body<'env>(
    requests: &mut Inflight,
    env: &'env Env,
    id: i64,
) -> napi::Result<Option<BufferSlice<'env>>> {
    let Some(call) = requests.get_mut(id) else {
        return Ok(None);
    };
    let body = std::mem::take(&mut call.body);
    BufferSlice::copy_from(env, &body).map(Some)
}

/// Takes what has come of request `id`'s streamed body: the chunks joined
/// into one Buffer JS owns (a copy, as for `body`), or why the body was cut.
/// `state[0]` says where the body stands ([`PullState`]).
pub(crate) fn pull<'env>(
    requests: &mut Inflight,
    env: &'env Env,
    id: i64,
    mut state: Uint32ArraySlice,
) -> napi::Result<Option<Either<BufferSlice<'env>, String>>> {
    // SAFETY: JS waits for this call to return, so nothing else touches `state`.
    #[allow(unsafe_code)]
    let state = unsafe { state.as_mut() };
    let Some(taken) = requests.pull(id) else {
        state[0] = PullState::Unknown.code();
        return Ok(None);
    };
    let (code, cut) = match taken.end {
        None => (PullState::More, None),
        Some(Ok(())) => (PullState::Ended, None),
        Some(Err(why)) => (PullState::Cut, Some(why)),
    };
    state[0] = code.code();
    if let Some(why) = cut {
        return Ok(Some(Either::B(why)));
    }
    let chunk = match taken.chunks.as_slice() {
        [] => return Ok(None),
        [one] => BufferSlice::copy_from(env, one)?,
        many => BufferSlice::copy_from(env, many.concat())?,
    };
    Ok(Some(Either::A(chunk)))
}

/// The body decoded as UTF-8 (invalid sequences become U+FFFD).
pub(crate) fn text(requests: &Inflight, id: i64) -> Option<String> {
    let call = requests.get(id)?;
    Some(String::from_utf8_lossy(&call.body).into_owned())
}

/// The body as a URL-encoded form: names and values alternating, in order.
pub(crate) fn form(requests: &Inflight, id: i64) -> Option<Vec<String>> {
    let call = requests.get(id)?;
    let pairs = armature_engine::forms::url_encoded(&call.body);
    Some(
        pairs
            .into_iter()
            .flat_map(|(name, value)| [name, value])
            .collect(),
    )
}

/// Who sent the request, as the app's trusted proxies report it.
pub(crate) fn client(requests: &Inflight, trust: &TrustProxy, id: i64) -> Option<ClientInfo> {
    let call = requests.get(id)?;
    let authority = call.uri.authority().map(|authority| authority.as_str());
    let client = trust.client(call.remote_addr, &call.headers, authority);
    Some(ClientInfo {
        ip: client.ip.to_string(),
        ips: client.ips.iter().map(ToString::to_string).collect(),
        protocol: client.protocol.to_owned(),
        hostname: client.hostname,
    })
}

/// The protocol version: `1.0`, `1.1` or `2`.
pub(crate) fn http_version(requests: &Inflight, id: i64) -> Option<&'static str> {
    Some(match requests.get(id)?.version {
        Version::HTTP_09 => "0.9",
        Version::HTTP_10 => "1.0",
        Version::HTTP_2 => "2",
        Version::HTTP_3 => "3",
        _ => "1.1",
    })
}
