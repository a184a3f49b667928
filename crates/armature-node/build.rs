//! Links the addon against Node-API symbols resolved at load time.
fn main() {
    napi_build::setup();
    // The engine's threads and allocator live for the whole process, but Node
    // unloads an addon when the last worker thread that loaded it exits; code
    // still running on those threads would then crash. Keep it loaded.
    if std::env::var("CARGO_CFG_TARGET_OS").as_deref() == Ok("linux") {
        println!("cargo:rustc-cdylib-link-arg=-Wl,-z,nodelete");
    }
}
