//! Panics on demand, for the tests that prove a panic never aborts Node:
//! `panicForTest()` panics in an export, and native middleware of kind
//! `panicForTest` panics on an engine thread. Both work only in a process
//! started with `ARMATURE_TEST_PANICS=1`; the tests load the release build,
//! so a compile-time switch could not reach them.

use std::sync::{Arc, OnceLock};

use armature_engine::http::request::Parts;
use armature_engine::middleware::{Flow, Layer};
use armature_engine::ErrorCode;
use napi_derive::napi;

use crate::error::{guard, thrown, CodedError};

/// The middleware kind that panics.
pub(crate) const KIND: &str = "panicForTest";

static ENABLED: OnceLock<bool> = OnceLock::new();

/// Reads the switch once, when the addon loads.
pub(crate) fn init() {
    let on = std::env::var_os("ARMATURE_TEST_PANICS").is_some_and(|value| value == "1");
    let _ = ENABLED.set(on);
}

fn enabled() -> bool {
    ENABLED.get().copied().unwrap_or(false)
}

fn disabled() -> CodedError {
    thrown(
        ErrorCode::InvalidOption,
        "panicForTest works only in a process started with ARMATURE_TEST_PANICS=1",
    )
}

/// Panics, so that a test sees `ERR_ARMATURE_PANIC` thrown.
// napi registers exports only outside `cfg(test)`, so a test build sees no caller.
#[cfg_attr(test, allow(dead_code))]
#[napi]
pub fn panic_for_test() -> Result<(), CodedError> {
    guard(|| -> Result<(), CodedError> {
        if !enabled() {
            return Err(disabled());
        }
        panic!("a panic a test asked for")
    })
}

/// The middleware that panics on every request, when enabled.
pub(crate) fn layer() -> Result<Arc<dyn Layer>, CodedError> {
    if enabled() {
        Ok(Arc::new(Panics))
    } else {
        Err(disabled())
    }
}

#[derive(Debug)]
struct Panics;

impl Layer for Panics {
    fn before(&self, _request: &mut Parts) -> Flow {
        panic!("a panic a test asked for, on an engine thread")
    }
}
