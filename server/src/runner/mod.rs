//! The job runner: takes queued runs, at most `workers` at once, hands each to the executor
//! chosen at `dartboard serve` (`executor`: `local`, a child process of the server; `slurm`, an
//! `sbatch` job on a cluster), and records how each run ended. Every executor runs the same
//! `dartboard worker --run ID --data-dir DIR` and streams its events into the hub.
pub mod executor;
pub mod local;
pub mod slurm;
mod upkeep;

pub use executor::Executor;

use crate::hub::{status_event, Hub};
use crate::store::{Status, Store};
use serde_json::Value;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::Notify;

/// Lines of the worker's stderr kept for a failure message.
const TAIL_LINES: usize = 12;
/// How long a cancelled worker gets to stop after SIGTERM before SIGKILL.
const CANCEL_GRACE: Duration = Duration::from_secs(10);
/// The longest wait between tries to store how a run ended while the store refuses writes.
const FINISH_RETRY_MAX: Duration = Duration::from_secs(10);

/// What the runner is given at start.
pub struct Setup {
    pub data_dir: PathBuf,
    pub workers: usize,
    /// CPU threads each local worker's libtorch uses (so workers do not oversubscribe the cores).
    pub threads: usize,
    /// The `dartboard` binary the workers run (on a cluster: a path every node sees).
    pub exe: PathBuf,
    /// Where workers run (`executor::build`).
    pub executor: Arc<dyn Executor>,
    /// This server's name in the store (`--server-name`): the runs it took are its own to
    /// re-attach or mark interrupted after a restart; other servers on the database leave them.
    pub owner: String,
    /// Free bytes the data directory keeps: below them queued runs wait.
    pub min_free_bytes: u64,
}

pub struct Runner {
    store: Store,
    hub: Arc<Hub>,
    data_dir: PathBuf,
    workers: usize,
    threads: usize,
    exe: PathBuf,
    executor: Arc<dyn Executor>,
    owner: String,
    min_free_bytes: u64,
    /// Whether the loop last found the data directory below its reserve (logged once).
    short_of_space: std::sync::atomic::AtomicBool,
    wake: Notify,
}

/// A run's folder under the data directory.
pub fn run_dir(data_dir: &std::path::Path, id: i64) -> PathBuf {
    data_dir.join("runs").join(id.to_string())
}

fn locked<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    match m.lock() {
        Ok(g) => g,
        Err(poisoned) => poisoned.into_inner(),
    }
}

impl Runner {
    pub fn new(store: Store, hub: Arc<Hub>, setup: Setup) -> Arc<Runner> {
        Arc::new(Runner {
            store,
            hub,
            data_dir: setup.data_dir,
            workers: setup.workers.max(1),
            threads: setup.threads.max(1),
            exe: setup.exe,
            executor: setup.executor,
            owner: setup.owner,
            min_free_bytes: setup.min_free_bytes,
            short_of_space: std::sync::atomic::AtomicBool::new(false),
            wake: Notify::new(),
        })
    }

    /// The CPU threads each local worker's libtorch uses.
    pub fn threads(&self) -> usize {
        self.threads
    }

    /// Marks this server's local runs whose workers died with it `interrupted`, re-attaches to
    /// its runs whose workers went on without it (a cluster's jobs), then starts the loop.
    pub async fn start(self: &Arc<Self>) -> crate::store::Result<()> {
        for id in self.store.running_ids(&self.owner).await? {
            let msg = "the server stopped while this run was running; resume continues it from its last epoch checkpoint";
            if self
                .store
                .transition(id, &[Status::Running], Status::Interrupted, Some(msg))
                .await?
            {
                self.hub
                    .publish(id, status_event(Status::Interrupted, Some(msg)))
                    .await?;
            }
        }
        Arc::clone(&self.executor)
            .reattach(Arc::clone(self))
            .await?;
        let me = Arc::clone(self);
        tokio::spawn(async move { me.run_loop().await });
        Ok(())
    }

    /// Wakes the loop (a run was queued).
    pub fn poke(&self) {
        self.wake.notify_one();
    }

    async fn run_loop(self: Arc<Self>) {
        loop {
            while self.active() < self.workers && self.has_room() {
                match self.executor.take(&self).await {
                    Ok(Some(id)) => {
                        Arc::clone(&self.executor)
                            .start(Arc::clone(&self), id)
                            .await
                    }
                    Ok(None) => break,
                    Err(e) => {
                        tracing::error!("runner: {e}");
                        break;
                    }
                }
            }
            self.executor.upkeep(&self).await;
            tokio::select! {
                _ = self.wake.notified() => {}
                _ = tokio::time::sleep(Duration::from_secs(2)) => {}
            }
        }
    }

