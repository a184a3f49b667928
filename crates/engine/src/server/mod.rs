//! The accept loop: one port serving HTTP/1.1 and HTTP/2 cleartext, with a
//! graceful drain on shutdown.

mod call;
mod connection;
mod head;
mod request_body;
mod service;
mod shared;
mod upload;

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http::{Request, Response};
use http_body_util::Full;
use hyper::service::service_fn;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use tokio::net::TcpListener;
use tokio::sync::{oneshot, watch, Semaphore};
use tokio::task::JoinHandle;

use crate::load::{Load, LoadStats};
use crate::Body;
use crate::{App, Dispatch, Error};
use connection::{ConnectionState, LingeringStream, Stop, Timers};
use request_body::Linger;
use shared::Shared;

/// A listening server. Dropping it without [`Server::shutdown`] leaves it
/// running until its runtime stops.
#[derive(Debug)]
pub struct Server {
    local_addr: SocketAddr,
    stop: oneshot::Sender<Duration>,
    task: JoinHandle<()>,
    load: Arc<Load>,
}

impl Server {
    /// Binds `addr` and starts accepting on `runtime`; requests routed to an
    /// external endpoint go to `dispatch`.
    pub fn start(
        runtime: &tokio::runtime::Handle,
        addr: SocketAddr,
        app: App,
        dispatch: Arc<dyn Dispatch>,
    ) -> Result<Self, Error> {
        let listener = std::net::TcpListener::bind(addr)
            .and_then(|listener| listener.set_nonblocking(true).map(|()| listener))
            .map_err(|error| Error::listen(format!("cannot listen on {addr}: {error}")))?;
        let local_addr = listener
            .local_addr()
            .map_err(|error| Error::listen(format!("cannot listen on {addr}: {error}")))?;
        let listener = {
            let _guard = runtime.enter();
            TcpListener::from_std(listener)
                .map_err(|error| Error::listen(format!("cannot listen on {addr}: {error}")))?
        };
        let builder = connection_builder(&app);
        let load = Arc::new(Load::default());
        let shared = Arc::new(Shared {
            app,
            dispatch,
            load: load.clone(),
            closing: AtomicBool::new(false),
        });
        let (stop, stopped) = oneshot::channel();
        let task = runtime.spawn(run(listener, builder, shared, stopped));
        Ok(Self {
            local_addr,
            stop,
            task,
            load,
        })
    }

    /// What the server carries now: open connections, pending requests, and
    /// how many it has refused for load.
    pub fn load(&self) -> LoadStats {
        self.load.stats()
    }

    /// The address the server listens on (with the real port when 0 was asked).
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// Stops accepting, lets in-flight requests finish for up to `grace`, then
    /// closes every connection that is left. Resolves when all are closed.
    pub async fn shutdown(self, grace: Duration) {
        let _ = self.stop.send(grace);
        let _ = self.task.await;
        // The last requests' log lines are written before the server counts as closed.
        let _ =
            tokio::task::spawn_blocking(|| crate::middleware::flush_logs(Duration::from_secs(2)))
                .await;
    }
}

/// The request pipeline without a listener: requests handed in as values go
/// through the same checks, routing, dispatch and error handling as those read
/// from a socket. For testing an app in-process.
#[derive(Clone)]
pub struct Handler {
    shared: Arc<Shared>,
}

impl std::fmt::Debug for Handler {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Handler").finish_non_exhaustive()
    }
}

impl Handler {
    /// Requests routed to an external endpoint go to `dispatch`.
    pub fn new(app: App, dispatch: Arc<dyn Dispatch>) -> Self {
        Self {
            shared: Arc::new(Shared {
                app,
                dispatch,
                load: Arc::default(),
                closing: AtomicBool::new(false),
            }),
        }
    }

