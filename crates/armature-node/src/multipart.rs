//! Multipart bodies as JS reads them: the engine's [`Parts`] of a request,
//! their chunks and saves, translated. The parsing, the limits and the
//! writing of saved parts all run on engine threads.

use armature_engine::json::multipart_limits_from_json;
use armature_engine::multipart::{Failure, Next, Parts, SaveError, Saved};
use armature_engine::{Batcher, Bytes};
use armature_wire::PullState;
use napi::bindgen_prelude::{BufferSlice, Either, Env, Object, Uint32ArraySlice};
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

/// Starts parsing request `id`'s body with `options` (`MultipartOptions`):
/// `None` once started (or for a request that has ended), or why its
/// `Content-Type` is not usable.
pub(crate) fn start(
    requests: &mut Inflight,
    batcher: &Arc<Batcher>,
    id: i64,
    options: serde_json::Value,
) -> Result<Option<PartFailure>, CodedError> {
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
            requests.keep_parts(slot, parts);
            Ok(None)
        }
        Err(failure) => Ok(Some(failure.into())),
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

/// Saves the rest of the current part to `path`, after `prefix`: a Promise
/// of the bytes written, or of why nothing was kept there.
pub(crate) fn save<'env>(
    requests: &Inflight,
    env: &'env Env,
    id: i64,
    path: String,
    overwrite: bool,
    prefix: Option<&[u8]>,
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
    match requests.parts(id) {
        Some(parts) => {
            let prefix = prefix.map(Bytes::copy_from_slice).unwrap_or_default();
            parts.save(path.into(), overwrite, prefix, Box::new(settle));
        }
        None => settle(Err(SaveError::Body(Failure::Cut(
            "the request has ended".to_owned(),
        )))),
    }
    Ok(promise)
}
