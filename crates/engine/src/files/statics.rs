//! A directory served under a path prefix (`Static`): the pipeline asks it
//! only for GET and HEAD requests no route matched, so API routes pay no
//! file lookup; then, when every `Static` missed, for its `fallback` (a
//! single-page app's `index.html`).

use std::path::{Path, PathBuf};
use std::time::Duration;

use http::header::{self, HeaderValue};
use http::request::Parts;
use http::{Method, Response, StatusCode};
use regex::Regex;

use super::path::{resolve, Resolved};
use super::send::{cache_control, send, Precompressed, Sending};
use crate::problem::problem;
use crate::{Body, Error};

/// What `Static` does with a path that has a segment starting with a dot.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[cfg_attr(
    feature = "json",
    derive(serde::Deserialize),
    serde(rename_all = "lowercase")
)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum Dotfiles {
    /// Answer 403.
    #[default]
    Deny,
    /// Serve it like any file.
    Allow,
    /// Act as if it were not there: the next `Static`, the fallback, or 404.
    Ignore,
}

/// A [`StaticFiles`]'s settings, as a Rust caller gives them.
#[derive(Debug, Clone)]
pub struct StaticConfig {
    /// The path the root is mounted under, `/` by default.
    pub prefix: String,
    /// `Cache-Control: public, max-age=…`; `None` sends `max-age=0`.
    pub max_age: Option<Duration>,
    /// Request paths whose answers are `immutable` too (hashed file names).
    pub immutable: Option<Regex>,
    /// Siblings served in place of a file the client accepts compressed.
    pub precompressed: Vec<Precompressed>,
    /// The file a directory answers with, `index.html` by default.
    pub index: Option<String>,
    /// A file (under the root) for GET and HEAD requests that accept HTML
    /// and that no route and no file matched.
    pub fallback: Option<String>,
    /// Paths with a dot segment.
    pub dotfiles: Dotfiles,
    /// Extensions tried for a path without one (`html`: `/about` finds
    /// `about.html`).
    pub extensions: Vec<String>,
    /// Serve symlinks that lead out of the root.
    pub follow_symlinks: bool,
}

impl Default for StaticConfig {
    fn default() -> Self {
        Self {
            prefix: "/".to_owned(),
            max_age: None,
            immutable: None,
            precompressed: Vec::new(),
            index: Some("index.html".to_owned()),
            fallback: None,
            dotfiles: Dotfiles::default(),
            extensions: Vec::new(),
            follow_symlinks: false,
        }
    }
}

/// A directory served by the engine.
#[derive(Debug)]
pub struct StaticFiles {
    /// Canonical, so that symlinks can be checked against it.
    root: PathBuf,
    /// Without its trailing slash (empty for `/`).
    prefix: String,
    config: StaticConfig,
}

impl StaticFiles {
    /// Serves `root`, which must be a directory.
    pub fn new(root: impl AsRef<Path>, config: StaticConfig) -> Result<Self, Error> {
        let given = root.as_ref();
        let root = std::fs::canonicalize(given)
            .ok()
            .filter(|root| root.is_dir())
            .ok_or_else(|| {
                Error::invalid_option(format!(
                    "static root '{}' is not a directory",
                    given.display()
                ))
            })?;
        if !config.prefix.starts_with('/') {
            return Err(Error::invalid_option(format!(
                "static prefix '{}' must start with '/'",
                config.prefix
            )));
        }
        let prefix = config.prefix.trim_end_matches('/').to_owned();
        Ok(Self {
            root,
            prefix,
            config,
        })
    }

    /// The answer for `parts` when a file matches it; `None` sends the
    /// request on (the next `Static`, a fallback, the 404).
    /// Blocking: it stats and opens files (see [`super::lookup`]).
    pub fn serve(&self, parts: &Parts) -> Option<Response<Body>> {
        if parts.method != Method::GET && parts.method != Method::HEAD {
            return None;
        }
        let path = parts.uri.path();
        let rest = self.unmounted(path)?;
        let relative = match resolve(rest) {
            Resolved::Path(relative) => relative,
            Resolved::Dotfile(relative) => match self.config.dotfiles {
                Dotfiles::Allow => relative,
                Dotfiles::Ignore => return None,
                Dotfiles::Deny => {
                    return Some(problem(
                        StatusCode::FORBIDDEN,
                        Some("dotfiles are not served"),
                        path,
                    ))
                }
            },
            Resolved::Refused => return None,
        };
        let file = self.root.join(&relative);
        if std::fs::metadata(&file).is_ok_and(|meta| meta.is_dir()) {
            if !path.ends_with('/') {
                return Some(slash(parts));
            }
            let index = self.config.index.as_deref()?;
            return self.answer(&file.join(index), parts);
        }
        self.answer(&file, parts)
    }

    /// The fallback file, for a GET or HEAD that accepts HTML.
    /// Blocking, as [`StaticFiles::serve`].
    pub fn fallback(&self, parts: &Parts) -> Option<Response<Body>> {
        let fallback = self.config.fallback.as_deref()?;
        if parts.method != Method::GET && parts.method != Method::HEAD {
            return None;
        }
        self.unmounted(parts.uri.path())?;
        let html = parts
            .headers
            .get_all(header::ACCEPT)
            .iter()
            .filter_map(|value| value.to_str().ok())
            .any(|accept| accept.contains("text/html"));
        if !html {
            return None;
        }
        self.answer(&self.root.join(fallback), parts)
    }

    /// The part of `path` under the prefix, or `None` outside it.
    fn unmounted<'p>(&self, path: &'p str) -> Option<&'p str> {
        let rest = path.strip_prefix(self.prefix.as_str())?;
        (rest.is_empty() || rest.starts_with('/')).then_some(rest)
    }

    /// Sends `file` if it exists, stays inside the root, and tries the
    /// extensions for a name without one.
    fn answer(&self, file: &Path, parts: &Parts) -> Option<Response<Body>> {
        let sending = Sending {
            cache_control: Some(self.cache_control(parts.uri.path())),
            precompressed: &self.config.precompressed,
        };
        // A name without an extension may stand for one with each of them.
        let others = match file.extension() {
            Some(_) => &[][..],
            None => &self.config.extensions[..],
        };
        std::iter::once(file.to_owned())
            .chain(
                others
                    .iter()
                    .map(|extension| file.with_extension(extension)),
            )
            .filter(|candidate| self.inside(candidate))
            .find_map(|candidate| send(&candidate, parts, &sending))
    }

    /// Whether `file` resolves inside the root (a symlink may lead out).
    fn inside(&self, file: &Path) -> bool {
        if self.config.follow_symlinks {
            return true;
        }
        match std::fs::canonicalize(file) {
            Ok(real) => real.starts_with(&self.root),
            Err(_) => false,
        }
    }

    fn cache_control(&self, path: &str) -> HeaderValue {
        let immutable = self
            .config
            .immutable
            .as_ref()
            .is_some_and(|pattern| pattern.is_match(path));
        cache_control(self.config.max_age.unwrap_or_default(), immutable)
    }
}

/// The redirect of a directory to its trailing slash: a 301 that keeps the query.
fn slash(parts: &Parts) -> Response<Body> {
    let location = match parts.uri.query() {
        Some(query) => format!("{}/?{query}", parts.uri.path()),
        None => format!("{}/", parts.uri.path()),
    };
    let mut response = Response::new(Body::empty());
    *response.status_mut() = StatusCode::MOVED_PERMANENTLY;
    if let Ok(location) = HeaderValue::from_str(&location) {
        response.headers_mut().insert(header::LOCATION, location);
    }
    response
}
