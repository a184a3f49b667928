//! Request logging in pino's JSON format (one line per request, which
//! `pino-pretty` reads), written by a thread of its own so that engine threads
//! never wait on a terminal or a pipe.

use std::io::Write;
use std::net::IpAddr;
use std::pin::Pin;
use std::sync::{Arc, Condvar, Mutex, MutexGuard, OnceLock};
use std::task::{Context, Poll};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use futures_util::Stream;
use http::request::Parts;
use http::{HeaderName, HeaderValue, Method};
use serde_json::{Map, Value};

use super::{ClientAddr, Flow, HeadOnly, Layer};
use crate::{Body, BoxError, Chunks, Error};

/// Bytes of log lines waiting for the writer; past this, lines are dropped and counted.
const BUFFERED_MAX: usize = 16 << 20;
/// The writer is woken early once this many bytes wait.
const WAKE_AT: usize = 64 << 10;
/// The longest a line waits for the writer otherwise.
const PERIOD: Duration = Duration::from_millis(20);
/// The most one write carries, cut at a line's end: a pipe's atomic size, so
/// that lines from Node's own writes to the same stream are not cut into.
const WRITE_MAX: usize = 4096;

/// A [`Logger`]'s settings, as a Rust caller gives them.
#[derive(Debug, Clone)]
pub struct LoggerConfig {
    /// The least level written. Answers log at `info`, 4xx at `warn` and 5xx
    /// at `error`, so `Warn` logs only failures.
    pub level: LogLevel,
    /// Fields added to every line, e.g. `{ "service": "api" }`.
    pub fields: Map<String, Value>,
    /// The stream lines go to.
    pub destination: Destination,
    /// The header whose request id lines report (see `RequestId`).
    pub request_id_header: HeaderName,
    /// This process, as pino writes it.
    pub pid: u32,
    /// This machine, as pino writes it.
    pub hostname: String,
}

/// `info` and above to stdout, with this process's id and host name.
impl Default for LoggerConfig {
    fn default() -> Self {
        Self {
            level: LogLevel::default(),
            fields: Map::new(),
            destination: Destination::default(),
            request_id_header: HeaderName::from_static("x-request-id"),
            pid: std::process::id(),
            hostname: gethostname::gethostname().to_string_lossy().into_owned(),
        }
    }
}

/// pino's levels, least severe first; `silent` writes nothing.
#[derive(Debug, Clone, Copy, Default)]
#[cfg_attr(
    feature = "json",
    derive(serde::Deserialize),
    serde(rename_all = "lowercase")
)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum LogLevel {
    /// 10.
    Trace,
    /// 20.
    Debug,
    /// 30.
    #[default]
    Info,
    /// 40.
    Warn,
    /// 50.
    Error,
    /// 60.
    Fatal,
    /// Nothing is written.
    Silent,
}

impl LogLevel {
    /// pino's number for the level; `silent` is above every other.
    fn threshold(self) -> u8 {
        match self {
            Self::Trace => 10,
            Self::Debug => 20,
            Self::Info => 30,
            Self::Warn => 40,
            Self::Error => 50,
            Self::Fatal => 60,
            Self::Silent => u8::MAX,
        }
    }
}

/// Where lines go; the value indexes [`SINKS`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[cfg_attr(
    feature = "json",
    derive(serde::Deserialize),
    serde(rename_all = "lowercase")
)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum Destination {
    /// The process's standard output.
    #[default]
    Stdout = 0,
    /// The process's standard error.
    Stderr = 1,
}

/// One writer thread per destination, shared by every logger of the process.
/// Engine threads only append to a buffer under an uncontended lock; the writer
/// takes the whole buffer every [`PERIOD`], or sooner when it fills.
struct Sink {
    state: Mutex<State>,
    wake: Condvar,
    written: Condvar,
}

#[derive(Default)]
struct State {
    lines: Vec<u8>,
    dropped: u64,
    /// Flushes asked for, and flushes done: a flush waits for its number.
    asked: u64,
    done: u64,
}

/// The sinks started so far, for [`flush`].
static SINKS: [OnceLock<Sink>; 2] = [OnceLock::new(), OnceLock::new()];

/// Waits (up to `timeout`) until every log line queued so far is written:
/// servers call it when they close, so that the last lines are not lost.
pub(crate) fn flush(timeout: Duration) {
    for sink in SINKS.iter().filter_map(OnceLock::get) {
        let mut state = sink.lock();
        state.asked += 1;
        let ticket = state.asked;
        sink.wake.notify_one();
        let _ = sink
            .written
            .wait_timeout_while(state, timeout, |state| state.done < ticket);
    }
}

