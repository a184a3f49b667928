//! Streamed request bodies over real connections: the handler gets the body
//! as it arrives, the client is held back while the handler holds the body
//! back, and a route's BodyLimit is enforced as bytes come.

mod support;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{mpsc, Arc};
use std::time::Duration;

use armature_engine::http::{Method, Response};
use armature_engine::middleware::Layers;
use armature_engine::{
    BodyLimit, Call, Dispatch, Endpoint, Limits, Methods, Options, RouteOptions, RouterBuilder,
};
use support::{statuses, TestServer};

/// Endpoint 1 reads the whole body, pausing `pause` between takes, and
/// answers its length; 2 answers at once without reading.
struct Reader {
    pause: Duration,
    taken: Arc<AtomicUsize>,
}

impl Dispatch for Reader {
    fn dispatch(&self, call: Call) {
        if call.endpoint == 2 {
            call.respond(Response::new("not reading"));
            return;
        }
        let (pause, taken) = (self.pause, self.taken.clone());
        std::thread::spawn(move || {
            let inlet = call.body_stream.clone().expect("a streamed route");
            let (told, news) = mpsc::channel();
            inlet.notify_with(Box::new(move || {
                let _ = told.send(());
            }));
            let end = loop {
                let batch = inlet.take();
                for chunk in &batch.chunks {
                    taken.fetch_add(chunk.len(), Ordering::SeqCst);
                }
                if let Some(end) = batch.end {
                    break end;
                }
                if batch.chunks.is_empty() {
                    let _ = news.recv_timeout(Duration::from_secs(5));
                }
                std::thread::sleep(pause);
            };
            let text = match end {
                Ok(()) => format!("read {}", taken.load(Ordering::SeqCst)),
                Err(why) => format!("cut: {why}"),
            };
            call.respond(Response::new(text));
        });
    }
}

fn server(pause: Duration, limits: Limits) -> (TestServer, Arc<AtomicUsize>) {
    let mut routes = RouterBuilder::new();
    let post = Methods::Only(vec![Method::POST]);
    let streamed = |limit: Option<usize>| RouteOptions {
        body_limit: limit.map(|bytes| BodyLimit::new(bytes).unwrap()),
        stream: true,
        ..RouteOptions::default()
    };
    let none = || Layers::from([]);
    routes
        .route_layered(
            &post,
            "/ingest",
            Endpoint::External(1),
            none(),
            streamed(None),
        )
        .unwrap();
    routes
        .route_layered(
            &post,
            "/limited",
            Endpoint::External(1),
            none(),
            streamed(Some(1 << 20)),
        )
        .unwrap();
    routes
        .route_layered(
            &post,
            "/ignore",
            Endpoint::External(2),
            none(),
            streamed(None),
        )
        .unwrap();
    let taken = Arc::new(AtomicUsize::new(0));
    let dispatch = Arc::new(Reader {
        pause,
        taken: taken.clone(),
    });
    let options = Options {
        limits,
        ..Options::default()
    };
    (TestServer::with_dispatch(routes, options, dispatch), taken)
}

/// Sends `size` bytes as the body of a POST to `target` (in 64 KiB writes
/// from a thread) and returns the answer.
fn upload(server: &TestServer, target: &str, size: usize) -> String {
    let mut stream = TcpStream::connect(server.addr).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(20)))
        .unwrap();
    let head = format!(
        "POST {target} HTTP/1.1\r\nhost: t\r\nconnection: close\r\ncontent-length: {size}\r\n\r\n"
    );
    stream.write_all(head.as_bytes()).unwrap();
    let mut writer = stream.try_clone().unwrap();
    let sending = std::thread::spawn(move || {
        let chunk = vec![b'u'; 64 * 1024];
        let mut left = size;
        while left > 0 {
            let n = left.min(chunk.len());
            if writer.write_all(&chunk[..n]).is_err() {
                return;
            }
            left -= n;
        }
    });
    let mut answer = String::new();
    let _ = stream.read_to_string(&mut answer);
    let _ = sending.join();
    answer
}

#[test]
fn a_handler_reads_a_large_body_as_it_arrives() {
    // Far above the 1 MiB bodySize: a streamed route never buffers the body.
    let (server, _) = server(Duration::ZERO, Limits::default());
    let answer = upload(&server, "/ingest", 32 << 20);
    assert!(answer.ends_with(&format!("read {}", 32 << 20)), "{answer}");
}

#[test]
fn a_slow_handler_holds_the_client_back() {
    // The handler takes what has come once a second.
    let (server, taken) = server(Duration::from_secs(1), Limits::default());
    let mut stream = TcpStream::connect(server.addr).unwrap();
    let size = 512 << 20;
    let head = format!("POST /ingest HTTP/1.1\r\nhost: t\r\ncontent-length: {size}\r\n\r\n");
    stream.write_all(head.as_bytes()).unwrap();
    stream.set_nonblocking(true).unwrap();
    let chunk = vec![b'u'; 64 * 1024];
    let mut sent = 0;
    let mut blocked = 0;
    // Writes until the socket has refused them for 400 ms: the server stopped reading.
    while blocked < 40 && sent < size {
        match stream.write(&chunk) {
            Ok(n) => {
                sent += n;
                blocked = 0;
            }
            Err(_) => {
                blocked += 1;
                std::thread::sleep(Duration::from_millis(10));
            }
        }
    }
    assert!(sent < size, "the server read everything");
    // What the client got into the socket, less what the handler took: the
    // engine's window and the kernel's socket buffers (loopback's grow to
    // tens of MiB), nothing like the whole body.
    let held = sent - taken.load(Ordering::SeqCst);
    assert!(held < 96 << 20, "{held} bytes held");
}

#[test]
fn the_routes_body_limit_is_enforced_as_bytes_arrive() {
    let (server, _) = server(Duration::ZERO, Limits::default());
    // No content-length: the limit can only be seen as bytes come.
    let mut stream = TcpStream::connect(server.addr).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    stream
        .write_all(b"POST /limited HTTP/1.1\r\nhost: t\r\ntransfer-encoding: chunked\r\n\r\n")
        .unwrap();
    let chunk = format!("{:x}\r\n{}\r\n", 64 * 1024, "u".repeat(64 * 1024));
    for _ in 0..40 {
        if stream.write_all(chunk.as_bytes()).is_err() {
            break;
        }
    }
    let mut answer = String::new();
    let _ = stream.read_to_string(&mut answer);
    // The handler's side was told why; the client got the 413 (it may be
    // read after the handler's own answer if that came first).
    assert!(
        statuses(&answer).first() == Some(&413)
            || answer.contains("cut: the request body is larger than 1048576 bytes"),
        "{answer}"
    );
}

#[test]
fn body_timeout_does_not_run_while_the_handler_holds_the_body_back() {
    let limits = Limits {
        body_timeout: Duration::from_millis(200),
        ..Limits::default()
    };
    // The handler pauses 50 ms per take: a 4 MiB body takes it well over
    // 200 ms to consume, while the client sends at once.
    let (server, _) = server(Duration::from_millis(50), limits);
    let answer = upload(&server, "/ingest", 4 << 20);
    assert!(answer.ends_with(&format!("read {}", 4 << 20)), "{answer}");
}

#[test]
fn an_answer_that_reads_nothing_is_delivered() {
    let (server, _) = server(Duration::ZERO, Limits::default());
    let answer = upload(&server, "/ignore", 8 << 20);
    assert_eq!(statuses(&answer), [200], "{answer}");
    assert!(answer.ends_with("not reading"), "{answer}");
}
