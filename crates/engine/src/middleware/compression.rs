//! Response compression: brotli, zstd, gzip or deflate, chosen from the
//! client's `Accept-Encoding` (q-values included) and the server's preference.
//! A whole body is compressed at once (when at least `minSize`); a streamed
//! one chunk by chunk as it comes, each chunk flushed ([`super::encoder`]).

use std::sync::Arc;

use bytes::Bytes;
use http::header::{
    ACCEPT_ENCODING, CACHE_CONTROL, CONTENT_ENCODING, CONTENT_LENGTH, CONTENT_RANGE, CONTENT_TYPE,
    ETAG,
};
use http::request::Parts;
use http::{HeaderValue, Response, StatusCode};

use super::encoder::{encode, Coding, CompressionLevel, Encoder};
use super::etag::NotModifiedType;
use super::{add_vary, Flow, HeadOnly, Layer};
use crate::Error;
use crate::{Body, BoxError};

/// A [`Compression`] layer's settings, as a Rust caller gives them.
#[derive(Debug, Clone)]
pub struct CompressionConfig {
    /// Codings in the server's order of preference; at least one.
    pub algorithms: Vec<Coding>,
    /// Bodies smaller than this many bytes are sent as they are.
    pub min_size: usize,
    /// Media types worth compressing; an entry ending in `/` is a prefix.
    pub content_types: Vec<String>,
    /// Speed against size.
    pub level: CompressionLevel,
}

/// Every coding (br first), bodies from 1 KiB, text and the common text-like
/// types, the default level.
impl Default for CompressionConfig {
    fn default() -> Self {
        Self {
            algorithms: vec![Coding::Br, Coding::Zstd, Coding::Gzip, Coding::Deflate],
            min_size: 1024,
            content_types: DEFAULT_TYPES.iter().map(|t| (*t).to_owned()).collect(),
            level: CompressionLevel::default(),
        }
    }
}

const DEFAULT_TYPES: [&str; 9] = [
    "text/",
    "application/json",
    "application/problem+json",
    "application/javascript",
    "application/xml",
    "application/xhtml+xml",
    "application/rss+xml",
    "application/wasm",
    "image/svg+xml",
];

/// Compresses answers whose type is worth it and whose size is not too small.
#[derive(Debug)]
pub struct Compression {
    settings: Arc<CompressionConfig>,
}

impl Compression {
    /// Checks the settings.
    pub fn new(mut config: CompressionConfig) -> Result<Self, Error> {
        let invalid = |why: String| Error::invalid_option(format!("compression: {why}"));
        if config.algorithms.is_empty() {
            return Err(invalid(
                "algorithms is empty: leave Compression out instead".to_owned(),
            ));
        }
        if let Some(bad) = config.content_types.iter().find(|t| !t.contains('/')) {
            return Err(invalid(format!(
                "'{bad}' is not a media type (type/subtype, or a prefix like text/)"
            )));
        }
        for media in &mut config.content_types {
            media.make_ascii_lowercase();
        }
        Ok(Self {
            settings: Arc::new(config),
        })
    }
}

impl CompressionConfig {
    fn compressible(&self, response: &Response<Body>) -> bool {
        let media = response.headers().get(CONTENT_TYPE).or_else(|| {
            let kept = response.extensions().get::<NotModifiedType>();
            kept.map(|NotModifiedType(media)| media)
        });
        let Some(media) = media.and_then(|v| v.to_str().ok()) else {
            return false;
        };
        let media = media.split(';').next().unwrap_or("").trim();
        // Server-Sent Events only when named: a proxy or client that buffers
        // compressed output would hold events back.
        let prefix_ok = !media.eq_ignore_ascii_case("text/event-stream");
        self.content_types.iter().any(|t| {
            let head = media.get(..t.len());
            head.is_some_and(|head| head.eq_ignore_ascii_case(t))
                && ((prefix_ok && t.ends_with('/')) || media.len() == t.len())
        })
    }

    /// The server's first coding among those the client accepts most.
    fn choose(&self, accept: &str) -> Option<Coding> {
        let mut best: Option<(Coding, f32)> = None;
        for &coding in &self.algorithms {
            let q = quality(accept, coding.name());
            if q > 0.0 && best.is_none_or(|(_, top)| q > top) {
                best = Some((coding, q));
            }
        }
        best.map(|(coding, _)| coding)
    }
}

/// The q-value `accept` gives `coding` (its own, else `*`'s, else 0).
pub(crate) fn quality(accept: &str, coding: &str) -> f32 {
    let mut star = None;
    for item in accept.split(',') {
        let mut parts = item.split(';');
        let name = parts.next().unwrap_or("").trim();
        let q = parts
            .filter_map(|param| {
                let param = param.trim();
                param
                    .strip_prefix("q=")
                    .or_else(|| param.strip_prefix("Q="))
            })
            .find_map(|q| q.trim().parse::<f32>().ok())
            .unwrap_or(1.0);
        if name.eq_ignore_ascii_case(coding) {
            return q;
        }
        if name == "*" {
            star = Some(q);
        }
    }
    star.unwrap_or(0.0)
}

