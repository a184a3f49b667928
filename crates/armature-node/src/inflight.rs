//! The requests JS holds: the one owner of every request between `drain`
//! and its answer, and of what is kept for it meanwhile.
//!
//! A request that ends without JS (the client left, or the engine answered
//! 503 on the timeout) is freed on the engine's report, at once, whatever
//! its handler does: only a tombstone stays until JS answers, or `GRACE`
//! after the report at the latest. Ids carry a generation, so anything JS
//! does later with a freed or reused id is a harmless no-op.

use std::time::{Duration, Instant};

use armature_engine::http::StatusCode;
use armature_engine::middleware::After;
use std::collections::{HashMap, VecDeque};
use std::sync::Arc;

use armature_engine::http::header::CONTENT_TYPE;
use armature_engine::inlet::{Inlet, Taken};
use armature_engine::multipart::{Parts, Source};
use armature_engine::{problem, Batcher, Call, Ended, Slots};

/// How long a tombstone outlives the report that its request ended. The
/// report comes at the request timeout at the latest, so a tombstone is gone
/// by the request's arrival plus the timeout plus this.
const GRACE: Duration = Duration::from_secs(5);

/// One request JS holds.
pub(crate) struct Pending {
    pub(crate) call: Call,
    /// Response hooks of inline middleware, with their index, until they run.
    afters: Vec<(u32, After)>,
    /// JS made its `req.signal`: tell JS when the request ends.
    watched: bool,
}

/// Requests handed to JS and not answered yet, by the id JS holds.
#[derive(Default)]
pub(crate) struct Inflight {
    /// The streamed request bodies JS may still read, by request id (a
    /// handler that answers with a stream may read on after its answer).
    inlets: HashMap<u64, Inlet>,
    /// The multipart bodies JS is reading, by request id; kept as inlets are.
    parts: HashMap<u64, Parts>,
    /// Bodies of requests that ended, forgotten after `GRACE` unless JS read
    /// their end first (a cut body's reason waits for the handler).
    forget: VecDeque<(Instant, u64)>,
    // Boxed, so that a tombstone or a vacant slot is a few bytes; a
    // tombstone keeps why its request ended, for a signal made later.
    slots: Slots<Box<Pending>, Ended>,
}

/// Where a request stands, for its `req.signal`.
pub(crate) enum Watch {
    /// Still waiting for its answer: JS will be told if it ends.
    Watching,
    /// It ended, for this reason.
    Ended(Ended),
    /// Answered, or long gone.
    Unknown,
}

/// An id as JS passes it: a number below 2^53.
fn id(id: i64) -> u64 {
    u64::try_from(id).unwrap_or(0)
}

impl Inflight {
    /// Takes `call` in and returns its id, or `None` when nobody waits for
    /// it any more (it is dropped) or the table is full (it is answered 503).
    pub(crate) fn admit(&mut self, call: Call, batcher: &Arc<Batcher>) -> Option<(u64, &Call)> {
        let pending = Box::new(Pending {
            call,
            afters: Vec::new(),
            watched: false,
        });
        let id = match self.slots.insert(pending) {
            Ok(id) => id,
            Err(pending) => {
                let path = pending.call.uri.path().to_owned();
                let detail = "too many requests are waiting for their handlers";
                let response = problem(StatusCode::SERVICE_UNAVAILABLE, Some(detail), &path);
                pending.call.respond(response);
                return None;
            }
        };
        let claimed = self.slots.get(id).is_some_and(|p| p.call.claim(id));
        if !claimed {
            self.slots.remove(id);
            return None;
        }
        if let Some(inlet) = self.slots.get(id).and_then(|p| p.call.body_stream.clone()) {
            let batcher = batcher.clone();
            inlet.notify_with(Box::new(move || batcher.readable(id)));
            self.inlets.insert(id, inlet);
        }
        self.slots.get(id).map(|pending| (id, &pending.call))
    }

