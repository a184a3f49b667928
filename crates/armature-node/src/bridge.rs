//! Requests to JS and answers back, in batches.
//!
//! Measured on two cores (see ARCHITECTURE.md): awaiting a JS Promise from
//! Rust per request costs ~25 µs; waking JS once per batch and taking the
//! answers back in batches costs ~5 µs. So:
//! - the engine queues requests in a [`Batcher`]; its wake
//!   ([`crate::js_call::Wake`]) calls JS with no payload, at most once per
//!   batch;
//! - JS then calls `drain` ([`drain`]), which returns every waiting request
//!   as one flat array;
//! - JS runs middleware and handlers, and answers any number of requests in
//!   one `respond` ([`respond`]) call per microtask flush.

use std::sync::atomic::AtomicBool;
use std::sync::Arc;

use armature_engine::http::header::CONTENT_LENGTH;
use armature_engine::http::{HeaderMap, Method, Response, StatusCode};
use armature_engine::{problem, Batcher, Body, Bytes, Call, Ended, News};
use napi::bindgen_prelude::{Array, BufferSlice, Uint32ArraySlice};

use crate::inflight::Inflight;
use crate::response::response_parts;
use crate::stream::Streams;
use crate::text::{utf16_len, Pieces};

/// Slots at the start of the `drain` array: the record count, whether more
/// wait than fitted, and the counts of the aborted, room and readable records
/// that follow.
const DRAIN_HEADER: usize = 5;
/// Slots of a room or readable record: the id, low and high 32 bits.
const ROOM_RECORD: usize = 2;
/// Slots of an aborted record: the id's low and high 32 bits and why
/// ([`ended_code`]).
const ABORTED_RECORD: usize = 3;
/// Slots of a `drain` record before its parameter lengths: the id's low and
/// high 32 bits, endpoint, method code and URL length.
const DRAIN_RECORD: usize = 5;
/// Slots of a `respond` record before its header lengths: the id's low and
/// high 32 bits, status, content-type code, header count, body kind and body
/// length or index.
const RESPOND_RECORD: usize = 7;

/// The method code of a method JS reads by name, from the text blob.
const CUSTOM_METHOD: u32 = 255;
/// Methods JS receives as small numbers; others come by name.
const METHODS: [Method; 7] = [
    Method::GET,
    Method::HEAD,
    Method::POST,
    Method::PUT,
    Method::DELETE,
    Method::PATCH,
    Method::OPTIONS,
];

/// Body kinds in a `respond` record.
const BODY_NONE: u32 = 0;
const BODY_TEXT: u32 = 1;
const BODY_BUFFER: u32 = 2;
/// A body JS streams: its chunks come through `write`.
const BODY_STREAM: u32 = 3;

/// Reused buffers of `drain`: the calls taken from the batcher and not yet
/// handed to JS, and the batcher's news.
#[derive(Default)]
pub(crate) struct Intake {
    incoming: Vec<Call>,
    news: News,
    /// Watched requests that ended, and streams the engine closed, for JS
    /// to abort their signals and cancel their sources.
    aborted: Vec<(u64, Ended)>,
}

/// How JS learns why a request ended: 1 the client went away, 2 it timed
/// out, 3 the server closed.
pub(crate) fn ended_code(why: Ended) -> u32 {
    match why {
        Ended::ClientGone => 1,
        Ended::Timeout => 2,
        Ended::Shutdown => 3,
    }
}

/// What `respond` needs to open the streams JS will write.
pub(crate) struct Outlets<'a> {
    pub(crate) streams: &'a mut Streams,
    pub(crate) batcher: &'a Arc<Batcher>,
    pub(crate) closing: &'a Arc<AtomicBool>,
    /// Show why an answer was invalid in its 500 (NODE_ENV=development).
    pub(crate) development: bool,
}

/// The `Content-Length` a streamed answer promises, if it gives one.
fn content_length(headers: &HeaderMap) -> Option<u64> {
    headers
        .get(CONTENT_LENGTH)?
        .to_str()
        .ok()?
        .trim()
        .parse()
        .ok()
}

