//! Limits over real HTTP: each one answered with its status and a problem body.

mod support;

use std::time::Duration;

use armature_engine::http::Method;
use armature_engine::{Endpoint, Limits, Methods, Options, RouterBuilder};
use support::{statuses, TestServer, NEVER};

fn server(limits: Limits) -> TestServer {
    let mut routes = RouterBuilder::new();
    let any = Methods::Only(vec![Method::GET, Method::POST]);
    routes.route(&any, "/echo", Endpoint::External(1)).unwrap();
    routes
        .route(&any, "/never", Endpoint::External(NEVER))
        .unwrap();
    TestServer::start(
        routes,
        Options {
            limits,
            ..Options::default()
        },
    )
}

fn small() -> Limits {
    Limits {
        body_size: 16,
        header_size: 256,
        uri_length: 64,
        request_timeout: Duration::from_millis(200),
        ..Limits::default()
    }
}

#[test]
fn limits_are_enforced() {
    let server = server(small());
    let long_header = format!("x-long: {}\r\n", "h".repeat(300));
    let long_target = format!("/echo?{}", "q".repeat(80));
    let cases: [(&str, &str, &str, &str, &str, u16); 6] = [
        (
            "within limits",
            "POST",
            "/echo",
            "",
            "0123456789abcdef",
            200,
        ),
        (
            "body over the limit",
            "POST",
            "/echo",
            "",
            "0123456789abcdefg",
            413,
        ),
        (
            "headers over the limit",
            "GET",
            "/echo",
            &long_header,
            "",
            431,
        ),
        ("target over the limit", "GET", &long_target, "", "", 414),
        ("handler too slow", "GET", "/never", "", "", 503),
        ("target at the limit", "GET", "/echo", "", "", 200),
    ];
    for (name, method, target, headers, body, status) in cases {
        let transcript = server.request(method, target, headers, body);
        assert_eq!(statuses(&transcript), [status], "{name}: {transcript}");
        if status != 200 {
            assert!(
                transcript.contains("application/problem+json"),
                "{name}: {transcript}"
            );
        }
    }
}

#[test]
fn declared_oversized_body_is_refused_unread() {
    let server = server(small());
    // The body is never sent: the answer can only come from the declared length.
    let transcript =
        server.send(b"POST /echo HTTP/1.1\r\nhost: t\r\ncontent-length: 1000000\r\n\r\n");
    assert_eq!(statuses(&transcript), [413], "{transcript}");
    assert!(
        transcript.contains("the request body is larger than 16 bytes"),
        "{transcript}"
    );
}

#[test]
fn malformed_requests_are_400() {
    let server = server(Limits::default());
    let cases: [&[u8]; 5] = [
        b"GET /echo HTTP/1.1\r\n\r\n",
        b"GET /echo HTTP/1.1\r\nhost: a\r\nhost: b\r\n\r\n",
        b"GARBAGE\r\n\r\n",
        b"GET /echo HTTP/1.1\r\nhost: t\r\nbad header\r\n\r\n",
        b"POST /echo HTTP/1.1\r\nhost: t\r\ncontent-length: x\r\n\r\n",
    ];
    for raw in cases {
        let transcript = server.send(raw);
        assert_eq!(
            statuses(&transcript),
            [400],
            "{}: {transcript}",
            String::from_utf8_lossy(raw)
        );
    }
}

#[test]
fn unread_bodies_keep_keep_alive_in_sync() {
    let server = server(Limits::default());
    let transcript = server.send(
        b"POST /missing HTTP/1.1\r\nhost: t\r\ncontent-length: 5\r\n\r\nhelloPOST /echo HTTP/1.1\r\nhost: t\r\nconnection: close\r\ncontent-length: 2\r\n\r\nok",
    );
    assert_eq!(statuses(&transcript), [404, 200], "{transcript}");
    assert!(transcript.ends_with("body=ok"), "{transcript}");
}

#[test]
fn zero_limits_are_rejected() {
    let limits = Limits {
        body_size: 0,
        ..Limits::default()
    };
    let error = limits.validate().unwrap_err();
    assert!(error.is_invalid_option());
    assert_eq!(error.code().as_str(), "ERR_ARMATURE_INVALID_OPTION");
    assert_eq!(
        error.to_string(),
        "limits.bodySize must be greater than zero"
    );
}

#[test]
fn a_connection_that_never_shows_its_protocol_is_closed_silently() {
    let server = server(Limits {
        headers_timeout: Duration::from_millis(200),
        keep_alive_timeout: Duration::from_secs(60),
        ..Limits::default()
    });
    // Nothing at all, and the first byte of a preface that never goes on.
    for sent in [&b""[..], b"P"] {
        let started = std::time::Instant::now();
        assert_eq!(server.send(sent), "");
        let waited = started.elapsed();
        assert!(
            waited >= Duration::from_millis(200) && waited < Duration::from_secs(4),
            "{waited:?}"
        );
    }
    // A client that speaks is served as before.
    let transcript = server.request("GET", "/echo", "", "");
    assert_eq!(statuses(&transcript), [200]);
}