impl Sink {
    fn get(destination: Destination) -> &'static Sink {
        SINKS[destination as usize].get_or_init(|| {
            std::thread::Builder::new()
                .name("armature-log".to_owned())
                .spawn(move || write_lines(destination))
                .expect("a thread for the log writer");
            Sink {
                state: Mutex::new(State::default()),
                wake: Condvar::new(),
                written: Condvar::new(),
            }
        })
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // Appending bytes cannot leave the state inconsistent if a holder panicked.
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Appends one line, written by `line` straight into the buffer.
    fn append(&self, line: impl FnOnce(&mut Vec<u8>)) {
        let mut state = self.lock();
        if state.lines.len() > BUFFERED_MAX {
            state.dropped += 1;
            return;
        }
        let before = state.lines.len();
        line(&mut state.lines);
        if before < WAKE_AT && state.lines.len() >= WAKE_AT {
            self.wake.notify_one();
        }
    }
}

fn write_lines(destination: Destination) {
    let sink = Sink::get(destination);
    let mut batch = Vec::new();
    loop {
        let (dropped, ticket) = {
            let state = sink.lock();
            let (mut state, _) = sink
                .wake
                .wait_timeout_while(state, PERIOD, |state| {
                    state.lines.len() < WAKE_AT && state.asked == state.done
                })
                .unwrap_or_else(|poisoned| poisoned.into_inner());
            std::mem::swap(&mut batch, &mut state.lines);
            (std::mem::take(&mut state.dropped), state.asked)
        };
        if dropped > 0 {
            let warning = format!(
                "{{\"level\":40,\"time\":{},\"msg\":\"the log writer fell behind: {dropped} lines dropped\"}}\n",
                now_ms()
            );
            batch.extend_from_slice(warning.as_bytes());
        }
        write(destination, &batch);
        batch.clear();
        let mut state = sink.lock();
        state.done = ticket;
        sink.written.notify_all();
    }
}

/// Writes `lines` in pieces of at most [`WRITE_MAX`] bytes that end at a line's end.
fn write(destination: Destination, mut lines: &[u8]) {
    while !lines.is_empty() {
        let cut = if lines.len() <= WRITE_MAX {
            lines.len()
        } else {
            lines[..WRITE_MAX]
                .iter()
                .rposition(|&b| b == b'\n')
                .map_or(WRITE_MAX, |at| at + 1)
        };
        // A closed stream (EPIPE) leaves nothing to do but go on dropping lines.
        let _ = match destination {
            Destination::Stdout => std::io::stdout().lock().write_all(&lines[..cut]),
            Destination::Stderr => std::io::stderr().lock().write_all(&lines[..cut]),
        };
        lines = &lines[cut..];
    }
}

fn now_ms() -> u128 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis())
}

/// Logs every request when its response is ready.
#[derive(Debug)]
pub struct Logger {
    settings: Arc<Settings>,
}

#[derive(Debug)]
struct Settings {
    threshold: u8,
    /// `"pid":…,"hostname":…` and the extra fields, serialised once.
    fixed: String,
    request_id: HeaderName,
    destination: Destination,
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

/// One request's line, written when its response is ready, or for a
/// streamed response when the stream ends.
struct Line {
    settings: Arc<Settings>,
    started: Instant,
    method: Method,
    url: String,
    id: Option<HeaderValue>,
    remote: Option<IpAddr>,
    status: u16,
}

impl Line {
    /// Writes the line; `streamed` is the bytes a stream sent and whether it
    /// reached its end (a stream cut short logs as aborted, at `warn`).
    fn write(self, streamed: Option<(u64, bool)>) {
        let status = self.status;
        let (mut level, mut msg) = match status {
            500.. => (50, "request errored"),
            400.. => (40, "request completed"),
            _ => (30, "request completed"),
        };
        if streamed.is_some_and(|(_, complete)| !complete) {
            (level, msg) = (level.max(40), "request aborted");
        }
        let settings = &self.settings;
        if level < settings.threshold {
            return;
        }
        let micros = self.started.elapsed().as_micros();
        Sink::get(settings.destination).append(|out| {
            // Writing to a Vec cannot fail.
            let _ = write!(
                out,
                "{{\"level\":{level},\"time\":{},{},\"req\":{{\"method\":\"{}\",\"url\":",
                now_ms(),
                settings.fixed,
                self.method
            );
            let _ = serde_json::to_writer(&mut *out, &self.url);
            if let Some(id) = self.id.as_ref().and_then(|id| id.to_str().ok()) {
                out.extend_from_slice(b",\"id\":");
                let _ = serde_json::to_writer(&mut *out, id);
            }
            if let Some(remote) = self.remote {
                let _ = write!(out, ",\"remoteAddress\":\"{remote}\"");
            }
            let _ = write!(out, "}},\"res\":{{\"statusCode\":{status}");
            if let Some((bytes, _)) = streamed {
                let _ = write!(out, ",\"bytes\":{bytes}");
            }
            let _ = writeln!(
                out,
                "}},\"responseTime\":{}.{:03},\"msg\":\"{msg}\"}}",
                micros / 1000,
                micros % 1000
            );
        });
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