impl CompressionConfig {
    fn apply(&self, coding: Option<Coding>, response: &mut Response<Body>) {
        let status = response.status();
        if status.is_informational()
            || status == StatusCode::NO_CONTENT
            || !self.compressible(response)
        {
            return;
        }
        // The answer depends on Accept-Encoding whenever it could be compressed
        // (a 304 carries the Vary its 200 would have had).
        add_vary(response.headers_mut(), "Accept-Encoding");
        if status == StatusCode::NOT_MODIFIED {
            return;
        }
        let headers = response.headers();
        let no_transform = headers.get_all(CACHE_CONTROL).iter().any(|v| {
            v.to_str()
                .is_ok_and(|v| v.to_ascii_lowercase().contains("no-transform"))
        });
        // A part of a file is a part of its bytes as they are: never recoded.
        let partial = status == StatusCode::PARTIAL_CONTENT || headers.contains_key(CONTENT_RANGE);
        if headers.contains_key(CONTENT_ENCODING) || no_transform || partial {
            return;
        }
        let Some(coding) = coding else {
            return;
        };
        match response.body().as_bytes() {
            // A body that is not here is left as it is.
            None if response.extensions().get::<HeadOnly>().is_some() => return,
            // A stream's size is unknown: it is compressed as it comes.
            None => {
                let Ok(encoder) = Encoder::new(coding, self.level) else {
                    return;
                };
                let body = std::mem::take(response.body_mut());
                *response.body_mut() = Body::stream(encode(body.into_chunks(), encoder));
            }
            Some(body) if body.len() < self.min_size => return,
            // A big body at a slow level would hold the engine thread (and every
            // connection it serves) for milliseconds: it is compressed on
            // tokio's blocking pool, and sent when done.
            Some(body)
                if body.len() >= self.level.blocking_from()
                    && tokio::runtime::Handle::try_current().is_ok() =>
            {
                let Ok(body) = std::mem::take(response.body_mut()).into_full() else {
                    return;
                };
                let level = self.level;
                let compressed = async move {
                    tokio::task::spawn_blocking(move || Encoder::whole(coding, level, &body))
                        .await
                        .map_err(BoxError::from)?
                        .map(Bytes::from)
                        .map_err(BoxError::from)
                };
                *response.body_mut() = Body::stream(futures_util::stream::once(compressed));
            }
            Some(body) => {
                let Ok(compressed) = Encoder::whole(coding, self.level, body) else {
                    return;
                };
                if compressed.len() >= body.len() {
                    return;
                }
                *response.body_mut() = Body::from(compressed);
            }
        }
        let headers = response.headers_mut();
        headers.insert(CONTENT_ENCODING, HeaderValue::from_static(coding.name()));
        headers.remove(CONTENT_LENGTH);
        // Another representation: a strong validator would now lie.
        if let Some(etag) = headers.get(ETAG).cloned() {
            if !etag.as_bytes().starts_with(b"W/") {
                let mut weak = b"W/".to_vec();
                weak.extend_from_slice(etag.as_bytes());
                if let Ok(weak) = HeaderValue::from_bytes(&weak) {
                    headers.insert(ETAG, weak);
                }
            }
        }
    }
}

impl Layer for Compression {
    fn before(&self, request: &mut Parts) -> Flow {
        let mut values = request.headers.get_all(ACCEPT_ENCODING).iter();
        let coding = match (values.next(), values.next()) {
            (None, _) => None,
            (Some(one), None) => self.settings.choose(one.to_str().unwrap_or("")),
            (Some(first), Some(second)) => {
                let all: Vec<&str> = [first, second]
                    .into_iter()
                    .chain(values)
                    .filter_map(|v| v.to_str().ok())
                    .collect();
                self.settings.choose(&all.join(","))
            }
        };
        let settings = self.settings.clone();
        Flow::Next(Some(Box::new(move |response| {
            settings.apply(coding, response)
        })))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_q_values() {
        let cases = [
            ("gzip", "gzip", 1.0),
            ("gzip;q=0.5", "gzip", 0.5),
            ("br;q=0, *", "br", 0.0),
            ("br;q=0, *", "zstd", 1.0),
            ("*;q=0.2, gzip", "deflate", 0.2),
            ("GZIP; Q=0.7", "gzip", 0.7),
            ("identity", "gzip", 0.0),
            ("", "gzip", 0.0),
        ];
        for (accept, coding, q) in cases {
            assert!(
                (quality(accept, coding) - q).abs() < f32::EPSILON,
                "{accept} {coding}"
            );
        }
    }

    #[test]
    fn chooses_by_client_rank_then_server_order() {
        let compression = Compression::new(CompressionConfig::default()).unwrap();
        let cases = [
            ("gzip, br", Some(Coding::Br)),
            ("gzip;q=1, br;q=0.5", Some(Coding::Gzip)),
            ("deflate", Some(Coding::Deflate)),
            ("*", Some(Coding::Br)),
            ("identity", None),
            ("br;q=0, zstd;q=0, gzip;q=0, deflate;q=0", None),
        ];
        for (accept, expected) in cases {
            assert_eq!(compression.settings.choose(accept), expected, "{accept}");
        }
    }

    #[test]
    fn leaves_server_sent_events_alone_unless_named() {
        let typed = |media: &'static str| {
            let mut response = Response::new(Body::from("x"));
            response
                .headers_mut()
                .insert(CONTENT_TYPE, HeaderValue::from_static(media));
            response
        };
        let default = CompressionConfig::default();
        assert!(default.compressible(&typed("text/plain; charset=utf-8")));
        assert!(!default.compressible(&typed("text/event-stream; charset=utf-8")));
        let named = CompressionConfig {
            content_types: vec!["text/event-stream".to_owned()],
            ..CompressionConfig::default()
        };
        assert!(named.compressible(&typed("text/event-stream")));
    }
}
