//! Response bodies JS streams: each is an engine [`Pipe`] with a window of
//! [`STREAM_WINDOW`] bytes. JS writes the chunks of many streams in one `write`
//! call per microtask flush, learns for each whether its window is full, and
//! hears in the `drain` batches when one has room again or was closed: no
//! call into JS per chunk, and no JS promise awaited from Rust.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use armature_engine::pipe::{Pipe, PipeEvents, Pushed};
use armature_engine::{Batcher, Body, Bytes, Ended};
use armature_wire::{read_id, Batch, BodyKind, Outcome, WriteRecord, STREAM_WINDOW};
use napi::bindgen_prelude::{Array, BufferSlice, Uint32ArraySlice};

use crate::text::Pieces;

/// The streams JS is writing, by the id of their request.
#[derive(Default)]
pub(crate) struct Streams {
    pipes: HashMap<u64, Pipe>,
}

/// Tells JS, through the batcher, about one stream.
struct Events {
    id: u64,
    batcher: Arc<Batcher>,
    /// Set once the server is closing: a stream cut then was cut by it.
    closing: Arc<AtomicBool>,
}

impl PipeEvents for Events {
    fn room(&self) {
        self.batcher.room(self.id);
    }

    fn closed(&self) {
        let why = if self.closing.load(Ordering::Acquire) {
            Ended::Shutdown
        } else {
            Ended::ClientGone
        };
        armature_engine::Dispatch::ended(&*self.batcher, self.id, why);
    }
}

impl Streams {
    /// Opens the stream of request `id` and returns the body it feeds.
    pub(crate) fn open(
        &mut self,
        id: u64,
        batcher: &Arc<Batcher>,
        closing: &Arc<AtomicBool>,
    ) -> Body {
        let events = Events {
            id,
            batcher: batcher.clone(),
            closing: closing.clone(),
        };
        let (pipe, body) = Pipe::new(STREAM_WINDOW, Arc::new(events));
        self.pipes.insert(id, pipe);
        body
    }

    /// Forgets stream `id`, which the engine closed; true when it was open.
    pub(crate) fn close(&mut self, id: u64) -> bool {
        self.pipes.remove(&id).is_some()
    }

    /// Takes chunks and ends for many streams: `meta` is a [`Batch`] of
    /// [`WriteRecord`]s, whose kinds are replaced by their [`Outcome`]s.
    pub(crate) fn write(
        &mut self,
        mut meta: Uint32ArraySlice,
        text: Option<String>,
        buffers: Option<Array>,
    ) -> napi::Result<()> {
        // SAFETY: JS waits for this call to return, so nothing else touches `meta`.
        #[allow(unsafe_code)]
        let meta = unsafe { meta.as_mut() };
        let shared = Bytes::from(text.unwrap_or_default());
        let text = std::str::from_utf8(&shared).expect("it was a String");
        let mut pieces = Pieces::new(text);
        let count = meta.get(Batch::COUNT).copied().unwrap_or(0) as usize;
        let mut slot = Batch::RECORDS;
        for _ in 0..count {
            let record = meta
                .get_mut(slot..slot + WriteRecord::SIZE)
                .ok_or_else(|| napi::Error::from_reason("write: a record is cut short"))?;
            slot += WriteRecord::SIZE;
            let id = read_id(record, WriteRecord::ID);
            let (kind, size) = (record[WriteRecord::KIND], record[WriteRecord::BODY]);
            let kind = match BodyKind::from_code(kind) {
                Some(
                    kind @ (BodyKind::Text | BodyKind::Buffer | BodyKind::End | BodyKind::Error),
                ) => kind,
                _ => {
                    return Err(napi::Error::from_reason(format!(
                        "write: unknown record kind {kind}"
                    )))
                }
            };
            let chunk = match kind {
                BodyKind::Text | BodyKind::Error => shared.slice(pieces.next(size)?),
                BodyKind::Buffer => {
                    let buffer = buffers
                        .as_ref()
                        .and_then(|buffers| buffers.get::<BufferSlice>(size).transpose())
                        .ok_or_else(|| napi::Error::from_reason("write: a Buffer is missing"))??;
                    // A copy: JS may reuse its Buffer once the call returns.
                    Bytes::copy_from_slice(&buffer)
                }
                _ => Bytes::new(),
            };
            let outcome = match (self.pipes.get(&id), kind) {
                (None, _) => Outcome::Closed,
                (Some(pipe), BodyKind::End | BodyKind::Error) => {
                    let end = if kind == BodyKind::End {
                        Ok(())
                    } else {
                        Err(String::from_utf8_lossy(&chunk).into_owned().into())
                    };
                    pipe.finish(end);
                    self.pipes.remove(&id);
                    Outcome::Closed
                }
                (Some(pipe), _) => match pipe.push(chunk) {
                    Pushed::Room => Outcome::Room,
                    Pushed::Full => Outcome::Full,
                    Pushed::Closed => Outcome::Closed,
                },
            };
            record[WriteRecord::KIND] = outcome.code();
        }
        Ok(())
    }
}