    /// Starts what a succeeded search's study asks for; a refusal goes into the search's log.
    async fn follow_up(&self, id: i64) {
        match crate::api::groups::follow_up(&self.store, &self.hub, id).await {
            Ok(ids) if !ids.is_empty() => tracing::info!("run {id}: its study started {ids:?}"),
            Ok(_) => {}
            Err(e) => {
                let text = format!(
                    "the study's retraining and baselines could not start: {}",
                    crate::api::groups::describe(&e)
                );
                tracing::error!("run {id}: {text}");
                let event = serde_json::json!({"type": "log", "level": "error", "message": text});
                if let Err(e) = self.hub.publish(id, event).await {
                    tracing::error!("run {id}: {e}");
                }
            }
        }
    }

    async fn note_progress(&self, id: i64, event: &Value) {
        if event["type"] != "epoch" {
            return;
        }
        let epoch = event["epoch"].as_i64().unwrap_or(0);
        let epochs = event["epochs"].as_i64().unwrap_or(0);
        if let Err(e) = self.store.set_progress(id, epoch, epochs, None).await {
            tracing::error!("run {id}: {e}");
        }
    }

    async fn store_result(&self, id: i64) {
        let path = run_dir(&self.data_dir, id).join("result.json");
        let result = std::fs::read_to_string(&path)
            .ok()
            .and_then(|t| serde_json::from_str::<Value>(&t).ok());
        if let Some(r) = result {
            if let Err(e) = self.store.set_result(id, &r).await {
                tracing::error!("run {id}: {e}");
            }
        }
    }

    /// Stores how the run ended, then announces it: the worker's own final event when it sent
    /// one, else a status event of ours.
    async fn finish(&self, id: i64, status: Status, message: &str, event: Option<Value>) {
        self.finish_at(id, status, message, event.map(|e| (e, None)))
            .await
    }

    /// As `finish`; a Slurm run may end while still queued (its job never started), and its
    /// final event comes from `events.jsonl` with the offset after it.
    async fn finish_at(
        &self,
        id: i64,
        status: Status,
        message: &str,
        event: Option<(Value, Option<i64>)>,
    ) {
        // A worker that met a full or read-only disk: the message says so and what to do.
        let fault = (status == Status::Failed)
            .then(|| crate::faults::Fault::of_text(message))
            .flatten();
        let message = match fault {
            Some(f) => format!("{}; the worker said: {message}", f.run_message()),
            None => message.to_string(),
        };
        let msg = (!message.is_empty()).then_some(message.as_str());
        // The end is stored even when the store refuses writes for a while (a full disk, a
        // database restarting): tried again, further apart, until it is.
        let mut wait = Duration::from_secs(1);
        let moved = loop {
            match self
                .store
                .transition(id, &[Status::Queued, Status::Running], status, msg)
                .await
            {
                Ok(moved) => break moved,
                Err(e) => {
                    tracing::error!(
                        "run {id}: storing its end ({}): {e}; trying again in {wait:?}",
                        status.as_str()
                    );
                    tokio::time::sleep(wait).await;
                    wait = (wait * 2).min(FINISH_RETRY_MAX);
                }
            }
        };
        if moved {
            let (event, offset) = event.unwrap_or_else(|| (status_event(status, msg), None));
            if let Err(e) = self.hub.publish_at(id, event, offset).await {
                tracing::error!("run {id}: {e}");
            }
        }
    }

    /// Cancels a queued or running run; false when it is neither. The executor stops its
    /// worker (or job), and whoever watches the worker records the end.
    pub async fn cancel(self: &Arc<Self>, id: i64) -> crate::store::Result<bool> {
        let queued = self
            .store
            .transition(
                id,
                &[Status::Queued],
                Status::Cancelled,
                Some("cancelled by request"),
            )
            .await?;
        if queued {
            self.hub
                .publish(
                    id,
                    status_event(Status::Cancelled, Some("cancelled by request")),
                )
                .await?;
        }
        let stopped = Arc::clone(&self.executor)
            .cancel(Arc::clone(self), id, queued)
            .await?;
        Ok(queued || stopped)
    }

    /// Queues an interrupted, failed or cancelled run again; its worker resumes from the last
    /// epoch checkpoint when there is one.
    pub async fn resume(&self, id: i64) -> crate::store::Result<bool> {
        let from = [Status::Interrupted, Status::Failed, Status::Cancelled];
        if !self
            .store
            .transition(id, &from, Status::Queued, None)
            .await?
        {
            return Ok(false);
        }
        self.hub
            .publish(id, status_event(Status::Queued, None))
            .await?;
        self.poke();
        Ok(true)
    }

    /// This server's `--server-name`.
    pub fn owner(&self) -> &str {
        &self.owner
    }

    /// `local` or `slurm`.
    pub fn executor_name(&self) -> &'static str {
        self.executor.name()
    }

    /// How many runs may run at once.
    pub fn workers(&self) -> usize {
        self.workers
    }

    /// How many runs have a live worker (or a Slurm job this server follows).
    pub fn active(&self) -> usize {
        self.executor.active()
    }
}

fn write_job(dir: &std::path::Path, request: &Value) -> Result<(), String> {
    std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    engine::search::write_json(&dir.join("job.json"), request).map_err(|e| e.to_string())
}
