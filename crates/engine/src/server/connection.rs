//! One connection's life below hyper: what hyper-util and hyper do not do.
//!
//! - **Protocol detection has a deadline.** hyper-util's auto builder reads
//!   until the bytes show HTTP/1 or the HTTP/2 preface, with no timer
//!   (hyper#3756): a peer that connects and sends nothing would be held
//!   forever. The stream watches the same bytes and the connection task
//!   closes the connection when they have not come within `headersTimeout`.
//! - **Idle HTTP/2 connections close.** hyper's h2 server has no idle timer:
//!   a connection with no open stream for `keepAliveTimeout` is shut down
//!   gracefully (GOAWAY).
//! - **The lingering close.** hyper closes a connection whose request body
//!   was not read with the client's bytes still in the socket, and closing a
//!   socket with unread data sends a reset that destroys the answer in
//!   flight (hyper#3078, #2384): a keep-alive client sees EPIPE instead of
//!   its 413. So the stream, once hyper drops it, half-closes and reads and
//!   discards what the client still sends until it closes, within a byte and
//!   a time budget, as nginx's lingering close does.
//!
//! - **A reader that takes nothing is dropped.** When the socket accepts no
//!   bytes for `sendTimeout` while the server has some to write, the
//!   connection closes (its streams' sources are cancelled): a stalled
//!   reader cannot hold a response forever.
//!
//! Graceful shutdown is here too, since hyper-util's `GracefulShutdown` can
//! only watch hyper's own connection types, not one with these timers.

use std::future::Future;
use std::io;
use std::pin::{pin, Pin};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicU8, AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, ReadBuf};
use tokio::net::TcpStream;
use tokio::sync::{watch, Notify};

/// What hyper-util's detection reads to recognise HTTP/2 with prior knowledge.
const H2_PREFACE: &[u8] = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";
const UNKNOWN: u8 = 0;
const HTTP1: u8 = 1;
const HTTP2: u8 = 2;

/// The longest a closed connection reads what its client still sends.
const LINGER_TIME: Duration = Duration::from_secs(5);
/// The most it reads.
const LINGER_BYTES: usize = 64 * 1024 * 1024;
/// Connections lingering at once, in the whole process; past this, a
/// connection closes at once (its early answer may then be lost).
const MAX_LINGERING: usize = 1024;

static LINGERING: AtomicUsize = AtomicUsize::new(0);

/// What a connection's stream, its requests and its task share.
#[derive(Debug, Default)]
pub(crate) struct ConnectionState {
    /// `UNKNOWN` until the first bytes show `HTTP1` or `HTTP2`.
    protocol: AtomicU8,
    detected: Notify,
    /// Requests being answered now, and all so far.
    open: AtomicUsize,
    requests: AtomicU64,
    /// Set when an answer left a body unread: the close must linger.
    linger: AtomicBool,
    /// When the socket last refused a write that is still waiting (nanoseconds
    /// after [`epoch`]), or 0 while writes go through.
    blocked_since: AtomicU64,
    write_blocked: Notify,
}

/// The zero of `blocked_since`.
fn epoch() -> Instant {
    static EPOCH: OnceLock<Instant> = OnceLock::new();
    *EPOCH.get_or_init(Instant::now)
}

