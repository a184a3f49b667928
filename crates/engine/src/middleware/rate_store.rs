//! The rate limiter's memory of clients: bounded in entries and in bytes,
//! split into shards with a lock each so that engine threads counting
//! different clients do not wait on one another. Keys come from requests
//! (an address, or any header's value), so a long one is stored as a seeded
//! hash: a client cannot make an entry larger than [`MAX_KEY`] bytes, nor
//! predict which other key its hash would share a counter with.

use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

use xxhash_rust::xxh3::{xxh3_128_with_seed, xxh3_64_with_seed};

/// Keys longer than this many bytes are stored as their hash.
pub(crate) const MAX_KEY: usize = 256;
/// Locks: enough that a few engine threads rarely meet on one.
const SHARDS: usize = 16;

/// Values by client key, forgetting the idle and then the least recently
/// seen when full.
#[derive(Debug)]
pub(crate) struct Store<V> {
    shards: Box<[Mutex<Shard<V>>]>,
    seed: u64,
    keys_per_shard: usize,
    bytes_per_shard: usize,
    /// Entries unseen this long are the first forgotten.
    idle: Duration,
}

#[derive(Debug)]
struct Shard<V> {
    entries: HashMap<Box<str>, (Instant, V)>,
    /// What the entries take: their keys and a fixed cost each.
    bytes: usize,
}

impl<V> Store<V> {
    /// Remembers at most `max_keys` entries in at most `max_bytes`.
    pub(crate) fn new(max_keys: usize, max_bytes: usize, idle: Duration) -> Self {
        let shards = (0..SHARDS)
            .map(|_| {
                Mutex::new(Shard {
                    entries: HashMap::new(),
                    bytes: 0,
                })
            })
            .collect();
        Self {
            shards,
            seed: uuid::Uuid::new_v4().as_u64_pair().0,
            keys_per_shard: max_keys.div_ceil(SHARDS),
            bytes_per_shard: max_bytes.div_ceil(SHARDS),
            idle,
        }
    }

    /// The bytes one entry costs besides its key.
    fn entry_cost() -> usize {
        // The key's box, the value, and the map's own slot and control byte.
        std::mem::size_of::<(Box<str>, (Instant, V))>() + 8
    }

    /// Runs `use_value` on `key`'s value (made by `fresh` when new) under its
    /// shard's lock, so that counting is exact under any concurrency.
    pub(crate) fn with<R>(
        &self,
        key: &str,
        now: Instant,
        fresh: impl FnOnce() -> V,
        use_value: impl FnOnce(&mut V) -> R,
    ) -> R {
        let key = self.stored(key);
        let shard = xxh3_64_with_seed(key.as_bytes(), self.seed) as usize % SHARDS;
        let mut shard = self.lock(shard);
        if let Some((seen, value)) = shard.entries.get_mut(key.as_ref()) {
            *seen = now;
            return use_value(value);
        }
        let cost = key.len() + Self::entry_cost();
        if shard.entries.len() >= self.keys_per_shard || shard.bytes + cost > self.bytes_per_shard {
            self.forget(&mut shard, now, cost);
        }
        shard.bytes += cost;
        let (_, value) = shard
            .entries
            .entry(key.into_owned().into_boxed_str())
            .or_insert((now, fresh()));
        use_value(value)
    }

    /// `key`, or its seeded hash when it is longer than [`MAX_KEY`].
    fn stored<'k>(&self, key: &'k str) -> Cow<'k, str> {
        if key.len() <= MAX_KEY {
            return Cow::Borrowed(key);
        }
        Cow::Owned(format!(
            "#{:032x}",
            xxh3_128_with_seed(key.as_bytes(), self.seed)
        ))
    }

    fn lock(&self, shard: usize) -> MutexGuard<'_, Shard<V>> {
        // Counters stay consistent even if a holder panicked mid-update.
        self.shards[shard]
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Makes room for an entry of `cost` bytes: drops the idle, then the
    /// least recently seen tenth until it fits.
    fn forget(&self, shard: &mut Shard<V>, now: Instant, cost: usize) {
        let fits = |shard: &Shard<V>| {
            shard.entries.len() < self.keys_per_shard && shard.bytes + cost <= self.bytes_per_shard
        };
        let entry_cost = Self::entry_cost();
        shard
            .entries
            .retain(|_, (seen, _)| now.duration_since(*seen) < self.idle);
        while !fits(shard) && !shard.entries.is_empty() {
            let mut seen: Vec<Instant> = shard.entries.values().map(|(seen, _)| *seen).collect();
            seen.sort_unstable();
            let cut = seen[seen.len() / 10];
            shard.entries.retain(|_, (seen, _)| *seen > cut);
        }
        shard.bytes = shard.entries.keys().map(|key| key.len() + entry_cost).sum();
    }

    /// Entries remembered, in all shards.
    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        (0..SHARDS)
            .map(|shard| self.lock(shard).entries.len())
            .sum()
    }

    /// Bytes the entries take, in all shards.
    #[cfg(test)]
    pub(crate) fn bytes(&self) -> usize {
        (0..SHARDS).map(|shard| self.lock(shard).bytes).sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stores_long_keys_as_hashes_and_stays_within_its_bounds() {
        let store: Store<u64> = Store::new(1_000, 64 * 1024, Duration::from_secs(60));
        let now = Instant::now();
        let long = "k".repeat(10_000);
        let count = |key: &str| {
            store.with(
                key,
                now,
                || 0,
                |n| {
                    *n += 1;
                    *n
                },
            )
        };
        assert_eq!(count(&long), 1);
        assert_eq!(count(&long), 2);
        let other = format!("{long}x");
        assert_eq!(count(&other), 1);
        assert!(store.bytes() < 2 * (MAX_KEY + 128));
        for n in 0..20_000 {
            count(&format!("{n:0>200}"));
        }
        assert!(store.len() <= 1_000 + SHARDS, "{}", store.len());
        assert!(store.bytes() <= 64 * 1024 + SHARDS, "{}", store.bytes());
    }
}
