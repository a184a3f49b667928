//! `multipart/form-data` bodies parsed on engine threads by the `multer`
//! crate. A task reads the body (as it arrives from its [`Inlet`], or the
//! one already read) and hands its parts to the handler's side one at a
//! time: the head of a part, then its chunks. The task reads no further
//! than the handler takes (a window of chunks, and never past a part the
//! handler has not asked to leave), so a slow handler slows the client.
//! A part the handler leaves is skipped by the task, and one it saves is
//! written to its file by the task, without crossing to the handler.

mod limits;
mod reader;
mod save;

use std::collections::VecDeque;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, MutexGuard};

use bytes::Bytes;
use tokio::sync::Notify;

use crate::inlet::{Inlet, Notifier};
pub use limits::{Limit, MultipartLimits, MAX_HEADER_PAIRS};
pub use save::Saved;

/// Bytes of a part the handler may leave untaken before the task waits.
const WINDOW: usize = 256 * 1024;

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

/// What [`Parts::next`] found.
#[derive(Debug, PartialEq, Eq)]
pub enum Next {
    /// The next part: its chunks follow through [`Parts::take`].
    Part(PartHead),
    /// Not read yet: the notifier runs once it is.
    Wait,
    /// The body has no more parts.
    End,
    /// The body could not be read on.
    Failed(Failure),
}

/// What [`Parts::take`] found of the current part.
#[derive(Debug, Default)]
pub struct Taken {
    /// The chunks that had come, oldest first.
    pub chunks: Vec<Bytes>,
    /// Set once the part is over: `Ok` at its end, or why the body failed.
    pub end: Option<Result<(), Failure>>,
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

/// A save the handler asked for, waiting for the task.
pub(crate) struct SaveRequest {
    path: PathBuf,
    overwrite: bool,
    /// Bytes of the part the handler took before, written first.
    prefix: Bytes,
    done: SaveDone,
}

/// The handler's end of a multipart body.
pub struct Parts {
    shared: Arc<Shared>,
    inlet: Option<Inlet>,
    task: tokio::task::AbortHandle,
}

struct Shared {
    state: Mutex<State>,
    /// Wakes the task when the handler took chunks, asked for a part or a
    /// save, or let go.
    wake: Notify,
}

#[derive(Default)]
struct State {
    /// A part read and not yet handed over.
    head: Option<PartHead>,
    /// Chunks of the current part not yet taken.
    chunks: VecDeque<Bytes>,
    buffered: usize,
    /// The current part has been read to its end.
    part_over: bool,
    /// The body is over: `Ok` after its last part.
    end: Option<Result<(), Failure>>,
    /// The handler asked for the next part.
    next_wanted: bool,
    /// The rest of the current part is discarded.
    skipping: bool,
    save: Option<SaveRequest>,
    /// The handler found nothing and waits to be told.
    waiting: bool,
    notifier: Option<Notifier>,
    released: bool,
}

impl Parts {
    /// Starts parsing a body of `content_type` on the current tokio runtime.
    /// `notifier` tells the handler's side that something it waits for came.
    ///
    /// # Errors
    /// A malformed `content_type` (not multipart, or without a boundary).
    pub fn start(
        source: Source,
        content_type: &str,
        limits: MultipartLimits,
        notifier: Notifier,
    ) -> Result<Self, Failure> {
        let boundary = multer::parse_boundary(content_type).map_err(|error| {
            Failure::Malformed(format!("the multipart Content-Type is not usable: {error}"))
        })?;
        let shared = Arc::new(Shared {
            state: Mutex::new(State {
                notifier: Some(notifier),
                ..State::default()
            }),
            wake: Notify::new(),
        });
        let inlet = match &source {
            Source::Streamed(inlet) => Some(inlet.clone()),
            Source::Read(_) => None,
        };
        let task = tokio::spawn(reader::run(source, boundary, limits, shared.clone()));
        Ok(Self {
            shared,
            inlet,
            task: task.abort_handle(),
        })
    }

    /// Asks for the next part, leaving what is left of the current one
    /// (the task skips it).
    pub fn next(&self) -> Next {
        let mut state = self.shared.lock();
        if let Some(head) = state.head.take() {
            return Next::Part(head);
        }
        match &state.end {
            Some(Ok(())) => return Next::End,
            Some(Err(failure)) => return Next::Failed(failure.clone()),
            None => {}
        }
        if !state.next_wanted {
            state.next_wanted = true;
            state.skipping = true;
            state.chunks.clear();
            state.buffered = 0;
        }
        state.waiting = true;
        drop(state);
        self.shared.wake.notify_one();
        Next::Wait
    }

