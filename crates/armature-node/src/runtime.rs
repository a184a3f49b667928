//! The tokio runtime the engine runs on, one per process.

use std::sync::OnceLock;

/// The tokio runtime shared by every server in the process, created by the
/// first `listen` with that call's worker count.
///
/// By default one CPU is left to the JS thread: on two cores, one worker
/// beside the JS thread served 8% more requests than two workers.
pub(crate) fn runtime(workers: Option<usize>) -> napi::Result<&'static tokio::runtime::Runtime> {
    static RUNTIME: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
    if let Some(runtime) = RUNTIME.get() {
        return Ok(runtime);
    }
    let workers = workers.unwrap_or_else(|| {
        std::thread::available_parallelism().map_or(1, |cpus| cpus.get().saturating_sub(1).max(1))
    });
    let runtime = armature_engine::runtime(Some(workers))
        .map_err(|error| napi::Error::from_reason(format!("cannot start the engine: {error}")))?;
    Ok(RUNTIME.get_or_init(|| runtime))
}
