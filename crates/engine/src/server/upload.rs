//! A request body fed to its handler as it arrives ([`crate::inlet`]): read
//! from the socket only while the handler has room, held to the route's
//! `BodyLimit` as bytes come, and timed by `bodyTimeout` only while the
//! engine waits on the socket, never while the handler holds the body back.

use std::time::{Duration, Instant};

use http_body_util::BodyExt;

use super::request_body::{Cut, RequestBody};
use crate::inlet::Inlet;

/// Bytes a handler may leave untaken before the engine stops reading.
pub(crate) const WINDOW: usize = 256 * 1024;

/// Feeds one body into its inlet.
pub(crate) struct Feed<B> {
    /// `None` once given back.
    body: Option<B>,
    inlet: Inlet,
    limit: Option<usize>,
    read: usize,
    timeout: Duration,
    /// What is left of `timeout`.
    budget: Duration,
    done: bool,
}

impl<B: RequestBody> Feed<B> {
    pub(crate) fn new(body: B, inlet: Inlet, limit: Option<usize>, timeout: Duration) -> Self {
        Self {
            body: Some(body),
            inlet,
            limit,
            read: 0,
            timeout,
            budget: timeout,
            done: false,
        }
    }

    /// Whether the body has been read to its end (or cut).
    pub(crate) fn done(&self) -> bool {
        self.done
    }

    /// Gives the body back, for the early-answer rules (the handler let it
    /// go: nothing more is told).
    pub(crate) fn into_body(mut self) -> B {
        self.done = true;
        self.body.take().expect("the body is here until given back")
    }

    /// Moves one chunk from the socket to the handler, or waits for the
    /// handler to make room. On a cut, the handler's side learns why.
    pub(crate) async fn step(&mut self) -> Result<(), Cut> {
        if !self.inlet.has_room() {
            // The handler holds the body back: no clock runs.
            self.inlet.room().await;
            return Ok(());
        }
        let started = Instant::now();
        let body = self
            .body
            .as_mut()
            .expect("the body is here until given back");
        let frame = tokio::time::timeout(self.budget, body.frame()).await;
        self.budget = self.budget.saturating_sub(started.elapsed());
        let cut = match frame {
            Err(_) => Cut::TooSlow(self.timeout),
            Ok(None) => {
                self.done = true;
                self.inlet.finish(Ok(()));
                return Ok(());
            }
            Ok(Some(Err(_))) => Cut::Broken,
            Ok(Some(Ok(frame))) => {
                let Ok(data) = frame.into_data() else {
                    // Trailers carry nothing for the handler.
                    return Ok(());
                };
                self.read += data.len();
                match self.limit {
                    Some(limit) if self.read > limit => Cut::TooLarge(limit),
                    _ => {
                        self.inlet.push(data);
                        return Ok(());
                    }
                }
            }
        };
        self.done = true;
        self.inlet.finish(Err(cut.detail()));
        Err(cut)
    }

    /// Feeds the rest of the body while the handler reads it (after it has
    /// answered with a stream); stops when the handler lets go or the body
    /// is cut, dropping the body (the connection closes).
    pub(crate) async fn run(mut self) {
        while !self.done && !self.inlet.released() {
            if self.step().await.is_err() {
                return;
            }
        }
    }
}

/// A feed dropped before the body's end (the client went away, or the server
/// closed): the handler's side learns the body was cut, rather than wait.
impl<B> Drop for Feed<B> {
    fn drop(&mut self) {
        if !self.done {
            self.inlet
                .finish(Err("the connection closed before the body's end".to_owned()));
        }
    }
}
