//! The job runner: starts each queued run as a child process (`dartboard worker`), at most
//! `workers` at once, streams its stdout events into the hub, and records how it ended. A crash,
//! a signal or the out-of-memory killer ends the child, never the server.
use crate::hub::{status_event, Hub};
use crate::store::{Status, Store};
use serde_json::Value;
use std::collections::{HashMap, VecDeque};
use std::path::PathBuf;
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::Command;
use tokio::sync::Notify;

/// Lines of the worker's stderr kept for a failure message.
const TAIL_LINES: usize = 12;
/// How long a cancelled worker gets to stop after SIGTERM before SIGKILL.
const CANCEL_GRACE: Duration = Duration::from_secs(10);

struct Child {
    pid: u32,
    cancelled: bool,
}

pub struct Runner {
    store: Store,
    hub: Arc<Hub>,
    data_dir: PathBuf,
    workers: usize,
    /// CPU threads each worker's libtorch uses (so workers do not oversubscribe the cores).
    threads: usize,
    exe: PathBuf,
    wake: Notify,
    children: Mutex<HashMap<i64, Child>>,
}

/// A run's folder under the data directory.
pub fn run_dir(data_dir: &std::path::Path, id: i64) -> PathBuf {
    data_dir.join("runs").join(id.to_string())
}

impl Runner {
    pub fn new(
        store: Store,
        hub: Arc<Hub>,
        data_dir: PathBuf,
        (workers, threads): (usize, usize),
        exe: PathBuf,
    ) -> Arc<Runner> {
        Arc::new(Runner {
            store,
            hub,
            data_dir,
            workers: workers.max(1),
            threads: threads.max(1),
            exe,
            wake: Notify::new(),
            children: Mutex::new(HashMap::new()),
        })
    }