/// Takes the waiting requests into `meta` and returns the text they refer
/// to, or `None` when none wait.
///
/// `meta[0]` is the number of records, `meta[1]` is 1 when more requests
/// (or aborts) wait than fitted, and `meta[2]` the number of aborted records
/// that come first: the id's low and high 32 bits and why it ended
/// ([`ended_code`]), for the requests whose signal JS watches. Each request
/// record is: the id (a number below
/// 2^53) as its low and high 32 bits, endpoint, method code
/// (an index into `GET HEAD POST PUT DELETE PATCH OPTIONS`, or 255), the
/// URL's length, the length of each path parameter (as many as the
/// endpoint's route has names) and, for method 255, the method's length.
/// The returned text holds, per record, the URL, the parameters and the
/// method name when 255, in that order. Lengths are UTF-16 code units.
pub(crate) fn drain(
    batcher: &Arc<Batcher>,
    intake: &mut Intake,
    requests: &mut Inflight,
    streams: &mut Streams,
    mut meta: Uint32ArraySlice,
) -> napi::Result<Option<String>> {
    // SAFETY: JS waits for this call to return, so nothing else touches `meta`.
    #[allow(unsafe_code)]
    let meta = unsafe { meta.as_mut() };
    if meta.len() < DRAIN_HEADER + DRAIN_RECORD {
        return Err(napi::Error::from_reason("drain: the array is too short"));
    }
    let Intake {
        incoming,
        news,
        aborted,
    } = intake;
    batcher.drain(incoming, news);
    let News {
        ended,
        room,
        readable,
    } = news;
    // A stream the engine closed is always told: JS must cancel its source.
    ended.retain(|&(id, why)| {
        !(streams.close(id) && {
            aborted.push((id, why));
            true
        })
    });
    requests.end(ended.drain(..), aborted);
    let mut space = meta.len() - DRAIN_HEADER - DRAIN_RECORD;
    let aborts = aborted.len().min(space / ABORTED_RECORD);
    space -= aborts * ABORTED_RECORD;
    let rooms = room.len().min(space / ROOM_RECORD);
    space -= rooms * ROOM_RECORD;
    let readables = readable.len().min(space / ROOM_RECORD);
    let mut slot = DRAIN_HEADER;
    for (id, why) in aborted.drain(..aborts) {
        meta[slot] = id as u32;
        meta[slot + 1] = (id >> 32) as u32;
        meta[slot + 2] = ended_code(why);
        slot += ABORTED_RECORD;
    }
    for id in room.drain(..rooms).chain(readable.drain(..readables)) {
        meta[slot] = id as u32;
        meta[slot + 1] = (id >> 32) as u32;
        slot += ROOM_RECORD;
    }
    let mut fits = 0;
    let mut end = slot;
    for call in incoming.iter() {
        let custom = usize::from(!METHODS.contains(&call.method));
        let need = DRAIN_RECORD + call.params.len() + custom;
        if end + need > meta.len() {
            break;
        }
        end += need;
        fits += 1;
    }
    let mut text = String::new();
    let mut count = 0;
    for mut call in incoming.drain(..fits) {
        let params = std::mem::take(&mut call.params);
        let method = METHODS.iter().position(|m| *m == call.method);
        let endpoint = call.endpoint;
        let Some((id, call)) = requests.admit(call, batcher) else {
            continue;
        };
        let url = call
            .uri
            .path_and_query()
            .map_or_else(|| call.uri.path(), |pq| pq.as_str());
        meta[slot] = id as u32;
        meta[slot + 1] = (id >> 32) as u32;
        meta[slot + 2] = endpoint;
        meta[slot + 3] = method.map_or(CUSTOM_METHOD, |code| code as u32);
        meta[slot + 4] = utf16_len(url);
        text.push_str(url);
        slot += DRAIN_RECORD;
        for value in &params {
            meta[slot] = utf16_len(value);
            text.push_str(value);
            slot += 1;
        }
        if method.is_none() {
            meta[slot] = utf16_len(call.method.as_str());
            text.push_str(call.method.as_str());
            slot += 1;
        }
        count += 1;
    }
    meta[0] = count;
    let more = [aborted.is_empty(), room.is_empty(), readable.is_empty()];
    meta[1] = u32::from(!incoming.is_empty() || more.contains(&false));
    meta[2] = aborts as u32;
    meta[3] = rooms as u32;
    meta[4] = readables as u32;
    Ok((fits > 0 || aborts > 0 || rooms > 0 || readables > 0).then_some(text))
}

