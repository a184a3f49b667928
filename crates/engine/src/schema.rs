//! JSON request bodies checked against a route's JSON Schema on engine
//! threads, before any JS runs: the body is parsed once, every violation is
//! listed, and a body that is not JSON is refused.
//!
//! Schemas are compiled once, where the route is declared, by the
//! `jsonschema` crate: draft 2020-12 unless `$schema` names another, each
//! route under a base URI of its own, no reference ever fetched, and
//! `pattern`s run on the linear-time `regex` engine, so that a schema
//! cannot make a request cost more than linear time in its body.

use std::fmt;
use std::sync::OnceLock;

use http::{Response, StatusCode};
use jsonschema::{PatternOptions, Registry, Validator};
use serde_json::{json, Map, Value};

use crate::problem::Problem;
use crate::{Body, Error};

/// The most violations a 400 lists: a huge body with every item wrong
/// must not make a huge answer.
pub const MAX_VIOLATIONS: usize = 100;

/// How a route's schema is compiled.
#[derive(Debug, Clone)]
pub struct SchemaOptions {
    /// The base URI relative `$id`s and `$ref`s resolve against: one per
    /// route, so that the same relative `$id` in two routes never collides.
    pub base_uri: String,
    /// `format` asserts (an invalid `email` is a violation) instead of
    /// only annotating.
    pub formats: bool,
}

/// Schemas every route of an app may `$ref` by their URI (`app.schema`),
/// held in one registry the routes' schemas compile against. The registry
/// is prepared when a route first needs it, so that shared schemas may
/// refer to each other in any order.
#[derive(Default)]
pub struct SharedSchemas {
    schemas: Vec<(String, Value)>,
    registry: OnceLock<Result<Registry<'static>, String>>,
}

impl SharedSchemas {
    /// Adds `schema` under `uri`, or under its own `$id` when `uri` is `None`.
    ///
    /// # Errors
    /// No URI and no `$id`, or a URI already taken: [`Error::is_invalid_schema`].
    pub fn add(&mut self, uri: Option<&str>, schema: Value) -> Result<(), Error> {
        let uri = match uri {
            Some(uri) => uri.to_owned(),
            None => schema
                .get("$id")
                .and_then(Value::as_str)
                .map(str::to_owned)
                .ok_or_else(|| {
                    Error::invalid_schema(
                        "a shared schema needs an absolute $id, or a URI to go by",
                    )
                })?,
        };
        if self.schemas.iter().any(|(taken, _)| *taken == uri) {
            return Err(Error::invalid_schema(format!(
                "a shared schema already goes by {uri}"
            )));
        }
        self.schemas.push((uri, schema));
        self.registry = OnceLock::new();
        Ok(())
    }

    /// The prepared registry, `None` without shared schemas.
    fn registry(&self) -> Result<Option<&Registry<'static>>, Error> {
        if self.schemas.is_empty() {
            return Ok(None);
        }
        let prepared = self.registry.get_or_init(|| {
            let pairs = self
                .schemas
                .iter()
                .map(|(uri, schema)| (uri.clone(), schema.clone()));
            Registry::new()
                .extend(pairs)
                .and_then(|builder| builder.prepare())
                .map_err(|error| error.to_string())
        });
        match prepared {
            Ok(registry) => Ok(Some(registry)),
            Err(why) => Err(Error::invalid_schema(format!("the shared schemas: {why}"))),
        }
    }
}

impl fmt::Debug for SharedSchemas {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list()
            .entries(self.schemas.iter().map(|(uri, _)| uri))
            .finish()
    }
}

/// A compiled schema for a route's JSON body.
pub struct BodySchema {
    validator: Validator,
}

/// One way a body fails its schema.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    /// Where in the body: a JSON Pointer (`/items/0/age`; `''` for the whole).
    pub pointer: String,
    /// The schema keyword that failed (`minimum`, `required`, …).
    pub keyword: String,
    /// What is wrong, for a person.
    pub detail: String,
}

/// Why a body was refused: the status and `detail` of its problem, and for
/// a 400 on the schema, every violation (up to [`MAX_VIOLATIONS`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rejection {
    /// 400 or 415.
    pub status: StatusCode,
    /// What is wrong, as the problem's `detail`.
    pub detail: String,
    /// Each way the value fails its schema, as the problem's `errors`.
    pub violations: Vec<Violation>,
}

