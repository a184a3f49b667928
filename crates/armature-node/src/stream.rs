//! Response bodies JS streams: each is an engine [`Pipe`] with a window of
//! [`WINDOW`] bytes. JS writes the chunks of many streams in one `write`
//! call per microtask flush, learns for each whether its window is full, and
//! hears in the `drain` batches when one has room again or was closed: no
//! call into JS per chunk, and no JS promise awaited from Rust.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use armature_engine::pipe::{Pipe, PipeEvents, Pushed};
use armature_engine::{Batcher, Body, Bytes, Ended};
use napi::bindgen_prelude::{Array, BufferSlice, Uint32ArraySlice};

use crate::text::Pieces;

/// The bytes a streamed response may hold before JS is told to wait: enough
/// to keep a fast client's socket busy, small enough that ten thousand slow
/// ones hold 640 MiB at most.
pub(crate) const WINDOW: usize = 256 * 1024;

/// Slots of a `write` record: the id's low and high 32 bits, the kind (see
/// the `CHUNK_*` and `END_*` codes; replaced by the outcome), and the text's
/// length or the Buffer's index.
const WRITE_RECORD: usize = 4;
const CHUNK_TEXT: u32 = 0;
const CHUNK_BUFFER: u32 = 1;
const END_OK: u32 = 2;
const END_ERROR: u32 = 3;
/// Outcomes written back: the pipe took the chunk and has room, is full, or
/// is closed.
const ROOM: u32 = 0;
const FULL: u32 = 1;
const CLOSED: u32 = 2;

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
        let (pipe, body) = Pipe::new(WINDOW, Arc::new(events));
        self.pipes.insert(id, pipe);
        body
    }

    /// Forgets stream `id`, which the engine closed; true when it was open.
    pub(crate) fn close(&mut self, id: u64) -> bool {
        self.pipes.remove(&id).is_some()
    }

    /// Takes chunks and ends for many streams. Each record of `meta` (after
    /// its count in `meta[0]`) is the stream's id as two 32-bit halves, the
    /// kind (0 text, 1 a Buffer of `buffers`, 2 the end, 3 the end with an
    /// error whose message is the text) and the text's length in UTF-16 code
    /// units or the Buffer's index; the kind is replaced by the outcome: 0
    /// taken with room to spare, 1 taken and now full (wait for room), 2
    /// closed (stop: the client went away, or the stream is unknown).
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
        let count = meta.first().copied().unwrap_or(0) as usize;
        let mut slot = 1;
        for _ in 0..count {
            let record = meta
                .get_mut(slot..slot + WRITE_RECORD)
                .ok_or_else(|| napi::Error::from_reason("write: a record is cut short"))?;
            slot += WRITE_RECORD;
            let id = u64::from(record[1]) << 32 | u64::from(record[0]);
            let (kind, size) = (record[2], record[3]);
            let chunk = match kind {
                CHUNK_TEXT | END_ERROR => shared.slice(pieces.next(size)?),
                CHUNK_BUFFER => {
                    let buffer = buffers
                        .as_ref()
                        .and_then(|buffers| buffers.get::<BufferSlice>(size).transpose())
                        .ok_or_else(|| napi::Error::from_reason("write: a Buffer is missing"))??;
                    // A copy: JS may reuse its Buffer once the call returns.
                    Bytes::copy_from_slice(&buffer)
                }
                END_OK => Bytes::new(),
                other => {
                    return Err(napi::Error::from_reason(format!(
                        "write: unknown record kind {other}"
                    )))
                }
            };
            record[2] = match (self.pipes.get(&id), kind) {
                (None, _) => CLOSED,
                (Some(pipe), END_OK | END_ERROR) => {
                    let end = if kind == END_OK {
                        Ok(())
                    } else {
                        Err(String::from_utf8_lossy(&chunk).into_owned().into())
                    };
                    pipe.finish(end);
                    self.pipes.remove(&id);
                    CLOSED
                }
                (Some(pipe), _) => match pipe.push(chunk) {
                    Pushed::Room => ROOM,
                    Pushed::Full => FULL,
                    Pushed::Closed => CLOSED,
                },
            };
        }
        Ok(())
    }
}