/// Answers requests. `meta[0]` is the number of records; each is: the
/// request id's low and high 32 bits, the status, a content-type code (0 none, 1 text, 2 JSON,
/// 3 bytes, 4 HTML, 5 problem JSON), the header count, the body kind (0
/// none, 1 text, 2 a Buffer of `buffers`), the body's length (text) or
/// index (Buffer), then a name length and a value length per header.
/// `text` holds, per record, its header names and values and then its
/// text body. Lengths are UTF-16 code units.
///
/// Answers for finished requests are ignored. Returns the problems found
/// in invalid answers, which were replaced by 500 responses (with details
/// when `development`).
pub(crate) fn respond(
    requests: &mut Inflight,
    outlets: Outlets<'_>,
    meta: Uint32ArraySlice,
    text: Option<String>,
    buffers: Option<Array>,
) -> napi::Result<Option<Vec<String>>> {
    // Text bodies become slices of this one allocation: no copy per body.
    let shared = Bytes::from(text.unwrap_or_default());
    let text = std::str::from_utf8(&shared).expect("it was a String");
    let mut pieces = Pieces::new(text);
    let count = meta.first().copied().unwrap_or(0) as usize;
    let mut problems = None;
    let mut slot = 1;
    let mut headers = Vec::new();
    for _ in 0..count {
        let record = meta
            .get(slot..slot + RESPOND_RECORD)
            .ok_or_else(|| napi::Error::from_reason("respond: a record is cut short"))?;
        let [low, high, status, content_type, header_count, body_kind, body] = record else {
            unreachable!("the record has RESPOND_RECORD slots");
        };
        slot += RESPOND_RECORD;
        let lengths = meta
            .get(slot..slot + 2 * *header_count as usize)
            .ok_or_else(|| napi::Error::from_reason("respond: header lengths are cut short"))?;
        slot += lengths.len();
        headers.clear();
        for pair in lengths.chunks_exact(2) {
            headers.push((pieces.str(pair[0])?, pieces.str(pair[1])?));
        }
        let id = u64::from(*high) << 32 | u64::from(*low);
        let body = match *body_kind {
            BODY_NONE | BODY_STREAM => Bytes::new(),
            BODY_TEXT => shared.slice(pieces.next(*body)?),
            BODY_BUFFER => {
                let buffer = buffers
                    .as_ref()
                    .and_then(|buffers| buffers.get::<BufferSlice>(*body).transpose())
                    .ok_or_else(|| napi::Error::from_reason("respond: a Buffer is missing"))??;
                Bytes::copy_from_slice(&buffer)
            }
            other => {
                return Err(napi::Error::from_reason(format!(
                    "respond: unknown body kind {other}"
                )))
            }
        };
        let Some(call) = requests.answer(id) else {
            continue;
        };
        let response = match response_parts(*status, *content_type, headers.drain(..)) {
            Ok((status, headers)) => {
                let body = if *body_kind == BODY_STREAM {
                    let streamed = outlets.streams.open(id, outlets.batcher, outlets.closing);
                    match content_length(&headers) {
                        Some(length) => streamed.exact_length(length),
                        None => streamed,
                    }
                } else {
                    Body::from(body)
                };
                let mut response = Response::new(body);
                *response.status_mut() = status;
                *response.headers_mut() = headers;
                response
            }
            Err(why) => {
                let detail = outlets.development.then_some(why.as_str());
                problems.get_or_insert_with(Vec::new).push(format!(
                    "invalid response to {} {}: {why}",
                    call.method,
                    call.uri.path()
                ));
                problem(StatusCode::INTERNAL_SERVER_ERROR, detail, call.uri.path())
            }
        };
        call.respond(response);
    }
    Ok(problems)
}
