//! Micro-benchmarks: route matching on a 100-route table, the engine's
//! JSON serialisation (a problem body), and a JSON body parsed and checked
//! against a schema by serde_json beside simd-json (the choice in
//! `schema.rs`).

use armature_engine::http::{Method, StatusCode};
use armature_engine::schema::{BodySchema, SchemaOptions, SharedSchemas};
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

/// A JSON body of about `size` bytes: an array of user objects.
fn users(size: usize) -> Vec<u8> {
    let user =
        r#"{"name":"Ada Lovelace","age":36,"email":"ada@example.com","tags":["math","engines"]}"#;
    let count = (size / (user.len() + 1)).max(1);
    format!("[{}]", vec![user; count].join(",")).into_bytes()
}

fn body_schema(c: &mut Criterion) {
    let schema = serde_json::json!({
        "type": "array",
        "items": { "type": "object", "required": ["name", "age"], "properties": {
            "name": { "type": "string", "minLength": 1 }, "age": { "type": "integer", "minimum": 0 },
            "email": { "type": "string" }, "tags": { "type": "array", "items": { "type": "string" } } } }
    });
    let options = SchemaOptions {
        base_uri: "armature://routes/bench".to_owned(),
        formats: false,
    };
    let compiled = BodySchema::compile(&schema, &options, &SharedSchemas::default()).unwrap();
    for size in [100, 1024, 64 * 1024, 1024 * 1024] {
        let body = users(size);
        c.bench_function(&format!("schema check, serde_json, {size} B"), |b| {
            b.iter(|| {
                compiled
                    .check(Some("application/json"), black_box(&body))
                    .unwrap()
            })
        });
        c.bench_function(&format!("parse to a Value, serde_json, {size} B"), |b| {
            b.iter(|| serde_json::from_slice::<serde_json::Value>(black_box(&body)).unwrap())
        });
        // simd-json parses in place: the copy of the body is part of its cost.
        c.bench_function(&format!("parse to a Value, simd-json, {size} B"), |b| {
            b.iter(|| {
                let mut copy = black_box(&body).clone();
                simd_json::serde::from_slice::<serde_json::Value>(&mut copy).unwrap()
            })
        });
    }
}

criterion_group!(benches, routing, json, body_schema);
criterion_main!(benches);
