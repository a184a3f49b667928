//! The batcher: every call reaches the consumer, which is woken per batch.

mod support;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{mpsc, Arc};
use std::thread;

use armature_engine::http::{Method, Response};
use armature_engine::{Batcher, Bytes, Endpoint, Methods, Options, RouterBuilder};
use support::TestServer;

#[test]
fn consumer_thread_answers_every_call() {
    let wakes = Arc::new(AtomicUsize::new(0));
    let (woken, wake_rx) = mpsc::channel::<()>();
    let counter = wakes.clone();
    let batcher = Batcher::new(move || {
        counter.fetch_add(1, Ordering::SeqCst);
        let _ = woken.send(());
    });
    let consumer_batcher = batcher.clone();
    // Stands in for the JS thread: drains on each wake and answers.
    thread::spawn(move || {
        let mut calls = Vec::new();
        while wake_rx.recv().is_ok() {
            consumer_batcher.drain(&mut calls, &mut armature_engine::News::default());
            for call in calls.drain(..) {
                let body = format!("answer {}", call.params[0]);
                call.respond(Response::new(Bytes::from(body)));
            }
        }
    });
    let mut routes = RouterBuilder::new();
    routes
        .route(
            &Methods::Only(vec![Method::GET]),
            "/n/:n",
            Endpoint::External(0),
        )
        .unwrap();
    let server = Arc::new(TestServer::with_dispatch(
        routes,
        Options::default(),
        batcher,
    ));
    let clients: Vec<_> = (0..64)
        .map(|i| {
            let server = server.clone();
            thread::spawn(move || {
                let transcript = server.request("GET", &format!("/n/{i}"), "", "");
                assert!(transcript.ends_with(&format!("answer {i}")), "{transcript}");
            })
        })
        .collect();
    for client in clients {
        client.join().unwrap();
    }
    let wakes = wakes.load(Ordering::SeqCst);
    assert!((1..=64).contains(&wakes), "{wakes} wakes for 64 calls");
}
