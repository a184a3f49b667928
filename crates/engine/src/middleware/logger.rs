//! Request logging in pino's JSON format (one line per request, which
//! `pino-pretty` reads), written by a thread of its own so that engine threads
//! never wait on a terminal or a pipe.

use std::io::Write;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{sync_channel, Receiver, SyncSender, TrySendError};
use std::sync::{Arc, OnceLock};
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use http::request::Parts;
use http::HeaderName;
use serde::Deserialize;
use serde_json::{Map, Value};

use super::{Flow, Layer};
use crate::Error;

/// Log lines waiting for the writer; past this, lines are dropped and counted.
const QUEUE: usize = 65_536;
/// The most one write carries: below a pipe's atomic size, so that lines from
/// Node's own writes to the same stream are not cut into.
const WRITE_MAX: usize = 4096;

/// Options of [`Logger`], as JS passes them.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct LoggerOptions {
    /// The least level written: trace, debug, info, warn, error, fatal or silent. Default info.
    level: Option<String>,
    /// Fields added to every line.
    #[serde(default)]
    fields: Map<String, Value>,
    /// `stdout` or `stderr`. Default stdout.
    destination: Option<String>,
    /// The request id header to report. Default `x-request-id`.
    request_id_header: Option<String>,
    /// This process, as pino writes it (given by JS: `process.pid`).
    pid: u32,
    /// This machine, as pino writes it (given by JS: `os.hostname()`).
    hostname: String,
}

/// Where lines go; the value indexes [`SINKS`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Destination {
    Stdout = 0,
    Stderr = 1,
}

/// What the writer thread receives.
enum Message {
    Line(Vec<u8>),
    /// Answered once every line sent before it is written.
    Flush(SyncSender<()>),
}

/// One writer thread per destination, shared by every logger of the process.
struct Sink {
    lines: SyncSender<Message>,
    dropped: Arc<AtomicU64>,
}

/// The sinks started so far, for [`flush`].
static SINKS: [OnceLock<Sink>; 2] = [OnceLock::new(), OnceLock::new()];

/// Waits (up to `timeout`) until every log line queued so far is written:
/// servers call it when they close, so that the last lines are not lost.
pub(crate) fn flush(timeout: std::time::Duration) {
    for sink in SINKS.iter().filter_map(OnceLock::get) {
        let (done, written) = sync_channel(1);
        if sink.lines.send(Message::Flush(done)).is_ok() {
            let _ = written.recv_timeout(timeout);
        }
    }
}

impl Sink {
    fn get(destination: Destination) -> &'static Sink {
        SINKS[destination as usize].get_or_init(|| {
            let (lines, queue) = sync_channel(QUEUE);
            let dropped = Arc::new(AtomicU64::new(0));
            let counter = dropped.clone();
            std::thread::Builder::new()
                .name("armature-log".to_owned())
                .spawn(move || write_lines(destination, &queue, &counter))
                .expect("a thread for the log writer");
            Sink { lines, dropped }
        })
    }

    fn send(&self, line: Vec<u8>) {
        if let Err(TrySendError::Full(_)) = self.lines.try_send(Message::Line(line)) {
            self.dropped.fetch_add(1, Ordering::Relaxed);
        }
    }
}

fn write_lines(destination: Destination, queue: &Receiver<Message>, dropped: &AtomicU64) {
    let mut buffer = Vec::with_capacity(WRITE_MAX);
    let mut flushed = Vec::new();
    while let Ok(first) = queue.recv() {
        let mut next = Some(first);
        while let Some(message) = next.take() {
            match message {
                Message::Line(line) => {
                    if buffer.len() + line.len() > WRITE_MAX {
                        write(destination, &mut buffer);
                    }
                    buffer.extend_from_slice(&line);
                }
                Message::Flush(done) => flushed.push(done),
            }
            next = queue.try_recv().ok();
        }
        let lost = dropped.swap(0, Ordering::Relaxed);
        if lost > 0 {
            let warning = format!(
                "{{\"level\":40,\"time\":{},\"msg\":\"the log writer fell behind: {lost} lines dropped\"}}\n",
                now_ms()
            );
            buffer.extend_from_slice(warning.as_bytes());
        }
        write(destination, &mut buffer);
        for done in flushed.drain(..) {
            let _ = done.send(());
        }
    }
}

fn write(destination: Destination, buffer: &mut Vec<u8>) {
    // A closed stream (EPIPE) leaves nothing to do but go on dropping lines.
    let _ = match destination {
        Destination::Stdout => std::io::stdout().lock().write_all(buffer),
        Destination::Stderr => std::io::stderr().lock().write_all(buffer),
    };
    buffer.clear();
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
    /// Checks the options and serialises the fixed part of every line.
    pub fn new(options: LoggerOptions) -> Result<Self, Error> {
        let invalid = |why: String| Error::invalid_option(format!("logger: {why}"));
        let threshold = match options.level.as_deref().unwrap_or("info") {
            "trace" => 10,
            "debug" => 20,
            "info" => 30,
            "warn" => 40,
            "error" => 50,
            "fatal" => 60,
            "silent" => u8::MAX,
            other => {
                return Err(invalid(format!(
                    "level '{other}' is not trace, debug, info, warn, error, fatal or silent"
                )))
            }
        };
        let destination = match options.destination.as_deref().unwrap_or("stdout") {
            "stdout" => Destination::Stdout,
            "stderr" => Destination::Stderr,
            other => {
                return Err(invalid(format!(
                    "destination '{other}' is not stdout or stderr"
                )))
            }
        };
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
        if let Some(name) = options
            .fields
            .keys()
            .find(|name| reserved.contains(&name.as_str()))
        {
            return Err(invalid(format!(
                "the field '{name}' is written by the logger itself"
            )));
        }
        let name = options
            .request_id_header
            .unwrap_or_else(|| "x-request-id".to_owned());
        let request_id = HeaderName::from_bytes(name.as_bytes())
            .map_err(|_| invalid(format!("'{name}' is not a valid header name")))?;
        let mut fixed = format!(
            "\"pid\":{},\"hostname\":{}",
            options.pid,
            Value::from(options.hostname)
        );
        for (name, value) in &options.fields {
            fixed.push_str(&format!(",{}:{}", Value::from(name.as_str()), value));
        }
        Ok(Self {
            settings: Arc::new(Settings {
                threshold,
                fixed,
                request_id,
                destination,
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
        let settings = settings.clone();
        Flow::Next(Some(Box::new(move |response| {
            let status = response.status().as_u16();
            let (level, msg) = match status {
                500.. => (50, "request errored"),
                400.. => (40, "request completed"),
                _ => (30, "request completed"),
            };
            if level < settings.threshold {
                return;
            }
            let id = response
                .headers()
                .get(&settings.request_id)
                .or(incoming_id.as_ref())
                .and_then(|id| id.to_str().ok());
            let mut req = Map::new();
            req.insert("method".into(), Value::from(method.as_str()));
            req.insert("url".into(), Value::from(url));
            if let Some(id) = id {
                req.insert("id".into(), Value::from(id));
            }
            let line = format!(
                "{{\"level\":{level},\"time\":{},{},\"req\":{},\"res\":{{\"statusCode\":{status}}},\"responseTime\":{:.3},\"msg\":\"{msg}\"}}\n",
                now_ms(),
                settings.fixed,
                Value::Object(req),
                started.elapsed().as_secs_f64() * 1000.0,
            );
            Sink::get(settings.destination).send(line.into_bytes());
        })))
    }
}
