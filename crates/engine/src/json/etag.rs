//! `ETag.new`'s options.

use serde::Deserialize;

/// Options of `ETag.new` (the `ETag` middleware), as JSON.
#[derive(Debug, Default, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(optional_fields))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ETagOptions {
    /// Make weak tags (`W/"…"`): equal meaning, not byte for byte. @default false
    pub weak: Option<bool>,
}
