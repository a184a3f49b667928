//! The TypeScript declarations of the option shapes JS passes to native
//! middleware, generated from the Rust structs that read them: the one
//! definition. Fails when `src/generated/middleware.ts` is stale;
//! `UPDATE_TS=1 cargo test -p armature-engine --features ts` rewrites it.

#![cfg(feature = "ts")]

use armature_engine::files::{Dotfiles, Precompressed};
use armature_engine::json::{
    CompressionOptions, CorsOptions, Csp, ETagOptions, FileOptions, Formats, Hsts, LoggerOptions,
    MultipartLimitsJson, MultipartOptions, RateLimitOptions, RequestIdOptions, RouteOptionsJson,
    RouteSchemaJson, SecurityHeadersOptions, StaticOptions,
};
use armature_engine::middleware::{Algorithm, Coding, CompressionLevel, Destination, LogLevel};
use armature_engine::BodyType;
use ts_rs::{Config, TS};

fn declaration<T: TS>(cfg: &Config) -> String {
    let docs = T::docs().unwrap_or_default();
    format!("{docs}export {}\n", T::decl(cfg))
}

#[test]
fn generated_declarations_are_current() {
    // JSON numbers, whatever the Rust width.
    let cfg = Config::new().with_large_int("number");
    let mut out = String::from(
        "// Generated from crates/engine by tests/typescript.rs (cargo test --features ts); do not edit.\n",
    );
    for declaration in [
        declaration::<Coding>(&cfg),
        declaration::<CompressionLevel>(&cfg),
        declaration::<CompressionOptions>(&cfg),
        declaration::<CorsOptions>(&cfg),
        declaration::<ETagOptions>(&cfg),
        declaration::<LogLevel>(&cfg),
        declaration::<Destination>(&cfg),
        declaration::<LoggerOptions>(&cfg),
        declaration::<MultipartLimitsJson>(&cfg),
        declaration::<MultipartOptions>(&cfg),
        declaration::<Formats>(&cfg),
        declaration::<RouteSchemaJson>(&cfg),
        declaration::<Algorithm>(&cfg),
        declaration::<RateLimitOptions>(&cfg),
        declaration::<RequestIdOptions>(&cfg),
        declaration::<BodyType>(&cfg),
        declaration::<RouteOptionsJson>(&cfg),
        declaration::<Csp>(&cfg),
        declaration::<Hsts>(&cfg),
        declaration::<SecurityHeadersOptions>(&cfg),
        declaration::<Precompressed>(&cfg),
        declaration::<Dotfiles>(&cfg),
        declaration::<StaticOptions>(&cfg),
        declaration::<FileOptions>(&cfg),
    ] {
        out.push('\n');
        out.push_str(&declaration);
    }
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../src/generated/middleware.ts"
    );
    if std::env::var_os("UPDATE_TS").is_some() {
        std::fs::write(path, &out).unwrap();
    }
    let committed = std::fs::read_to_string(path).unwrap_or_default();
    assert!(
        committed == out,
        "src/generated/middleware.ts is stale: run UPDATE_TS=1 cargo test -p armature-engine --features ts"
    );
}