    fn children(&self) -> std::sync::MutexGuard<'_, HashMap<i64, Child>> {
        match self.children.lock() {
            Ok(c) => c,
            Err(poisoned) => poisoned.into_inner(),
        }
    }

    /// Marks runs whose workers died with a previous server `interrupted`, then starts the loop.
    pub async fn start(self: &Arc<Self>) -> crate::store::Result<()> {
        for id in self.store.running_ids().await? {
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
            while self.children().len() < self.workers {
                match self.store.take_queued().await {
                    Ok(Some(id)) => self.launch(id).await,
                    Ok(None) => break,
                    Err(e) => {
                        tracing::error!("runner: {e}");
                        break;
                    }
                }
            }
            tokio::select! {
                _ = self.wake.notified() => {}
                _ = tokio::time::sleep(Duration::from_secs(2)) => {}
            }
        }
    }

    async fn launch(self: &Arc<Self>, id: i64) {
        let dir = run_dir(&self.data_dir, id);
        let spawned = match self.store.run_request(id).await {
            Ok(Some(request)) => write_job(&dir, &request).and_then(|()| self.spawn(id)),
            Ok(None) => Err(format!("run {id} vanished")),
            Err(e) => Err(e.to_string()),
        };
        match spawned {
            Ok(child) => {
                let me = Arc::clone(self);
                tokio::spawn(async move { me.watch(id, child).await });
            }
            Err(msg) => {
                let msg = format!("the worker could not start: {msg}");
                self.finish(id, Status::Failed, &msg, None).await;
            }
        }
    }

    fn spawn(&self, id: i64) -> Result<tokio::process::Child, String> {
        let mut cmd = Command::new(&self.exe);
        cmd.arg("worker")
            .arg("--run")
            .arg(id.to_string())
            .arg("--data-dir")
            .arg(&self.data_dir)
            .env(crate::worker::THREADS_VAR, self.threads.to_string())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let parent = std::process::id();
        // SAFETY: only async-signal-safe calls between fork and exec.
        unsafe {
            cmd.pre_exec(move || {
                // The worker dies with the server, so no orphan keeps writing after a crash.
                libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL);
                if libc::getppid() != parent as i32 {
                    libc::_exit(1);
                }
                Ok(())
            });
        }
        let child = cmd
            .spawn()
            .map_err(|e| format!("{}: {e}", self.exe.display()))?;
        let pid = child.id().ok_or("the worker exited at once")?;
        self.children().insert(
            id,
            Child {
                pid,
                cancelled: false,
            },
        );
        Ok(child)
    }

    async fn watch(self: Arc<Self>, id: i64, mut child: tokio::process::Child) {
        let tail = Arc::new(Mutex::new(VecDeque::new()));
        let stderr = child.stderr.take().map(|err| {
            let tail = Arc::clone(&tail);
            tokio::spawn(async move {
                let mut lines = BufReader::new(err).lines();
                while let Ok(Some(line)) = lines.next_line().await {
                    if let Ok(mut t) = tail.lock() {
                        if t.len() == TAIL_LINES {
                            t.pop_front();
                        }
                        t.push_back(line);
                    }
                }
            })
        });
        // The worker's final status event is held back until the run's row says the same, so
        // nobody who has seen the event can read an older status from the store.
        let mut last_status: Option<(String, Option<String>)> = None;
        let mut held: Option<Value> = None;
        if let Some(out) = child.stdout.take() {
            let mut lines = BufReader::new(out).lines();
            while let Ok(Some(line)) = lines.next_line().await {
                let Ok(event) = serde_json::from_str::<Value>(&line) else {
                    continue;
                };
                self.note_progress(id, &event).await;
                if event["type"] == "status" {
                    let status = event["status"].as_str().unwrap_or_default().to_string();
                    last_status = Some((
                        status.clone(),
                        event["message"].as_str().map(str::to_string),
                    ));
                    if Status::parse(&status).is_some_and(Status::is_final) {
                        held = Some(event);
                        continue;
                    }
                }
                if let Err(e) = self.hub.publish(id, event).await {
                    tracing::error!("run {id}: storing an event: {e}");
                }
            }
        }
        let exit = child.wait().await;
        if let Some(h) = stderr {
            let _ = h.await;
        }
        let cancelled = self.children().remove(&id).is_some_and(|c| c.cancelled);
        let tail: Vec<String> = tail
            .lock()
            .map(|t| t.iter().cloned().collect())
            .unwrap_or_default();
        let (status, message, event) = match (&exit, &last_status) {
            _ if cancelled => (Status::Cancelled, "cancelled by request".to_string(), None),
            (Ok(s), Some((st, _))) if s.success() && st == "succeeded" => {
                self.store_result(id).await;
                (Status::Succeeded, String::new(), held)
            }
            (_, Some((st, Some(msg)))) if st == "failed" => (Status::Failed, msg.clone(), held),
            (Ok(s), _) => (Status::Failed, exit_message(s, &tail), None),
            (Err(e), _) => (Status::Failed, format!("waiting for the worker: {e}"), None),
        };
        self.finish(id, status, &message, event).await;
        if status == Status::Succeeded {
            self.follow_up(id).await;
        }
        self.poke();
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
        let msg = (!message.is_empty()).then_some(message);
        match self
            .store
            .transition(id, &[Status::Running], status, msg)
            .await
        {
            Ok(true) => {
                let event = event.unwrap_or_else(|| status_event(status, msg));
                if let Err(e) = self.hub.publish(id, event).await {
                    tracing::error!("run {id}: {e}");
                }
            }
            Ok(false) => {}
            Err(e) => tracing::error!("run {id}: {e}"),
        }
    }

    /// Cancels a queued or running run; false when it is neither.
    pub async fn cancel(self: &Arc<Self>, id: i64) -> crate::store::Result<bool> {
        if self
            .store
            .transition(
                id,
                &[Status::Queued],
                Status::Cancelled,
                Some("cancelled by request"),
            )
            .await?
        {
            self.hub
                .publish(
                    id,
                    status_event(Status::Cancelled, Some("cancelled by request")),
                )
                .await?;
            return Ok(true);
        }
        // A run just taken from the queue may not have its worker yet: wait for it briefly.
        let mut pid = None;
        for _ in 0..100 {
            pid = self.children().get_mut(&id).map(|c| {
                c.cancelled = true;
                c.pid
            });
            let running = self
                .store
                .run(id)
                .await?
                .is_some_and(|r| r.status == Status::Running);
            if pid.is_some() || !running {
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let Some(pid) = pid else { return Ok(false) };
        // SAFETY: plain kill(2) on our own child's pid.
        unsafe { libc::kill(pid as i32, libc::SIGTERM) };
        let me = Arc::clone(self);
        tokio::spawn(async move {
            tokio::time::sleep(CANCEL_GRACE).await;
            if me.children().get(&id).is_some_and(|c| c.pid == pid) {
                // SAFETY: as above; the child has not been reaped (it is still in the map).
                unsafe { libc::kill(pid as i32, libc::SIGKILL) };
            }
        });
        Ok(true)
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

    /// How many runs may run at once.
    pub fn workers(&self) -> usize {
        self.workers
    }

    /// How many runs have a live worker.
    pub fn active(&self) -> usize {
        self.children().len()
    }
}

fn write_job(dir: &std::path::Path, request: &Value) -> Result<(), String> {
    std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    engine::search::write_json(&dir.join("job.json"), request).map_err(|e| e.to_string())
}

/// "worker exited with status 101" or "worker killed by SIGKILL (...)", then its last lines.
fn exit_message(status: &std::process::ExitStatus, tail: &[String]) -> String {
    use std::os::unix::process::ExitStatusExt;
    let how = match (status.code(), status.signal()) {
        (Some(c), _) => format!("the worker exited with status {c}"),
        (None, Some(libc::SIGKILL)) => {
            "the worker was killed by SIGKILL (the out-of-memory killer, or another process)".into()
        }
        (None, Some(libc::SIGSEGV)) => "the worker crashed (SIGSEGV)".into(),
        (None, Some(s)) => format!("the worker was killed by signal {s}"),
        (None, None) => "the worker ended".into(),
    };
    if tail.is_empty() {
        how
    } else {
        format!("{how}; its last output:\n{}", tail.join("\n"))
    }
}
