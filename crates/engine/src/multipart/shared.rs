//! What the handler's side of a multipart body and the task reading it
//! share: the part handed over and its chunks, the save asked for, and
//! what each tells the other.

use std::collections::VecDeque;
use std::path::PathBuf;
use std::sync::{Mutex, MutexGuard};

use bytes::Bytes;
use tokio::sync::Notify;

use super::limits::Limit;
use crate::inlet::{Inlet, Listener};

/// A part saved whole.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Saved {
    /// The bytes written.
    pub size: u64,
}

/// Bytes of a part the handler may leave untaken before the task waits.
pub(super) const WINDOW: usize = 256 * 1024;

/// Why a multipart body could not be read to its end.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Failure {
    /// Not a multipart body the parser understands: a 400.
    Malformed(String),
    /// Over one of the [`MultipartLimits`]: a 413 naming it.
    TooMuch(Limit, String),
    /// The body itself was cut short (over the route's limit, too slow, or
    /// the connection broke).
    Cut(String),
}

impl Failure {
    /// What went wrong, for the problem's `detail` or an error's message.
    pub fn detail(&self) -> &str {
        match self {
            Self::Malformed(detail) | Self::TooMuch(_, detail) | Self::Cut(detail) => detail,
        }
    }
}

/// The head of one part.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PartHead {
    /// The `name` of its `Content-Disposition`.
    pub name: String,
    /// Its `filename`: set for a file, `None` for a field.
    pub filename: Option<String>,
    /// Its `Content-Type`, as sent.
    pub content_type: Option<String>,
    /// Every header line, lower-case names, in the order sent.
    pub headers: Vec<(String, String)>,
}

/// Where a body to parse comes from.
pub enum Source {
    /// A body the engine already read.
    Read(Bytes),
    /// A body as it arrives.
    Streamed(Inlet),
}

/// Settles a save: the bytes written, or why none were kept.
pub type SaveDone = Box<dyn FnOnce(Result<Saved, SaveError>) + Send>;

/// Why a part was not saved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SaveError {
    /// The file could not be made or written (it exists, a folder is
    /// missing, the disk is full): the body reads on.
    File(String),
    /// The body failed while the part was being saved.
    Body(Failure),
}

/// A body parsed whole: its parts with their bytes, then how it ended.
#[derive(Debug)]
pub struct Whole {
    /// Each part's head and bytes (slices of the body), in order.
    pub parts: Vec<(PartHead, Bytes)>,
    /// `Ok` after the last part, or why the body failed after them.
    pub end: Result<(), Failure>,
}

/// Settles a gathering: the rest of the part, or why the body failed.
pub type GatherDone = Box<dyn FnOnce(Result<Vec<u8>, Failure>) + Send>;

/// Where the rest of a part goes when the handler does not take it chunk by
/// chunk.
pub(crate) enum Target {
    /// To a new file.
    File {
        path: PathBuf,
        overwrite: bool,
        done: SaveDone,
    },
    /// Into one buffer, handed over whole: one crossing instead of one per
    /// window of chunks.
    Memory(GatherDone),
}

/// A save or a gathering the handler asked for, waiting for the task.
pub(crate) struct SaveRequest {
    /// Bytes of the part the handler took before, which go first.
    pub(super) prefix: Bytes,
    pub(super) target: Target,
}

impl SaveRequest {
    /// Settles the request unstarted, with why.
    pub(super) fn refuse(self, save: SaveError) {
        match self.target {
            Target::File { done, .. } => done(Err(save)),
            Target::Memory(done) => done(Err(match save {
                SaveError::Body(failure) => failure,
                SaveError::File(why) => Failure::Cut(why),
            })),
        }
    }
}

pub(super) struct Shared {
    pub(super) state: Mutex<State>,
    /// Wakes the task when the handler took chunks, asked for a part or a
    /// save, or let go.
    pub(super) wake: Notify,
}

#[derive(Default)]
pub(super) struct State {
    /// A part read and not yet handed over.
    pub(super) head: Option<PartHead>,
    /// Chunks of the current part not yet taken.
    pub(super) chunks: VecDeque<Bytes>,
    pub(super) buffered: usize,
    /// The current part has been read to its end.
    pub(super) part_over: bool,
    /// The body is over: `Ok` after its last part.
    pub(super) end: Option<Result<(), Failure>>,
    /// The handler asked for the next part.
    pub(super) next_wanted: bool,
    /// The rest of the current part is discarded.
    pub(super) skipping: bool,
    pub(super) save: Option<SaveRequest>,
    /// For a body parsed whole: the next part to hand over.
    pub(super) cursor: usize,
    pub(super) listener: Listener,
    pub(super) released: bool,
}

/// What woke the task.
pub(super) enum Wake {
    /// What it waited for.
    Go,
    /// A save to start, with the chunks of the part not yet taken.
    Save(SaveRequest, Vec<Bytes>),
    /// The handler let go.
    Released,
}

impl Shared {
    pub(super) fn lock(&self) -> MutexGuard<'_, State> {
        // A holder that panicked leaves at worst a body cut short.
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Waits until `ready` holds, a save is asked for, or the handler lets go.
    pub(super) async fn wait(&self, ready: impl Fn(&State) -> bool) -> Wake {
        loop {
            {
                let mut state = self.lock();
                if state.released {
                    return Wake::Released;
                }
                if let Some(save) = state.save.take() {
                    state.buffered = 0;
                    let queued = state.chunks.drain(..).collect();
                    return Wake::Save(save, queued);
                }
                if ready(&state) {
                    return Wake::Go;
                }
            }
            self.wake.notified().await;
        }
    }

    /// Waits for the handler to ask for the next part.
    pub(super) async fn next_wanted(&self) -> Wake {
        self.wait(|state| state.next_wanted).await
    }

    /// Waits for the handler to make room for more of the current part.
    pub(super) async fn room(&self) -> Wake {
        self.wait(|state| state.skipping || state.buffered < WINDOW)
            .await
    }

    /// A part's head was read.
    pub(super) fn begin(&self, head: PartHead) {
        let mut state = self.lock();
        state.head = Some(head);
        state.next_wanted = false;
        state.skipping = false;
        state.part_over = false;
        self.tell(state);
    }

    /// A chunk of the current part was read.
    pub(super) fn push(&self, chunk: Bytes) {
        let mut state = self.lock();
        if state.skipping || chunk.is_empty() {
            return;
        }
        state.buffered += chunk.len();
        state.chunks.push_back(chunk);
        self.tell(state);
    }

    /// The rest of the current part goes nowhere (its save failed).
    pub(super) fn skip(&self) {
        let mut state = self.lock();
        state.skipping = true;
        state.chunks.clear();
        state.buffered = 0;
    }

    /// The current part was read to its end.
    pub(super) fn end_part(&self) {
        let mut state = self.lock();
        state.part_over = true;
        self.tell(state);
    }

    /// The body is over, or failed.
    pub(super) fn finish(&self, end: Result<(), Failure>) {
        let mut state = self.lock();
        state.end.get_or_insert(end);
        self.tell(state);
    }

    /// Runs the notifier if the handler waits for news; outside the lock.
    pub(super) fn tell(&self, mut state: MutexGuard<'_, State>) {
        let Some(notify) = state.listener.take() else {
            return;
        };
        drop(state);
        notify();
        self.lock().listener.restore(notify);
    }
}
