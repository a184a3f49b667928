//! Native middleware over real HTTP: app-wide and route layers, in order,
//! around handlers and around the engine's own answers.

mod support;

use std::sync::Arc;
use std::time::Duration;

use armature_engine::http::{HeaderName, HeaderValue, Method};
use armature_engine::middleware::{
    AllowOrigins, Cors, CorsConfig, Layer, Layers, RateLimit, RateLimitConfig, RequestId,
    RequestIdConfig, SecurityHeaders, SecurityHeadersConfig,
};
use armature_engine::{BodyLimit, Endpoint, Methods, Options, RouteOptions, RouterBuilder};
use support::{statuses, TestServer};

/// Built as a Rust user would, from the typed settings.
fn server() -> TestServer {
    let mut routes = RouterBuilder::new();
    let get = Methods::Only(vec![Method::GET, Method::POST]);
    routes.route(&get, "/open", Endpoint::External(1)).unwrap();
    let limited: Layers = Layers::from(vec![Arc::new(
        RateLimit::new(RateLimitConfig::new(2, Duration::from_secs(60))).unwrap(),
    ) as Arc<dyn Layer>]);
    let small = RouteOptions {
        body_limit: Some(BodyLimit::new(8).unwrap()),
        ..RouteOptions::default()
    };
    routes
        .route_layered(&get, "/limited", Endpoint::External(2), limited, small)
        .unwrap();
    let cors = CorsConfig {
        origins: AllowOrigins::List(vec!["https://app.example.com".to_owned()]),
        ..CorsConfig::default()
    };
    let security = SecurityHeadersConfig {
        headers: vec![(
            HeaderName::from_static("x-frame-options"),
            HeaderValue::from_static("DENY"),
        )],
        ..SecurityHeadersConfig::default()
    };
    let app = Layers::from(vec![
        Arc::new(RequestId::new(RequestIdConfig::default())) as Arc<dyn Layer>,
        Arc::new(Cors::new(cors).unwrap()),
        Arc::new(SecurityHeaders::new(security).unwrap()),
    ]);
    TestServer::start(
        routes,
        Options {
            layers: app,
            ..Options::default()
        },
    )
}

#[test]
fn app_layers_wrap_handlers_and_engine_answers() {
    let server = server();
    for target in ["/open", "/missing"] {
        let answer = server.request("GET", target, "origin: https://app.example.com\r\n", "");
        let lower = answer.to_ascii_lowercase();
        assert!(
            lower.contains("x-frame-options: deny"),
            "{target}: {answer}"
        );
        assert!(
            lower.contains("access-control-allow-origin: https://app.example.com"),
            "{target}: {answer}"
        );
        assert!(lower.contains("vary: origin"), "{target}: {answer}");
        assert!(lower.contains("x-request-id: "), "{target}: {answer}");
    }
    let preflight = server.request(
        "OPTIONS",
        "/open",
        "origin: https://app.example.com\r\naccess-control-request-method: PUT\r\n",
        "",
    );
    assert_eq!(statuses(&preflight), [204]);
    assert!(preflight
        .to_ascii_lowercase()
        .contains("access-control-allow-methods: get, head, put, patch, post, delete"));
}

#[test]
fn route_layers_answer_before_the_handler() {
    let server = server();
    let answers: Vec<u16> = (0..3)
        .flat_map(|_| statuses(&server.request("GET", "/limited", "", "")))
        .collect();
    assert_eq!(answers, [200, 200, 429]);
    let fresh = self::server();
    let open = fresh.request("POST", "/open", "", "0123456789");
    assert!(open.contains("body=0123456789"), "{open}");
    let limited = fresh.request("POST", "/limited", "", "0123456789");
    assert_eq!(statuses(&limited), [413]);
}

#[cfg(feature = "json")]
#[test]
fn configuration_errors_name_the_option() {
    use serde_json::json;

    let cases = [
        (
            "cors",
            json!({ "origins": ["example.com"] }),
            "is not scheme://host",
        ),
        (
            "compression",
            json!({ "level": "max" }),
            "unknown variant `max`",
        ),
        (
            "logger",
            json!({ "level": "loud" }),
            "unknown variant `loud`",
        ),
        (
            "rateLimit",
            json!({ "limit": 1, "window": "1m", "algorithm": "leaky" }),
            "unknown variant `leaky`",
        ),
        (
            "securityHeaders",
            json!({ "frameOptions": "DENY" }),
            "unknown field `frameOptions`",
        ),
        ("nope", json!({}), "unknown native middleware 'nope'"),
    ];
    for (kind, options, message) in cases {
        let error = armature_engine::json::from_json(kind, options).expect_err(kind);
        assert!(error.is_invalid_option(), "{kind}");
        assert!(error.to_string().contains(message), "{kind}: {error}");
    }
    // A route's properties are no middleware: they come as route options.
    for (options, message) in [
        (json!({ "timeout": "soon" }), "'soon' is not a duration"),
        (json!({ "bodyLimit": "lots" }), "'lots' is not a size"),
        (json!({ "bodyLimit": 0 }), "bodyLimit must be above zero"),
        (json!({ "steam": true }), "unknown field `steam`"),
    ] {
        let error = armature_engine::json::route_options_from_json(options).expect_err(message);
        assert!(error.is_invalid_option(), "{message}");
        assert!(error.to_string().contains(message), "{message}: {error}");
    }
}
