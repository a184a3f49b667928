//! The task that reads a multipart body with `multer`: it counts the parts
//! against the limits (`multer` caps only sizes), hands each part to the
//! handler's side, and writes a part the handler saves to its file.

use std::sync::Arc;

use bytes::Bytes;
use futures_util::stream::{self, BoxStream, StreamExt};
use futures_util::FutureExt;
use multer::{Field, Multipart};

use super::limits::{Limit, MultipartLimits, MAX_HEADER_PAIRS};
use super::save::Sink;
use super::shared::{Failure, PartHead, SaveError, Shared, Source, Wake, Whole};

/// Reads the body until its end, a failure, or the handler lets go.
pub(super) async fn run(
    source: Source,
    boundary: String,
    limits: MultipartLimits,
    shared: Arc<Shared>,
) {
    let body: BoxStream<'static, Result<Bytes, std::io::Error>> = match source {
        Source::Read(body) => stream::once(async move { Ok(body) }).boxed(),
        Source::Streamed(inlet) => inlet.into_stream().boxed(),
    };
    let mut reader = Reader::new(body, boundary, limits);
    if let Some(end) = reader.parts(&shared).await {
        shared.finish(end);
    }
}

/// A body already read, parsed at once on the caller's thread: every part
/// with its bytes (slices of the body, no copies), then how it ended. The
/// parts then cross to the handler without a wait for a task each. `None`
/// if the parser would wait, which a body in memory never makes it do.
pub(super) fn whole(body: Bytes, boundary: String, limits: MultipartLimits) -> Option<Whole> {
    let body = stream::once(async move { Ok::<_, std::io::Error>(body) }).boxed();
    let mut reader = Reader::new(body, boundary, limits);
    async move {
        let mut parts = Vec::new();
        let end = loop {
            let mut field = match reader.next().await {
                Ok(Some(field)) => field,
                Ok(None) => break Ok(()),
                Err(failure) => break Err(failure),
            };
            let (head, (cap, limit)) = match reader.admit(&field) {
                Ok(admitted) => admitted,
                Err(failure) => break Err(failure),
            };
            let mut chunks = Vec::new();
            let mut size = 0u64;
            let over = loop {
                match field.chunk().await {
                    Ok(Some(chunk)) => {
                        size += chunk.len() as u64;
                        if size > cap {
                            let detail = format!("{} is larger than {cap} bytes", part_name(&head));
                            break Some(too_much(limit, detail));
                        }
                        chunks.push(chunk);
                    }
                    Ok(None) => break None,
                    Err(error) => break Some(failure(error)),
                }
            };
            if let Some(failure) = over {
                break Err(failure);
            }
            let bytes = match chunks.len() {
                1 => chunks.pop().unwrap_or_default(),
                _ => chunks.concat().into(),
            };
            parts.push((head, bytes));
        };
        Whole { parts, end }
    }
    .now_or_never()
}

struct Reader {
    multipart: Multipart<'static>,
    limits: MultipartLimits,
    counts: Counts,
}

#[derive(Default)]
struct Counts {
    parts: u64,
    files: u64,
    fields: u64,
}

/// What ends the reading: `None` when the handler let go.
type End = Option<Result<(), Failure>>;

impl Reader {
    fn new(
        body: BoxStream<'static, Result<Bytes, std::io::Error>>,
        boundary: String,
        limits: MultipartLimits,
    ) -> Self {
        Self {
            multipart: Multipart::new(body, boundary),
            limits,
            counts: Counts::default(),
        }
    }

