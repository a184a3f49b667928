//! `multipart/form-data` bodies parsed on engine threads by the `multer`
//! crate. A body already read is parsed whole at the start, its parts kept
//! as slices of it ([`Parts::whole`]). One that arrives as it is read is
//! parsed by a task that hands its parts to the handler's side one at a
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

use crate::inlet::{Inlet, Listener, Notifier};
pub use limits::{Limit, MultipartLimits, MAX_HEADER_PAIRS};
pub use shared::{Failure, GatherDone, PartHead, SaveDone, SaveError, Saved, Source, Whole};

use save::Sink;
use shared::{SaveRequest, Shared, State, Target};

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
    /// The task reading the body; `None` for a body parsed whole at the start.
    task: Option<tokio::task::AbortHandle>,
    /// Where saves of a body parsed whole run.
    runtime: tokio::runtime::Handle,
    /// A body already read is parsed whole at the start.
    whole: Option<Whole>,
}

impl Parts {
    /// Starts parsing a body of `content_type` on the current tokio runtime.
    /// `notifier` tells the handler's side that something it waits for came.
    ///
    /// # Errors
    /// A malformed `content_type` (not multipart, or without a boundary).
    ///
    /// # Panics
    /// Outside a tokio runtime.
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
                listener: Listener::new(notifier),
                ..State::default()
            }),
            wake: Notify::new(),
        });
        let runtime = tokio::runtime::Handle::current();
        let (source, inlet) = match source {
            Source::Read(body) => match reader::whole(body.clone(), boundary.clone(), limits) {
                Some(whole) => {
                    return Ok(Self {
                        shared,
                        inlet: None,
                        task: None,
                        runtime,
                        whole: Some(whole),
                    });
                }
                None => (Source::Read(body), None),
            },
            Source::Streamed(inlet) => (Source::Streamed(inlet.clone()), Some(inlet)),
        };
        let task = runtime.spawn(reader::run(source, boundary, limits, shared.clone()));
        Ok(Self {
            shared,
            inlet,
            task: Some(task.abort_handle()),
            runtime,
            whole: None,
        })
    }

    /// Asks for the next part, leaving what is left of the current one
    /// (the task skips it).
    pub fn next(&self) -> Next {
        let mut state = self.shared.lock();
        if let Some(head) = state.head.take() {
            return Next::Part(head);
        }
        if let Some(whole) = &self.whole {
            state.chunks.clear();
            match whole.parts.get(state.cursor) {
                Some((head, bytes)) => {
                    state.cursor += 1;
                    state
                        .chunks
                        .extend((!bytes.is_empty()).then(|| bytes.clone()));
                    state.part_over = true;
                    return Next::Part(head.clone());
                }
                None => {
                    state.end.get_or_insert_with(|| whole.end.clone());
                }
            }
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
        state.listener.waiting = true;
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
        state.listener.waiting = chunks.is_empty() && end.is_none();
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
        let target = Target::File {
            path,
            overwrite,
            done,
        };
        self.send(SaveRequest { prefix, target });
    }

    /// Gathers the rest of the current part, after `prefix`, into one
    /// buffer that `done` gets once the part is over: for a handler that
    /// wants the part whole, one crossing instead of one per window.
    pub fn gather(&self, prefix: Bytes, done: GatherDone) {
        self.send(SaveRequest {
            prefix,
            target: Target::Memory(done),
        });
    }

    /// The parts of a body parsed whole at the start (one already read),
    /// for a caller that takes them all at once rather than through
    /// [`Parts::next`]; `None` for a body read as it arrives.
    pub fn whole(&self) -> Option<&Whole> {
        self.whole.as_ref()
    }

    /// Saves part `index` of a body parsed whole, as [`Parts::save`] does.
    pub fn save_part(&self, index: usize, path: PathBuf, overwrite: bool, done: SaveDone) {
        let Some((_, bytes)) = self.whole.as_ref().and_then(|whole| whole.parts.get(index)) else {
            return done(Err(SaveError::File(format!(
                "the body has no part {index}"
            ))));
        };
        let target = Target::File {
            path,
            overwrite,
            done,
        };
        let request = SaveRequest {
            prefix: bytes.clone(),
            target,
        };
        self.runtime.spawn(async move {
            if let Some(sink) = Sink::open(request, &[]).await {
                sink.finish().await;
            }
        });
    }

    fn send(&self, request: SaveRequest) {
        let mut state = self.shared.lock();
        let refused = match &state.end {
            Some(Err(failure)) => Some(SaveError::Body(failure.clone())),
            _ if state.next_wanted || state.released || state.save.is_some() => Some(
                SaveError::File("the part was left, or is already being saved".to_owned()),
            ),
            _ => None,
        };
        if let Some(refused) = refused {
            drop(state);
            return request.refuse(refused);
        }
        if self.task.is_none() {
            // Parsed whole: the part is all here, and no task reads on.
            let queued: Vec<Bytes> = state.chunks.drain(..).collect();
            drop(state);
            self.runtime.spawn(async move {
                if let Some(sink) = Sink::open(request, &queued).await {
                    sink.finish().await;
                }
            });
            return;
        }
        state.save = Some(request);
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
        if let Some(task) = &self.task {
            task.abort();
        }
    }
}

impl std::fmt::Debug for Parts {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Parts").finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests;
