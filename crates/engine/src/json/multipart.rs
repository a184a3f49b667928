//! `req.multipart()`'s options.

use serde::Deserialize;

use crate::multipart::{MultipartLimits, MAX_HEADER_PAIRS};
use crate::units::{self, Amount, MAX_SAFE_INTEGER};
use crate::Error;

/// Options of `req.multipart()` and `req.formData()`, as JSON.
#[derive(Debug, Default, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(optional_fields))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct MultipartOptions {
    /// What the body may hold; each violation is a 413 naming its limit.
    pub limits: Option<MultipartLimitsJson>,
}

/// The caps on a multipart body, as JSON.
#[derive(Debug, Default, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(optional_fields))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct MultipartLimitsJson {
    /// The largest file part: `'100mb'` or bytes. @default '10mb'
    #[cfg_attr(feature = "ts", ts(inline))]
    pub file_size: Option<Amount>,
    /// The most file parts. @default 10
    pub files: Option<f64>,
    /// The most field parts (parts without a filename). @default 100
    pub fields: Option<f64>,
    /// The largest field part: `'64kb'` or bytes. @default '1mb'
    #[cfg_attr(feature = "ts", ts(inline))]
    pub field_size: Option<Amount>,
    /// The most parts of either kind. @default 1000
    pub parts: Option<f64>,
    /// The most header lines in one part, at most 32. @default 32
    pub header_pairs: Option<f64>,
}

impl TryFrom<MultipartOptions> for MultipartLimits {
    type Error = Error;

    fn try_from(options: MultipartOptions) -> Result<Self, Error> {
        let json = options.limits.unwrap_or_default();
        let defaults = Self::default();
        let size = |name: &str, amount: Option<Amount>, default: u64| {
            amount.map_or(Ok(default), |amount| units::size(name, &amount))
        };
        let count = |name: &str, value: Option<f64>, default: u64, max: u64| {
            value.map_or(Ok(default), |value| units::whole(name, value, 0, max))
        };
        Ok(Self {
            file_size: size("limits.fileSize", json.file_size, defaults.file_size)?,
            files: count("limits.files", json.files, defaults.files, MAX_SAFE_INTEGER)?,
            fields: count(
                "limits.fields",
                json.fields,
                defaults.fields,
                MAX_SAFE_INTEGER,
            )?,
            field_size: size("limits.fieldSize", json.field_size, defaults.field_size)?,
            parts: count("limits.parts", json.parts, defaults.parts, MAX_SAFE_INTEGER)?,
            header_pairs: count(
                "limits.headerPairs",
                json.header_pairs,
                defaults.header_pairs,
                MAX_HEADER_PAIRS,
            )?,
        })
    }
}
