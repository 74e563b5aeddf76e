//! Where a run's worker executes: the seam between the runner (the queue, the store, the hub,
//! how a run's end is recorded) and the machinery that starts, watches and stops workers. One
//! file (or folder) per executor behind `Executor`: `local` (a child process of the server) and
//! `slurm` (an `sbatch` job); `serve` builds the one `--executor` names (`serve::executor`). A
//! new executor (PBS, Kubernetes Jobs, a second cluster) is a file here and its arm there.
use super::Runner;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

/// A future an executor hands the runner.
pub type Task<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// What runs workers for the runner. Every executor runs the same `dartboard worker --run ID
/// --data-dir DIR`, streams its events into the hub and records its end with
/// `Runner::finish`.
pub trait Executor: Send + Sync {
    /// What `--executor` calls it: `local`, `slurm`.
    fn name(&self) -> &'static str;

    /// How many runs it has a live worker (or job) for.
    fn active(&self) -> usize;

    /// Takes the next queued run for this server to start (None: none is queued). By default
    /// the run is marked running at once; an executor whose workers start later claims it.
    fn take<'a>(&'a self, runner: &'a Runner) -> Task<'a, crate::store::Result<Option<i64>>> {
        Box::pin(runner.store.take_queued(&runner.owner))
    }

    /// Starts run `id`, just taken from the queue. A run that cannot start is recorded failed.
    fn start(self: Arc<Self>, runner: Arc<Runner>, id: i64) -> Task<'static, ()>;

    /// After the server restarted: follows again this server's runs whose workers went on
    /// without it (a cluster's jobs). Runs it cannot re-attach stay as the runner left them.
    fn reattach(self: Arc<Self>, runner: Arc<Runner>) -> Task<'static, crate::store::Result<()>>;

    /// Stops run `id`'s worker. `queued`: the run was still queued and is recorded cancelled
    /// already (a cluster may hold a job for it); otherwise it is running, and the answer is
    /// whether there was a worker of this server's to stop (its end is then recorded by whoever
    /// watches it).
    fn cancel(
        self: Arc<Self>,
        runner: Arc<Runner>,
        id: i64,
        queued: bool,
    ) -> Task<'static, crate::store::Result<bool>>;

    /// Each turn of the runner's loop: keeps the record true (by default nothing).
    fn upkeep<'a>(&'a self, _runner: &'a Runner) -> Task<'a, ()> {
        Box::pin(async {})
    }
}
