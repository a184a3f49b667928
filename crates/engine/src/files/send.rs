//! One file as the answer to a GET or HEAD: its representation (the file, or
//! a precompressed sibling the client accepts), validators, conditional
//! requests in RFC 9110's order (tower-http#691), a single byte range, and a
//! body streamed from disk in bounded memory. Range parsing is the
//! `http-range-header` crate's, types `mime_guess`'s, dates `httpdate`'s.
//!
//! It runs on tokio's blocking pool, once per request ([`super::lookup`]):
//! every call here is a plain `std::fs` one, so finding and opening a file
//! costs one hop off the engine's workers, not one per system call.

use std::fs::{File, Metadata};
use std::io::{self, Read, Seek};
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use bytes::{Bytes, BytesMut};
use futures_util::stream;
use http::header::{self, HeaderMap, HeaderValue};
use http::request::Parts;
use http::{Method, Response, StatusCode};
use tokio::io::AsyncReadExt;

use crate::middleware::quality;
use crate::problem::problem;
use crate::{Body, BoxError};

/// Files up to this size are read whole; larger ones stream in chunks of it.
const CHUNK: u64 = 64 * 1024;

/// A precompressed sibling's coding: `file.br`, `file.gz`, `file.zst`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(
    feature = "json",
    derive(serde::Deserialize),
    serde(rename_all = "lowercase")
)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum Precompressed {
    /// Brotli, `.br`.
    Br,
    /// gzip, `.gz`.
    Gzip,
    /// Zstandard, `.zst`.
    Zstd,
}

impl Precompressed {
    fn coding(self) -> &'static str {
        match self {
            Self::Br => "br",
            Self::Gzip => "gzip",
            Self::Zstd => "zstd",
        }
    }

    fn extension(self) -> &'static str {
        match self {
            Self::Br => "br",
            Self::Gzip => "gz",
            Self::Zstd => "zst",
        }
    }
}

/// How files are answered, besides what the request asks.
#[derive(Debug, Default)]
pub(crate) struct Sending<'a> {
    /// `Cache-Control`, when set.
    pub(crate) cache_control: Option<HeaderValue>,
    /// The siblings to look for, in the server's preference.
    pub(crate) precompressed: &'a [Precompressed],
}

/// `Cache-Control: public, max-age=…` (seconds), with `immutable` when asked.
pub(crate) fn cache_control(max_age: Duration, immutable: bool) -> HeaderValue {
    let seconds = max_age.as_secs();
    let value = if immutable {
        format!("public, max-age={seconds}, immutable")
    } else {
        format!("public, max-age={seconds}")
    };
    HeaderValue::from_str(&value).expect("digits and plain words")
}

/// The file at `path` as the answer to `parts`, or `None` when it is not a
/// regular file (missing, or a directory). A file that cannot be read is a
/// 500 problem.
pub(crate) fn send(path: &Path, parts: &Parts, how: &Sending<'_>) -> Option<Response<Body>> {
    let meta = match std::fs::metadata(path) {
        Ok(meta) if meta.is_file() => meta,
        Ok(_) => return None,
        Err(error) if missing(&error) => return None,
        Err(_) => return Some(unreadable(parts)),
    };
    let ranged = parts.headers.contains_key(header::RANGE) && parts.method == Method::GET;
    // A range is served from the identity file, never from a sibling.
    let found = if ranged {
        None
    } else {
        sibling(path, &parts.headers, how.precompressed)
    };
    let (file, meta, coding) = match found {
        Some((file, meta, coding)) => (file, meta, Some(coding)),
        None => (path.to_owned(), meta, None),
    };
    let mut head = HeaderMap::new();
    let validators = Validators::of(&meta, coding);
    head.insert(header::ETAG, validators.etag.clone());
    if let Some(modified) = &validators.modified {
        head.insert(header::LAST_MODIFIED, modified.clone());
    }
    if let Some(cache) = &how.cache_control {
        head.insert(header::CACHE_CONTROL, cache.clone());
    }
    if !how.precompressed.is_empty() {
        head.insert(header::VARY, HeaderValue::from_static("accept-encoding"));
    }
    if let Some(status) = validators.precondition(&parts.headers) {
        return Some(bodiless(status, head));
    }
    head.insert(header::CONTENT_TYPE, content_type(path));
    if let Some(coding) = coding {
        head.insert(
            header::CONTENT_ENCODING,
            HeaderValue::from_static(coding.coding()),
        );
    }
    head.insert(header::ACCEPT_RANGES, HeaderValue::from_static("bytes"));
    let size = meta.len();
    let (status, start, length) = match range(parts, &validators, size) {
        Ranged::Whole => (StatusCode::OK, 0, size),
        Ranged::Part(start, end) => {
            let value = format!("bytes {start}-{end}/{size}");
            head.insert(header::CONTENT_RANGE, HeaderValue::from_str(&value).ok()?);
            (StatusCode::PARTIAL_CONTENT, start, end - start + 1)
        }
        Ranged::Unsatisfiable => {
            let value = format!("bytes */{size}");
            head.insert(header::CONTENT_RANGE, HeaderValue::from_str(&value).ok()?);
            let mut response = problem(
                StatusCode::RANGE_NOT_SATISFIABLE,
                Some("the range is outside the file"),
                parts.uri.path(),
            );
            response.headers_mut().extend(head);
            return Some(response);
        }
    };
    head.insert(header::CONTENT_LENGTH, HeaderValue::from(length));
    let body = if parts.method == Method::HEAD {
        Body::empty()
    } else {
        match body(&file, start, length) {
            Ok(body) => body,
            Err(_) => return Some(unreadable(parts)),
        }
    };
    let mut response = Response::new(body);
    *response.status_mut() = status;
    *response.headers_mut() = head;
    Some(response)
}

