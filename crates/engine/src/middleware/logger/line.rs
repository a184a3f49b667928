//! One request's line in pino's JSON format, and the settings every line of
//! a logger shares.

use std::io::Write;
use std::net::IpAddr;
use std::sync::Arc;
use std::time::Instant;

use http::{HeaderName, HeaderValue, Method};

use super::config::Destination;
use super::sink::{now_ms, Sink};

/// What every line of one logger shares.
#[derive(Debug)]
pub(super) struct Settings {
    pub(super) threshold: u8,
    /// `"pid":…,"hostname":…` and the extra fields, serialised once.
    pub(super) fixed: String,
    pub(super) request_id: HeaderName,
    pub(super) destination: Destination,
}

/// One request's line, written when its response is ready, or for a
/// streamed response when the stream ends.
pub(super) struct Line {
    pub(super) settings: Arc<Settings>,
    pub(super) started: Instant,
    pub(super) method: Method,
    pub(super) url: String,
    pub(super) id: Option<HeaderValue>,
    pub(super) remote: Option<IpAddr>,
    pub(super) status: u16,
}

impl Line {
    /// Writes the line; `streamed` is the bytes a stream sent and whether it
    /// reached its end (a stream cut short logs as aborted, at `warn`).
    pub(super) fn write(self, streamed: Option<(u64, bool)>) {
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
