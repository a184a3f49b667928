//! A test server on 127.0.0.1:0 with a dispatcher that answers from Rust, and
//! a raw HTTP/1.1 client that can send malformed requests.

#![allow(dead_code, unreachable_pub)]

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use armature_engine::http::Response;
use armature_engine::{App, Bytes, Call, Dispatch, Options, RouterBuilder, Server};

/// The endpoint number whose calls are never answered.
pub const NEVER: u32 = 99;

/// Answers every call with a line describing it, except calls to [`NEVER`].
#[derive(Default)]
pub struct Describe {
    held: Mutex<Vec<Call>>,
}

impl Dispatch for Describe {
    fn dispatch(&self, call: Call) {
        if call.endpoint == NEVER {
            self.held.lock().unwrap().push(call);
            return;
        }
        let text = format!(
            "endpoint={} method={} params={} body={}",
            call.endpoint,
            call.method,
            call.params.join(","),
            String::from_utf8_lossy(&call.body)
        );
        call.respond(Response::new(Bytes::from(text)));
    }
}

pub struct TestServer {
    pub addr: SocketAddr,
    server: Option<Server>,
    runtime: tokio::runtime::Runtime,
}

impl TestServer {
    pub fn start(routes: RouterBuilder, options: Options) -> Self {
        Self::with_dispatch(routes, options, Arc::new(Describe::default()))
    }

    pub fn with_dispatch(
        routes: RouterBuilder,
        options: Options,
        dispatch: Arc<dyn Dispatch>,
    ) -> Self {
        let runtime = armature_engine::runtime(Some(2)).unwrap();
        let app = App::new(routes.build(), options).unwrap();
        let server = Server::start(
            runtime.handle(),
            "127.0.0.1:0".parse().unwrap(),
            app,
            dispatch,
        )
        .unwrap();
        Self {
            addr: server.local_addr(),
            server: Some(server),
            runtime,
        }
    }

    /// Sends `raw` and reads until the server closes the connection.
    pub fn send(&self, raw: &[u8]) -> String {
        String::from_utf8_lossy(&self.send_bytes(raw)).into_owned()
    }

    /// [`TestServer::send`], keeping the bytes as they came.
    pub fn send_bytes(&self, raw: &[u8]) -> Vec<u8> {
        let mut stream = TcpStream::connect(self.addr).unwrap();
        stream
            .set_read_timeout(Some(Duration::from_secs(5)))
            .unwrap();
        stream.write_all(raw).unwrap();
        let mut out = Vec::new();
        let _ = stream.read_to_end(&mut out);
        out
    }

    /// Runs `future` on the server's runtime.
    pub fn block_on<F: std::future::Future>(&self, future: F) -> F::Output {
        self.runtime.block_on(future)
    }

    /// A request with `connection: close`, so the read ends with the answer.
    pub fn request(&self, method: &str, target: &str, headers: &str, body: &str) -> String {
        let raw = format!(
            "{method} {target} HTTP/1.1\r\nhost: test\r\nconnection: close\r\ncontent-length: {}\r\n{headers}\r\n{body}",
            body.len()
        );
        self.send(raw.as_bytes())
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        if let Some(server) = self.server.take() {
            self.runtime
                .block_on(server.shutdown(Duration::from_millis(100)));
        }
    }
}

/// The status codes of every response in a transcript.
pub fn statuses(transcript: &str) -> Vec<u16> {
    transcript
        .match_indices("HTTP/1.1 ")
        .filter_map(|(i, _)| transcript.get(i + 9..i + 12)?.parse().ok())
        .collect()
}
