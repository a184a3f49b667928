//! The writer threads: one per destination, shared by every logger of the
//! process. Engine threads only append to a buffer under an uncontended
//! lock, so they never wait on a terminal or a pipe.

use std::io::Write;
use std::sync::{Condvar, Mutex, MutexGuard, OnceLock};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use super::config::Destination;

/// Bytes of log lines waiting for the writer; past this, lines are dropped and counted.
const BUFFERED_MAX: usize = 16 << 20;
/// The writer is woken early once this many bytes wait.
const WAKE_AT: usize = 64 << 10;
/// The longest a line waits for the writer otherwise.
const PERIOD: Duration = Duration::from_millis(20);
/// The most one write carries, cut at a line's end: a pipe's atomic size, so
/// that lines from Node's own writes to the same stream are not cut into.
const WRITE_MAX: usize = 4096;

/// One writer thread per destination, shared by every logger of the process.
/// Engine threads only append to a buffer under an uncontended lock; the writer
/// takes the whole buffer every [`PERIOD`], or sooner when it fills.
pub(super) struct Sink {
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
    pub(super) fn get(destination: Destination) -> &'static Sink {
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
    pub(super) fn append(&self, line: impl FnOnce(&mut Vec<u8>)) {
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

/// The time as pino writes it: milliseconds since the epoch.
pub(super) fn now_ms() -> u128 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis())
}
