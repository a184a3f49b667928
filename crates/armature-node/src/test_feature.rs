//! An app feature for the tests that prove app features apply app-wide
//! wherever `App.wrap` declares them: `featureForTest` adds an
//! `x-feature-for-test` header, with the name it was given, to every
//! response. It works only in a process started with
//! `ARMATURE_TEST_FEATURE=1`; the tests load the release build, so a
//! compile-time switch could not reach them.

use std::sync::{Arc, OnceLock};

use armature_engine::http::request::Parts;
use armature_engine::http::{HeaderName, HeaderValue};
use armature_engine::middleware::{Flow, Layer};
use armature_engine::ErrorCode;

use crate::error::{thrown, CodedError};

/// The feature's kind.
pub(crate) const KIND: &str = "featureForTest";

static ENABLED: OnceLock<bool> = OnceLock::new();

/// Reads the switch once, when the addon loads.
pub(crate) fn init() {
    let on = std::env::var_os("ARMATURE_TEST_FEATURE").is_some_and(|value| value == "1");
    let _ = ENABLED.set(on);
}

/// The feature, when enabled; `options.name` is the header's value.
pub(crate) fn layer(options: &serde_json::Value) -> Result<Arc<dyn Layer>, CodedError> {
    if !ENABLED.get().copied().unwrap_or(false) {
        return Err(thrown(
            ErrorCode::InvalidOption,
            "featureForTest works only in a process started with ARMATURE_TEST_FEATURE=1",
        ));
    }
    let name = options
        .get("name")
        .and_then(serde_json::Value::as_str)
        .and_then(|name| HeaderValue::from_str(name).ok())
        .ok_or_else(|| thrown(ErrorCode::InvalidOption, "featureForTest needs a name"))?;
    Ok(Arc::new(Tagged(name)))
}

#[derive(Debug)]
struct Tagged(HeaderValue);

impl Layer for Tagged {
    fn before(&self, _request: &mut Parts) -> Flow {
        let value = self.0.clone();
        Flow::Next(Some(Box::new(move |response| {
            response
                .headers_mut()
                .append(HeaderName::from_static("x-feature-for-test"), value);
        })))
    }
}
