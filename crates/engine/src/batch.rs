//! A queue of [`Call`]s whose consumer is woken once per batch, not once per
//! request: crossing into another runtime (a JavaScript event loop) costs far
//! more than the request itself, so requests travel in batches. The reports
//! of calls that ended unanswered travel in the same batches.
//!
//! A batch is closed when the worker thread that queued it runs out of work
//! and is about to park, when it reaches [`MAX_BATCH`] calls, or at the latest
//! [`MAX_DELAY`] after its first call, for a runtime that never idles.

use std::cell::{Cell, RefCell};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, Weak};
use std::time::{Duration, Instant};

use crate::{Call, Dispatch, Ended};

/// Calls queued before the consumer is woken even if the worker is busy.
pub const MAX_BATCH: usize = 64;
/// The longest a queued call waits for its wake when no worker parks.
pub const MAX_DELAY: Duration = Duration::from_millis(1);

type Wake = Box<dyn Fn() + Send + Sync>;

/// What the consumer hears besides new calls, by the ids it gave.
#[derive(Debug, Default)]
pub struct News {
    /// Claimed calls that ended without an answer, and why.
    pub ended: Vec<(u64, Ended)>,
    /// Streamed response bodies with room again.
    pub room: Vec<u64>,
    /// Streamed request bodies with new chunks.
    pub readable: Vec<u64>,
}

/// Queues calls and wakes the consumer once per batch; the consumer takes the
/// batch with [`Batcher::drain`].
pub struct Batcher {
    queue: Mutex<Queue>,
    /// A wake is on its way and the consumer has not drained since.
    woken: AtomicBool,
    /// A fallback timer is running for the current batch.
    timer_armed: AtomicBool,
    wake: Wake,
    this: Weak<Batcher>,
}

/// What waits for the consumer.
#[derive(Default)]
struct Queue {
    calls: Vec<Call>,
    /// Ids of claimed calls that ended without an answer, and why.
    ended: Vec<(u64, Ended)>,
    /// Ids whose streamed body has room again.
    room: Vec<u64>,
    /// Ids whose streamed request body has new chunks.
    readable: Vec<u64>,
    /// When the oldest call in `calls` was queued.
    since: Option<Instant>,
}

impl Queue {
    fn len(&self) -> usize {
        self.calls.len() + self.ended.len() + self.room.len() + self.readable.len()
    }
}

impl std::fmt::Debug for Batcher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Batcher").finish_non_exhaustive()
    }
}

thread_local! {
    /// Set once the thread has parked through [`on_thread_park`]: only such
    /// threads can defer a wake until they park.
    static PARKS: Cell<bool> = const { Cell::new(false) };
    /// Batchers this thread queued into since it last parked.
    static DEFERRED: RefCell<Vec<Arc<Batcher>>> = const { RefCell::new(Vec::new()) };
}

/// Hook for tokio's `on_thread_park`: closes the batches this thread queued.
pub(crate) fn on_thread_park() {
    PARKS.with(|parks| parks.set(true));
    let deferred = DEFERRED.with(|deferred| std::mem::take(&mut *deferred.borrow_mut()));
    for batcher in deferred {
        batcher.flush();
    }
}

impl Batcher {
    /// Creates a batcher that calls `wake` (from an engine thread) when a
    /// batch is ready and the consumer has not been woken yet.
    pub fn new(wake: impl Fn() + Send + Sync + 'static) -> Arc<Self> {
        Arc::new_cyclic(|this| Self {
            queue: Mutex::new(Queue {
                calls: Vec::with_capacity(MAX_BATCH),
                ended: Vec::new(),
                room: Vec::new(),
                readable: Vec::new(),
                since: None,
            }),
            woken: AtomicBool::new(false),
            timer_armed: AtomicBool::new(false),
            wake: Box::new(wake),
            this: this.clone(),
        })
    }

    /// Moves every queued call into `calls`, and the ids reported since into
    /// `news`. The consumer calls this when woken; what is queued after it
    /// triggers a new wake.
    pub fn drain(&self, calls: &mut Vec<Call>, news: &mut News) {
        self.woken.store(false, Ordering::SeqCst);
        let mut queue = self.lock();
        calls.append(&mut queue.calls);
        news.ended.append(&mut queue.ended);
        news.room.append(&mut queue.room);
        news.readable.append(&mut queue.readable);
        queue.since = None;
    }

    /// Tells the consumer, in the next batch, that the streamed request body
    /// of the call it names `id` has new chunks ([`crate::inlet::Inlet`]).
    pub fn readable(&self, id: u64) {
        self.queue(|queue| queue.readable.push(id));
    }

    /// Tells the consumer, in the next batch, that the streamed body it
    /// names `id` has room again ([`crate::pipe::PipeEvents::room`]).
    pub fn room(&self, id: u64) {
        self.queue(|queue| queue.room.push(id));
    }

    /// The calls waiting for the consumer, and how long the oldest has: what
    /// grows when the consumer falls behind.
    pub fn backlog(&self) -> (usize, Duration) {
        let queue = self.lock();
        let age = queue.since.map_or(Duration::ZERO, |since| since.elapsed());
        (queue.calls.len(), age)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Queue> {
        // A panic while holding the lock cannot leave the Vec inconsistent.
        self.queue
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn flush(&self) {
        if self.lock().len() > 0 && !self.woken.swap(true, Ordering::SeqCst) {
            (self.wake)();
        }
    }

    fn defer(&self) {
        let Some(this) = self.this.upgrade() else {
            return;
        };
        DEFERRED.with(|deferred| {
            let mut deferred = deferred.borrow_mut();
            if !deferred.iter().any(|b| Arc::ptr_eq(b, &this)) {
                deferred.push(this.clone());
            }
        });
        if !self.timer_armed.swap(true, Ordering::SeqCst) {
            tokio::spawn(async move {
                tokio::time::sleep(MAX_DELAY).await;
                this.timer_armed.store(false, Ordering::SeqCst);
                this.flush();
            });
        }
    }
}

impl Batcher {
    /// Queues with `push` and closes the batch now, or defers that to the park.
    fn queue(&self, push: impl FnOnce(&mut Queue)) {
        let queued = {
            let mut queue = self.lock();
            push(&mut queue);
            queue.len()
        };
        let can_defer = PARKS.with(Cell::get) && tokio::runtime::Handle::try_current().is_ok();
        if queued >= MAX_BATCH || !can_defer {
            self.flush();
        } else {
            self.defer();
        }
    }
}

impl Dispatch for Batcher {
    fn dispatch(&self, call: Call) {
        self.queue(|queue| {
            if queue.calls.is_empty() {
                queue.since = Some(Instant::now());
            }
            queue.calls.push(call);
        });
    }

    fn ended(&self, id: u64, why: Ended) {
        self.queue(|queue| queue.ended.push((id, why)));
    }
}
