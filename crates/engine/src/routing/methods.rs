//! Method dispatch for one path: explicit methods, `any`, automatic HEAD and
//! OPTIONS, and the `Allow` header for 405 answers.

use http::{HeaderValue, Method};

use super::endpoint::Endpoint;
use crate::middleware::Layers;

/// Which methods a registration covers.
#[derive(Debug, Clone)]
pub enum Methods {
    /// Exactly these methods.
    Only(Vec<Method>),
    /// Every method not registered explicitly on the same path.
    Any,
}

/// The handlers registered on one path.
#[derive(Debug, Clone)]
pub(crate) struct MethodTable {
    explicit: Vec<(Method, Endpoint, Layers)>,
    any: Option<(Endpoint, Layers)>,
    allow: HeaderValue,
}

/// What the route table decides for a request.
#[derive(Debug)]
pub enum Resolution<'a> {
    /// Run this endpoint inside its native middleware (a HEAD request may
    /// run the GET endpoint).
    Endpoint(&'a Endpoint, &'a Layers),
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

    /// Adds `endpoint` for `methods`, or returns the first method already taken.
    pub(crate) fn insert(
        &mut self,
        methods: &Methods,
        endpoint: Endpoint,
        layers: Layers,
    ) -> Result<(), String> {
        match methods {
            Methods::Any if self.any.is_some() => return Err("ANY".to_owned()),
            Methods::Any => self.any = Some((endpoint, layers)),
            Methods::Only(list) => {
                if let Some(taken) = list
                    .iter()
                    .find(|m| self.explicit.iter().any(|(have, _, _)| have == *m))
                {
                    return Err(taken.to_string());
                }
                self.explicit.extend(
                    list.iter()
                        .map(|m| (m.clone(), endpoint.clone(), layers.clone())),
                );
            }
        }
        self.allow = self.compute_allow();
        Ok(())
    }

    fn compute_allow(&self) -> HeaderValue {
        let mut names: Vec<&str> = self.explicit.iter().map(|(m, _, _)| m.as_str()).collect();
        if names.contains(&"GET") {
            names.push("HEAD");
        }
        names.push("OPTIONS");
        names.sort_unstable();
        names.dedup();
        HeaderValue::from_str(&names.join(", ")).expect("method names are valid header text")
    }

    pub(crate) fn resolve(&self, method: &Method) -> Resolution<'_> {
        if let Some((_, endpoint, layers)) = self.explicit.iter().find(|(m, _, _)| m == method) {
            return Resolution::Endpoint(endpoint, layers);
        }
        if *method == Method::HEAD {
            if let Some((_, endpoint, layers)) =
                self.explicit.iter().find(|(m, _, _)| m == Method::GET)
            {
                return Resolution::Endpoint(endpoint, layers);
            }
        }
        if let Some((endpoint, layers)) = &self.any {
            return Resolution::Endpoint(endpoint, layers);
        }
        if *method == Method::OPTIONS {
            Resolution::Options(&self.allow)
        } else {
            Resolution::NotAllowed(&self.allow)
        }
    }
}