impl BodySchema {
    /// Compiles `schema`.
    ///
    /// # Errors
    /// A schema that is not valid against its draft's meta-schema, or a
    /// `$ref` nothing resolves: [`Error::is_invalid_schema`].
    pub fn compile(
        schema: &Value,
        options: &SchemaOptions,
        shared: &SharedSchemas,
    ) -> Result<Self, Error> {
        let mut builder = jsonschema::options()
            .offline()
            .with_base_uri(options.base_uri.clone())
            .should_validate_formats(options.formats)
            .with_pattern_options(PatternOptions::regex());
        if let Some(registry) = shared.registry()? {
            builder = builder.with_registry(registry);
        }
        let validator = builder
            .build(schema)
            .map_err(|error| Error::invalid_schema(error.to_string()))?;
        Ok(Self { validator })
    }

    /// Checks the media type of a body, before it is read: JSON
    /// (`application/json` or `*/*+json`).
    ///
    /// # Errors
    /// A 415 [`Rejection`] for another media type, or none.
    pub fn accepts(&self, content_type: Option<&str>) -> Result<(), Rejection> {
        if content_type.is_some_and(is_json) {
            return Ok(());
        }
        let given = content_type.unwrap_or("a body without a content-type");
        let detail = format!("this route takes application/json, not {given}");
        Err(Rejection::plain(StatusCode::UNSUPPORTED_MEDIA_TYPE, detail))
    }

    /// Checks a body of `content_type`: JSON its schema accepts.
    ///
    /// # Errors
    /// A [`Rejection`]: 415 for another media type or none, 400 for an
    /// empty body, text that is not JSON (or nests deeper than 128 levels),
    /// or a value the schema refuses.
    pub fn check(&self, content_type: Option<&str>, body: &[u8]) -> Result<(), Rejection> {
        self.accepts(content_type)?;
        self.check_json(body)
    }

    /// Checks a body whose media type [`BodySchema::accepts`] took.
    fn check_json(&self, body: &[u8]) -> Result<(), Rejection> {
        if body.is_empty() {
            let detail = "the request body is empty; this route takes JSON".to_owned();
            return Err(Rejection::plain(StatusCode::BAD_REQUEST, detail));
        }
        // serde_json stops at 128 levels of nesting, so neither the parser
        // nor the validator recurses without bound.
        let value: Value = serde_json::from_slice(body).map_err(|error| {
            let detail = format!("the request body is not valid JSON: {error}");
            Rejection::plain(StatusCode::BAD_REQUEST, detail)
        })?;
        if self.validator.is_valid(&value) {
            return Ok(());
        }
        let mut violations: Vec<Violation> = self
            .validator
            .iter_errors(&value)
            .take(MAX_VIOLATIONS + 1)
            .map(|error| Violation {
                pointer: error.instance_path().to_string(),
                keyword: error.kind().keyword().to_owned(),
                detail: error.to_string(),
            })
            .collect();
        let detail = if violations.len() > MAX_VIOLATIONS {
            violations.truncate(MAX_VIOLATIONS);
            format!("the request body does not match the route's schema (the first {MAX_VIOLATIONS} violations are listed)")
        } else {
            "the request body does not match the route's schema".to_owned()
        };
        Err(Rejection {
            status: StatusCode::BAD_REQUEST,
            detail,
            violations,
        })
    }
}

/// Bodies up to this size are checked on the connection's own task; larger
/// ones on the blocking pool, so that checking one (~30 ms for 1 MiB) does
/// not hold up the other connections of its worker thread. The pool's hand-
/// off costs tens of microseconds, which only bodies above this outweigh.
pub const INLINE_CHECK: usize = 64 * 1024;

impl BodySchema {
    /// [`BodySchema::check`] of a body whose media type
    /// [`BodySchema::accepts`] took before it was read, off the async
    /// worker for a body over [`INLINE_CHECK`].
    ///
    /// # Errors
    /// As [`BodySchema::check`]; a check that panicked is a 500.
    pub async fn check_body(
        self: &std::sync::Arc<Self>,
        body: bytes::Bytes,
    ) -> Result<(), Rejection> {
        if body.len() <= INLINE_CHECK {
            return self.check_json(&body);
        }
        let schema = self.clone();
        tokio::task::spawn_blocking(move || schema.check_json(&body))
            .await
            .unwrap_or_else(|_| {
                let detail = "the request body could not be checked against the route's schema";
                Err(Rejection::plain(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    detail.to_owned(),
                ))
            })
    }
}

