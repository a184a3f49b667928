//! A part written to its file by the multipart task with tokio's fs: the
//! bytes never cross to JS. A file is made new (an existing one is kept,
//! unless the handler allows overwriting) and removed again if the part
//! cannot be saved whole, so no half-written file is left behind.

use std::path::PathBuf;

use bytes::Bytes;
use tokio::fs::{File, OpenOptions};
use tokio::io::AsyncWriteExt;

use super::shared::{Failure, SaveDone, SaveError, SaveRequest, Saved};

/// A save under way.
pub(super) struct Save {
    file: File,
    path: PathBuf,
    size: u64,
    /// `None` once settled.
    done: Option<SaveDone>,
}

impl Save {
    /// Makes the file and writes what the part had before it: what the
    /// handler took (`request.prefix`), then `queued`. `None` (the save
    /// settled as failed) when the file cannot be made or written.
    pub(super) async fn open(request: SaveRequest, queued: &[Bytes]) -> Option<Self> {
        let SaveRequest {
            path,
            overwrite,
            prefix,
            done,
        } = request;
        let mut options = OpenOptions::new();
        if overwrite {
            options.write(true).create(true).truncate(true);
        } else {
            options.write(true).create_new(true);
        }
        let file = match options.open(&path).await {
            Ok(file) => file,
            Err(error) => {
                let why = format!("cannot make {}: {error}", path.display());
                done(Err(SaveError::File(why)));
                return None;
            }
        };
        let mut save = Self {
            file,
            path,
            size: 0,
            done: Some(done),
        };
        for chunk in std::iter::once(&prefix).chain(queued) {
            save.write(chunk).await.ok()?;
        }
        Some(save)
    }

    /// Writes a chunk; on an error the save settles as failed (the file is
    /// removed) and the rest of the part is the task's to skip.
    pub(super) async fn write(&mut self, chunk: &[u8]) -> Result<(), ()> {
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

    /// The part is over: the file is flushed and the save settles.
    pub(super) async fn finish(mut self) {
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

    /// The body failed while the part was being saved.
    pub(super) fn fail(mut self, failure: Failure) {
        self.settle(Err(SaveError::Body(failure)));
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
        let why = Failure::Cut("the request ended before the part was saved".to_owned());
        self.settle(Err(SaveError::Body(why)));
    }
}

/// Removes a file the save made. Synchronous on purpose: it runs in `Drop`,
/// where nothing can be awaited, and unlinking one file is one short call.
fn remove(path: &std::path::Path) {
    if let Err(error) = std::fs::remove_file(path) {
        tracing::warn!(path = %path.display(), %error, "cannot remove a part's unfinished file");
    }
}
