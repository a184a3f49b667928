//! Micro-benchmarks: route matching on a 100-route table, and the engine's
//! JSON serialisation (a problem body).

use armature_engine::http::{Method, StatusCode};
use armature_engine::{problem, Endpoint, Methods, RouterBuilder};
use criterion::{criterion_group, criterion_main, Criterion};
use std::hint::black_box;

/// 100 routes shaped like a REST API: static, parameterised and wildcard.
fn hundred_routes() -> RouterBuilder {
    let mut routes = RouterBuilder::new();
    let all = Methods::Only(vec![Method::GET, Method::POST, Method::DELETE]);
    let mut endpoint = 0;
    let mut add = |path: String| {
        routes
            .route(&all, &path, Endpoint::External(endpoint))
            .unwrap();
        endpoint += 1;
    };
    for resource in 0..20 {
        add(format!("/api/v1/resource{resource}"));
        add(format!("/api/v1/resource{resource}/:id"));
        add(format!("/api/v1/resource{resource}/:id/children"));
        add(format!("/api/v1/resource{resource}/:id/children/:child"));
        add(format!("/static{resource}/*path"));
    }
    routes
}

fn routing(c: &mut Criterion) {
    let router = hundred_routes().build();
    let paths = [
        "/api/v1/resource7",
        "/api/v1/resource13/42",
        "/api/v1/resource19/42/children/7",
        "/static3/css/site.css",
        "/api/v1/missing",
    ];
    c.bench_function("route match, 100 routes (5 paths)", |b| {
        b.iter(|| {
            for path in paths {
                black_box(router.resolve(&Method::GET, black_box(path)).is_some());
            }
        })
    });
}

fn json(c: &mut Criterion) {
    c.bench_function("problem+json body", |b| {
        b.iter(|| {
            problem(
                black_box(StatusCode::NOT_FOUND),
                Some(black_box("no route matches GET /users/42")),
                black_box("/users/42"),
            )
        })
    });
}

criterion_group!(benches, routing, json);
criterion_main!(benches);
