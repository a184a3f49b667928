//! Ids for values lent to another runtime that may name them after they are
//! gone.
//!
//! A JS handler holds a request's id for as long as it likes: it may answer,
//! read a header or run an inline middleware long after the client left, the
//! request timed out, or the slot went to another request. Each id is a slot
//! index plus the slot's generation, so such a late call finds nothing and
//! does nothing. Ids stay below 2^53, so a JS number holds one exactly.

use std::collections::VecDeque;
use std::time::Instant;

/// Bits of an id that hold the slot index.
const INDEX_BITS: u32 = 20;
/// The most values held at once (1,048,576).
pub const CAPACITY: usize = 1 << INDEX_BITS;
/// Generations stay below this, so ids stay below 2^53.
const GENERATIONS: u64 = 1 << (53 - INDEX_BITS);
/// Freed slots are reused only while this many others wait, oldest first, so
/// a slot comes back at most once per this many frees: a generation then
/// wraps after 2^33 × 1024 uses of the table, never in practice.
const RESERVE: usize = 1024;

/// A table of values by id, where a value can be ended early: its memory is
/// freed at once and a tombstone keeps its id reserved, and why it ended
/// (a small `W`), until the holder gives it back or a deadline passes.
#[derive(Debug)]
pub struct Slots<T, W = ()> {
    entries: Vec<Entry<T, W>>,
    /// Vacant slots, oldest first.
    free: VecDeque<u32>,
    /// Tombstones by deadline, oldest first; a stale one is skipped.
    tombstones: VecDeque<(Instant, u64)>,
    live: usize,
    ended: usize,
}

#[derive(Debug)]
struct Entry<T, W> {
    generation: u64,
    state: State<T, W>,
}

#[derive(Debug)]
enum State<T, W> {
    Vacant,
    Live(T),
    Ended(W),
}

impl<T, W> Default for Slots<T, W> {
    fn default() -> Self {
        Self {
            entries: Vec::new(),
            free: VecDeque::new(),
            tombstones: VecDeque::new(),
            live: 0,
            ended: 0,
        }
    }
}

impl<T, W: Copy> Slots<T, W> {
    /// An empty table.
    pub fn new() -> Self {
        Self::default()
    }

    /// Stores `value` and returns its id (never 0), or gives the value back
    /// when [`CAPACITY`] slots are taken.
    pub fn insert(&mut self, value: T) -> Result<u64, T> {
        let index = if self.free.len() > RESERVE || self.entries.len() == CAPACITY {
            match self.free.pop_front() {
                Some(index) => index as usize,
                None => return Err(value),
            }
        } else {
            self.entries.push(Entry {
                generation: 0,
                state: State::Vacant,
            });
            self.entries.len() - 1
        };
        let entry = &mut self.entries[index];
        entry.generation = entry.generation % (GENERATIONS - 1) + 1;
        entry.state = State::Live(value);
        self.live += 1;
        Ok(entry.generation << INDEX_BITS | index as u64)
    }

    /// The live value of `id`.
    pub fn get(&self, id: u64) -> Option<&T> {
        match &self.entry(id)?.state {
            State::Live(value) => Some(value),
            _ => None,
        }
    }

    /// The live value of `id`, to change.
    pub fn get_mut(&mut self, id: u64) -> Option<&mut T> {
        match &mut self.entry_mut(id)?.state {
            State::Live(value) => Some(value),
            _ => None,
        }
    }

    /// Gives `id` back: frees its slot, live or a tombstone, and returns the
    /// value when it was live.
    pub fn remove(&mut self, id: u64) -> Option<T> {
        let entry = self.entry_mut(id)?;
        let state = std::mem::replace(&mut entry.state, State::Vacant);
        self.free.push_back(index_of(id) as u32);
        match state {
            State::Live(value) => {
                self.live -= 1;
                Some(value)
            }
            _ => {
                self.ended -= 1;
                None
            }
        }
    }

    /// Ends `id` early, because of `why`: returns its value for the caller to
    /// drop and keeps a tombstone until [`Slots::remove`] or, at the latest,
    /// `deadline`.
    pub fn end(&mut self, id: u64, deadline: Instant, why: W) -> Option<T> {
        let entry = self.entry_mut(id)?;
        if !matches!(entry.state, State::Live(_)) {
            // Ended already: the first reason stands.
            return None;
        }
        let State::Live(value) = std::mem::replace(&mut entry.state, State::Ended(why)) else {
            unreachable!("checked above");
        };
        self.live -= 1;
        self.ended += 1;
        self.tombstones.push_back((deadline, id));
        Some(value)
    }

    /// Frees the tombstones whose deadline is at or before `now`; their ids
    /// are then unknown and a later [`Slots::remove`] does nothing.
    pub fn expire(&mut self, now: Instant) {
        while let Some(&(deadline, id)) = self.tombstones.front() {
            if deadline > now {
                break;
            }
            self.tombstones.pop_front();
            if matches!(
                self.entry(id),
                Some(Entry {
                    state: State::Ended(_),
                    ..
                })
            ) {
                self.remove(id);
            }
        }
    }

    /// Live values.
    pub fn live(&self) -> usize {
        self.live
    }

    /// Tombstones.
    pub fn ended(&self) -> usize {
        self.ended
    }

    /// The occupied entry `id` names, if its generation is current.
    /// Why `id` ended, while its tombstone stands.
    pub fn why_ended(&self, id: u64) -> Option<W> {
        match self.entry(id)?.state {
            State::Ended(why) => Some(why),
            _ => None,
        }
    }

