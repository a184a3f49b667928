//! The one mapping from engine errors to JS errors: the engine's stable code
//! becomes `err.code`.

use armature_engine::Error;

/// A JS error whose `code` is one of the `ERR_ARMATURE_*` codes.
pub(crate) type CodedError = napi::Error<&'static str>;

/// Code for failures of the binding itself (a napi call that failed).
pub(crate) const INTERNAL: &str = "ERR_ARMATURE_INTERNAL";
/// Code for a request handed to `inject` that is not valid HTTP.
pub(crate) const INVALID_REQUEST: &str = "ERR_ARMATURE_INVALID_REQUEST";

pub(crate) fn coded(error: Error) -> CodedError {
    napi::Error::new(error.code(), error.to_string())
}

pub(crate) fn internal(error: napi::Error) -> CodedError {
    napi::Error::new(INTERNAL, error.reason)
}

/// Every code JS can see, for the test that keeps codes, docs and types in sync.
// napi registers exports only outside `cfg(test)`, so a test build sees no caller.
#[cfg_attr(test, allow(dead_code))]
#[napi_derive::napi]
pub fn error_codes() -> Vec<&'static str> {
    let mut codes = Error::CODES.to_vec();
    codes.extend([INVALID_REQUEST, INTERNAL]);
    codes
}
