//! The encoders behind `Compression`: brotli, zstd, gzip and deflate (the
//! brotli, zstd and flate2 crates), for a whole body at once or for a stream
//! chunk by chunk. A streamed chunk is flushed as soon as it is written (a
//! sync flush: the client can decode everything sent so far), so compressing
//! a stream never holds back what the handler has already sent.

use std::io::{self, Write};
use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use futures_util::Stream;

use crate::{BoxError, Chunks};

/// A content coding the engine can produce.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(
    feature = "json",
    derive(serde::Deserialize),
    serde(rename_all = "lowercase")
)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum Coding {
    /// Brotli.
    Br,
    /// Zstandard.
    Zstd,
    /// gzip.
    Gzip,
    /// zlib-wrapped deflate, as HTTP's `deflate` means.
    Deflate,
}

impl Coding {
    pub(super) fn name(self) -> &'static str {
        match self {
            Self::Br => "br",
            Self::Zstd => "zstd",
            Self::Gzip => "gzip",
            Self::Deflate => "deflate",
        }
    }
}

/// How hard `Compression` works: speed against size.
#[derive(Debug, Clone, Copy, Default)]
#[cfg_attr(
    feature = "json",
    derive(serde::Deserialize),
    serde(rename_all = "lowercase")
)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum CompressionLevel {
    /// The least work.
    Fastest,
    /// A balance, as servers commonly pick.
    #[default]
    Default,
    /// The smallest bodies.
    Best,
}

impl CompressionLevel {
    /// The body size from which compressing takes about a millisecond or
    /// more, so it leaves the engine thread. Measured with brotli, the
    /// slowest coding, on JSON: `best` (quality 11) takes 3.9 ms for 4 KiB
    /// and 62 ms for 64 KiB; `default` (quality 4) 1.4 ms for 64 KiB;
    /// `fastest` about as much for 256 KiB.
    pub(super) fn blocking_from(self) -> usize {
        match self {
            Self::Best => 4 * 1024,
            Self::Default => 64 * 1024,
            Self::Fastest => 256 * 1024,
        }
    }
}

/// An encoder writing into a buffer that is taken after every chunk.
pub(crate) enum Encoder {
    Br(Box<brotli::CompressorWriter<Vec<u8>>>),
    Zstd(zstd::stream::write::Encoder<'static, Vec<u8>>),
    Gzip(flate2::write::GzEncoder<Vec<u8>>),
    Deflate(flate2::write::ZlibEncoder<Vec<u8>>),
}

impl Encoder {
    pub(crate) fn new(coding: Coding, level: CompressionLevel) -> io::Result<Self> {
        let flate = match level {
            CompressionLevel::Fastest => flate2::Compression::fast(),
            CompressionLevel::Default => flate2::Compression::default(),
            CompressionLevel::Best => flate2::Compression::best(),
        };
        Ok(match coding {
            Coding::Br => {
                let quality = match level {
                    CompressionLevel::Fastest => 1,
                    CompressionLevel::Default => 4,
                    CompressionLevel::Best => 11,
                };
                // A 4 KiB buffer and a 4 MiB window (lgwin 22), brotli's defaults.
                Self::Br(Box::new(brotli::CompressorWriter::new(
                    Vec::new(),
                    4096,
                    quality,
                    22,
                )))
            }
            Coding::Zstd => {
                let level = match level {
                    CompressionLevel::Fastest => 1,
                    CompressionLevel::Default => 3,
                    CompressionLevel::Best => 19,
                };
                Self::Zstd(zstd::stream::write::Encoder::new(Vec::new(), level)?)
            }
            Coding::Gzip => Self::Gzip(flate2::write::GzEncoder::new(Vec::new(), flate)),
            Coding::Deflate => Self::Deflate(flate2::write::ZlibEncoder::new(Vec::new(), flate)),
        })
    }

    /// `body` compressed whole.
    pub(crate) fn whole(
        coding: Coding,
        level: CompressionLevel,
        body: &[u8],
    ) -> io::Result<Vec<u8>> {
        let mut encoder = Self::new(coding, level)?;
        encoder.writer().write_all(body)?;
        encoder.finish()
    }

    fn writer(&mut self) -> &mut dyn Write {
        match self {
            Self::Br(w) => w.as_mut(),
            Self::Zstd(w) => w,
            Self::Gzip(w) => w,
            Self::Deflate(w) => w,
        }
    }

    fn output(&mut self) -> &mut Vec<u8> {
        match self {
            Self::Br(w) => w.get_mut(),
            Self::Zstd(w) => w.get_mut(),
            Self::Gzip(w) => w.get_mut(),
            Self::Deflate(w) => w.get_mut(),
        }
    }

