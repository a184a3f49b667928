//! A response body fed from outside the engine (in Armature, by JS): a
//! bounded buffer the producer writes into without ever waiting. A write
//! says whether the buffer is now full; once the engine has sent enough of
//! it, the producer is told there is room again. So the producer pulls from
//! its source only as fast as the client reads, and a response never holds
//! more than about its window, however slow the client.

use std::collections::VecDeque;
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll, Waker};

use bytes::Bytes;
use futures_util::Stream;

use crate::{Body, BoxError};

/// What a pipe tells its producer, from the engine's threads.
pub trait PipeEvents: Send + Sync {
    /// The buffer that was full has room again.
    fn room(&self);
    /// The body was dropped before its end (the client went away): writes
    /// are refused from now on.
    fn closed(&self);
}

/// The producer's end of a body.
#[derive(Clone)]
pub struct Pipe {
    shared: Arc<Shared>,
}

/// What a write did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pushed {
    /// Taken; more may follow.
    Room,
    /// Taken, and the buffer is at its window: wait for [`PipeEvents::room`].
    Full,
    /// Refused: the body is gone, or was finished.
    Closed,
}

struct Shared {
    window: usize,
    events: Arc<dyn PipeEvents>,
    state: Mutex<State>,
}

#[derive(Default)]
struct State {
    chunks: VecDeque<Bytes>,
    buffered: usize,
    /// How the producer ended the body, once it has.
    end: Option<Result<(), BoxError>>,
    /// The producer was told the buffer is full.
    full: bool,
    /// The consumer is gone.
    gone: bool,
    waker: Option<Waker>,
}

impl Pipe {
    /// A pipe whose buffer holds about `window` bytes, and the body it feeds.
    pub fn new(window: usize, events: Arc<dyn PipeEvents>) -> (Self, Body) {
        let shared = Arc::new(Shared {
            window,
            events,
            state: Mutex::new(State::default()),
        });
        let outlet = Outlet {
            shared: shared.clone(),
        };
        (Self { shared }, Body::stream(outlet))
    }

    /// Adds a chunk (empty ones are skipped).
    pub fn push(&self, chunk: Bytes) -> Pushed {
        let mut state = self.shared.lock();
        if state.gone || state.end.is_some() {
            return Pushed::Closed;
        }
        if !chunk.is_empty() {
            state.buffered += chunk.len();
            state.chunks.push_back(chunk);
            if let Some(waker) = state.waker.take() {
                waker.wake();
            }
        }
        if state.buffered >= self.shared.window {
            state.full = true;
            Pushed::Full
        } else {
            Pushed::Room
        }
    }

    /// Ends the body after what was pushed: cleanly, or with `error`, which
    /// aborts the response.
    pub fn finish(&self, end: Result<(), BoxError>) {
        let mut state = self.shared.lock();
        if state.end.is_none() {
            state.end = Some(end);
            if let Some(waker) = state.waker.take() {
                waker.wake();
            }
        }
    }
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, State> {
        // A holder that panicked leaves at worst a body that ends early.
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// The engine's end: the body's chunks.
struct Outlet {
    shared: Arc<Shared>,
}

impl Stream for Outlet {
    type Item = Result<Bytes, BoxError>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let shared = &self.shared;
        let mut state = shared.lock();
        if let Some(chunk) = state.chunks.pop_front() {
            state.buffered -= chunk.len();
            // Room once half the window has gone out, not at every byte.
            let room = state.full && state.buffered <= shared.window / 2;
            if room {
                state.full = false;
            }
            drop(state);
            if room {
                shared.events.room();
            }
            return Poll::Ready(Some(Ok(chunk)));
        }
        match state.end.take() {
            Some(Ok(())) => {
                state.end = Some(Ok(()));
                Poll::Ready(None)
            }
            Some(Err(error)) => {
                state.end = Some(Ok(()));
                Poll::Ready(Some(Err(error)))
            }
            None => {
                state.waker = Some(cx.waker().clone());
                Poll::Pending
            }
        }
    }
}

impl Drop for Outlet {
    fn drop(&mut self) {
        let mut state = self.shared.lock();
        state.gone = true;
        state.chunks.clear();
        let unfinished = state.end.is_none();
        drop(state);
        if unfinished {
            self.shared.events.closed();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures_util::StreamExt;
    use std::sync::atomic::{AtomicUsize, Ordering};

    #[derive(Default)]
    struct Counts {
        room: AtomicUsize,
        closed: AtomicUsize,
    }

    impl PipeEvents for Counts {
        fn room(&self) {
            self.room.fetch_add(1, Ordering::SeqCst);
        }
        fn closed(&self) {
            self.closed.fetch_add(1, Ordering::SeqCst);
        }
    }

    #[tokio::test]
    async fn fills_to_its_window_and_tells_when_there_is_room() {
        let counts = Arc::new(Counts::default());
        let (pipe, body) = Pipe::new(10, counts.clone());
        let mut chunks = body.into_chunks();
        assert_eq!(pipe.push(Bytes::from_static(b"12345")), Pushed::Room);
        assert_eq!(pipe.push(Bytes::from_static(b"67890")), Pushed::Full);
        assert_eq!(chunks.next().await.unwrap().unwrap(), "12345");
        // Half the window is out: room.
        assert_eq!(counts.room.load(Ordering::SeqCst), 1);
        assert_eq!(chunks.next().await.unwrap().unwrap(), "67890");
        assert_eq!(counts.room.load(Ordering::SeqCst), 1, "told once");
        pipe.finish(Ok(()));
        assert!(chunks.next().await.is_none());
        assert_eq!(pipe.push(Bytes::from_static(b"x")), Pushed::Closed);
        drop(chunks);
        assert_eq!(counts.closed.load(Ordering::SeqCst), 0, "it had ended");
    }

    #[tokio::test]
    async fn an_error_ends_the_body_and_a_dropped_body_refuses_writes() {
        let counts = Arc::new(Counts::default());
        let (pipe, body) = Pipe::new(10, counts.clone());
        let mut chunks = body.into_chunks();
        pipe.push(Bytes::from_static(b"a"));
        pipe.finish(Err("source failed".into()));
        assert!(chunks.next().await.unwrap().is_ok());
        assert!(chunks.next().await.unwrap().is_err());
        let (pipe, body) = Pipe::new(10, counts.clone());
        drop(body);
        assert_eq!(counts.closed.load(Ordering::SeqCst), 1);
        assert_eq!(pipe.push(Bytes::from_static(b"late")), Pushed::Closed);
    }
}
