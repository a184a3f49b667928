//! The problem+json writer against the table JS is checked with too
//! (`__test__/fixtures/problems.json`, read by `__test__/errors.spec.ts`):
//! the engine's problems and those JS makes have the same bytes.

use armature_engine::http::StatusCode;
use armature_engine::Problem;
use serde_json::Value;

#[test]
fn writes_the_bytes_of_the_table() {
    let table: Vec<Value> =
        serde_json::from_str(include_str!("../../../__test__/fixtures/problems.json")).unwrap();
    assert!(!table.is_empty());
    for case in &table {
        let input = &case["input"];
        let text = |name: &str| input.get(name).and_then(Value::as_str);
        let status = StatusCode::from_u16(input["status"].as_u64().unwrap() as u16).unwrap();
        let problem = Problem {
            kind: text("type").unwrap_or("about:blank"),
            title: text("title"),
            detail: text("detail"),
            instance: text("instance").unwrap(),
            extensions: input.get("extensions").and_then(Value::as_object),
            ..Problem::new(status)
        };
        assert_eq!(problem.to_json(), case["body"].as_str().unwrap(), "{input}");
    }
}

#[test]
fn standard_members_are_not_replaced_by_extensions() {
    let extensions = serde_json::json!({ "status": 200, "instance": "/elsewhere", "limit": 3 });
    let problem = Problem {
        instance: "/x",
        extensions: extensions.as_object(),
        ..Problem::new(StatusCode::BAD_REQUEST)
    };
    assert_eq!(
        problem.to_json(),
        r#"{"type":"about:blank","title":"Bad Request","status":400,"instance":"/x","limit":3}"#
    );
}
