//! The tokio runtime the engine's servers run on.

use std::io;

/// Builds a multi-thread runtime with `workers` threads (the number of CPUs
/// when `None`), hooked so that [`Batcher`](crate::Batcher)s close their
/// batches when a worker runs out of work.
pub fn runtime(workers: Option<usize>) -> io::Result<tokio::runtime::Runtime> {
    let mut builder = tokio::runtime::Builder::new_multi_thread();
    if let Some(workers) = workers {
        builder.worker_threads(workers.max(1));
    }
    builder
        .thread_name("armature-worker")
        .enable_all()
        .on_thread_park(crate::batch::on_thread_park)
        .build()
}
