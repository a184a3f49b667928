//! Calls that end without their answer are reported to the dispatcher that
//! claimed them, once, and calls that were answered are not.

mod support;

use std::io::Write;
use std::net::TcpStream;
use std::sync::mpsc::{self, Receiver, Sender};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use armature_engine::http::{Method, Response};
use armature_engine::{
    Bytes, Call, Dispatch, Ended, Endpoint, Limits, Methods, Options, RouterBuilder,
};
use support::{statuses, TestServer};

/// Claims every call with the next id; answers those to `/answer` at once
/// and holds the rest. Reports what ended.
struct Claiming {
    next: Mutex<u64>,
    held: Mutex<Vec<Call>>,
    claimed: Sender<u64>,
    ended: Sender<(u64, Ended)>,
}

impl Dispatch for Claiming {
    fn dispatch(&self, call: Call) {
        let id = {
            let mut next = self.next.lock().unwrap();
            *next += 1;
            *next
        };
        assert!(call.claim(id));
        self.claimed.send(id).unwrap();
        if call.uri.path() == "/answer" {
            call.respond(Response::new(Bytes::from_static(b"answered")));
        } else {
            self.held.lock().unwrap().push(call);
        }
    }

    fn ended(&self, id: u64, why: Ended) {
        // The receiver may be gone when the server shuts down after a test.
        let _ = self.ended.send((id, why));
    }
}

fn server(request_timeout: Duration) -> (TestServer, Receiver<u64>, Receiver<(u64, Ended)>) {
    let (claimed, claimed_rx) = mpsc::channel();
    let (ended, ended_rx) = mpsc::channel();
    let dispatch = Arc::new(Claiming {
        next: Mutex::new(0),
        held: Mutex::new(Vec::new()),
        claimed,
        ended,
    });
    let mut routes = RouterBuilder::new();
    let get = Methods::Only(vec![Method::GET]);
    routes.route(&get, "/*rest", Endpoint::External(0)).unwrap();
    let options = Options {
        limits: Limits {
            request_timeout,
            ..Limits::default()
        },
        ..Options::default()
    };
    let server = TestServer::with_dispatch(routes, options, dispatch);
    (server, claimed_rx, ended_rx)
}

const WAIT: Duration = Duration::from_secs(5);

#[test]
fn a_timed_out_call_is_reported_once() {
    let (server, claimed, ended) = server(Duration::from_millis(300));
    let transcript = server.request("GET", "/hold", "", "");
    assert_eq!(statuses(&transcript), [503]);
    let id = claimed.recv_timeout(WAIT).unwrap();
    assert_eq!(ended.recv_timeout(WAIT), Ok((id, Ended::Timeout)));
    assert!(ended.recv_timeout(Duration::from_millis(200)).is_err());
}

/// Sends a request the dispatcher holds; returns its connection and id.
fn hold(server: &TestServer, claimed: &Receiver<u64>) -> (TcpStream, u64) {
    let mut stream = TcpStream::connect(server.addr).unwrap();
    stream
        .write_all(b"GET /hold HTTP/1.1\r\nhost: test\r\n\r\n")
        .unwrap();
    (stream, claimed.recv_timeout(WAIT).unwrap())
}

#[test]
fn a_call_whose_client_left_is_reported() {
    // The timeout is far off: only the client leaving can end the call.
    let (server, claimed, ended) = server(Duration::from_secs(60));
    let (stream, id) = hold(&server, &claimed);
    drop(stream);
    assert_eq!(ended.recv_timeout(WAIT), Ok((id, Ended::ClientGone)));
}

#[test]
fn an_answered_call_is_not_reported() {
    let (server, claimed, ended) = server(Duration::from_millis(300));
    let transcript = server.request("GET", "/answer", "", "");
    assert!(transcript.ends_with("answered"), "{transcript}");
    claimed.recv_timeout(WAIT).unwrap();
    assert!(ended.recv_timeout(Duration::from_millis(500)).is_err());
}

#[test]
fn a_call_cut_by_a_closing_server_is_reported_as_shutdown() {
    let (server, claimed, ended) = server(Duration::from_secs(60));
    let (_stream, id) = hold(&server, &claimed);
    // Shuts down with a 100 ms grace: the held call outlives it.
    drop(server);
    assert_eq!(ended.recv_timeout(WAIT), Ok((id, Ended::Shutdown)));
}