fn missing(error: &io::Error) -> bool {
    matches!(
        error.kind(),
        io::ErrorKind::NotFound | io::ErrorKind::NotADirectory | io::ErrorKind::InvalidFilename
    )
}

fn unreadable(parts: &Parts) -> Response<Body> {
    problem(
        StatusCode::INTERNAL_SERVER_ERROR,
        Some("the file could not be read"),
        parts.uri.path(),
    )
}

fn bodiless(status: StatusCode, head: HeaderMap) -> Response<Body> {
    let mut response = Response::new(Body::empty());
    *response.status_mut() = status;
    *response.headers_mut() = head;
    response
}

/// The best sibling the client accepts (by q-value, then the server's order).
fn sibling(
    path: &Path,
    headers: &HeaderMap,
    precompressed: &[Precompressed],
) -> Option<(PathBuf, Metadata, Precompressed)> {
    let accept = headers.get(header::ACCEPT_ENCODING)?.to_str().ok()?;
    let mut wanted: Vec<(f32, usize, Precompressed)> = precompressed
        .iter()
        .enumerate()
        .map(|(order, &coding)| (quality(accept, coding.coding()), order, coding))
        .filter(|(q, _, _)| *q > 0.0)
        .collect();
    wanted.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
    for (_, _, coding) in wanted {
        let mut name = path.as_os_str().to_owned();
        name.push(".");
        name.push(coding.extension());
        let file = PathBuf::from(name);
        if let Ok(meta) = std::fs::metadata(&file) {
            if meta.is_file() {
                return Some((file, meta, coding));
            }
        }
    }
    None
}

/// `charset=utf-8` for text, which browsers would otherwise guess.
fn content_type(path: &Path) -> HeaderValue {
    let mime = mime_guess::from_path(path).first_or_octet_stream();
    let text = mime.type_() == mime_guess::mime::TEXT
        || matches!(
            mime.essence_str(),
            "application/javascript" | "application/json" | "image/svg+xml"
        );
    let value = if text && mime.get_param(mime_guess::mime::CHARSET).is_none() {
        format!("{}; charset=utf-8", mime.essence_str())
    } else {
        mime.to_string()
    };
    HeaderValue::from_str(&value).unwrap_or(HeaderValue::from_static("application/octet-stream"))
}

/// A representation's validators: a weak tag from its size, its
/// modification time and its coding (each representation has its own), and
/// `Last-Modified`.
struct Validators {
    etag: HeaderValue,
    modified: Option<HeaderValue>,
    mtime: Option<SystemTime>,
}

impl Validators {
    fn of(meta: &Metadata, coding: Option<Precompressed>) -> Self {
        let mtime = meta.modified().ok();
        let nanos = mtime
            .and_then(|time| time.duration_since(UNIX_EPOCH).ok())
            .map_or(0, |since| since.as_nanos());
        let suffix = coding.map_or(String::new(), |coding| format!("-{}", coding.coding()));
        let tag = format!("W/\"{:x}-{nanos:x}{suffix}\"", meta.len());
        Self {
            etag: HeaderValue::from_str(&tag).expect("hex digits and a coding name"),
            modified: mtime
                .and_then(|time| HeaderValue::from_str(&httpdate::fmt_http_date(time)).ok()),
            mtime,
        }
    }

