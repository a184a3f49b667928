//! The one error type of the engine: opaque, with predicates and a stable code.

use std::fmt;

pub use armature_wire::ErrorCode;

/// An error raised while configuring or starting the engine.
///
/// Request-time failures never surface as `Error`: they become problem
/// responses. The kind is private so new kinds can be added; callers branch on
/// the `is_*` predicates or on [`Error::code`].
#[derive(Debug)]
pub struct Error {
    kind: Kind,
    message: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    InvalidRoute,
    RouteConflict,
    InvalidOption,
    InvalidSchema,
    Listen,
}

impl Error {
    pub(crate) fn invalid_route(message: impl Into<String>) -> Self {
        Self::new(Kind::InvalidRoute, message)
    }

    pub(crate) fn route_conflict(message: impl Into<String>) -> Self {
        Self::new(Kind::RouteConflict, message)
    }

    /// An option value that cannot be used (a zero limit, a bad header value).
    pub fn invalid_option(message: impl Into<String>) -> Self {
        Self::new(Kind::InvalidOption, message)
    }

    /// A JSON Schema that does not compile.
    pub fn invalid_schema(message: impl Into<String>) -> Self {
        Self::new(Kind::InvalidSchema, message)
    }

    pub(crate) fn listen(message: impl Into<String>) -> Self {
        Self::new(Kind::Listen, message)
    }

    fn new(kind: Kind, message: impl Into<String>) -> Self {
        Self {
            kind,
            message: message.into(),
        }
    }

    /// The route's path syntax is invalid.
    pub fn is_invalid_route(&self) -> bool {
        self.kind == Kind::InvalidRoute
    }

    /// The route overlaps a route registered before it.
    pub fn is_route_conflict(&self) -> bool {
        self.kind == Kind::RouteConflict
    }

    /// An option was rejected.
    pub fn is_invalid_option(&self) -> bool {
        self.kind == Kind::InvalidOption
    }

    /// A route's schema does not compile.
    pub fn is_invalid_schema(&self) -> bool {
        self.kind == Kind::InvalidSchema
    }

    /// The server could not bind or listen on its address.
    pub fn is_listen(&self) -> bool {
        self.kind == Kind::Listen
    }

    /// A stable, documented code that JavaScript sees as `err.code`.
    pub fn code(&self) -> ErrorCode {
        match self.kind {
            Kind::InvalidRoute => ErrorCode::InvalidRoute,
            Kind::RouteConflict => ErrorCode::RouteConflict,
            Kind::InvalidOption => ErrorCode::InvalidOption,
            Kind::InvalidSchema => ErrorCode::InvalidSchema,
            Kind::Listen => ErrorCode::Listen,
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Error {}
