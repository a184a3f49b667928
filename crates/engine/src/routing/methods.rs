//! Method dispatch for one path: explicit methods, `any`, automatic HEAD and
//! OPTIONS, and the `Allow` header for 405 answers.

use std::sync::Arc;

use http::{HeaderValue, Method};

use super::route::Route;

/// Which methods a registration covers.
#[derive(Debug, Clone)]
pub enum Methods {
    /// Exactly these methods.
    Only(Vec<Method>),
    /// Every method not registered explicitly on the same path.
    Any,
}

/// The routes registered on one path.
#[derive(Debug, Clone)]
pub(crate) struct MethodTable {
    explicit: Vec<(Method, Arc<Route>)>,
    any: Option<Arc<Route>>,
    allow: HeaderValue,
}

/// What the route table decides for a request.
#[derive(Debug)]
pub enum Resolution<'a> {
    /// Run this route (a HEAD request may run the GET one).
    Route(&'a Route),
    /// Answer OPTIONS with the `Allow` header.
    Options(&'a HeaderValue),
    /// Answer 405 with the `Allow` header.
    NotAllowed(&'a HeaderValue),
}

impl MethodTable {
    pub(crate) fn new() -> Self {
        Self {
            explicit: Vec::new(),
            any: None,
            allow: HeaderValue::from_static(""),
        }
    }

    /// Adds `route` for `methods`, or returns the first method already taken.
    pub(crate) fn insert(&mut self, methods: &Methods, route: Route) -> Result<(), String> {
        let route = Arc::new(route);
        match methods {
            Methods::Any if self.any.is_some() => return Err("ANY".to_owned()),
            Methods::Any => self.any = Some(route),
            Methods::Only(list) => {
                if let Some(taken) = list
                    .iter()
                    .find(|m| self.explicit.iter().any(|(have, _)| have == *m))
                {
                    return Err(taken.to_string());
                }
                self.explicit
                    .extend(list.iter().map(|m| (m.clone(), route.clone())));
            }
        }
        self.allow = self.compute_allow();
        Ok(())
    }

    fn compute_allow(&self) -> HeaderValue {
        let mut names: Vec<&str> = self.explicit.iter().map(|(m, _)| m.as_str()).collect();
        if names.contains(&"GET") {
            names.push("HEAD");
        }
        names.push("OPTIONS");
        names.sort_unstable();
        names.dedup();
        HeaderValue::from_str(&names.join(", ")).expect("method names are valid header text")
    }

    pub(crate) fn resolve(&self, method: &Method) -> Resolution<'_> {
        if let Some((_, route)) = self.explicit.iter().find(|(m, _)| m == method) {
            return Resolution::Route(route);
        }
        if *method == Method::HEAD {
            if let Some((_, route)) = self.explicit.iter().find(|(m, _)| m == Method::GET) {
                return Resolution::Route(route);
            }
        }
        if let Some(route) = &self.any {
            return Resolution::Route(route);
        }
        if *method == Method::OPTIONS {
            Resolution::Options(&self.allow)
        } else {
            Resolution::NotAllowed(&self.allow)
        }
    }
}
