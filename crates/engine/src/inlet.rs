//! A request body handed to its handler as it arrives (a route marked with
//! [`crate::middleware::StreamBody`]): the engine reads the socket only while
//! the handler has taken enough of what came before, so a slow handler slows
//! the client down instead of filling memory. The handler's side takes
//! chunks without waiting, and is told when more have come.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex, MutexGuard};

use bytes::Bytes;
use tokio::sync::Notify;

/// The handler's end of a streamed request body.
#[derive(Clone)]
pub struct Inlet {
    shared: Arc<Shared>,
}

/// What [`Inlet::take`] found.
#[derive(Debug, Default)]
pub struct Taken {
    /// The chunks that had come, oldest first.
    pub chunks: Vec<Bytes>,
    /// Set once the body is over: `Ok` at its end, or why it was cut.
    pub end: Option<Result<(), String>>,
}

/// Tells the handler's side that chunks have come (or the body ended).
pub type Notifier = Box<dyn Fn() + Send + Sync>;

/// A handler's side that may wait for news, and how to tell it: kept under
/// its owner's lock, the notifier run outside it (it may take other locks).
#[derive(Default)]
pub(crate) struct Listener {
    /// The handler found nothing and waits to be told.
    pub(crate) waiting: bool,
    notifier: Option<Notifier>,
}

impl Listener {
    pub(crate) fn new(notifier: Notifier) -> Self {
        Self {
            waiting: false,
            notifier: Some(notifier),
        }
    }

    pub(crate) fn set(&mut self, notifier: Notifier) {
        self.notifier = Some(notifier);
    }

    /// The notifier to run, if the handler waits: taken until [`Listener::restore`].
    pub(crate) fn take(&mut self) -> Option<Notifier> {
        if !std::mem::take(&mut self.waiting) {
            return None;
        }
        self.notifier.take()
    }

    /// Gives back the notifier [`Listener::take`] lent, once it has run.
    pub(crate) fn restore(&mut self, notifier: Notifier) {
        self.notifier.get_or_insert(notifier);
    }
}

struct Shared {
    window: usize,
    state: Mutex<State>,
    /// Wakes the engine's reader when the handler took chunks or let go.
    room: Notify,
}

#[derive(Default)]
struct State {
    chunks: VecDeque<Bytes>,
    buffered: usize,
    end: Option<Result<(), String>>,
    listener: Listener,
    /// The handler let go of the body: what still comes is discarded.
    released: bool,
}

impl Inlet {
    /// An empty body that holds about `window` bytes the handler has not taken.
    pub(crate) fn new(window: usize) -> Self {
        Self {
            shared: Arc::new(Shared {
                window,
                state: Mutex::new(State::default()),
                room: Notify::new(),
            }),
        }
    }

    /// Takes what has come. When nothing has, and the body is not over, the
    /// notifier runs once more comes.
    pub fn take(&self) -> Taken {
        let mut state = self.shared.lock();
        let chunks: Vec<Bytes> = state.chunks.drain(..).collect();
        state.buffered = 0;
        let end = state.end.clone();
        state.listener.waiting = chunks.is_empty() && end.is_none();
        drop(state);
        if !chunks.is_empty() {
            self.shared.room.notify_one();
        }
        Taken { chunks, end }
    }

