//! The one door into JS: every call the binding makes into JavaScript from
//! outside a call of JS's own (from engine threads or tokio tasks) goes
//! through the types here, which own napi's thread-safe functions.
//!
//! Every call is fire-and-forget: no JS promise is ever awaited from Rust,
//! and no Rust thread waits for JS. Awaiting a Promise per request measured
//! ~25 µs; waking JS once per batch and taking answers back in batches ~5 µs
//! (ARCHITECTURE.md). The callbacks do nothing but hand JS its turn: a
//! thread-safe function's call has no unwind guard, and JS's dispatcher
//! catches what JS throws.

use napi::bindgen_prelude::{Env, Function, Object, ToNapiValue};
use napi::threadsafe_function::{ThreadsafeFunction, ThreadsafeFunctionCallMode};
use napi::{JsDeferred, Status};

/// Wakes JS to take a batch of requests. Weak: it never keeps Node alive.
pub(crate) struct Wake(ThreadsafeFunction<(), (), (), Status, false, true>);

impl Wake {
    /// Calls `wake`, with nothing, on the JS thread.
    pub(crate) fn new(wake: &Function<(), ()>) -> napi::Result<Self> {
        wake.build_threadsafe_function::<()>()
            .callee_handled::<false>()
            .weak::<true>()
            .build()
            .map(Self)
    }

    /// Queues the call; returns at once, from any thread.
    pub(crate) fn call(&self) {
        self.0.call((), ThreadsafeFunctionCallMode::NonBlocking);
    }
}

/// Holds Node's event loop open until [`KeepAlive::release`].
pub(crate) struct KeepAlive(ThreadsafeFunction<(), (), (), Status, false, false>);

impl KeepAlive {
    /// Holds the loop open for `closed`, which [`KeepAlive::release`] calls.
    pub(crate) fn new(closed: &Function<(), ()>) -> napi::Result<Self> {
        closed
            .build_threadsafe_function::<()>()
            .callee_handled::<false>()
            .weak::<false>()
            .build()
            .map(Self)
    }

    /// Calls `closed` on the JS thread and lets Node exit once it has run.
    pub(crate) fn release(self) {
        self.0.call((), ThreadsafeFunctionCallMode::NonBlocking);
    }
}

/// How a [`Promised`] value is made on the JS thread.
type Settle<T> = Box<dyn FnOnce(Env) -> napi::Result<T> + Send>;

/// A Promise handed to JS now and resolved later, from any thread.
pub(crate) struct Promised<T: ToNapiValue + 'static>(JsDeferred<T, Settle<T>>);

impl<T: ToNapiValue + Send + 'static> Promised<T> {
    /// The promise to hand JS, and what resolves it.
    pub(crate) fn new(env: &Env) -> napi::Result<(Self, Object<'_>)> {
        let (deferred, promise) = env.create_deferred::<T, Settle<T>>()?;
        Ok((Self(deferred), promise))
    }

    /// Resolves the promise with `value`, converted on the JS thread.
    pub(crate) fn resolve(self, value: T) {
        self.0.resolve(Box::new(move |_| Ok(value)));
    }
}
