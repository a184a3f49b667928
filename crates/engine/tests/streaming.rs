//! Streamed response bodies over real connections: through Compression,
//! Logger and ETag, and a stream that fails mid-way, as HTTP/1.1 and HTTP/2
//! clients see it.

mod support;

use std::io::Read;
use std::sync::Arc;
use std::time::Duration;

use armature_engine::http::{Method, Request, Response};
use armature_engine::middleware::{
    Compression, CompressionConfig, Destination, ETag, Layer, Layers, Logger, LoggerConfig,
};
use armature_engine::{
    Body, BoxError, Bytes, Call, Dispatch, Endpoint, Methods, Options, RouterBuilder,
};
use futures_util::stream;
use http_body_util::BodyExt;
use hyper_util::rt::{TokioExecutor, TokioIo};
use support::TestServer;

/// Endpoint 1 streams `CHUNKS` chunks; 2 fails after ten; 3 is a whole body.
struct Streams;

const CHUNKS: usize = 1000;
const WHOLE: &str = "a whole body, too short to be worth compressing";

/// A whole body big enough to be compressed off the engine's threads.
fn big() -> String {
    (0..20_000).map(|n| format!("{{\"row\":{n}}}\n")).collect()
}

fn chunk(n: usize) -> String {
    format!("line {n}: {}\n", "abc".repeat(n % 7))
}

impl Dispatch for Streams {
    fn dispatch(&self, call: Call) {
        let body = match call.endpoint {
            1 => Body::stream(stream::iter(
                (0..CHUNKS).map(|n| Ok::<_, BoxError>(Bytes::from(chunk(n)))),
            )),
            // Paced, as a real source is, so that the head is out before it breaks.
            2 => Body::stream(stream::unfold(0, |n| async move {
                tokio::time::sleep(Duration::from_millis(2)).await;
                let chunk = match n {
                    0..10 => Ok(Bytes::from(chunk(n))),
                    10 => Err::<Bytes, BoxError>("the source broke".into()),
                    _ => return None,
                };
                Some((chunk, n + 1))
            })),
            4 => Body::from(big()),
            _ => Body::from(WHOLE),
        };
        let mut response = Response::new(body);
        response
            .headers_mut()
            .insert("content-type", "text/plain".parse().unwrap());
        call.respond(response);
    }
}

fn server() -> TestServer {
    let mut routes = RouterBuilder::new();
    let get = Methods::Only(vec![Method::GET]);
    for (path, endpoint) in [("/stream", 1), ("/broken", 2), ("/whole", 3), ("/big", 4)] {
        routes
            .route(&get, path, Endpoint::External(endpoint))
            .unwrap();
    }
    let logger = LoggerConfig {
        destination: Destination::Stderr,
        ..LoggerConfig::default()
    };
    let layers: Vec<Arc<dyn Layer>> = vec![
        Arc::new(Logger::new(logger).unwrap()),
        Arc::new(Compression::new(CompressionConfig::default()).unwrap()),
        Arc::new(ETag::new(false)),
    ];
    TestServer::with_dispatch(
        routes,
        Options {
            layers: Layers::from(layers),
            ..Options::default()
        },
        Arc::new(Streams),
    )
}

/// The head and the de-chunked body of an HTTP/1.1 answer, and whether the
/// body had its last chunk.
fn dechunk(answer: &[u8]) -> (String, Vec<u8>, bool) {
    let Some(split) = answer.windows(4).position(|w| w == b"\r\n\r\n") else {
        return (
            String::from_utf8_lossy(answer).into_owned(),
            Vec::new(),
            false,
        );
    };
    let split = split + 4;
    let head = String::from_utf8_lossy(&answer[..split]).to_ascii_lowercase();
    let mut rest = &answer[split..];
    let mut body = Vec::new();
    loop {
        let Some(line) = rest.windows(2).position(|w| w == b"\r\n") else {
            return (head, body, false);
        };
        let size = usize::from_str_radix(std::str::from_utf8(&rest[..line]).unwrap(), 16).unwrap();
        if size == 0 {
            return (head, body, true);
        }
        let data = &rest[line + 2..];
        if data.len() < size + 2 {
            body.extend_from_slice(data);
            return (head, body, false);
        }
        body.extend_from_slice(&data[..size]);
        rest = &data[size + 2..];
    }
}

