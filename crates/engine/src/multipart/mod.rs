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
mod shared;

use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use tokio::sync::Notify;

use crate::inlet::{Inlet, Notifier};
pub use limits::{Limit, MultipartLimits, MAX_HEADER_PAIRS};
pub use shared::{Failure, PartHead, SaveDone, SaveError, Saved, Source};

use shared::{SaveRequest, Shared, State};

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

/// The handler's end of a multipart body.
pub struct Parts {
    shared: Arc<Shared>,
    inlet: Option<Inlet>,
    task: tokio::task::AbortHandle,
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

#[cfg(test)]
mod tests;
