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
pub fn error_codes() -> Result<Vec<&'static str>, CodedError> {
    guard(|| -> Result<_, CodedError> {
        let mut codes = Error::CODES.to_vec();
        codes.extend([INVALID_REQUEST, INTERNAL, PANIC, STREAM_FAILED]);
        Ok(codes)
    })
}

/// Code for a response stream that failed before its end, as `testClient`
/// reports it (over a socket the response is cut short).
pub(crate) const STREAM_FAILED: &str = "ERR_ARMATURE_STREAM_FAILED";

/// Code for a panic inside the addon, thrown instead of aborting Node.
pub(crate) const PANIC: &str = "ERR_ARMATURE_PANIC";

/// What an export's body returns, as the coded result JS sees.
pub(crate) trait Outcome {
    type Value;
    fn coded(self) -> Result<Self::Value, CodedError>;
}

impl<T> Outcome for Result<T, CodedError> {
    type Value = T;
    fn coded(self) -> Result<T, CodedError> {
        self
    }
}

impl<T> Outcome for napi::Result<T> {
    type Value = T;
    fn coded(self) -> Result<T, CodedError> {
        self.map_err(internal)
    }
}

impl<T> Outcome for Option<T> {
    type Value = Option<T>;
    fn coded(self) -> Result<Option<T>, CodedError> {
        Ok(self)
    }
}

/// Runs the body of an export called from JS, throwing `ERR_ARMATURE_PANIC`
/// with the panic's message if it panics: a panic unwinding out of napi's
/// `extern "C"` entry point would abort Node. State the panic left half-done
/// is at worst wrong, never unsafe, so the body counts as unwind-safe.
pub(crate) fn guard<R: Outcome>(body: impl FnOnce() -> R) -> Result<R::Value, CodedError> {
    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(body)) {
        Ok(outcome) => outcome.coded(),
        Err(payload) => {
            let message = payload
                .downcast_ref::<&str>()
                .map(|text| (*text).to_owned())
                .or_else(|| payload.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "a panic without a message".to_owned());
            Err(napi::Error::new(
                PANIC,
                format!("the native addon panicked: {message}"),
            ))
        }
    }
}
