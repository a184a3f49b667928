//! The lingering close: how an answer given before the request body was read
//! reaches the client.
//!
//! hyper closes such a connection with the client's unread bytes still in
//! the socket, and closing a socket with unread data sends a reset that
//! destroys the answer in flight (hyper#3078, #2384): a keep-alive client
//! sees EPIPE instead of its 413. So the connection's stream, once hyper
//! drops it, half-closes and reads and discards what the client still sends
//! until it closes, within a byte and a time budget, as nginx's lingering
//! close does. hyper has no hook for this; the stream below it is ours.

use std::io;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, ReadBuf};
use tokio::net::TcpStream;

/// The longest a closed connection reads what its client still sends.
const LINGER_TIME: Duration = Duration::from_secs(5);
/// The most it reads.
const LINGER_BYTES: usize = 64 * 1024 * 1024;
/// Connections lingering at once, in the whole process; past this, a
/// connection closes at once (its early answer may then be lost).
const MAX_LINGERING: usize = 1024;

static LINGERING: AtomicUsize = AtomicUsize::new(0);

/// A connection's TCP stream, which lingers when dropped if its flag was set.
#[derive(Debug)]
pub(crate) struct LingeringStream {
    io: Option<TcpStream>,
    linger: Arc<AtomicBool>,
}

impl LingeringStream {
    /// Wraps `io`; setting `linger` makes the close linger.
    pub(crate) fn new(io: TcpStream, linger: Arc<AtomicBool>) -> Self {
        Self {
            io: Some(io),
            linger,
        }
    }

    fn io(&mut self) -> Pin<&mut TcpStream> {
        Pin::new(self.io.as_mut().expect("taken only on drop"))
    }
}

impl AsyncRead for LingeringStream {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        self.io().poll_read(cx, buf)
    }
}

impl AsyncWrite for LingeringStream {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        self.io().poll_write(cx, buf)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        self.io().poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.io.as_ref().is_some_and(|io| io.is_write_vectored())
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.io().poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.io().poll_shutdown(cx)
    }
}

impl Drop for LingeringStream {
    fn drop(&mut self) {
        if !self.linger.load(Ordering::Acquire) {
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
                let stream = LingeringStream::new(server, Arc::new(AtomicBool::new(flagged)));
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
}