    async fn next(&mut self) -> Result<Option<Field<'static>>, Failure> {
        self.multipart.next_field().await.map_err(failure)
    }

    async fn parts(&mut self, shared: &Shared) -> End {
        loop {
            // The handler holds the part read last, and may still save it.
            loop {
                match shared.next_wanted().await {
                    Wake::Released => return None,
                    Wake::Go => break,
                    Wake::Save(request, queued) => {
                        if let Some(sink) = Sink::open(request, &queued).await {
                            sink.finish().await;
                        }
                    }
                }
            }
            let field = match self.next().await {
                Ok(Some(field)) => field,
                Ok(None) => return Some(Ok(())),
                Err(failure) => return Some(Err(failure)),
            };
            let (head, cap) = match self.admit(&field) {
                Ok(admitted) => admitted,
                Err(failure) => return Some(Err(failure)),
            };
            let what = part_name(&head);
            shared.begin(head);
            match part(shared, field, cap, &what).await {
                Some(Ok(())) => {}
                end => return end,
            }
        }
    }

    /// Counts a part against the limits and reads its head.
    fn admit(&mut self, field: &Field<'static>) -> Result<(PartHead, (u64, Limit)), Failure> {
        let limits = &self.limits;
        let counts = &mut self.counts;
        counts.parts += 1;
        if counts.parts > limits.parts {
            return Err(too_much(
                Limit::Parts,
                format!("the body has more than {} parts", limits.parts),
            ));
        }
        let headers = field.headers();
        if headers.len() as u64 > limits.header_pairs {
            let detail = format!("a part has more than {} header lines", limits.header_pairs);
            return Err(too_much(Limit::HeaderPairs, detail));
        }
        let Some(name) = field.name() else {
            return Err(Failure::Malformed(
                "a part has no Content-Disposition header with a name".to_owned(),
            ));
        };
        let filename = field.file_name().map(str::to_owned);
        let cap = if filename.is_some() {
            counts.files += 1;
            if counts.files > limits.files {
                let detail = format!("the body has more than {} files", limits.files);
                return Err(too_much(Limit::Files, detail));
            }
            (limits.file_size, Limit::FileSize)
        } else {
            counts.fields += 1;
            if counts.fields > limits.fields {
                let detail = format!("the body has more than {} fields", limits.fields);
                return Err(too_much(Limit::Fields, detail));
            }
            (limits.field_size, Limit::FieldSize)
        };
        let head = PartHead {
            name: name.to_owned(),
            filename,
            content_type: field.content_type().map(ToString::to_string),
            headers: headers
                .iter()
                .map(|(name, value)| {
                    let value = String::from_utf8_lossy(value.as_bytes()).into_owned();
                    (name.as_str().to_owned(), value)
                })
                .collect(),
        };
        Ok((head, cap))
    }
}

/// Reads one part to its end: to the handler's side, to a sink once the
/// handler asks for one, or nowhere once the handler leaves it.
async fn part(
    shared: &Shared,
    mut field: Field<'static>,
    (cap, limit): (u64, Limit),
    what: &str,
) -> End {
    let mut sink: Option<Sink> = None;
    let mut size = 0u64;
    loop {
        match shared.room().await {
            Wake::Released => return None,
            Wake::Go => {}
            Wake::Save(request, _) if sink.is_some() => {
                let why = "the part is already being saved".to_owned();
                request.refuse(SaveError::File(why));
            }
            Wake::Save(request, queued) => {
                sink = Sink::open(request, &queued).await;
                if sink.is_none() {
                    shared.skip();
                }
            }
        }
        let chunk = match field.chunk().await {
            Ok(Some(chunk)) => chunk,
            Ok(None) => {
                if let Some(sink) = sink {
                    sink.finish().await;
                }
                shared.end_part();
                return Some(Ok(()));
            }
            Err(error) => return Some(Err(fail(sink, failure(error)))),
        };
        size += chunk.len() as u64;
        if size > cap {
            let detail = format!("{what} is larger than {cap} bytes");
            return Some(Err(fail(sink, too_much(limit, detail))));
        }
        match &mut sink {
            Some(to) => {
                if to.write(&chunk).await.is_err() {
                    sink = None;
                    shared.skip();
                }
            }
            None => shared.push(chunk),
        }
    }
}

/// How a 413's detail names a part: `the file 'a.png'` or `the field 'title'`.
fn part_name(head: &PartHead) -> String {
    match &head.filename {
        Some(filename) => format!("the file '{filename}'"),
        None => format!("the field '{}'", head.name),
    }
}

/// Settles a sink under way with the body's failure.
fn fail(sink: Option<Sink>, failure: Failure) -> Failure {
    if let Some(sink) = sink {
        sink.fail(failure.clone());
    }
    failure
}

fn too_much(limit: Limit, detail: String) -> Failure {
    Failure::TooMuch(limit, format!("{detail} ({})", limit.name()))
}

/// A `multer` error as the handler's side reports it.
fn failure(error: multer::Error) -> Failure {
    match error {
        multer::Error::StreamReadFailed(cause) => Failure::Cut(cause.to_string()),
        multer::Error::ReadHeaderFailed(httparse::Error::TooManyHeaders) => too_much(
            Limit::HeaderPairs,
            format!("a part has more than {MAX_HEADER_PAIRS} header lines"),
        ),
        other => Failure::Malformed(format!("the multipart body is malformed: {other}")),
    }
}
