//! Routing over real HTTP: parameters, wildcards, methods, HEAD, OPTIONS, 404/405.

mod support;

use armature_engine::http::{Method, Response};
use armature_engine::{Bytes, Endpoint, FixedResponse, Methods, Options, RouterBuilder};
use support::{statuses, TestServer};

fn server() -> TestServer {
    let mut routes = RouterBuilder::new();
    let only = |methods: &[Method]| Methods::Only(methods.to_vec());
    routes
        .route(&only(&[Method::GET]), "/", Endpoint::External(0))
        .unwrap();
    routes
        .route(
            &only(&[Method::GET, Method::DELETE]),
            "/users/:id",
            Endpoint::External(1),
        )
        .unwrap();
    routes
        .route(
            &only(&[Method::GET]),
            "/users/:id/posts/:post",
            Endpoint::External(2),
        )
        .unwrap();
    routes
        .route(&only(&[Method::GET]), "/files/*path", Endpoint::External(3))
        .unwrap();
    routes
        .route(&Methods::Any, "/any", Endpoint::External(4))
        .unwrap();
    let fixed = FixedResponse::new(Response::new(Bytes::from_static(b"pong")));
    routes
        .route(&only(&[Method::GET]), "/ping", Endpoint::Fixed(fixed))
        .unwrap();
    TestServer::start(routes, Options::default())
}

#[test]
fn routes_requests() {
    let server = server();
    let cases = [
        ("GET", "/", 200, "endpoint=0 method=GET params= body="),
        ("GET", "/users/42", 200, "endpoint=1 method=GET params=42"),
        (
            "DELETE",
            "/users/42",
            200,
            "endpoint=1 method=DELETE params=42",
        ),
        ("GET", "/users/a%20b", 200, "params=a b"),
        (
            "GET",
            "/users/1/posts/2",
            200,
            "endpoint=2 method=GET params=1,2",
        ),
        (
            "GET",
            "/files/a/b/c.txt",
            200,
            "endpoint=3 method=GET params=a/b/c.txt",
        ),
        ("PATCH", "/any", 200, "endpoint=4 method=PATCH"),
        ("GET", "/ping", 200, "pong"),
        (
            "GET",
            "/nope",
            404,
            r#""detail":"no route matches GET /nope","instance":"/nope""#,
        ),
        ("GET", "/users/1/posts", 404, r#""status":404"#),
        ("POST", "/users/1", 405, "allow: DELETE, GET, HEAD, OPTIONS"),
        (
            "OPTIONS",
            "/users/1",
            204,
            "allow: DELETE, GET, HEAD, OPTIONS",
        ),
        (
            "GET",
            "/users/%FF",
            400,
            "path parameter 'id' is not valid UTF-8 once decoded",
        ),
    ];
    for (method, target, status, expected) in cases {
        let transcript = server.request(method, target, "", "");
        assert_eq!(
            statuses(&transcript),
            [status],
            "{method} {target}: {transcript}"
        );
        assert!(
            transcript.contains(expected),
            "{method} {target}: {transcript}"
        );
        assert!(transcript.contains("server: armature"), "{transcript}");
    }
}

#[test]
fn error_responses_are_problem_json() {
    let server = server();
    for (method, target) in [("GET", "/nope"), ("PUT", "/users/1")] {
        let transcript = server.request(method, target, "", "");
        assert!(
            transcript.contains("content-type: application/problem+json"),
            "{transcript}"
        );
        assert!(
            transcript.contains(r#""type":"about:blank""#),
            "{transcript}"
        );
    }
}

#[test]
fn head_reuses_get_without_a_body() {
    let server = server();
    let transcript = server.send(
        b"HEAD /users/7 HTTP/1.1\r\nhost: t\r\n\r\nGET /users/7 HTTP/1.1\r\nhost: t\r\nconnection: close\r\n\r\n",
    );
    assert_eq!(statuses(&transcript), [200, 200], "{transcript}");
    assert_eq!(transcript.matches("endpoint=1").count(), 1, "{transcript}");
    assert!(transcript.contains("method=GET"), "{transcript}");
}
