//! Request logging in pino's JSON format (one line per request, which
//! `pino-pretty` reads), written by a thread of its own so that engine threads
//! never wait on a terminal or a pipe.

mod config;
mod line;
mod sink;

use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Instant;

use bytes::Bytes;
use futures_util::Stream;
use http::request::Parts;
use serde_json::Value;

pub use config::{Destination, LogLevel, LoggerConfig};
use line::{Line, Settings};
pub(crate) use sink::flush;

use super::{ClientAddr, Flow, HeadOnly, Layer};
use crate::{Body, BoxError, Chunks, Error};

/// Logs every request when its response is ready.
#[derive(Debug)]
pub struct Logger {
    settings: Arc<Settings>,
}

impl Logger {
    /// Checks the fields and serialises the fixed part of every line.
    pub fn new(config: LoggerConfig) -> Result<Self, Error> {
        let reserved = [
            "level",
            "time",
            "pid",
            "hostname",
            "req",
            "res",
            "responseTime",
            "msg",
        ];
        if let Some(name) = config
            .fields
            .keys()
            .find(|name| reserved.contains(&name.as_str()))
        {
            return Err(Error::invalid_option(format!(
                "logger: the field '{name}' is written by the logger itself"
            )));
        }
        let mut fixed = format!(
            "\"pid\":{},\"hostname\":{}",
            config.pid,
            Value::from(config.hostname)
        );
        for (name, value) in &config.fields {
            fixed.push_str(&format!(",{}:{}", Value::from(name.as_str()), value));
        }
        Ok(Self {
            settings: Arc::new(Settings {
                threshold: config.level.threshold(),
                fixed,
                request_id: config.request_id_header,
                destination: config.destination,
            }),
        })
    }
}

impl Layer for Logger {
    fn before(&self, request: &mut Parts) -> Flow {
        let settings = &self.settings;
        if settings.threshold > 50 {
            return Flow::Next(None);
        }
        let started = Instant::now();
        let method = request.method.clone();
        let url = request.uri.path_and_query().map_or_else(
            || request.uri.path().to_owned(),
            |pq| pq.as_str().to_owned(),
        );
        let incoming_id = request.headers.get(&settings.request_id).cloned();
        let remote = request
            .extensions
            .get::<ClientAddr>()
            .map(|client| client.ip(&request.headers));
        let settings = settings.clone();
        Flow::Next(Some(Box::new(move |response| {
            let id = response.headers().get(&settings.request_id).cloned();
            let line = Line {
                settings,
                started,
                method,
                url,
                id: id.or(incoming_id),
                remote,
                status: response.status().as_u16(),
            };
            if !response.body().is_stream() || response.extensions().get::<HeadOnly>().is_some() {
                return line.write(None);
            }
            let body = std::mem::take(response.body_mut());
            *response.body_mut() = Body::stream(Counted {
                chunks: body.into_chunks(),
                bytes: 0,
                end: Some(move |bytes, complete| line.write(Some((bytes, complete)))),
            });
        })))
    }
}

/// A streamed body that counts its bytes and calls `end` with them once: when
/// it ends (complete), is cut short by an error, or is dropped unfinished
/// (the client left).
struct Counted<F: FnOnce(u64, bool)> {
    chunks: Chunks,
    bytes: u64,
    end: Option<F>,
}

impl<F: FnOnce(u64, bool) + Unpin> Stream for Counted<F> {
    type Item = Result<Bytes, BoxError>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        let item = std::task::ready!(this.chunks.as_mut().poll_next(cx));
        match &item {
            Some(Ok(chunk)) => this.bytes += chunk.len() as u64,
            Some(Err(_)) => this.end(false),
            None => this.end(true),
        }
        Poll::Ready(item)
    }
}

impl<F: FnOnce(u64, bool)> Counted<F> {
    fn end(&mut self, complete: bool) {
        if let Some(end) = self.end.take() {
            end(self.bytes, complete);
        }
    }
}

impl<F: FnOnce(u64, bool)> Drop for Counted<F> {
    fn drop(&mut self) {
        self.end(false);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures_util::{stream, StreamExt};
    use std::sync::mpsc;

    type End = Box<dyn FnOnce(u64, bool) + Send>;

    fn counted(
        chunks: Vec<Result<Bytes, BoxError>>,
    ) -> (Counted<End>, mpsc::Receiver<(u64, bool)>) {
        let (sender, ends) = mpsc::channel();
        let end: End = Box::new(move |bytes, complete| sender.send((bytes, complete)).unwrap());
        let counted = Counted {
            chunks: Box::pin(stream::iter(chunks)),
            bytes: 0,
            end: Some(end),
        };
        (counted, ends)
    }

    #[tokio::test]
    async fn reports_a_streams_bytes_once_when_it_ends_fails_or_is_dropped() {
        let ok = || Ok(Bytes::from_static(b"abcd"));
        let (whole, ends) = counted(vec![ok(), ok()]);
        assert_eq!(whole.count().await, 2);
        assert_eq!(ends.try_iter().collect::<Vec<_>>(), [(8, true)]);
        let (failing, ends) = counted(vec![ok(), Err("broken".into()), ok()]);
        let _ = failing.collect::<Vec<_>>().await;
        assert_eq!(ends.try_iter().collect::<Vec<_>>(), [(4, false)]);
        let (mut dropped, ends) = counted(vec![ok(), ok(), ok()]);
        dropped.next().await;
        drop(dropped);
        assert_eq!(ends.try_iter().collect::<Vec<_>>(), [(4, false)]);
    }
}
