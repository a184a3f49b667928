//! Multipart bodies as JS reads them: the engine's [`Parts`] of a request,
//! their chunks and saves, translated. The parsing, the limits and the
//! writing of saved parts all run on engine threads.

use armature_engine::json::multipart_limits_from_json;
use armature_engine::multipart::{Failure, Next, Parts, SaveError, Saved, Whole};
use armature_engine::{Batcher, Bytes};
use armature_wire::PullState;
use napi::bindgen_prelude::{
    Buffer, BufferSlice, Either, Env, Object, Uint32Array, Uint32ArraySlice,
};
use napi_derive::napi;
use std::sync::Arc;

use crate::error::{coded, internal, CodedError};
use crate::inflight::Inflight;
use crate::js_call::Promised;

/// The head of one part, as `req.multipart()` yields it.
#[napi(object)]
pub struct PartInfo {
    pub name: String,
    /// Set for a file, unset for a field.
    pub filename: Option<String>,
    /// Its `Content-Type`, as sent.
    #[napi(js_name = "type")]
    pub content_type: Option<String>,
    /// Header names (lower case) and values, alternating, in the order sent.
    pub headers: Vec<String>,
}

/// Why a multipart body (or a save) failed: `kind` is `malformed` (400),
/// `limit` (413, naming `limit`), `cut` (the body was cut short) or `file`
/// (a save could not make or write its file).
#[napi(object)]
pub struct PartFailure {
    pub kind: String,
    pub limit: Option<String>,
    pub detail: String,
}

impl From<Failure> for PartFailure {
    fn from(failure: Failure) -> Self {
        let (kind, limit) = match &failure {
            Failure::Malformed(_) => ("malformed", None),
            Failure::TooMuch(limit, _) => ("limit", Some(limit.name().to_owned())),
            Failure::Cut(_) => ("cut", None),
        };
        Self {
            kind: kind.to_owned(),
            limit,
            detail: failure.detail().to_owned(),
        }
    }
}

/// Every part of a body the engine had read, parsed at once and handed over
/// in one crossing: no call per part.
#[napi(object)]
pub struct WholeParts {
    /// For each part: its name, its filename and type when it has them,
    /// then its header names and values.
    pub strings: Vec<String>,
    /// For each part, [`WHOLE_META`] numbers: flags (1: a filename, 2: a
    /// type), its header pairs, its length in `data`.
    pub meta: Uint32Array,
    /// Every part's bytes, one after another.
    pub data: Buffer,
    /// Why the body failed after these parts, if it did.
    pub failure: Option<PartFailure>,
}

/// The numbers [`WholeParts::meta`] holds per part.
const WHOLE_META: usize = 3;

impl From<&Whole> for WholeParts {
    fn from(whole: &Whole) -> Self {
        let mut strings = Vec::new();
        let mut meta = Vec::with_capacity(whole.parts.len() * WHOLE_META);
        let size = whole.parts.iter().map(|(_, bytes)| bytes.len()).sum();
        let mut data = Vec::with_capacity(size);
        for (head, bytes) in &whole.parts {
            strings.push(head.name.clone());
            strings.extend(head.filename.iter().cloned());
            strings.extend(head.content_type.iter().cloned());
            for (name, value) in &head.headers {
                strings.push(name.clone());
                strings.push(value.clone());
            }
            let flags =
                u32::from(head.filename.is_some()) | u32::from(head.content_type.is_some()) << 1;
            // A body the engine read whole is far below 4 GiB (bodySize).
            let length = u32::try_from(bytes.len()).unwrap_or(u32::MAX);
            let pairs = u32::try_from(head.headers.len()).unwrap_or(u32::MAX);
            meta.extend([flags, pairs, length]);
            data.extend_from_slice(bytes);
        }
        Self {
            strings,
            meta: meta.into(),
            data: data.into(),
            failure: whole.end.clone().err().map(Into::into),
        }
    }
}

/// Starts parsing request `id`'s body with `options` (`MultipartOptions`):
/// the parts at once for a body the engine had read, `None` for one read as
/// it arrives (or a request that has ended), or why its `Content-Type` is
/// not usable.
pub(crate) fn start(
    requests: &mut Inflight,
    batcher: &Arc<Batcher>,
    id: i64,
    options: serde_json::Value,
) -> Result<Option<Either<PartFailure, WholeParts>>, CodedError> {
    let limits = multipart_limits_from_json(options).map_err(coded)?;
    let Some((slot, content_type, source)) = requests.body_source(id) else {
        return Ok(None);
    };
    let batcher = batcher.clone();
    let notifier = Box::new(move || batcher.readable(slot));
    // The task runs on the engine's runtime, which `listen` made.
    let _runtime = crate::runtime::runtime(None).map_err(internal)?.enter();
    match Parts::start(source, &content_type, limits, notifier) {
        Ok(parts) => {
            let whole = parts.whole().map(WholeParts::from);
            requests.keep_parts(slot, parts);
            Ok(whole.map(Either::B))
        }
        Err(failure) => Ok(Some(Either::A(failure.into()))),
    }
}