impl ConnectionState {
    /// Counts an HTTP/2 request until the returned guard is dropped (only
    /// HTTP/2's idle timer reads the counts).
    pub(crate) fn http2_request(&self) -> OpenRequest<'_> {
        self.open.fetch_add(1, Ordering::AcqRel);
        self.requests.fetch_add(1, Ordering::AcqRel);
        OpenRequest(self)
    }

    /// Makes the close of this connection linger.
    pub(crate) fn linger(&self) {
        self.linger.store(true, Ordering::Release);
    }

    /// Notes whether a write went through or waits for the socket.
    fn wrote<T>(&self, poll: &Poll<T>) {
        if poll.is_pending() {
            if self.blocked_since.load(Ordering::Relaxed) == 0 {
                let since = epoch().elapsed().as_nanos().max(1) as u64;
                self.blocked_since.store(since, Ordering::Release);
                self.write_blocked.notify_one();
            }
        } else if self.blocked_since.load(Ordering::Relaxed) != 0 {
            self.blocked_since.store(0, Ordering::Release);
        }
    }

    /// Resolves once a write has waited for the socket for `limit`.
    async fn stalled(&self, limit: Duration) {
        loop {
            let since = self.blocked_since.load(Ordering::Acquire);
            if since == 0 {
                self.write_blocked.notified().await;
                continue;
            }
            let deadline = epoch() + Duration::from_nanos(since) + limit;
            tokio::time::sleep_until(deadline.into()).await;
            if self.blocked_since.load(Ordering::Acquire) == since {
                return;
            }
        }
    }

    fn detect(&self, protocol: u8) {
        self.protocol.store(protocol, Ordering::Release);
        self.detected.notify_one();
    }

    /// Resolves once no request was open for a whole `idle`, on HTTP/2 only
    /// (hyper's `header_read_timeout` closes idle HTTP/1 connections).
    async fn idle_http2(&self, idle: Duration) {
        loop {
            let seen = self.requests.load(Ordering::Acquire);
            tokio::time::sleep(idle).await;
            match self.protocol.load(Ordering::Acquire) {
                HTTP1 => std::future::pending::<()>().await,
                HTTP2
                    if self.open.load(Ordering::Acquire) == 0
                        && self.requests.load(Ordering::Acquire) == seen =>
                {
                    return
                }
                _ => {}
            }
        }
    }
}

/// A request in [`ConnectionState::open`], until dropped.
pub(crate) struct OpenRequest<'a>(&'a ConnectionState);

impl Drop for OpenRequest<'_> {
    fn drop(&mut self) {
        self.0.open.fetch_sub(1, Ordering::AcqRel);
    }
}

/// How the server is stopping, as its connections watch it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Stop {
    Running,
    /// Finish what is open, take nothing new.
    Graceful,
    /// Close now.
    Now,
}

/// The timers of one connection.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Timers {
    /// For the first bytes to show the protocol.
    pub(crate) headers: Duration,
    /// For an HTTP/2 connection with no open stream.
    pub(crate) idle: Duration,
    /// For a socket that accepts none of the bytes waiting for it.
    pub(crate) send: Duration,
}

/// Serves `connection` until it ends, the server stops, the client has not
/// shown its protocol in time, an HTTP/2 connection sat idle, or the socket
/// accepted nothing for the send timeout; `graceful` asks it to finish what
/// is open.
pub(crate) async fn serve<C: Future>(
    connection: C,
    graceful: impl Fn(Pin<&mut C>),
    state: Arc<ConnectionState>,
    mut stop: watch::Receiver<Stop>,
    timers: Timers,
) {
    let mut connection = pin!(connection);
    let detected = async {
        if state.protocol.load(Ordering::Acquire) == UNKNOWN {
            state.detected.notified().await;
        }
    };
    let mut detected = pin!(tokio::time::timeout(timers.headers, detected));
    let mut detecting = true;
    let mut draining = false;
    loop {
        tokio::select! {
            _ = connection.as_mut() => return,
            changed = stop.changed() => match changed.map(|()| *stop.borrow_and_update()) {
                Ok(Stop::Running) => {}
                Ok(Stop::Graceful) => {
                    if !draining {
                        draining = true;
                        graceful(connection.as_mut());
                    }
                }
                Ok(Stop::Now) | Err(_) => return,
            },
            outcome = detected.as_mut(), if detecting => match outcome {
                Ok(()) => detecting = false,
                // Silent: a client that never spoke gets no answer.
                Err(_) => return,
            },
            () = state.idle_http2(timers.idle), if !draining => {
                draining = true;
                graceful(connection.as_mut());
            }
            // Dropped, not drained: the reader is not reading.
            () = state.stalled(timers.send) => return,
        }
    }
}

/// A connection's TCP stream: it watches the first bytes for the protocol
/// and lingers when dropped if the connection was marked.
#[derive(Debug)]
pub(crate) struct LingeringStream {
    io: Option<TcpStream>,
    state: Arc<ConnectionState>,
    /// Bytes of the HTTP/2 preface matched so far, while detecting.
    preface: usize,
}

