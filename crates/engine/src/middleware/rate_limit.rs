//! Rate limiting in the engine: a sliding window or a token bucket per client
//! (its IP, optionally behind trusted proxies, or a header), in a bounded
//! in-memory store; over the limit, 429 with `Retry-After` and `RateLimit-*`.

use std::time::{Duration, Instant};

use http::header::{HeaderName, RETRY_AFTER};
use http::request::Parts;
use http::{HeaderMap, HeaderValue, StatusCode};

use super::rate_store::Store;
use super::{ClientAddr, Flow, Layer};
use crate::problem::problem;
use crate::Error;

/// The least `max_bytes`: room for a few long keys in every shard.
const MIN_BYTES: usize = 64 * 1024;

/// How `RateLimit` counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[cfg_attr(
    feature = "json",
    derive(serde::Deserialize),
    serde(rename_all = "camelCase")
)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum Algorithm {
    /// The last window weighed by how much of it still overlaps.
    #[default]
    SlidingWindow,
    /// `limit` tokens refilled evenly over the window.
    TokenBucket,
}

/// How a [`RateLimit`] tells clients apart.
#[derive(Debug, Clone)]
pub enum RateLimitKey {
    /// The client's address, as the app's trusted proxies report it.
    Ip,
    /// A request header's value (an API key).
    Header(HeaderName),
    /// Given by the caller of [`RateLimit::check`] (in Armature, a JS function).
    Caller,
}

/// A rate limiter's settings, as a Rust caller gives them.
#[derive(Debug, Clone)]
pub struct RateLimitConfig {
    /// Requests a client may make per window; at least 1.
    pub limit: u64,
    /// The window; at least 1 ms.
    pub window: Duration,
    /// How clients are told apart.
    pub key: RateLimitKey,
    /// How requests are counted.
    pub algorithm: Algorithm,
    /// Clients remembered at most; at least 1.
    pub max_keys: usize,
    /// Bytes the remembered clients may take (their keys, of at most 256
    /// bytes each, and a fixed cost per client); at least 64 KiB.
    pub max_bytes: usize,
}

impl RateLimitConfig {
    /// `limit` requests per `window` and client address, sliding window,
    /// 100,000 clients remembered in at most 16 MiB.
    pub fn new(limit: u64, window: Duration) -> Self {
        Self {
            limit,
            window,
            key: RateLimitKey::Ip,
            algorithm: Algorithm::default(),
            max_keys: 100_000,
            max_bytes: 16 * 1024 * 1024,
        }
    }
}

/// What a client has used.
#[derive(Debug, Clone, Copy)]
struct Usage {
    /// Sliding window: the current window's start and counts; token bucket:
    /// `count` is the tokens left (scaled by 1000), `started` the last refill.
    started: Instant,
    count: u64,
    previous: u64,
}

/// The answer to one request.
#[derive(Debug, Clone, Copy)]
pub struct Decision {
    /// Whether it may go on.
    pub allowed: bool,
    /// Requests left in the window (or tokens).
    pub remaining: u64,
    /// Seconds until the window resets (or a token is back).
    pub reset: u64,
}

/// Counts requests per client and refuses those over the limit.
#[derive(Debug)]
pub struct RateLimit {
    limit: u64,
    window: Duration,
    key: RateLimitKey,
    algorithm: Algorithm,
    store: Store<Usage>,
    policy: HeaderValue,
}

impl RateLimit {
    /// Checks the settings.
    pub fn new(config: RateLimitConfig) -> Result<Self, Error> {
        let invalid = |why: &str| Error::invalid_option(format!("rateLimit: {why}"));
        let RateLimitConfig {
            limit,
            window,
            key,
            algorithm,
            max_keys,
            max_bytes,
        } = config;
        if limit == 0 {
            return Err(invalid("limit must be at least 1"));
        }
        if window < Duration::from_millis(1) {
            return Err(invalid("window must be at least 1ms"));
        }
        if max_keys == 0 {
            return Err(invalid("maxKeys must be at least 1"));
        }
        if max_bytes < MIN_BYTES {
            return Err(invalid("maxBytes must be at least 64kb"));
        }
        let policy = HeaderValue::from_str(&format!("{limit};w={}", window.as_secs().max(1)))
            .expect("digits are a valid header value");
        Ok(Self {
            limit,
            window,
            key,
            algorithm,
            // Clients idle for two windows have nothing left to count.
            store: Store::new(max_keys, max_bytes, window * 2),
            policy,
        })
    }

    /// Counts one request of `key` and decides; exact under any concurrency.
    pub fn hit(&self, key: &str) -> Decision {
        let now = Instant::now();
        let fresh = || Usage {
            started: now,
            count: match self.algorithm {
                Algorithm::SlidingWindow => 0,
                Algorithm::TokenBucket => self.limit * 1000,
            },
            previous: 0,
        };
        self.store
            .with(key, now, fresh, |usage| match self.algorithm {
                Algorithm::SlidingWindow => self.slide(usage, now),
                Algorithm::TokenBucket => self.take(usage, now),
            })
    }