    /// Frees the requests the engine reports ended, keeping tombstones, and
    /// the tombstones whose time is up; the watched ones go to `aborted`,
    /// for their signals.
    pub(crate) fn end(
        &mut self,
        ended: impl IntoIterator<Item = (u64, Ended)>,
        aborted: &mut Vec<(u64, Ended)>,
    ) {
        let now = Instant::now();
        while let Some(&(deadline, id)) = self.forget.front() {
            if deadline > now {
                break;
            }
            self.forget.pop_front();
            self.let_go(id);
        }
        for (id, why) in ended {
            if self.inlets.contains_key(&id) || self.parts.contains_key(&id) {
                self.forget.push_back((now + GRACE, id));
            }
            if let Some(pending) = self.slots.end(id, now + GRACE, why) {
                if pending.watched {
                    aborted.push((id, why));
                }
            }
        }
        self.slots.expire(now);
    }

    /// Watches request `id` for its signal.
    pub(crate) fn watch(&mut self, id: i64) -> Watch {
        let id = self::id(id);
        if let Some(pending) = self.slots.get_mut(id) {
            pending.watched = true;
            return Watch::Watching;
        }
        self.slots
            .why_ended(id)
            .map_or(Watch::Unknown, Watch::Ended)
    }

    /// The request `id`, while JS may still answer it.
    pub(crate) fn get(&self, id: i64) -> Option<&Call> {
        self.slots.get(self::id(id)).map(|pending| &pending.call)
    }

    pub(crate) fn get_mut(&mut self, id: i64) -> Option<&mut Call> {
        self.slots
            .get_mut(self::id(id))
            .map(|pending| &mut pending.call)
    }

    /// Gives request `id` back for its answer; `None` for a request that
    /// ended or is unknown, whose answer is dropped.
    pub(crate) fn answer(&mut self, id: u64) -> Option<Call> {
        self.slots.remove(id).map(|pending| pending.call)
    }

    /// Takes the chunks of request `id`'s streamed body that have come;
    /// `None` when it has none (any more). Forgets the body once it is over.
    pub(crate) fn pull(&mut self, id: i64) -> Option<Taken> {
        let id = self::id(id);
        let taken = self.inlets.get(&id)?.take();
        if taken.end.is_some() {
            self.inlets.remove(&id);
        }
        Some(taken)
    }

    /// JS is done with request `id`'s streamed or multipart body: the
    /// engine discards the rest (and a part's unfinished save).
    pub(crate) fn release(&mut self, id: i64) {
        self.let_go(self::id(id));
    }

    fn let_go(&mut self, id: u64) {
        if let Some(inlet) = self.inlets.remove(&id) {
            inlet.release();
        }
        self.parts.remove(&id);
    }

    /// Hands request `id`'s body to a parser: the request's id, its
    /// `Content-Type`, and the body (its inlet, or what the engine read).
    /// `None` for a request that ended, or a streamed body already taken.
    pub(crate) fn body_source(&mut self, id: i64) -> Option<(u64, String, Source)> {
        let id = self::id(id);
        let call = &mut self.slots.get_mut(id)?.call;
        let content_type = call
            .headers
            .get(CONTENT_TYPE)
            .map(|value| String::from_utf8_lossy(value.as_bytes()).into_owned())
            .unwrap_or_default();
        let source = if call.body_stream.is_some() {
            Source::Streamed(self.inlets.remove(&id)?)
        } else {
            Source::Read(std::mem::take(&mut call.body))
        };
        Some((id, content_type, source))
    }

    /// Keeps the parser of request `id`'s body until JS lets it go.
    pub(crate) fn keep_parts(&mut self, id: u64, parts: Parts) {
        self.parts.insert(id, parts);
    }

    /// The parser of request `id`'s body.
    pub(crate) fn parts(&self, id: i64) -> Option<&Parts> {
        self.parts.get(&self::id(id))
    }

    /// Keeps inline middleware `index`'s response hook for request `id`.
    pub(crate) fn push_after(&mut self, id: i64, index: u32, after: After) {
        if let Some(pending) = self.slots.get_mut(self::id(id)) {
            pending.afters.push((index, after));
        }
    }

    /// The latest response hook of inline middleware `index` for request `id`.
    pub(crate) fn take_after(&mut self, id: i64, index: u32) -> Option<After> {
        let afters = &mut self.slots.get_mut(self::id(id))?.afters;
        let at = afters.iter().rposition(|(i, _)| *i == index)?;
        Some(afters.remove(at).1)
    }
}
