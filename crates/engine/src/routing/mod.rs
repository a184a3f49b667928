//! The route table: built once with [`RouterBuilder`], then frozen into a
//! [`Router`] that matches paths with matchit.

mod endpoint;
mod methods;
mod path;
mod route;

use std::collections::HashMap;

use http::Method;

pub use endpoint::{Endpoint, FixedResponse};
pub use matchit::Params;
use methods::MethodTable;
pub use methods::{Methods, Resolution};
pub use route::{BodyLimit, BodyType, Route, RouteOptions, Timeout};

use crate::middleware::Layers;
use crate::Error;

/// Collects routes, rejecting invalid and conflicting ones as they come.
#[derive(Debug, Default, Clone)]
pub struct RouterBuilder {
    tree: matchit::Router<usize>,
    tables: Vec<MethodTable>,
    /// The user's spelling of each registered path, by matchit pattern, so
    /// that conflicts name both routes as the user wrote them.
    paths: HashMap<String, (usize, String)>,
}

impl RouterBuilder {
    /// Creates an empty table.
    pub fn new() -> Self {
        Self::default()
    }

    /// Registers `endpoint` for `methods` on `path` and returns the path's
    /// parameter names in the order matches report their values.
    ///
    /// Several registrations may share a path as long as their methods differ.
    pub fn route(
        &mut self,
        methods: &Methods,
        path: &str,
        endpoint: Endpoint,
    ) -> Result<Vec<String>, Error> {
        self.route_layered(
            methods,
            path,
            endpoint,
            Layers::from([]),
            RouteOptions::default(),
        )
    }

    /// Like [`RouterBuilder::route`], with native middleware around the route
    /// and its properties.
    pub fn route_layered(
        &mut self,
        methods: &Methods,
        path: &str,
        endpoint: Endpoint,
        layers: Layers,
        options: RouteOptions,
    ) -> Result<Vec<String>, Error> {
        let pattern = path::parse(path)?;
        let index = match self.paths.get(&pattern.matchit) {
            Some((index, _)) => *index,
            None => {
                let index = self.tables.len();
                self.tree
                    .insert(pattern.matchit.clone(), index)
                    .map_err(|error| self.insert_error(path, error))?;
                self.tables.push(MethodTable::new());
                self.paths
                    .insert(pattern.matchit.clone(), (index, path.to_owned()));
                index
            }
        };
        let route = Route {
            path: path.to_owned(),
            endpoint,
            layers,
            options,
        };
        self.tables[index]
            .insert(methods, route)
            .map_err(|method| {
                Error::route_conflict(format!(
                    "route '{method} {path}' is already registered (as '{}')",
                    self.paths[&pattern.matchit].1
                ))
            })?;
        Ok(pattern.params)
    }

    fn insert_error(&self, path: &str, error: matchit::InsertError) -> Error {
        match error {
            matchit::InsertError::Conflict { with } => {
                let existing = self.paths.get(&with).map_or(with.as_str(), |(_, p)| p);
                Error::route_conflict(format!(
                    "route '{path}' conflicts with the route '{existing}' registered before it"
                ))
            }
            other => Error::invalid_route(format!("invalid route '{path}': {other}")),
        }
    }

    /// Freezes the table.
    pub fn build(self) -> Router {
        Router {
            tree: self.tree,
            tables: self.tables,
        }
    }
}

/// A frozen route table.
#[derive(Debug)]
pub struct Router {
    tree: matchit::Router<usize>,
    tables: Vec<MethodTable>,
}

impl Router {
    /// Decides what answers `method` on `path`, with the raw (still
    /// percent-encoded) parameter values; `None` when no route matches.
    pub fn resolve<'r, 'p>(
        &'r self,
        method: &Method,
        path: &'p str,
    ) -> Option<(Resolution<'r>, Params<'r, 'p>)> {
        let matched = self.tree.at(path).ok()?;
        Some((self.tables[*matched.value].resolve(method), matched.params))
    }
}

#[cfg(test)]
mod tests {
    use http::Method;

    use super::*;

    fn get() -> Methods {
        Methods::Only(vec![Method::GET])
    }

    #[test]
    fn conflicts_name_both_routes() {
        let cases: &[(&str, Methods, &str, &str)] = &[
            (
                "/users/:id",
                get(),
                "/users/:name",
                "'/users/:name' conflicts with the route '/users/:id'",
            ),
            (
                "/files/*path",
                get(),
                "/files/*rest",
                "'/files/*rest' conflicts with the route '/files/*path'",
            ),
            (
                "/users/:id",
                get(),
                "/users/:id",
                "'GET /users/:id' is already registered",
            ),
            ("/a", Methods::Any, "/a", "'ANY /a' is already registered"),
        ];
        for (first, methods, second, message) in cases {
            let mut builder = RouterBuilder::new();
            builder.route(&get(), first, Endpoint::External(0)).unwrap();
            if matches!(methods, Methods::Any) {
                builder
                    .route(methods, first, Endpoint::External(1))
                    .unwrap();
            }
            let error = builder
                .route(methods, second, Endpoint::External(2))
                .expect_err(second);
            assert!(error.is_route_conflict(), "{second}: {error}");
            assert!(error.to_string().contains(message), "{error}");
        }
    }

    #[test]
    fn same_path_different_methods_merge() {
        let mut builder = RouterBuilder::new();
        builder
            .route(&get(), "/items", Endpoint::External(0))
            .unwrap();
        builder
            .route(
                &Methods::Only(vec![Method::POST]),
                "/items",
                Endpoint::External(1),
            )
            .unwrap();
        let router = builder.build();
        match router.resolve(&Method::POST, "/items") {
            Some((
                Resolution::Route(Route {
                    endpoint: Endpoint::External(1),
                    ..
                }),
                _,
            )) => {}
            other => panic!("POST should reach endpoint 1, got {other:?}"),
        }
    }

    #[test]
    fn dispatches_methods() {
        let mut builder = RouterBuilder::new();
        builder
            .route(
                &Methods::Only(vec![Method::GET, Method::DELETE]),
                "/users/:id",
                Endpoint::External(7),
            )
            .unwrap();
        let router = builder.build();
        let (_, params) = router.resolve(&Method::GET, "/users/42").unwrap();
        assert_eq!(params.get("id"), Some("42"));
        let cases = [
            (Method::GET, "endpoint"),
            (Method::HEAD, "endpoint"),
            (Method::DELETE, "endpoint"),
            (Method::OPTIONS, "options: DELETE, GET, HEAD, OPTIONS"),
            (Method::POST, "405: DELETE, GET, HEAD, OPTIONS"),
        ];
        for (method, expected) in cases {
            let got = match router.resolve(&method, "/users/42").unwrap().0 {
                Resolution::Route(..) => "endpoint".to_owned(),
                Resolution::Options(allow) => format!("options: {}", allow.to_str().unwrap()),
                Resolution::NotAllowed(allow) => format!("405: {}", allow.to_str().unwrap()),
            };
            assert_eq!(got, expected, "{method}");
        }
        assert!(router.resolve(&Method::GET, "/users").is_none());
        assert!(router.resolve(&Method::GET, "/users/42/x").is_none());
    }
}