    /// Takes what has come of the current part. When nothing has, and the
    /// part is not over, the notifier runs once more comes.
    pub fn take(&self) -> Taken {
        let mut state = self.shared.lock();
        let chunks: Vec<Bytes> = state.chunks.drain(..).collect();
        state.buffered = 0;
        let end = match (&state.end, state.part_over || state.next_wanted) {
            (Some(Err(failure)), _) => Some(Err(failure.clone())),
            (_, true) => Some(Ok(())),
            (Some(Ok(())), false) => Some(Ok(())),
            (None, false) => None,
        };
        state.waiting = chunks.is_empty() && end.is_none();
        drop(state);
        if !chunks.is_empty() {
            self.shared.wake.notify_one();
        }
        Taken { chunks, end }
    }

    /// Writes the rest of the current part to `path` from the task, after
    /// `prefix` (what the handler took of it before). `done` runs once it
    /// is written, or was not. An existing file is kept, and the save
    /// fails, unless `overwrite`.
    pub fn save(&self, path: PathBuf, overwrite: bool, prefix: Bytes, done: SaveDone) {
        let mut state = self.shared.lock();
        let refused = match &state.end {
            Some(Err(failure)) => Some(SaveError::Body(failure.clone())),
            _ if state.next_wanted || state.released => Some(SaveError::File(
                "the part was left before it was saved".to_owned(),
            )),
            _ => None,
        };
        if let Some(refused) = refused {
            drop(state);
            return done(Err(refused));
        }
        state.save = Some(SaveRequest {
            path,
            overwrite,
            prefix,
            done,
        });
        drop(state);
        self.shared.wake.notify_one();
    }

    /// The handler is done with the body: the task stops, an unfinished
    /// save is removed, and a streamed body's rest is discarded.
    pub fn release(&self) {
        self.shared.lock().released = true;
        self.shared.wake.notify_one();
        if let Some(inlet) = &self.inlet {
            inlet.release();
        }
    }
}

impl Drop for Parts {
    fn drop(&mut self) {
        self.release();
        // The task's drop removes a file it was saving.
        self.task.abort();
    }
}

impl std::fmt::Debug for Parts {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Parts").finish_non_exhaustive()
    }
}

/// What woke the task.
enum Wake {
    /// What it waited for.
    Go,
    /// A save to start, with the chunks of the part not yet taken.
    Save(SaveRequest, Vec<Bytes>),
    /// The handler let go.
    Released,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, State> {
        // A holder that panicked leaves at worst a body cut short.
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Waits until `ready` holds, a save is asked for, or the handler lets go.
    async fn wait(&self, ready: impl Fn(&State) -> bool) -> Wake {
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
    async fn next_wanted(&self) -> Wake {
        self.wait(|state| state.next_wanted).await
    }

    /// Waits for the handler to make room for more of the current part.
    async fn room(&self) -> Wake {
        self.wait(|state| state.skipping || state.buffered < WINDOW)
            .await
    }

    /// A part's head was read.
    fn begin(&self, head: PartHead) {
        let mut state = self.lock();
        state.head = Some(head);
        state.next_wanted = false;
        state.skipping = false;
        state.part_over = false;
        self.tell(state);
    }

    /// A chunk of the current part was read.
    fn push(&self, chunk: Bytes) {
        let mut state = self.lock();
        if state.skipping || chunk.is_empty() {
            return;
        }
        state.buffered += chunk.len();
        state.chunks.push_back(chunk);
        self.tell(state);
    }

    /// The rest of the current part goes nowhere (its save failed).
    fn skip(&self) {
        let mut state = self.lock();
        state.skipping = true;
        state.chunks.clear();
        state.buffered = 0;
    }

    /// The current part was read to its end.
    fn end_part(&self) {
        let mut state = self.lock();
        state.part_over = true;
        self.tell(state);
    }

    /// The body is over, or failed.
    fn finish(&self, end: Result<(), Failure>) {
        let mut state = self.lock();
        state.end.get_or_insert(end);
        self.tell(state);
    }

    /// Runs the notifier if the handler waits for news; outside the lock.
    fn tell(&self, mut state: MutexGuard<'_, State>) {
        if !std::mem::take(&mut state.waiting) {
            return;
        }
        let notifier = state.notifier.take();
        drop(state);
        if let Some(notify) = notifier {
            notify();
            self.lock().notifier.get_or_insert(notify);
        }
    }
}

#[cfg(test)]
mod tests;