    /// Seconds since the epoch, as HTTP dates have them.
    fn seconds(&self) -> Option<u64> {
        self.mtime?
            .duration_since(UNIX_EPOCH)
            .ok()
            .map(|since| since.as_secs())
    }

    /// The answer the preconditions give instead of the file, in RFC 9110
    /// §13.2.2's order: If-Match, else If-Unmodified-Since (412); then
    /// If-None-Match, else If-Modified-Since (304).
    fn precondition(&self, headers: &HeaderMap) -> Option<StatusCode> {
        let text = |name| {
            headers
                .get(name)
                .and_then(|value: &HeaderValue| value.to_str().ok())
        };
        if let Some(list) = text(header::IF_MATCH) {
            // A weak tag never matches strongly: only `*` passes.
            if list.trim() != "*" {
                return Some(StatusCode::PRECONDITION_FAILED);
            }
        } else if let Some(since) = text(header::IF_UNMODIFIED_SINCE).and_then(date) {
            if self.seconds().is_some_and(|modified| modified > since) {
                return Some(StatusCode::PRECONDITION_FAILED);
            }
        }
        if let Some(list) = text(header::IF_NONE_MATCH) {
            if self.matches_weakly(list) {
                return Some(StatusCode::NOT_MODIFIED);
            }
        } else if let Some(since) = text(header::IF_MODIFIED_SINCE).and_then(date) {
            if self.seconds().is_some_and(|modified| modified <= since) {
                return Some(StatusCode::NOT_MODIFIED);
            }
        }
        None
    }

    fn matches_weakly(&self, list: &str) -> bool {
        let ours = self
            .etag
            .to_str()
            .unwrap_or_default()
            .trim_start_matches("W/");
        list.split(',')
            .map(str::trim)
            .any(|tag| tag == "*" || tag.trim_start_matches("W/") == ours)
    }
}

fn date(text: &str) -> Option<u64> {
    let time = httpdate::parse_http_date(text).ok()?;
    time.duration_since(UNIX_EPOCH)
        .ok()
        .map(|since| since.as_secs())
}

/// What part of the file a GET asks for.
enum Ranged {
    Whole,
    /// The first and last byte.
    Part(u64, u64),
    Unsatisfiable,
}

/// A single range, when `If-Range` allows it; several ranges answer the
/// whole file (a multipart body is not worth its complexity), and a range
/// that cannot be read is ignored, as RFC 9110 §14.2 allows.
fn range(parts: &Parts, validators: &Validators, size: u64) -> Ranged {
    if parts.method != Method::GET {
        return Ranged::Whole;
    }
    let Some(value) = parts
        .headers
        .get(header::RANGE)
        .and_then(|value| value.to_str().ok())
    else {
        return Ranged::Whole;
    };
    if let Some(condition) = parts
        .headers
        .get(header::IF_RANGE)
        .and_then(|value| value.to_str().ok())
    {
        // A weak tag is never good enough for a range; a date must be exact.
        let current = date(condition).is_some_and(|since| validators.seconds() == Some(since));
        if !current {
            return Ranged::Whole;
        }
    }
    let Ok(parsed) = http_range_header::parse_range_header(value) else {
        return Ranged::Whole;
    };
    match parsed.validate(size).as_deref() {
        Ok([one]) => Ranged::Part(*one.start(), *one.end()),
        Ok(_) => Ranged::Whole,
        Err(_) => Ranged::Unsatisfiable,
    }
}

/// `length` bytes of `file` from `start`: read whole when small, else
/// streamed a chunk at a time as the client takes them (each read on the
/// blocking pool). A file that ends early fails the stream, so the response
/// is aborted rather than cut short silently.
fn body(file: &Path, start: u64, length: u64) -> io::Result<Body> {
    let mut file = File::open(file)?;
    if start > 0 {
        file.seek(io::SeekFrom::Start(start))?;
    }
    if length <= CHUNK {
        let mut whole = vec![0; length as usize];
        file.read_exact(&mut whole)?;
        return Ok(Body::from(whole));
    }
    let file = tokio::fs::File::from_std(file);
    let chunks = stream::try_unfold((file, length), |(mut file, left)| async move {
        if left == 0 {
            return Ok(None);
        }
        let mut chunk = BytesMut::zeroed(left.min(CHUNK) as usize);
        file.read_exact(&mut chunk).await?;
        let taken = chunk.len() as u64;
        Ok::<_, BoxError>(Some((Bytes::from(chunk), (file, left - taken))))
    });
    Ok(Body::stream(chunks))
}