impl LingeringStream {
    pub(crate) fn new(io: TcpStream, state: Arc<ConnectionState>) -> Self {
        Self {
            io: Some(io),
            state,
            preface: 0,
        }
    }

    fn io(&mut self) -> Pin<&mut TcpStream> {
        Pin::new(self.io.as_mut().expect("taken only on drop"))
    }

    /// Follows hyper-util's detection over bytes just read.
    fn watch_preface(&mut self, read: &[u8]) {
        let end = (self.preface + read.len()).min(H2_PREFACE.len());
        let expected = &H2_PREFACE[self.preface..end];
        if read[..expected.len()] != *expected {
            self.state.detect(HTTP1);
        } else if end == H2_PREFACE.len() {
            self.state.detect(HTTP2);
        }
        self.preface = end;
    }
}

impl AsyncRead for LingeringStream {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        let poll = self.io().poll_read(cx, buf);
        if self.state.protocol.load(Ordering::Relaxed) == UNKNOWN && buf.filled().len() > before {
            let this = &mut *self;
            this.watch_preface(&buf.filled()[before..]);
        }
        poll
    }
}

impl AsyncWrite for LingeringStream {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let poll = self.io().poll_write(cx, buf);
        self.state.wrote(&poll);
        poll
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let poll = self.io().poll_write_vectored(cx, bufs);
        self.state.wrote(&poll);
        poll
    }

    fn is_write_vectored(&self) -> bool {
        self.io.as_ref().is_some_and(|io| io.is_write_vectored())
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let poll = self.io().poll_flush(cx);
        self.state.wrote(&poll);
        poll
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.io().poll_shutdown(cx)
    }
}

impl Drop for LingeringStream {
    fn drop(&mut self) {
        if !self.state.linger.load(Ordering::Acquire) {
            return;
        }
        let (Some(io), Ok(runtime)) = (self.io.take(), tokio::runtime::Handle::try_current())
        else {
            return;
        };
        if LINGERING.fetch_add(1, Ordering::AcqRel) >= MAX_LINGERING {
            LINGERING.fetch_sub(1, Ordering::AcqRel);
            return;
        }
        let counted = Counted;
        runtime.spawn(async move {
            linger(io, LINGER_TIME, LINGER_BYTES).await;
            drop(counted);
        });
    }
}

/// One lingering connection in [`LINGERING`], until dropped.
struct Counted;

impl Drop for Counted {
    fn drop(&mut self) {
        LINGERING.fetch_sub(1, Ordering::AcqRel);
    }
}

/// Half-closes `io`, then reads and discards until the peer closes, `time`
/// passes or `bytes` were read; returns how many were.
async fn linger(mut io: TcpStream, time: Duration, bytes: usize) -> usize {
    // hyper has flushed and shut down already; shutting down twice is harmless.
    let _ = io.shutdown().await;
    let mut buffer = [0; 4096];
    let mut read = 0;
    let discard = async {
        while read < bytes {
            match io.read(&mut buffer).await {
                Ok(0) | Err(_) => break,
                Ok(n) => read += n,
            }
        }
    };
    let _ = tokio::time::timeout(time, discard).await;
    read
}

#[cfg(test)]
mod tests {
    use std::time::Instant;

    use tokio::net::TcpListener;

    use super::*;

    /// A connected pair: the server's side and the client's.
    async fn pair() -> (TcpStream, TcpStream) {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let client = TcpStream::connect(listener.local_addr().unwrap());
        let (client, accepted) = tokio::join!(client, listener.accept());
        (accepted.unwrap().0, client.unwrap())
    }

    fn runtime() -> tokio::runtime::Runtime {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap()
    }

    /// What the stream concludes from `chunks` read one after another.
    fn detect(chunks: &[&[u8]]) -> u8 {
        runtime().block_on(async {
            let (server, _client) = pair().await;
            let state = Arc::new(ConnectionState::default());
            let mut stream = LingeringStream::new(server, state.clone());
            for chunk in chunks {
                if state.protocol.load(Ordering::Acquire) == UNKNOWN {
                    stream.watch_preface(chunk);
                }
            }
            state.protocol.load(Ordering::Acquire)
        })
    }

