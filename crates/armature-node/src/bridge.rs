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

use armature_engine::files::FileAnswer;
use armature_engine::http::header::CONTENT_LENGTH;
use armature_engine::http::{HeaderMap, Response, StatusCode};
use armature_engine::json::FileOptions;
use armature_engine::{problem, Batcher, Body, Bytes, Call, Ended, News};
use armature_wire::{
    method_code, read_id, write_id, Aborted, Batch, BodyKind, DrainHeader, DrainRecord,
    RespondRecord, Room, CUSTOM_METHOD,
};
use napi::bindgen_prelude::{Array, BufferSlice, Uint32ArraySlice};

use crate::inflight::Inflight;
use crate::response::response_parts;
use crate::stream::Streams;
use crate::text::{utf16_len, Pieces};

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

/// How JS learns why a request ended.
pub(crate) fn ended_code(why: Ended) -> armature_wire::Ended {
    match why {
        Ended::ClientGone => armature_wire::Ended::ClientGone,
        Ended::Timeout => armature_wire::Ended::Timeout,
        Ended::Shutdown => armature_wire::Ended::Shutdown,
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
/// to, or `None` when none wait: a [`DrainHeader`], then the [`Aborted`]
/// records of the requests whose signal JS watches and of the streams the
/// engine closed, the [`Room`] records of streams with room and of request
/// bodies with chunks, and the [`DrainRecord`]s.
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
    if meta.len() < DrainHeader::SIZE + DrainRecord::SIZE {
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
    let mut space = meta.len() - DrainHeader::SIZE - DrainRecord::SIZE;
    let aborts = aborted.len().min(space / Aborted::SIZE);
    space -= aborts * Aborted::SIZE;
    let rooms = room.len().min(space / Room::SIZE);
    space -= rooms * Room::SIZE;
    let readables = readable.len().min(space / Room::SIZE);
    let mut slot = DrainHeader::SIZE;
    for (id, why) in aborted.drain(..aborts) {
        write_id(meta, slot + Aborted::ID, id);
        meta[slot + Aborted::WHY] = ended_code(why).code();
        slot += Aborted::SIZE;
    }
    for id in room.drain(..rooms).chain(readable.drain(..readables)) {
        write_id(meta, slot + Room::ID, id);
        slot += Room::SIZE;
    }
    let mut fits = 0;
    let mut end = slot;
    for call in incoming.iter() {
        let custom = usize::from(method_code(&call.method) == CUSTOM_METHOD);
        let need = DrainRecord::SIZE + call.params.len() + custom;
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
        let method = method_code(&call.method);
        let endpoint = call.endpoint;
        let Some((id, call)) = requests.admit(call, batcher) else {
            continue;
        };
        let url = call
            .uri
            .path_and_query()
            .map_or_else(|| call.uri.path(), |pq| pq.as_str());
        write_id(meta, slot + DrainRecord::ID, id);
        meta[slot + DrainRecord::ENDPOINT] = endpoint;
        meta[slot + DrainRecord::METHOD] = method;
        meta[slot + DrainRecord::URL_LENGTH] = utf16_len(url);
        text.push_str(url);
        slot += DrainRecord::SIZE;
        for value in &params {
            meta[slot] = utf16_len(value);
            text.push_str(value);
            slot += 1;
        }
        if method == CUSTOM_METHOD {
            meta[slot] = utf16_len(call.method.as_str());
            text.push_str(call.method.as_str());
            slot += 1;
        }
        count += 1;
    }
    meta[DrainHeader::COUNT] = count;
    let more = [aborted.is_empty(), room.is_empty(), readable.is_empty()];
    meta[DrainHeader::MORE] = u32::from(!incoming.is_empty() || more.contains(&false));
    meta[DrainHeader::ABORTED] = aborts as u32;
    meta[DrainHeader::ROOMS] = rooms as u32;
    meta[DrainHeader::READABLES] = readables as u32;
    Ok((fits > 0 || aborts > 0 || rooms > 0 || readables > 0).then_some(text))
}

/// Answers requests: `meta` is a [`Batch`] of [`RespondRecord`]s.
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
    let count = meta.get(Batch::COUNT).copied().unwrap_or(0) as usize;
    let mut problems = None;
    let mut slot = Batch::RECORDS;
    let mut headers = Vec::new();
    for _ in 0..count {
        let record = meta
            .get(slot..slot + RespondRecord::SIZE)
            .ok_or_else(|| napi::Error::from_reason("respond: a record is cut short"))?;
        let id = read_id(record, RespondRecord::ID);
        let status = record[RespondRecord::STATUS];
        let content_type = record[RespondRecord::CONTENT_TYPE];
        let header_count = record[RespondRecord::HEADER_COUNT];
        let body_kind = BodyKind::from_code(record[RespondRecord::BODY_KIND]);
        let body = record[RespondRecord::BODY];
        slot += RespondRecord::SIZE;
        let lengths = meta
            .get(slot..slot + 2 * header_count as usize)
            .ok_or_else(|| napi::Error::from_reason("respond: header lengths are cut short"))?;
        slot += lengths.len();
        headers.clear();
        for pair in lengths.chunks_exact(2) {
            headers.push((pieces.str(pair[0])?, pieces.str(pair[1])?));
        }
        let body = match body_kind {
            Some(BodyKind::None | BodyKind::Stream) => Bytes::new(),
            Some(BodyKind::Text | BodyKind::File) => shared.slice(pieces.next(body)?),
            Some(BodyKind::Buffer) => {
                let buffer = buffers
                    .as_ref()
                    .and_then(|buffers| buffers.get::<BufferSlice>(body).transpose())
                    .ok_or_else(|| napi::Error::from_reason("respond: a Buffer is missing"))??;
                Bytes::copy_from_slice(&buffer)
            }
            _ => {
                return Err(napi::Error::from_reason(format!(
                    "respond: unknown body kind {}",
                    record[RespondRecord::BODY_KIND]
                )))
            }
        };
        let Some(call) = requests.answer(id) else {
            continue;
        };
        let (file, refused) = match body_kind {
            Some(BodyKind::File) => match file_answer(&body, &call) {
                Ok(file) => (Some(file), None),
                Err(why) => (None, Some(why)),
            },
            _ => (None, None),
        };
        let parts = match refused {
            Some(why) => Err(why),
            None => response_parts(status, content_type, headers.drain(..)),
        };
        let response = match parts {
            Ok((status, headers)) => {
                let body = if body_kind == Some(BodyKind::Stream) {
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
                if let Some(file) = file {
                    // The engine sends it once the answer is back (`files::deliver`).
                    response.extensions_mut().insert(file);
                }
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

/// The file an `HttpResponse.file` answer names (its path and options as
/// JSON), for the request it answers.
fn file_answer(spec: &[u8], call: &Call) -> Result<FileAnswer, String> {
    let options: FileOptions = serde_json::from_slice(spec)
        .map_err(|why| format!("the file answer is unreadable: {why}"))?;
    options
        .answer(&call.method, &call.uri, &call.headers)
        .map_err(|why| why.to_string())
}
