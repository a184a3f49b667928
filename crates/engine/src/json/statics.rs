//! `Static.new`'s options, as JSON.

use serde::Deserialize;

use super::Toggle;
use crate::files::{Dotfiles, FileAnswer, Precompressed, StaticConfig, StaticFiles};
use crate::units::{self, Amount};
use crate::Error;

/// Options of `Static.new` (the `Static` app feature), as JSON; `root` is
/// resolved by the caller.
#[derive(Debug, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(optional_fields))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct StaticOptions {
    /// The directory served, resolved by the caller (JS passes it apart).
    #[cfg_attr(feature = "ts", ts(skip))]
    pub root: String,
    /// The path the directory is mounted under. @default '/'
    pub prefix: Option<String>,
    /// `Cache-Control: max-age`: `'1h'`, `'30s'`, or milliseconds. @default 0
    #[cfg_attr(feature = "ts", ts(inline))]
    pub max_age: Option<Amount>,
    /// Request paths whose answers are also `immutable` (hashed names).
    #[cfg_attr(feature = "ts", ts(type = "RegExp", optional))]
    pub immutable: Option<Pattern>,
    /// Precompressed siblings (`file.br`, `file.gz`, `file.zst`) served to
    /// clients that accept them, in this order of preference. @default []
    pub precompressed: Option<Vec<Precompressed>>,
    /// The file a directory answers with, or `false`. @default 'index.html'
    #[cfg_attr(feature = "ts", ts(type = "string | false", optional))]
    pub index: Option<Toggle<String>>,
    /// A file under the root for GET and HEAD requests that accept HTML and
    /// that no route and no file matched (a single-page app's shell).
    pub fallback: Option<String>,
    /// Paths with a segment starting with a dot. @default 'deny'
    pub dotfiles: Option<Dotfiles>,
    /// Extensions tried for a path without one (`['html']`). @default []
    pub extensions: Option<Vec<String>>,
    /// Serve symlinks that lead out of the root. @default false
    pub follow_symlinks: Option<bool>,
}

/// A JS `RegExp`, by its `source` and `flags`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Pattern {
    /// The pattern, compiled by Rust's `regex`.
    pub source: String,
    /// Only `i` is understood.
    pub flags: String,
}

impl TryFrom<StaticOptions> for StaticFiles {
    type Error = Error;

    fn try_from(options: StaticOptions) -> Result<Self, Error> {
        let defaults = StaticConfig::default();
        let immutable = options.immutable.map(compile).transpose()?;
        let config = StaticConfig {
            prefix: options.prefix.unwrap_or(defaults.prefix),
            max_age: options
                .max_age
                .map(|age| units::duration("maxAge", &age))
                .transpose()?,
            immutable,
            precompressed: options.precompressed.unwrap_or_default(),
            index: match options.index {
                None | Some(Toggle::Off(true)) => defaults.index,
                Some(Toggle::Off(false)) => None,
                Some(Toggle::On(name)) => Some(name),
            },
            fallback: options.fallback,
            dotfiles: options.dotfiles.unwrap_or_default(),
            extensions: options.extensions.unwrap_or_default(),
            follow_symlinks: options.follow_symlinks.unwrap_or(false),
        };
        Self::new(options.root, config)
    }
}

/// The pattern as `regex` compiles it, `i` as `(?i)`.
fn compile(pattern: Pattern) -> Result<regex::Regex, Error> {
    let prefix = match pattern.flags.as_str() {
        "" => "",
        "i" => "(?i)",
        other => {
            return Err(Error::invalid_option(format!(
                "static immutable: the flags '{other}' are not supported; only 'i' is"
            )))
        }
    };
    regex::Regex::new(&format!("{prefix}{}", pattern.source)).map_err(|why| {
        Error::invalid_option(format!(
            "static immutable: /{}/ does not compile: {why}",
            pattern.source
        ))
    })
}

/// `HttpResponse.file`'s path and options, as JSON.
#[derive(Debug, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(optional_fields))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct FileOptions {
    /// The file, as the handler gives it (relative to the working directory).
    #[cfg_attr(feature = "ts", ts(skip))]
    pub path: String,
    /// Sends `Content-Disposition: attachment` with this name: a download.
    pub filename: Option<String>,
    /// `Cache-Control: public, max-age=…`: `'1h'`, or milliseconds.
    #[cfg_attr(feature = "ts", ts(inline))]
    pub max_age: Option<Amount>,
}

impl FileOptions {
    /// The answer for a request with `method`, `uri` and `headers`.
    pub fn answer(
        self,
        method: &http::Method,
        uri: &http::Uri,
        headers: &http::HeaderMap,
    ) -> Result<FileAnswer, Error> {
        let mut answer = FileAnswer::new(self.path.into(), method, uri, headers);
        if let Some(age) = self.max_age {
            answer = answer.max_age(units::duration("maxAge", &age)?);
        }
        if let Some(name) = self.filename {
            answer = answer.filename(name);
        }
        Ok(answer)
    }
}