/// The next part of request `id`'s body, or why there is none; `state[0]`
/// says where the body stands ([`PullState`]: `More` with no part means JS
/// hears of it in a readable record).
pub(crate) fn next(
    requests: &Inflight,
    id: i64,
    mut state: Uint32ArraySlice,
) -> Option<Either<PartInfo, PartFailure>> {
    // SAFETY: JS waits for this call to return, so nothing else touches `state`.
    #[allow(unsafe_code)]
    let state = unsafe { state.as_mut() };
    let Some(parts) = requests.parts(id) else {
        state[0] = PullState::Unknown.code();
        return None;
    };
    let (code, found) = match parts.next() {
        Next::Part(head) => {
            let headers = head
                .headers
                .into_iter()
                .flat_map(|(name, value)| [name, value])
                .collect();
            let info = PartInfo {
                name: head.name,
                filename: head.filename,
                content_type: head.content_type,
                headers,
            };
            (PullState::More, Some(Either::A(info)))
        }
        Next::Wait => (PullState::More, None),
        Next::End => (PullState::Ended, None),
        Next::Failed(failure) => (PullState::Cut, Some(Either::B(failure.into()))),
    };
    state[0] = code.code();
    found
}

/// Takes what has come of the current part: its chunks joined into one
/// Buffer JS owns, or why the body failed; `state[0]` as for [`next`].
pub(crate) fn pull<'env>(
    requests: &Inflight,
    env: &'env Env,
    id: i64,
    mut state: Uint32ArraySlice,
) -> napi::Result<Option<Either<BufferSlice<'env>, PartFailure>>> {
    // SAFETY: JS waits for this call to return, so nothing else touches `state`.
    #[allow(unsafe_code)]
    let state = unsafe { state.as_mut() };
    let Some(parts) = requests.parts(id) else {
        state[0] = PullState::Unknown.code();
        return Ok(None);
    };
    let taken = parts.take();
    let code = match &taken.end {
        None => PullState::More,
        Some(Ok(())) => PullState::Ended,
        Some(Err(_)) => PullState::Cut,
    };
    state[0] = code.code();
    if let Some(Err(failure)) = taken.end {
        return Ok(Some(Either::B(failure.into())));
    }
    let chunk = match taken.chunks.as_slice() {
        [] => return Ok(None),
        [one] => BufferSlice::copy_from(env, one)?,
        many => BufferSlice::copy_from(env, many.concat())?,
    };
    Ok(Some(Either::A(chunk)))
}

/// Gathers the rest of the current part, after `prefix`, into one Buffer:
/// a Promise of it (the engine's bytes, handed over without a copy), or of
/// why the body failed.
pub(crate) fn gather<'env>(
    requests: &Inflight,
    env: &'env Env,
    id: i64,
    prefix: Option<&[u8]>,
) -> napi::Result<Object<'env>> {
    let (promised, promise) = Promised::<Either<Buffer, PartFailure>>::new(env)?;
    let settle = move |gathered: Result<Vec<u8>, Failure>| {
        promised.resolve(match gathered {
            Ok(bytes) => Either::A(bytes.into()),
            Err(failure) => Either::B(failure.into()),
        });
    };
    match requests.parts(id) {
        Some(parts) => {
            let prefix = prefix.map(Bytes::copy_from_slice).unwrap_or_default();
            parts.gather(prefix, Box::new(settle));
        }
        None => settle(Err(Failure::Cut("the request has ended".to_owned()))),
    }
    Ok(promise)
}

/// Saves the rest of the current part to `path`, after `prefix`: a Promise
/// of the bytes written, or of why nothing was kept there.
pub(crate) fn save<'env>(
    requests: &Inflight,
    env: &'env Env,
    id: i64,
    path: String,
    overwrite: bool,
    from: SaveFrom<'_>,
) -> napi::Result<Object<'env>> {
    let (promised, promise) = Promised::<Either<f64, PartFailure>>::new(env)?;
    let settle = move |saved: Result<Saved, SaveError>| {
        promised.resolve(match saved {
            // Sizes stay below 2^53 bytes.
            #[allow(clippy::cast_precision_loss)]
            Ok(saved) => Either::A(saved.size as f64),
            Err(SaveError::Body(failure)) => Either::B(failure.into()),
            Err(SaveError::File(detail)) => Either::B(PartFailure {
                kind: "file".to_owned(),
                limit: None,
                detail,
            }),
        });
    };
    match (requests.parts(id), from) {
        (Some(parts), SaveFrom::Current(prefix)) => {
            let prefix = prefix.map(Bytes::copy_from_slice).unwrap_or_default();
            parts.save(path.into(), overwrite, prefix, Box::new(settle));
        }
        (Some(parts), SaveFrom::Whole(index)) => {
            parts.save_part(index, path.into(), overwrite, Box::new(settle));
        }
        (None, _) => settle(Err(SaveError::Body(Failure::Cut(
            "the request has ended".to_owned(),
        )))),
    }
    Ok(promise)
}

/// Which part a save writes.
pub(crate) enum SaveFrom<'a> {
    /// The current part of a body read as it arrives, after what JS took.
    Current(Option<&'a [u8]>),
    /// Part `index` of a body parsed whole.
    Whole(usize),
}
