//! A [`super::Logger`]'s settings as a Rust caller gives them: the level, the
//! extra fields, the destination.

use http::HeaderName;
use serde_json::{Map, Value};

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
    pub(super) fn threshold(self) -> u8 {
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

/// Where lines go; the value indexes the writers' sinks.
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