    fn entry(&self, id: u64) -> Option<&Entry<T, W>> {
        self.entries
            .get(index_of(id))
            .filter(|entry| entry.names(id))
    }

    fn entry_mut(&mut self, id: u64) -> Option<&mut Entry<T, W>> {
        self.entries
            .get_mut(index_of(id))
            .filter(|entry| entry.names(id))
    }
}

impl<T, W> Entry<T, W> {
    /// Whether `id` is this occupied entry's current id.
    fn names(&self, id: u64) -> bool {
        self.generation == id >> INDEX_BITS && !matches!(self.state, State::Vacant)
    }
}

fn index_of(id: u64) -> usize {
    (id & (CAPACITY as u64 - 1)) as usize
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    /// Frees `id` and enough others that its slot is the next one reused.
    fn free_for_reuse(slots: &mut Slots<&'static str>, id: u64) {
        slots.remove(id);
        let others: Vec<u64> = (0..=RESERVE).map(|_| slots.insert("x").unwrap()).collect();
        for other in others {
            slots.remove(other);
        }
    }

    #[test]
    fn a_late_call_for_a_reused_slot_finds_nothing() {
        let mut slots: Slots<_> = Slots::new();
        let first = slots.insert("first").unwrap();
        free_for_reuse(&mut slots, first);
        let reused = slots.insert("second").unwrap();
        assert_eq!(index_of(reused), index_of(first), "the slot is reused");
        assert_ne!(reused, first);
        assert_eq!(slots.get(first), None);
        assert_eq!(slots.get_mut(first), None);
        assert_eq!(slots.remove(first), None);
        assert_eq!(slots.end(first, Instant::now(), ()), None);
        assert_eq!(slots.get(reused), Some(&"second"));
    }

    #[test]
    fn ids_are_never_zero_and_fit_a_js_number() {
        let mut slots: Slots<_> = Slots::new();
        for _ in 0..3 * RESERVE {
            let id = slots.insert(()).unwrap();
            assert!(id != 0 && id < 1 << 53, "{id}");
            slots.remove(id);
        }
    }

    #[test]
    fn freed_slots_wait_in_a_reserve_before_reuse() {
        let mut slots: Slots<_> = Slots::new();
        let mut seen = std::collections::HashSet::new();
        for _ in 0..RESERVE {
            let id = slots.insert(()).unwrap();
            seen.insert(index_of(id));
            slots.remove(id);
        }
        assert_eq!(seen.len(), RESERVE, "no slot came back within the reserve");
    }

    #[test]
    fn an_ended_value_is_freed_at_once_and_its_tombstone_at_the_deadline() {
        let mut slots: Slots<_> = Slots::new();
        let now = Instant::now();
        let id = slots.insert(vec![0u8; 64]).unwrap();
        assert_eq!(
            slots
                .end(id, now + Duration::from_secs(5), ())
                .map(|v| v.len()),
            Some(64)
        );
        assert_eq!((slots.live(), slots.ended()), (0, 1));
        assert_eq!(slots.get(id), None, "a tombstone has no value");
        assert_eq!(slots.end(id, now, ()), None, "ending twice does nothing");
        slots.expire(now + Duration::from_secs(4));
        assert_eq!(slots.ended(), 1, "kept until its deadline");
        slots.expire(now + Duration::from_secs(5));
        assert_eq!(slots.ended(), 0);
        assert_eq!(slots.remove(id), None, "an expired id is unknown");
        assert_eq!((slots.live(), slots.ended()), (0, 0));
    }

    #[test]
    fn a_tombstone_given_back_is_freed_and_its_deadline_skipped() {
        let mut slots: Slots<_> = Slots::new();
        let now = Instant::now();
        let id = slots.insert(1).unwrap();
        slots.end(id, now, ());
        assert_eq!(slots.remove(id), None);
        assert_eq!(slots.ended(), 0);
        let other = slots.insert(2).unwrap();
        slots.expire(now + Duration::from_secs(1));
        assert_eq!(
            slots.get(other),
            Some(&2),
            "a stale deadline touches nothing"
        );
        assert_eq!(slots.live(), 1);
    }

    #[test]
    fn a_full_table_gives_the_value_back() {
        let mut slots: Slots<_> = Slots::new();
        for _ in 0..CAPACITY {
            slots.insert(()).unwrap();
        }
        assert_eq!(slots.insert(()), Err(()));
    }

    #[test]
    fn generations_wrap_below_the_limit_and_skip_zero() {
        let mut slots: Slots<_> = Slots::new();
        let first = slots.insert("first").unwrap();
        slots.entries[index_of(first)].generation = GENERATIONS - 1;
        let last = (GENERATIONS - 1) << INDEX_BITS | index_of(first) as u64;
        assert!(last < 1 << 53);
        free_for_reuse(&mut slots, last);
        let wrapped = slots.insert("again").unwrap();
        assert_eq!(wrapped >> INDEX_BITS, 1);
        assert_eq!(index_of(wrapped), index_of(first));
    }

    #[test]
    fn a_tombstone_remembers_why_its_value_ended() {
        let mut slots: Slots<&str, u8> = Slots::new();
        let id = slots.insert("request").unwrap();
        let now = Instant::now();
        assert_eq!(slots.why_ended(id), None);
        assert_eq!(
            slots.end(id, now + Duration::from_secs(5), 2),
            Some("request")
        );
        assert_eq!(slots.end(id, now, 3), None);
        assert_eq!(slots.why_ended(id), Some(2), "the first reason stands");
        slots.remove(id);
        assert_eq!(slots.why_ended(id), None);
    }
}
