//! Node.js bindings for the Armature engine.
//!
//! The only crate that knows about napi or JavaScript: it translates options,
//! routes, requests and responses between JS and `armature_engine`, and owns
//! the one door by which Rust calls into JS ([`js_call`]).

// `#[napi]` items are public because JS reaches them, which rustc cannot see.
#![allow(unreachable_pub)]

mod app;
mod bridge;
mod error;
mod inflight;
mod inject;
mod js_call;
mod middleware;
mod multipart;
mod options;
mod request;
mod response;
mod runtime;
mod server;
mod stream;
mod test_feature;
mod test_panics;
mod text;

/// Requests are allocated on engine threads and freed on the JS thread (and
/// answers the other way round); mimalloc handles such cross-thread frees far
/// better than glibc's allocator.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// `mi_option_eager_commit` and `mi_option_arena_eager_commit` in mimalloc.h's
/// `mi_option_e` (libmimalloc-sys names neither).
const MI_OPTION_EAGER_COMMIT: libmimalloc_sys::mi_option_t = 3;
const MI_OPTION_ARENA_EAGER_COMMIT: libmimalloc_sys::mi_option_t = 4;

/// Reads the test-only switches of [`test_panics`] and [`test_feature`], and
/// turns off mimalloc's
/// eager commits: on Linux it commits segments and arenas up front by default,
/// which added ~20 MiB of resident memory with 1,000 connections for no
/// speed gain.
#[napi_derive::module_init]
fn init() {
    test_panics::init();
    test_feature::init();
    // SAFETY: setting an option is allowed at any time, from any thread.
    #[allow(unsafe_code)]
    unsafe {
        libmimalloc_sys::mi_option_set(MI_OPTION_EAGER_COMMIT, 0);
        libmimalloc_sys::mi_option_set(MI_OPTION_ARENA_EAGER_COMMIT, 0);
    }
}
