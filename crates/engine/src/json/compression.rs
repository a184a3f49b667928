//! `Compression.new`'s options.

use serde::Deserialize;

use crate::middleware::{Coding, CompressionConfig, CompressionLevel};

/// Options of `Compression.new` (the `Compression` middleware), as JSON.
#[derive(Debug, Default, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(optional_fields))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CompressionOptions {
    /// Codings in the server's order of preference. @default ['br', 'zstd', 'gzip', 'deflate']
    pub algorithms: Option<Vec<Coding>>,
    /// Bodies smaller than this many bytes are sent as they are. @default 1024
    pub min_size: Option<usize>,
    /// Media types worth compressing; an entry ending in `/` is a prefix.
    /// @default ['text/', 'application/json', 'application/problem+json', 'application/javascript', 'application/xml', 'application/xhtml+xml', 'application/rss+xml', 'application/wasm', 'image/svg+xml']
    pub content_types: Option<Vec<String>>,
    /// Speed against size. @default 'default'
    pub level: Option<CompressionLevel>,
}

/// Fills in the defaults; [`crate::middleware::Compression::new`] checks the rest.
impl From<CompressionOptions> for CompressionConfig {
    fn from(options: CompressionOptions) -> Self {
        let default = Self::default();
        Self {
            algorithms: options.algorithms.unwrap_or(default.algorithms),
            min_size: options.min_size.unwrap_or(default.min_size),
            content_types: options.content_types.unwrap_or(default.content_types),
            level: options.level.unwrap_or(default.level),
        }
    }
}