#[test]
fn streams_a_thousand_chunks_through_compression_logger_and_etag() {
    let server = server();
    let answer = server.send_bytes(
        b"GET /stream HTTP/1.1\r\nhost: t\r\naccept-encoding: gzip\r\nconnection: close\r\n\r\n",
    );
    let (head, body, complete) = dechunk(&answer);
    assert!(complete, "{head}");
    assert!(head.starts_with("http/1.1 200"), "{head}");
    assert!(head.contains("transfer-encoding: chunked"), "{head}");
    assert!(head.contains("content-encoding: gzip"), "{head}");
    assert!(head.contains("vary: accept-encoding"), "{head}");
    // ETag leaves a stream alone.
    assert!(!head.contains("etag:"), "{head}");
    let mut plain = String::new();
    flate2::read::GzDecoder::new(&body[..])
        .read_to_string(&mut plain)
        .unwrap();
    let expected: String = (0..CHUNKS).map(chunk).collect();
    assert_eq!(plain, expected);
}

#[test]
fn a_failing_stream_never_looks_complete_to_an_http1_client() {
    let server = server();
    for accept in ["identity", "gzip"] {
        let raw = format!("GET /broken HTTP/1.1\r\nhost: t\r\naccept-encoding: {accept}\r\n\r\n");
        let (head, _, complete) = dechunk(&server.send_bytes(raw.as_bytes()));
        assert!(head.starts_with("http/1.1 200"), "{head}");
        assert!(!complete, "{accept}: the last chunk was sent");
    }
}

#[test]
fn a_failing_stream_is_reset_for_an_http2_client() {
    let server = server();
    let addr = server.addr;
    server.block_on(async move {
        let stream = tokio::net::TcpStream::connect(addr).await.unwrap();
        let (mut sender, connection) =
            hyper::client::conn::http2::handshake(TokioExecutor::new(), TokioIo::new(stream))
                .await
                .unwrap();
        tokio::spawn(connection);
        let get = |path: &str| {
            Request::get(format!("http://t{path}"))
                .body(http_body_util::Empty::<Bytes>::new())
                .unwrap()
        };
        let broken = sender.send_request(get("/broken")).await.unwrap();
        assert_eq!(broken.status(), 200);
        assert!(broken.into_body().collect().await.is_err());
        // The connection serves on.
        let whole = sender.send_request(get("/whole")).await.unwrap();
        assert!(whole.headers().contains_key("etag"));
        let body = whole.into_body().collect().await.unwrap().to_bytes();
        assert_eq!(body, WHOLE);
    });
}

#[test]
fn whole_bodies_keep_their_length_and_tag() {
    let server = server();
    let answer = server.send(b"GET /whole HTTP/1.1\r\nhost: t\r\nconnection: close\r\n\r\n");
    let lower = answer.to_ascii_lowercase();
    assert!(
        lower.contains(&format!("content-length: {}", WHOLE.len())),
        "{answer}"
    );
    assert!(lower.contains("etag: \""), "{answer}");
    assert!(!lower.contains("transfer-encoding"), "{answer}");
}

#[test]
fn compresses_a_big_whole_body_off_the_engine_threads() {
    let server = server();
    let answer = server.send_bytes(
        b"GET /big HTTP/1.1\r\nhost: t\r\naccept-encoding: gzip\r\nconnection: close\r\n\r\n",
    );
    let (head, body, complete) = dechunk(&answer);
    assert!(complete, "{head}");
    assert!(head.contains("content-encoding: gzip"), "{head}");
    // Sent when the blocking pool is done: its length was not known up front.
    assert!(head.contains("transfer-encoding: chunked"), "{head}");
    let mut plain = String::new();
    flate2::read::GzDecoder::new(&body[..])
        .read_to_string(&mut plain)
        .unwrap();
    assert_eq!(plain, big());
}