    /// Compresses and flushes one chunk; returns what is ready to send.
    fn chunk(&mut self, data: &[u8]) -> io::Result<Bytes> {
        let writer = self.writer();
        writer.write_all(data)?;
        writer.flush()?;
        Ok(Bytes::from(std::mem::take(self.output())))
    }

    /// Ends the stream: what is left, and the format's trailer.
    fn finish(self) -> io::Result<Vec<u8>> {
        match self {
            Self::Br(mut w) => {
                w.flush()?;
                Ok(w.into_inner())
            }
            Self::Zstd(w) => w.finish(),
            Self::Gzip(w) => w.finish(),
            Self::Deflate(w) => w.finish(),
        }
    }
}

/// `chunks` compressed by `encoder`, chunk by chunk; an error in the source
/// or the encoder ends the stream with that error.
pub(crate) fn encode(chunks: Chunks, encoder: Encoder) -> Chunks {
    Box::pin(Encoded {
        chunks,
        encoder: Some(encoder),
    })
}

struct Encoded {
    chunks: Chunks,
    /// `None` once the stream has ended.
    encoder: Option<Encoder>,
}

impl Stream for Encoded {
    type Item = Result<Bytes, BoxError>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let Self { chunks, encoder } = self.get_mut();
        loop {
            let Some(active) = encoder.as_mut() else {
                return Poll::Ready(None);
            };
            let item = match chunks.as_mut().poll_next(cx) {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(item) => item,
            };
            let out = match item {
                Some(Ok(chunk)) => match active.chunk(&chunk) {
                    // A chunk too small to produce output yet: go on to the next.
                    Ok(out) if out.is_empty() => continue,
                    Ok(out) => Ok(out),
                    Err(error) => Err(error.into()),
                },
                Some(Err(error)) => Err(error),
                None => {
                    let finished = encoder.take().expect("checked above").finish();
                    return Poll::Ready(Some(finished.map(Bytes::from).map_err(Into::into)));
                }
            };
            if out.is_err() {
                *encoder = None;
            }
            return Poll::Ready(Some(out));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures_util::{stream, StreamExt};
    use std::io::Read;

    fn decode(coding: Coding, data: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        match coding {
            Coding::Br => brotli::Decompressor::new(data, 4096).read_to_end(&mut out),
            Coding::Zstd => zstd::stream::read::Decoder::new(data)
                .unwrap()
                .read_to_end(&mut out),
            Coding::Gzip => flate2::read::GzDecoder::new(data).read_to_end(&mut out),
            Coding::Deflate => flate2::read::ZlibDecoder::new(data).read_to_end(&mut out),
        }
        .unwrap();
        out
    }

    #[tokio::test]
    async fn streams_decode_chunk_by_chunk_and_whole() {
        for coding in [Coding::Br, Coding::Zstd, Coding::Gzip, Coding::Deflate] {
            let chunks: Vec<Result<Bytes, BoxError>> = (0..100)
                .map(|n| Ok(Bytes::from(format!("chunk {n} {}\n", "x".repeat(n)))))
                .collect();
            let plain: Vec<u8> = chunks
                .iter()
                .flat_map(|c| c.as_ref().unwrap().to_vec())
                .collect();
            let encoder = Encoder::new(coding, CompressionLevel::Default).unwrap();
            let mut encoded = encode(Box::pin(stream::iter(chunks)), encoder);
            let mut sent = Vec::new();
            let mut pieces = 0;
            while let Some(piece) = encoded.next().await {
                sent.extend_from_slice(&piece.unwrap());
                pieces += 1;
            }
            // Flushed per chunk: the client gets pieces as they come, not one blob.
            assert!(pieces > 50, "{coding:?}: {pieces}");
            assert_eq!(decode(coding, &sent), plain, "{coding:?}");
            let whole = Encoder::whole(coding, CompressionLevel::Best, &plain).unwrap();
            assert_eq!(decode(coding, &whole), plain, "{coding:?}");
        }
    }

    #[tokio::test]
    async fn a_failing_source_ends_the_stream_with_its_error() {
        let chunks: Vec<Result<Bytes, BoxError>> = vec![Ok(Bytes::from("a")), Err("broken".into())];
        let encoder = Encoder::new(Coding::Gzip, CompressionLevel::Fastest).unwrap();
        let results: Vec<_> = encode(Box::pin(stream::iter(chunks)), encoder)
            .collect()
            .await;
        assert!(results.last().unwrap().is_err());
        assert!(results[..results.len() - 1].iter().all(Result::is_ok));
    }
}
