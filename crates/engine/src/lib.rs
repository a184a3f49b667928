//! Armature's HTTP engine.
//!
//! A plain Rust HTTP server framework (tokio, hyper 1, matchit) that owns
//! connections, parsing, routing, limits and error responses. It knows
//! nothing of JavaScript: requests for handlers that live elsewhere leave
//! through the [`Dispatch`] trait as [`Call`]s and their answers come back
//! with [`Call::respond`]. [`Batcher`] is the dispatcher that hands calls over
//! in batches, which is what makes calling into another runtime cheap.

mod app;
mod batch;
mod body;
mod dispatch;
mod error;
pub mod files;
pub mod forms;
pub mod inlet;
#[cfg(feature = "json")]
pub mod json;
mod limits;
mod load;
pub mod middleware;
pub mod multipart;
pub mod pipe;
mod problem;
pub mod proxy;
pub mod response;
mod routing;
mod runtime;
pub mod schema;
mod server;
pub mod slots;
pub mod units;

pub use app::{App, Options};
pub use batch::{Batcher, News, MAX_BATCH, MAX_DELAY};
pub use body::{Body, BoxError, Chunks};
pub use dispatch::{Call, Dispatch, Ended};
pub use error::{Error, ErrorCode};
pub use limits::Limits;
pub use load::LoadStats;
pub use problem::{problem, Problem, PROBLEM_JSON};
pub use routing::{
    BodyLimit, BodyType, Endpoint, FixedResponse, Methods, Params, Resolution, Route, RouteOptions,
    Router, RouterBuilder, Timeout,
};
pub use runtime::runtime;
pub use server::{Handler, Server};
pub use slots::Slots;

pub use bytes::Bytes;
pub use http;
