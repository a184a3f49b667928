//! Where the rest of a part goes when the handler does not take it chunk
//! by chunk: a new file, written by the multipart task with tokio's fs (the
//! bytes never cross to JS), or one buffer handed over whole. A file is
//! made new (an existing one is kept, unless the handler allows
//! overwriting) and removed again if the part cannot be saved whole, so no
//! half-written file is left behind.

use std::path::PathBuf;

use bytes::Bytes;
use tokio::fs::{File, OpenOptions};
use tokio::io::{AsyncWriteExt, BufWriter};

use super::shared::{Failure, GatherDone, SaveDone, SaveError, SaveRequest, Saved, Target};

/// Bytes gathered before one write to the file: tokio's fs hands each write
/// to the blocking pool, so small chunks would each cost a thread hop.
const WRITE_BUFFER: usize = 1024 * 1024;

/// A part's rest on its way.
pub(super) enum Sink {
    File(Save),
    Memory(Gather),
}

impl Sink {
    /// Starts where `request` says, with what the part had before: what the
    /// handler took (`request.prefix`), then `queued`. `None` (settled as
    /// failed) when the file cannot be made or written.
    pub(super) async fn open(request: SaveRequest, queued: &[Bytes]) -> Option<Self> {
        let SaveRequest { prefix, target } = request;
        let mut sink = match target {
            Target::File {
                path,
                overwrite,
                done,
            } => Self::File(Save::open(path, overwrite, done).await?),
            Target::Memory(done) => Self::Memory(Gather {
                chunks: Vec::new(),
                done: Some(done),
            }),
        };
        for chunk in std::iter::once(&prefix).chain(queued) {
            sink.write(chunk).await.ok()?;
        }
        Some(sink)
    }

    /// Takes a chunk; on an error the sink settles as failed (a file is
    /// removed) and the rest of the part is the task's to skip.
    pub(super) async fn write(&mut self, chunk: &Bytes) -> Result<(), ()> {
        match self {
            Self::File(save) => save.write(chunk).await,
            Self::Memory(gather) => {
                gather.chunks.push(chunk.clone());
                Ok(())
            }
        }
    }

    /// The part is over: the sink settles.
    pub(super) async fn finish(self) {
        match self {
            Self::File(save) => save.finish().await,
            Self::Memory(mut gather) => {
                let bytes = gather.chunks.concat();
                if let Some(done) = gather.done.take() {
                    done(Ok(bytes));
                }
            }
        }
    }

    /// The body failed while the part was on its way.
    pub(super) fn fail(self, failure: Failure) {
        match self {
            Self::File(mut save) => save.settle(Err(SaveError::Body(failure))),
            Self::Memory(mut gather) => {
                if let Some(done) = gather.done.take() {
                    done(Err(failure));
                }
            }
        }
    }
}

/// A part gathered into memory, capped by its size limit: its chunks kept
/// as they come and joined once at the end, one copy of the whole rather
/// than one per doubling of a growing buffer.
pub(super) struct Gather {
    chunks: Vec<Bytes>,
    /// `None` once settled.
    done: Option<GatherDone>,
}

/// A gathering dropped unsettled (the handler let go, or the task was
/// stopped) still settles.
impl Drop for Gather {
    fn drop(&mut self) {
        if let Some(done) = self.done.take() {
            done(Err(cut()));
        }
    }
}

/// A save to a file under way.
pub(super) struct Save {
    file: BufWriter<File>,
    path: PathBuf,
    size: u64,
    /// `None` once settled.
    done: Option<SaveDone>,
}

impl Save {
    /// Makes the file; `None` (settled as failed) when it cannot be made.
    async fn open(path: PathBuf, overwrite: bool, done: SaveDone) -> Option<Self> {
        let mut options = OpenOptions::new();
        if overwrite {
            options.write(true).create(true).truncate(true);
        } else {
            options.write(true).create_new(true);
        }
        match options.open(&path).await {
            Ok(file) => Some(Self {
                file: BufWriter::with_capacity(WRITE_BUFFER, file),
                path,
                size: 0,
                done: Some(done),
            }),
            Err(error) => {
                let why = format!("cannot make {}: {error}", path.display());
                done(Err(SaveError::File(why)));
                None
            }
        }
    }

    async fn write(&mut self, chunk: &[u8]) -> Result<(), ()> {
        match self.file.write_all(chunk).await {
            Ok(()) => {
                self.size += chunk.len() as u64;
                Ok(())
            }
            Err(error) => {
                let why = format!("cannot write {}: {error}", self.path.display());
                self.settle(Err(SaveError::File(why)));
                Err(())
            }
        }
    }

    async fn finish(mut self) {
        let flushed = self.file.flush().await;
        let settled = match flushed {
            Ok(()) => Ok(Saved { size: self.size }),
            Err(error) => Err(SaveError::File(format!(
                "cannot write {}: {error}",
                self.path.display()
            ))),
        };
        self.settle(settled);
    }

    fn settle(&mut self, settled: Result<Saved, SaveError>) {
        let Some(done) = self.done.take() else {
            return;
        };
        if settled.is_err() {
            remove(&self.path);
        }
        done(settled);
    }
}

/// A save dropped unsettled (the handler let go, or the task was stopped)
/// leaves no file behind.
impl Drop for Save {
    fn drop(&mut self) {
        self.settle(Err(SaveError::Body(cut())));
    }
}

fn cut() -> Failure {
    Failure::Cut("the request ended before the part was read".to_owned())
}

/// Removes a file the save made. Synchronous on purpose: it runs in `Drop`,
/// where nothing can be awaited, and unlinking one file is one short call.
fn remove(path: &std::path::Path) {
    if let Err(error) = std::fs::remove_file(path) {
        tracing::warn!(path = %path.display(), %error, "cannot remove a part's unfinished file");
    }
}
