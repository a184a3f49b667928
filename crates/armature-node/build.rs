//! Links the addon against Node-API symbols resolved at load time.
fn main() {
    napi_build::setup();
}
