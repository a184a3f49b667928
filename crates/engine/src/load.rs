//! Load shedding: what the server is carrying, and the 503s that keep it
//! from carrying more than it can answer. A request counts as pending from
//! the moment it is handed to its handler's queue until its call is gone
//! (answered, or ended and dropped by the dispatcher), so that the count
//! bounds the memory the queue and the handlers hold even while the
//! handlers' thread is stalled: beyond `maxPending` a request is refused at
//! once, before its body is read and without reaching the queue.

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use http::header::RETRY_AFTER;
use http::{HeaderValue, Response, StatusCode};

use crate::problem::problem;
use crate::Body;

/// One server's load, shared by its connections.
#[derive(Debug, Default)]
pub(crate) struct Load {
    pending: AtomicUsize,
    shed: AtomicU64,
    connections: AtomicUsize,
}

/// What a server carries now, and what it refused so far.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LoadStats {
    /// Connections open.
    pub connections: usize,
    /// Requests handed to their handlers' queue and not yet answered or
    /// dropped: queued, or being answered.
    pub pending: usize,
    /// Requests answered 503 by load shedding (`maxPending`, `maxQueueDelay`).
    pub shed: u64,
}

impl Load {
    /// True when `max` requests wait already: a new one would be shed.
    pub(crate) fn full(&self, max: usize) -> bool {
        self.pending.load(Ordering::Relaxed) >= max
    }

    /// Counts a request as pending until the guard drops, unless `max` are
    /// pending already.
    pub(crate) fn admit(self: &Arc<Self>, max: usize) -> Option<Pending> {
        if self.pending.fetch_add(1, Ordering::AcqRel) >= max {
            self.pending.fetch_sub(1, Ordering::AcqRel);
            return None;
        }
        Some(Pending(self.clone()))
    }

    /// The answer to a request refused for load: a 503 problem with
    /// `Retry-After` in whole seconds.
    pub(crate) fn shed(&self, why: &str, retry_after: Duration, path: &str) -> Response<Body> {
        self.shed.fetch_add(1, Ordering::Relaxed);
        let mut response = problem(StatusCode::SERVICE_UNAVAILABLE, Some(why), path);
        let seconds = retry_after.as_secs() + u64::from(retry_after.subsec_nanos() > 0);
        response
            .headers_mut()
            .insert(RETRY_AFTER, HeaderValue::from(seconds));
        response
    }

    /// Counts a connection as open until the guard drops.
    pub(crate) fn connection(self: &Arc<Self>) -> OpenConnection {
        self.connections.fetch_add(1, Ordering::AcqRel);
        OpenConnection(self.clone())
    }

    pub(crate) fn stats(&self) -> LoadStats {
        LoadStats {
            connections: self.connections.load(Ordering::Acquire),
            pending: self.pending.load(Ordering::Acquire),
            shed: self.shed.load(Ordering::Acquire),
        }
    }
}

/// A request counted in [`Load`]'s pending ones; its call carries it.
#[derive(Debug)]
pub(crate) struct Pending(Arc<Load>);

impl Drop for Pending {
    fn drop(&mut self) {
        self.0.pending.fetch_sub(1, Ordering::AcqRel);
    }
}

/// A connection counted as open.
pub(crate) struct OpenConnection(Arc<Load>);

impl Drop for OpenConnection {
    fn drop(&mut self) {
        self.0.connections.fetch_sub(1, Ordering::AcqRel);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn admits_up_to_the_limit_and_counts_what_it_sheds() {
        let load = Arc::new(Load::default());
        let first = load.admit(2).unwrap();
        let second = load.admit(2).unwrap();
        assert!(load.full(2));
        assert!(load.admit(2).is_none());
        drop(first);
        assert!(!load.full(2));
        let response = load.shed("busy", Duration::from_millis(1500), "/x");
        assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(response.headers()[RETRY_AFTER], "2");
        assert_eq!(
            load.stats(),
            LoadStats {
                connections: 0,
                pending: 1,
                shed: 1
            }
        );
        drop(second);
    }
}
