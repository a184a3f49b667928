//! A route's properties as bindings pass them: `BodyLimit.new`, `Timeout.new`,
//! `{ stream: true }`, `{ body }` and `{ schema }`, resolved to the one that
//! wins for each route.

use serde::Deserialize;

use crate::routing::{BodyLimit, BodyType, RouteOptions, Timeout};
use crate::schema::{BodySchema, SchemaOptions, SharedSchemas};
use crate::units::Amount;
use crate::Error;

/// A route's properties, as JSON.
#[derive(Debug, Default, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(optional_fields))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RouteOptionsJson {
    /// The largest body the route reads: `'10mb'` or bytes.
    #[cfg_attr(feature = "ts", ts(inline))]
    pub body_limit: Option<Amount>,
    /// The time its handler has: `'30s'` or milliseconds.
    #[cfg_attr(feature = "ts", ts(inline))]
    pub timeout: Option<Amount>,
    /// Its body goes to the handler as it arrives.
    pub stream: Option<bool>,
    /// The media type its body must have: another gets 415.
    pub body: Option<BodyType>,
    /// JSON Schemas the request must match.
    pub schema: Option<RouteSchemaJson>,
}

/// A route's schemas, as JSON.
#[derive(Debug, Default, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(optional_fields))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RouteSchemaJson {
    /// The JSON Schema (draft 2020-12, or the draft its `$schema` names)
    /// the JSON body must match; a body that does not gets a 400 listing
    /// every violation.
    #[cfg_attr(feature = "ts", ts(optional, type = "unknown"))]
    pub body: Option<serde_json::Value>,
    /// Whether `format` asserts (`'assert'`) or only annotates
    /// (`'annotate'`). @default 'annotate'
    pub formats: Option<Formats>,
}

/// How `format` keywords act.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "lowercase")]
pub enum Formats {
    /// A value that does not have its format is a violation.
    Assert,
    /// Formats are annotations only, as draft 2020-12 has them by default.
    Annotate,
}

impl RouteOptionsJson {
    /// The options, with schemas compiled for the route `route` (`POST
    /// /users`), which names it in errors and gives it its base URI, and
    /// may `$ref` the `shared` schemas.
    pub fn resolve(self, route: &str, shared: &SharedSchemas) -> Result<RouteOptions, Error> {
        let schema = self.schema.unwrap_or_default();
        let body_schema = match schema.body {
            None => None,
            Some(_) if self.stream == Some(true) => {
                return Err(Error::invalid_route(format!(
                "{route}: schema.body cannot check a body the route streams ({{ stream: true }})"
            )))
            }
            Some(_) if self.body.is_some() => {
                return Err(Error::invalid_route(format!(
                    "{route}: schema.body takes JSON, and the route declares body: '{}'",
                    self.body.map_or("", BodyType::name)
                )))
            }
            Some(body) => {
                let options = SchemaOptions {
                    base_uri: format!("armature://routes/{}", route.replace(' ', "")),
                    formats: schema.formats == Some(Formats::Assert),
                };
                let compiled = BodySchema::compile(&body, &options, shared).map_err(|error| {
                    Error::invalid_schema(format!("{route}: schema.body: {error}"))
                })?;
                Some(std::sync::Arc::new(compiled))
            }
        };
        Ok(RouteOptions {
            body_schema,
            ..RouteOptions::try_from(RouteOptionsJson {
                schema: None,
                ..self
            })?
        })
    }
}

impl TryFrom<RouteOptionsJson> for RouteOptions {
    type Error = Error;

    fn try_from(json: RouteOptionsJson) -> Result<Self, Error> {
        Ok(Self {
            body_limit: json.body_limit.map(BodyLimit::try_from).transpose()?,
            timeout: json.timeout.map(Timeout::try_from).transpose()?,
            stream: json.stream.unwrap_or(false),
            body: json.body,
            body_schema: None,
        })
    }
}
