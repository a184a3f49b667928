//! The one mapping from engine errors to JS errors: the engine's stable code
//! becomes `err.code`.

use armature_engine::{Error, ErrorCode};

/// A JS error whose `code` is one of the `ERR_ARMATURE_*` codes.
pub(crate) type CodedError = napi::Error<&'static str>;

/// The JS error for `code`, with `message`.
pub(crate) fn thrown(code: ErrorCode, message: impl Into<String>) -> CodedError {
    napi::Error::new(code.as_str(), message.into())
}

pub(crate) fn coded(error: Error) -> CodedError {
    thrown(error.code(), error.to_string())
}

/// A failure of the binding itself (a napi call that failed).
pub(crate) fn internal(error: napi::Error) -> CodedError {
    thrown(ErrorCode::Internal, error.reason)
}

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
            Err(thrown(
                ErrorCode::Panic,
                format!("the native addon panicked: {message}"),
            ))
        }
    }
}