impl Rejection {
    fn plain(status: StatusCode, detail: String) -> Self {
        Self {
            status,
            detail,
            violations: Vec::new(),
        }
    }

    /// The problem that answers the request at `path`, with an `errors`
    /// member listing the violations when there are any.
    pub fn problem(&self, path: &str) -> Response<Body> {
        let errors = self
            .violations
            .iter()
            .map(|v| json!({ "pointer": v.pointer, "keyword": v.keyword, "detail": v.detail }))
            .collect();
        let mut members = Map::new();
        members.insert("errors".to_owned(), Value::Array(errors));
        Problem {
            detail: Some(&self.detail),
            instance: path,
            extensions: (!self.violations.is_empty()).then_some(&members),
            ..Problem::new(self.status)
        }
        .response()
    }
}

/// Whether a `Content-Type` is JSON: `application/json` or `type/subtype+json`.
fn is_json(content_type: &str) -> bool {
    let essence = content_type.split(';').next().unwrap_or("").trim();
    essence.eq_ignore_ascii_case("application/json")
        || essence.split_once('/').is_some_and(|(_, subtype)| {
            subtype.len() > 5 && subtype[subtype.len() - 5..].eq_ignore_ascii_case("+json")
        })
}

impl fmt::Debug for BodySchema {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BodySchema").finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user() -> BodySchema {
        let schema = json!({
            "type": "object", "additionalProperties": false, "required": ["name", "age"],
            "properties": { "name": { "type": "string", "minLength": 1 }, "age": { "type": "integer", "minimum": 0 } }
        });
        let options = SchemaOptions {
            base_uri: "armature:route/users".to_owned(),
            formats: false,
        };
        BodySchema::compile(&schema, &options, &SharedSchemas::default()).unwrap()
    }

    #[test]
    fn lists_every_violation_with_its_pointer_and_keyword() {
        let refused = user()
            .check(Some("application/json"), br#"{"name":"","age":-1,"x":1}"#)
            .unwrap_err();
        assert_eq!(refused.status, StatusCode::BAD_REQUEST);
        let mut found: Vec<_> = refused
            .violations
            .iter()
            .map(|v| (v.pointer.as_str(), v.keyword.as_str()))
            .collect();
        found.sort_unstable();
        assert_eq!(
            found,
            [
                ("", "additionalProperties"),
                ("/age", "minimum"),
                ("/name", "minLength")
            ]
        );
        assert!(user()
            .check(
                Some("application/vnd.api+json; charset=utf-8"),
                br#"{"name":"a","age":1}"#
            )
            .is_ok());
    }

    #[test]
    fn refuses_what_is_not_json() {
        let status =
            |type_: Option<&str>, body: &[u8]| user().check(type_, body).unwrap_err().status;
        assert_eq!(status(None, b"{}"), StatusCode::UNSUPPORTED_MEDIA_TYPE);
        assert_eq!(
            status(Some("text/plain"), b"{}"),
            StatusCode::UNSUPPORTED_MEDIA_TYPE
        );
        assert_eq!(
            status(Some("application/json"), b""),
            StatusCode::BAD_REQUEST
        );
        assert_eq!(
            status(Some("application/json"), b"{"),
            StatusCode::BAD_REQUEST
        );
        let deep = format!("{}{}", "[".repeat(200), "]".repeat(200));
        assert_eq!(
            status(Some("application/json"), deep.as_bytes()),
            StatusCode::BAD_REQUEST
        );
    }

    #[test]
    fn a_schema_that_does_not_compile_is_an_invalid_schema() {
        let options = SchemaOptions {
            base_uri: "armature:route/x".to_owned(),
            formats: false,
        };
        for schema in [
            json!({ "type": 12 }),
            json!({ "$ref": "#/$defs/missing" }),
            json!({ "$ref": "https://example.com/s.json" }),
        ] {
            let error =
                BodySchema::compile(&schema, &options, &SharedSchemas::default()).unwrap_err();
            assert!(error.is_invalid_schema(), "{schema}: {error}");
        }
    }
}
