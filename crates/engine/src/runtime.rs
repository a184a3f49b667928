//! The tokio runtime the engine's servers run on.

use std::io;
use std::time::Duration;

/// Threads for blocking work (file system calls, large compressions). Each
/// holds its own allocator heap, so tokio's default of 512 let a burst of
/// static-file requests hold half a GiB (64 clients of 64 KiB files: 538 MiB
/// after the run); 16 keep a disk busy, as libuv's pool of 4 does Node's.
const BLOCKING_THREADS: usize = 16;

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
        .max_blocking_threads(BLOCKING_THREADS)
        .thread_keep_alive(Duration::from_secs(5))
        .enable_all()
        .on_thread_park(crate::batch::on_thread_park)
        .build()
}
