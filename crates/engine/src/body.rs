//! The body of a response: whole bytes, as almost every answer is, or a
//! stream of chunks that ends cleanly or with an error.
//!
//! Whole bytes cost what hyper's own `Full` costs: no allocation, one poll.
//! A stream that fails mid-way makes hyper abort the response (HTTP/1.1: the
//! connection closes before the last chunk; HTTP/2: the stream is reset), so
//! a client never mistakes part of an answer for all of it.

use std::fmt;
use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use futures_util::{Stream, StreamExt, TryStreamExt};
use hyper::body::{Frame, SizeHint};

/// The error a streamed body ends with.
pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// The chunks of a streamed body.
pub type Chunks = Pin<Box<dyn Stream<Item = Result<Bytes, BoxError>> + Send>>;

/// A response body.
pub struct Body(Kind);

enum Kind {
    /// Whole bytes; taken by the first poll.
    Full(Option<Bytes>),
    Stream(Chunks),
}

impl Body {
    /// No body.
    pub fn empty() -> Self {
        Self(Kind::Full(None))
    }

    /// A body sent as `chunks` come; an error ends the response aborted.
    pub fn stream<S, E>(chunks: S) -> Self
    where
        S: Stream<Item = Result<Bytes, E>> + Send + 'static,
        E: Into<BoxError> + 'static,
    {
        Self(Kind::Stream(Box::pin(chunks.map_err(Into::into))))
    }

    /// The bytes of a whole body; `None` for a stream.
    pub fn as_bytes(&self) -> Option<&[u8]> {
        match &self.0 {
            Kind::Full(bytes) => Some(bytes.as_deref().unwrap_or_default()),
            Kind::Stream(_) => None,
        }
    }

    /// The bytes of a whole body, or the body itself when it is a stream.
    pub fn into_full(self) -> Result<Bytes, Self> {
        match self.0 {
            Kind::Full(bytes) => Ok(bytes.unwrap_or_default()),
            stream => Err(Self(stream)),
        }
    }

    /// Whether the body is a stream.
    pub fn is_stream(&self) -> bool {
        matches!(self.0, Kind::Stream(_))
    }

    /// The body's chunks, for a layer that wraps them (a whole body is one
    /// chunk, or none when empty).
    pub fn into_chunks(self) -> Chunks {
        match self.0 {
            Kind::Stream(chunks) => chunks,
            Kind::Full(bytes) => Box::pin(futures_util::stream::iter(bytes.map(Ok))),
        }
    }

    /// A stream that must send exactly `length` bytes, as its
    /// `Content-Length` says: one that sends more, or ends with fewer, ends
    /// with an error (the response is aborted). A whole body is unchanged.
    pub fn exact_length(self, length: u64) -> Self {
        match self.0 {
            Kind::Stream(chunks) => Self::stream(Exact {
                chunks,
                length,
                left: length,
                done: false,
            }),
            full => Self(full),
        }
    }

    /// The whole body, waiting for a stream to end.
    pub async fn collect(self) -> Result<Bytes, BoxError> {
        match self.0 {
            Kind::Full(bytes) => Ok(bytes.unwrap_or_default()),
            Kind::Stream(mut chunks) => {
                let mut whole = Vec::new();
                while let Some(chunk) = chunks.next().await {
                    whole.extend_from_slice(&chunk?);
                }
                Ok(Bytes::from(whole))
            }
        }
    }
}

impl Default for Body {
    fn default() -> Self {
        Self::empty()
    }
}

/// Empty bytes are no body at all, as for hyper's `Full`.
impl From<Bytes> for Body {
    fn from(bytes: Bytes) -> Self {
        Self(Kind::Full((!bytes.is_empty()).then_some(bytes)))
    }
}

impl From<Vec<u8>> for Body {
    fn from(bytes: Vec<u8>) -> Self {
        Bytes::from(bytes).into()
    }
}

impl From<String> for Body {
    fn from(text: String) -> Self {
        Bytes::from(text).into()
    }
}

impl From<&'static str> for Body {
    fn from(text: &'static str) -> Self {
        Bytes::from_static(text.as_bytes()).into()
    }
}

impl fmt::Debug for Body {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.0 {
            Kind::Full(bytes) => f.debug_tuple("Body::Full").field(bytes).finish(),
            Kind::Stream(_) => f.write_str("Body::Stream"),
        }
    }
}

impl hyper::body::Body for Body {
    type Data = Bytes;
    type Error = BoxError;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, BoxError>>> {
        match &mut self.0 {
            Kind::Full(bytes) => Poll::Ready(bytes.take().map(|bytes| Ok(Frame::data(bytes)))),
            Kind::Stream(chunks) => chunks
                .as_mut()
                .poll_next(cx)
                .map(|chunk| chunk.map(|chunk| chunk.map(Frame::data))),
        }
    }

    fn is_end_stream(&self) -> bool {
        matches!(&self.0, Kind::Full(None))
    }

    fn size_hint(&self) -> SizeHint {
        match &self.0 {
            Kind::Full(bytes) => SizeHint::with_exact(bytes.as_ref().map_or(0, |b| b.len() as u64)),
            Kind::Stream(_) => SizeHint::default(),
        }
    }
}

/// A stream held to its `Content-Length`.
struct Exact {
    chunks: Chunks,
    length: u64,
    left: u64,
    done: bool,
}

impl Stream for Exact {
    type Item = Result<Bytes, BoxError>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        if this.done {
            return Poll::Ready(None);
        }
        let item = std::task::ready!(this.chunks.as_mut().poll_next(cx));
        let length = this.length;
        let failure: BoxError = match item {
            Some(Ok(chunk)) => match this.left.checked_sub(chunk.len() as u64) {
                Some(left) => {
                    this.left = left;
                    return Poll::Ready(Some(Ok(chunk)));
                }
                None => format!("the body is longer than its content-length {length}").into(),
            },
            Some(Err(error)) => error,
            None if this.left == 0 => return Poll::Ready(None),
            None => format!(
                "the body ended {} bytes short of its content-length {length}",
                this.left
            )
            .into(),
        };
        this.done = true;
        Poll::Ready(Some(Err(failure)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chunks(parts: &[&'static str]) -> Body {
        Body::stream(futures_util::stream::iter(
            parts
                .iter()
                .map(|part| Ok::<_, BoxError>(Bytes::from_static(part.as_bytes())))
                .collect::<Vec<_>>(),
        ))
    }

    #[tokio::test]
    async fn holds_a_stream_to_its_content_length() {
        let exact = chunks(&["abc", "de"]).exact_length(5).collect().await;
        assert_eq!(exact.unwrap(), "abcde");
        let long = chunks(&["abc", "def"]).exact_length(5).collect().await;
        assert!(long
            .unwrap_err()
            .to_string()
            .contains("longer than its content-length 5"));
        let short = chunks(&["abc"]).exact_length(5).collect().await;
        assert!(short.unwrap_err().to_string().contains("2 bytes short"));
        let whole = Body::from("whole").exact_length(1);
        assert_eq!(whole.as_bytes(), Some(&b"whole"[..]));
    }
}