    /// The body as a stream, for a reader on engine threads (the multipart
    /// parser): it takes the place of the handler's side, and is woken by
    /// its own notifier.
    pub(crate) fn into_stream(
        self,
    ) -> impl futures_util::Stream<Item = Result<Bytes, std::io::Error>> + Send + 'static {
        let woken = Arc::new(Notify::new());
        let waker = woken.clone();
        self.notify_with(Box::new(move || waker.notify_one()));
        let start = (self, woken, VecDeque::new(), None);
        futures_util::stream::unfold(start, |(inlet, woken, mut chunks, mut end)| async move {
            loop {
                if let Some(chunk) = chunks.pop_front() {
                    return Some((Ok(chunk), (inlet, woken, chunks, end)));
                }
                match end {
                    Some(Ok(())) => return None,
                    Some(Err(why)) => {
                        let error = std::io::Error::other(why);
                        return Some((Err(error), (inlet, woken, chunks, Some(Ok(())))));
                    }
                    None => {}
                }
                let taken = inlet.take();
                chunks.extend(taken.chunks);
                end = taken.end;
                if chunks.is_empty() && end.is_none() {
                    woken.notified().await;
                }
            }
        })
    }

    /// Sets what tells the handler's side that chunks have come.
    pub fn notify_with(&self, notifier: Notifier) {
        self.shared.lock().listener.set(notifier);
    }

    /// The handler is done with the body: the engine stops keeping it.
    pub fn release(&self) {
        let mut state = self.shared.lock();
        state.released = true;
        state.chunks.clear();
        state.buffered = 0;
        drop(state);
        self.shared.room.notify_one();
    }

    /// Adds a chunk the engine read.
    pub(crate) fn push(&self, chunk: Bytes) {
        let mut state = self.shared.lock();
        if state.released || chunk.is_empty() {
            return;
        }
        state.buffered += chunk.len();
        state.chunks.push_back(chunk);
        self.shared.tell(state);
    }

    /// Ends the body: at its end, or cut short for `why`.
    pub(crate) fn finish(&self, end: Result<(), String>) {
        let mut state = self.shared.lock();
        if state.end.is_none() {
            state.end = Some(end);
            self.shared.tell(state);
        }
    }

    /// Whether the handler has room for more: it took enough, or let go.
    pub(crate) fn has_room(&self) -> bool {
        let state = self.shared.lock();
        state.released || state.buffered < self.shared.window
    }

    /// Whether the handler let go of the body.
    pub(crate) fn released(&self) -> bool {
        self.shared.lock().released
    }

    /// Resolves once the handler has taken chunks or let go.
    pub(crate) async fn room(&self) {
        self.shared.room.notified().await;
    }
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, State> {
        // A holder that panicked leaves at worst a body cut short.
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Runs the notifier if the handler waits for news; outside the lock.
    fn tell(&self, mut state: MutexGuard<'_, State>) {
        let Some(notify) = state.listener.take() else {
            return;
        };
        drop(state);
        notify();
        self.lock().listener.restore(notify);
    }
}

impl std::fmt::Debug for Inlet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Inlet").finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    #[test]
    fn fills_to_its_window_and_tells_a_waiting_handler() {
        let inlet = Inlet::new(8);
        let told = Arc::new(AtomicUsize::new(0));
        let counter = told.clone();
        inlet.notify_with(Box::new(move || {
            counter.fetch_add(1, Ordering::SeqCst);
        }));
        // Nothing yet: the handler now waits to be told.
        let first = inlet.take();
        assert!(first.chunks.is_empty() && first.end.is_none());
        inlet.push(Bytes::from_static(b"abcd"));
        assert_eq!(told.load(Ordering::SeqCst), 1);
        assert!(inlet.has_room());
        inlet.push(Bytes::from_static(b"efgh"));
        assert_eq!(
            told.load(Ordering::SeqCst),
            1,
            "told once until it takes again"
        );
        assert!(!inlet.has_room());
        let taken = inlet.take();
        assert_eq!(
            taken.chunks,
            [Bytes::from_static(b"abcd"), Bytes::from_static(b"efgh")]
        );
        assert!(inlet.has_room());
        inlet.finish(Ok(()));
        assert_eq!(inlet.take().end, Some(Ok(())));
    }

    #[test]
    fn a_released_body_discards_what_comes() {
        let inlet = Inlet::new(4);
        inlet.push(Bytes::from_static(b"abcdef"));
        assert!(!inlet.has_room());
        inlet.release();
        assert!(inlet.released() && inlet.has_room());
        inlet.push(Bytes::from_static(b"more"));
        assert!(inlet.take().chunks.is_empty());
    }
}
