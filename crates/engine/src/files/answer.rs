//! A file a handler answers with (`HttpResponse.file`): the dispatcher's
//! answer carries a [`FileAnswer`], made from the request's method, target and
//! the headers that decide the representation (the call has taken the request
//! by then), and the pipeline sends the file once the answer is back, as
//! `Static` would, with the handler's own headers on top.

use std::path::PathBuf;
use std::time::Duration;

use http::header::{self, HeaderMap, HeaderValue};
use http::request::Parts;
use http::{Method, Request, Response, StatusCode, Uri};
use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};

use super::send::{cache_control, send, Sending};
use crate::problem::problem;
use crate::Body;

/// The request headers a file's answer depends on.
const DECIDING: [header::HeaderName; 7] = [
    header::IF_MATCH,
    header::IF_NONE_MATCH,
    header::IF_MODIFIED_SINCE,
    header::IF_UNMODIFIED_SINCE,
    header::IF_RANGE,
    header::RANGE,
    header::ACCEPT_ENCODING,
];

/// A file to send as the answer to one request.
#[derive(Debug, Clone)]
pub struct FileAnswer {
    path: PathBuf,
    /// The request as far as the file's answer depends on it.
    parts: Parts,
    max_age: Option<Duration>,
    filename: Option<String>,
}

impl FileAnswer {
    /// The file at `path` for a request with `method`, `uri` and `headers`
    /// (only those that decide the answer are kept).
    pub fn new(path: PathBuf, method: &Method, uri: &Uri, headers: &HeaderMap) -> Self {
        let (mut parts, ()) = Request::new(()).into_parts();
        parts.method = method.clone();
        parts.uri = uri.clone();
        for name in DECIDING {
            for value in headers.get_all(&name) {
                parts.headers.append(name.clone(), value.clone());
            }
        }
        Self {
            path,
            parts,
            max_age: None,
            filename: None,
        }
    }

    /// `Cache-Control: public, max-age=…`.
    pub fn max_age(mut self, age: Duration) -> Self {
        self.max_age = Some(age);
        self
    }

    /// `Content-Disposition: attachment` with this name: a download.
    pub fn filename(mut self, name: String) -> Self {
        self.filename = Some(name);
        self
    }

    /// The file's answer, with `extra` (the handler's headers) on top; a
    /// missing file is a 404 problem.
    async fn send(self, extra: HeaderMap) -> Response<Body> {
        let sending = Sending {
            cache_control: self.max_age.map(|age| cache_control(age, false)),
            precompressed: &[],
        };
        let (path, parts) = (self.path.clone(), self.parts.clone());
        let sent = tokio::task::spawn_blocking(move || send(&path, &parts, &sending)).await;
        let Some(mut response) = sent.unwrap_or(None) else {
            return problem(
                StatusCode::NOT_FOUND,
                Some("the file does not exist"),
                self.parts.uri.path(),
            );
        };
        if let Some(disposition) = self.filename.as_deref().and_then(attachment) {
            response
                .headers_mut()
                .insert(header::CONTENT_DISPOSITION, disposition);
        }
        // The handler's headers replace the file's; `HeaderMap`'s iterator
        // names a repeated header once, and its other values follow.
        let mut last: Option<header::HeaderName> = None;
        for (name, value) in extra {
            let headers = response.headers_mut();
            match name {
                Some(name) if name == header::CONTENT_LENGTH => last = None,
                Some(name) => {
                    headers.insert(name.clone(), value);
                    last = Some(name);
                }
                None => {
                    if let Some(name) = &last {
                        headers.append(name.clone(), value);
                    }
                }
            }
        }
        response
    }
}

/// Sends the file an answer carries, if it carries one.
pub(crate) async fn deliver(mut response: Response<Body>) -> Response<Body> {
    match response.extensions_mut().remove::<FileAnswer>() {
        Some(file) => file.send(std::mem::take(response.headers_mut())).await,
        None => response,
    }
}

/// What RFC 5987 leaves unescaped in `filename*`: letters, digits and
/// `!#$&+-.^_`|~`.
const ATTR_CHAR: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'!')
    .remove(b'#')
    .remove(b'$')
    .remove(b'&')
    .remove(b'+')
    .remove(b'-')
    .remove(b'.')
    .remove(b'^')
    .remove(b'_')
    .remove(b'`')
    .remove(b'|')
    .remove(b'~');

/// `attachment; filename="…"` (an ASCII stand-in) and, for any other name,
/// `filename*=UTF-8''…` (RFC 6266 §4.3), which clients prefer.
fn attachment(name: &str) -> Option<HeaderValue> {
    let plain: String = name
        .chars()
        .map(|c| {
            if c.is_ascii() && !c.is_ascii_control() && c != '"' && c != '\\' {
                c
            } else {
                '_'
            }
        })
        .collect();
    let mut value = format!("attachment; filename=\"{plain}\"");
    if plain != name {
        value.push_str(&format!(
            "; filename*=UTF-8''{}",
            utf8_percent_encode(name, ATTR_CHAR)
        ));
    }
    HeaderValue::from_str(&value).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_downloads_as_rfc_6266_says() {
        assert_eq!(
            attachment("report.pdf").unwrap(),
            "attachment; filename=\"report.pdf\""
        );
        assert_eq!(
            attachment("naïve \"q\".txt").unwrap(),
            "attachment; filename=\"na_ve _q_.txt\"; filename*=UTF-8''na%C3%AFve%20%22q%22.txt"
        );
    }
}