    #[test]
    fn detection_follows_the_http2_preface() {
        assert_eq!(detect(&[b"GET / HTTP/1.1\r\n"]), HTTP1);
        assert_eq!(detect(&[b"P", b"OST / HTTP/1.1"]), HTTP1);
        assert_eq!(detect(&[b"P"]), UNKNOWN, "could still be either");
        assert_eq!(detect(&[b"PRI * HTTP/2.0\r\n", b"\r\nSM\r\n"]), UNKNOWN);
        assert_eq!(
            detect(&[b"PRI * HTTP/2.0\r\n\r\nSM", b"\r\n\r\n\0\0"]),
            HTTP2
        );
    }

    #[test]
    fn reads_until_the_peer_closes_and_sends_a_fin_first() {
        runtime().block_on(async {
            let (server, mut client) = pair().await;
            let lingering = tokio::spawn(linger(server, Duration::from_secs(5), 1 << 20));
            // The peer sees the half-close while it can still write.
            let mut byte = [0];
            assert_eq!(client.read(&mut byte).await.unwrap(), 0);
            client.write_all(&[7; 10_000]).await.unwrap();
            drop(client);
            assert_eq!(lingering.await.unwrap(), 10_000);
        });
    }

    #[test]
    fn stops_at_the_byte_budget() {
        runtime().block_on(async {
            let (server, mut client) = pair().await;
            let lingering = tokio::spawn(linger(server, Duration::from_secs(5), 64 * 1024));
            let writer =
                tokio::spawn(async move { while client.write_all(&[1; 4096]).await.is_ok() {} });
            let read = lingering.await.unwrap();
            assert!((64 * 1024..64 * 1024 + 4096).contains(&read), "{read}");
            writer.abort();
        });
    }

    #[test]
    fn stops_at_the_time_budget() {
        runtime().block_on(async {
            let (server, _silent) = pair().await;
            let started = Instant::now();
            assert_eq!(linger(server, Duration::from_millis(100), 1 << 20).await, 0);
            assert!(started.elapsed() >= Duration::from_millis(100));
        });
    }

    #[test]
    fn a_stream_lingers_on_drop_only_when_flagged() {
        runtime().block_on(async {
            for flagged in [false, true] {
                let (server, mut client) = pair().await;
                let state = Arc::new(ConnectionState::default());
                if flagged {
                    state.linger();
                }
                let stream = LingeringStream::new(server, state);
                // Bytes the server never read are waiting when it closes.
                client.write_all(&[1; 1000]).await.unwrap();
                tokio::time::sleep(Duration::from_millis(50)).await;
                drop(stream);
                // A plain close with unread data resets; a lingering one reads them and ends cleanly.
                let mut byte = [0];
                let outcome = client.read(&mut byte).await;
                if flagged {
                    assert_eq!(outcome.unwrap(), 0);
                } else {
                    assert!(outcome.is_err(), "{outcome:?}");
                }
            }
        });
    }

    #[test]
    fn a_write_that_waits_past_the_send_timeout_stalls_the_connection() {
        runtime().block_on(async {
            let state = ConnectionState::default();
            let limit = Duration::from_millis(50);
            // Writes that go through never stall.
            state.wrote(&Poll::Ready(()));
            assert!(tokio::time::timeout(limit * 3, state.stalled(limit))
                .await
                .is_err());
            // One that waits, and keeps waiting, does.
            state.wrote(&Poll::<()>::Pending);
            assert!(tokio::time::timeout(limit * 3, state.stalled(limit))
                .await
                .is_ok());
            // Progress resets the clock.
            state.wrote(&Poll::Ready(()));
            state.wrote(&Poll::<()>::Pending);
            let started = Instant::now();
            let stall = state.stalled(limit);
            let progress = async {
                tokio::time::sleep(limit / 2).await;
                state.wrote(&Poll::Ready(()));
                tokio::time::sleep(limit / 4).await;
                state.wrote(&Poll::<()>::Pending);
            };
            tokio::join!(stall, progress);
            assert!(started.elapsed() >= limit + limit * 3 / 4);
        });
    }
}