    /// Sliding window: this window's count plus the last one's, weighted by
    /// how much of it still overlaps.
    fn slide(&self, usage: &mut Usage, now: Instant) -> Decision {
        let window = self.window.as_secs_f64();
        let mut elapsed = now.duration_since(usage.started).as_secs_f64();
        if elapsed >= window {
            let windows = (elapsed / window).floor();
            usage.previous = if windows < 2.0 { usage.count } else { 0 };
            usage.count = 0;
            usage.started += Duration::from_secs_f64(windows * window);
            elapsed -= windows * window;
        }
        let weight = 1.0 - elapsed / window;
        let used = usage.count as f64 + usage.previous as f64 * weight;
        let reset = (window - elapsed).ceil() as u64;
        if used + 1.0 > self.limit as f64 {
            return Decision {
                allowed: false,
                remaining: 0,
                reset: reset.max(1),
            };
        }
        usage.count += 1;
        let remaining = (self.limit as f64 - used - 1.0).floor().max(0.0) as u64;
        Decision {
            allowed: true,
            remaining,
            reset,
        }
    }

    /// Token bucket: `limit` tokens, refilled evenly over the window.
    fn take(&self, usage: &mut Usage, now: Instant) -> Decision {
        let capacity = self.limit * 1000;
        let per_token = self.window.as_secs_f64() / self.limit as f64;
        let refill = (now.duration_since(usage.started).as_secs_f64() / per_token * 1000.0) as u64;
        if refill > 0 {
            usage.count = (usage.count + refill).min(capacity);
            usage.started = now;
        }
        if usage.count < 1000 {
            let wait = per_token * (1000 - usage.count) as f64 / 1000.0;
            return Decision {
                allowed: false,
                remaining: 0,
                reset: wait.ceil().max(1.0) as u64,
            };
        }
        usage.count -= 1000;
        let missing = (capacity - usage.count) as f64 / 1000.0;
        Decision {
            allowed: true,
            remaining: usage.count / 1000,
            reset: (missing * per_token).ceil() as u64,
        }
    }

    fn key_of(&self, request: &Parts) -> Option<String> {
        match &self.key {
            RateLimitKey::Header(name) => request
                .headers
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned),
            RateLimitKey::Caller => None,
            RateLimitKey::Ip => {
                let client = request.extensions.get::<ClientAddr>()?;
                Some(client.ip(&request.headers).to_string())
            }
        }
    }
}

/// The `RateLimit-*` headers (the IETF draft's, as express-rate-limit sends them).
fn rate_headers(headers: &mut HeaderMap, limit: u64, policy: &HeaderValue, decision: Decision) {
    headers.insert(HeaderName::from_static("ratelimit-policy"), policy.clone());
    headers.insert(
        HeaderName::from_static("ratelimit-limit"),
        HeaderValue::from(limit),
    );
    headers.insert(
        HeaderName::from_static("ratelimit-remaining"),
        HeaderValue::from(decision.remaining),
    );
    headers.insert(
        HeaderName::from_static("ratelimit-reset"),
        HeaderValue::from(decision.reset),
    );
}

impl RateLimit {
    /// Counts a request of client `key` on `path`: a 429 answer when over the
    /// limit, otherwise a hook that adds the `RateLimit-*` headers.
    pub fn check(&self, key: &str, path: &str) -> Flow {
        let decision = self.hit(key);
        if !decision.allowed {
            let detail = format!(
                "more than {} requests in {} s: retry in {} s",
                self.limit,
                self.window.as_secs().max(1),
                decision.reset
            );
            let mut response = problem(StatusCode::TOO_MANY_REQUESTS, Some(&detail), path);
            rate_headers(response.headers_mut(), self.limit, &self.policy, decision);
            response
                .headers_mut()
                .insert(RETRY_AFTER, HeaderValue::from(decision.reset));
            return Flow::Respond(response);
        }
        let limit = self.limit;
        let policy = self.policy.clone();
        Flow::Next(Some(Box::new(move |response| {
            rate_headers(response.headers_mut(), limit, &policy, decision);
        })))
    }
}

impl Layer for RateLimit {
    fn before(&self, request: &mut Parts) -> Flow {
        match self.key_of(request) {
            Some(key) => self.check(&key, request.uri.path()),
            None => Flow::Next(None),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limiter(algorithm: Algorithm) -> RateLimit {
        RateLimit::new(RateLimitConfig {
            algorithm,
            max_keys: 2,
            ..RateLimitConfig::new(3, Duration::from_secs(60))
        })
        .unwrap()
    }

    #[test]
    fn counts_exactly_per_key() {
        for algorithm in [Algorithm::SlidingWindow, Algorithm::TokenBucket] {
            let limiter = limiter(algorithm);
            let allowed: Vec<bool> = (0..5).map(|_| limiter.hit("a").allowed).collect();
            assert_eq!(allowed, [true, true, true, false, false], "{algorithm:?}");
            assert!(limiter.hit("b").allowed, "{algorithm:?}");
            // A third key makes room in a store of two.
            assert!(limiter.hit("c").allowed, "{algorithm:?}");
            // One entry a shard: the bound is max_keys rounded up to whole shards.
            assert!(limiter.store.len() <= 16, "{algorithm:?}");
        }
    }
}