    /// Answers `request` as if `remote_addr` had sent it over HTTP/1.1:
    /// with the `content-length` hyper would write and, for HEAD, no body.
    /// Must run on the tokio runtime whose threads the dispatcher relies on.
    pub async fn handle(&self, request: Request<Bytes>, remote_addr: SocketAddr) -> Response<Body> {
        let head = request.method() == http::Method::HEAD;
        let mut response = service::serve(&self.shared, request.map(Full::new), remote_addr).await;
        service::set_length(&mut response);
        if head {
            *response.body_mut() = Body::empty();
        }
        response
    }
}

fn connection_builder(app: &App) -> auto::Builder<TokioExecutor> {
    let limits = &app.limits;
    let mut builder = auto::Builder::new(TokioExecutor::new());
    builder
        .http1()
        .timer(TokioTimer::new())
        .header_read_timeout(limits.keep_alive_timeout)
        .max_buf_size(limits.parse_buffer())
        .keep_alive(true);
    let header_list = u32::try_from(limits.parse_buffer()).unwrap_or(u32::MAX);
    builder
        .http2()
        .timer(TokioTimer::new())
        .keep_alive_interval(limits.http2_ping_interval)
        .keep_alive_timeout(limits.http2_ping_interval)
        .max_header_list_size(header_list);
    builder
}

async fn run(
    listener: TcpListener,
    builder: auto::Builder<TokioExecutor>,
    shared: Arc<Shared>,
    mut stopped: oneshot::Receiver<Duration>,
) {
    // Every connection holds a receiver: the sender sees when all are gone.
    let (stop, stopping) = watch::channel(Stop::Running);
    let limits = &shared.app.limits;
    let timers = Timers {
        headers: limits.headers_timeout,
        idle: limits.keep_alive_timeout,
        send: limits.send_timeout,
    };
    // At `maxConnections`, the loop stops accepting until one closes: new
    // connections wait in the kernel's backlog rather than being starved.
    let room = Arc::new(Semaphore::new(limits.max_connections));
    let grace = loop {
        let permit = tokio::select! {
            grace = &mut stopped => break grace.unwrap_or_default(),
            permit = room.clone().acquire_owned() => permit.expect("the semaphore is never closed"),
        };
        let (stream, remote_addr) = tokio::select! {
            grace = &mut stopped => break grace.unwrap_or_default(),
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(error) => {
                    // Out of file descriptors and similar: back off, keep serving.
                    tracing::warn!(%error, "accept failed");
                    tokio::time::sleep(Duration::from_millis(10)).await;
                    continue;
                }
            },
        };
        let _ = stream.set_nodelay(true);
        let held = (permit, shared.load.connection());
        let shared = shared.clone();
        let state = Arc::new(ConnectionState::default());
        let stream = LingeringStream::new(stream, state.clone());
        let requests = state.clone();
        let service = service_fn(move |request| {
            let shared = shared.clone();
            let connection = requests.clone();
            // Boxed: hyper keeps room for the request's future inside every
            // connection, idle ones included; a pointer costs 16 bytes there.
            Box::pin(async move {
                let open = (request.version() == http::Version::HTTP_2)
                    .then(|| connection.http2_request());
                let response = service::serve(&shared, request, remote_addr).await;
                drop(open);
                if response.extensions().get::<Linger>().is_some() {
                    connection.linger();
                }
                Ok::<_, std::convert::Infallible>(response)
            })
        });
        let connection = builder
            .serve_connection(TokioIo::new(stream), service)
            .into_owned();
        let served = connection::serve(
            connection,
            |connection| connection.graceful_shutdown(),
            state,
            stopping.clone(),
            timers,
        );
        tokio::spawn(async move {
            served.await;
            drop(held);
        });
    };
    drop(listener);
    drop(stopping);
    let _ = stop.send(Stop::Graceful);
    if tokio::time::timeout(grace, stop.closed()).await.is_err() {
        shared.closing.store(true, Ordering::Release);
        let _ = stop.send(Stop::Now);
        stop.closed().await;
    }
}
