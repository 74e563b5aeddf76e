//! The local executor: each run is a child process (`dartboard worker`) of the server, its
//! events read from the child's stdout. A crash, a signal or the out-of-memory killer ends the
//! child, never the server; the child dies with the server (it is not re-attached).
use super::executor::{Executor, Task};
use super::{locked, Runner, CANCEL_GRACE, TAIL_LINES};
use crate::store::Status;
use serde_json::Value;
use std::collections::{HashMap, VecDeque};
use std::process::Stdio;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::Command;

/// A worker process of this server's.
struct Child {
    pid: u32,
    cancelled: bool,
    /// The process has exited (and been reaped); its end is being stored.
    ended: bool,
}

/// The local executor: the server's worker processes, by run.
#[derive(Default)]
pub struct Local {
    children: Mutex<HashMap<i64, Child>>,
}

impl Executor for Local {
    fn name(&self) -> &'static str {
        "local"
    }

    fn active(&self) -> usize {
        self.children().len()
    }

    fn start(self: Arc<Self>, runner: Arc<Runner>, id: i64) -> Task<'static, ()> {
        Box::pin(async move { self.launch(runner, id).await })
    }

    /// Local workers die with the server: nothing to re-attach (`Runner::start` marks their
    /// runs interrupted).
    fn reattach(self: Arc<Self>, _runner: Arc<Runner>) -> Task<'static, crate::store::Result<()>> {
        Box::pin(async { Ok(()) })
    }

    fn cancel(
        self: Arc<Self>,
        runner: Arc<Runner>,
        id: i64,
        queued: bool,
    ) -> Task<'static, crate::store::Result<bool>> {
        Box::pin(async move {
            if queued {
                return Ok(true);
            }
            self.stop(runner, id).await
        })
    }

    /// Runs the store says are running here but that have no worker are recorded failed.
    fn upkeep<'a>(&'a self, runner: &'a Runner) -> Task<'a, ()> {
        Box::pin(runner.reap_orphans(|id| self.children().contains_key(&id)))
    }
}

impl Local {
    fn children(&self) -> MutexGuard<'_, HashMap<i64, Child>> {
        locked(&self.children)
    }

    /// Writes the run's job file and starts its worker; a run that cannot start fails.
    async fn launch(self: Arc<Self>, runner: Arc<Runner>, id: i64) {
        let dir = super::run_dir(&runner.data_dir, id);
        let spawned = match runner.store.run_request(id).await {
            Ok(Some(request)) => {
                super::write_job(&dir, &request).and_then(|()| self.spawn(&runner, id))
            }
            Ok(None) => Err(format!("run {id} vanished")),
            Err(e) => Err(e.to_string()),
        };
        match spawned {
            Ok(child) => {
                tokio::spawn(async move { self.watch(runner, id, child).await });
            }
            Err(msg) => {
                let msg = format!("the worker could not start: {msg}");
                runner.finish(id, Status::Failed, &msg, None).await;
            }
        }
    }

    fn spawn(&self, runner: &Runner, id: i64) -> Result<tokio::process::Child, String> {
        let mut cmd = Command::new(&runner.exe);
        cmd.arg("worker")
            .arg("--run")
            .arg(id.to_string())
            .arg("--data-dir")
            .arg(&runner.data_dir)
            .env(crate::worker::THREADS_VAR, runner.threads.to_string())
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
            .map_err(|e| format!("{}: {e}", runner.exe.display()))?;
        let pid = child.id().ok_or("the worker exited at once")?;
        self.children().insert(
            id,
            Child {
                pid,
                cancelled: false,
                ended: false,
            },
        );
        Ok(child)
    }

    async fn watch(
        self: Arc<Self>,
        runner: Arc<Runner>,
        id: i64,
        mut child: tokio::process::Child,
    ) {
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
                runner.note_progress(id, &event).await;
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
                if let Err(e) = runner.hub.publish(id, event).await {
                    tracing::error!("run {id}: storing an event: {e}");
                }
            }
        }
        let exit = child.wait().await;
        if let Some(h) = stderr {
            let _ = h.await;
        }
        // The child stays in the map until its end is stored, so that nobody (the orphan
        // reaper, a cancel) takes the run for one without a worker meanwhile.
        let cancelled = self.children().get_mut(&id).is_some_and(|c| {
            c.ended = true;
            c.cancelled
        });
        let tail: Vec<String> = tail
            .lock()
            .map(|t| t.iter().cloned().collect())
            .unwrap_or_default();
        let (status, message, event) = match (&exit, &last_status) {
            _ if cancelled => (Status::Cancelled, "cancelled by request".to_string(), None),
            (Ok(s), Some((st, _))) if s.success() && st == "succeeded" => {
                runner.store_result(id).await;
                (Status::Succeeded, String::new(), held)
            }
            (_, Some((st, Some(msg)))) if st == "failed" => (Status::Failed, msg.clone(), held),
            (Ok(s), _) => (Status::Failed, exit_message(s, &tail), None),
            (Err(e), _) => (Status::Failed, format!("waiting for the worker: {e}"), None),
        };
        runner.finish(id, status, &message, event).await;
        self.children().remove(&id);
        if status == Status::Succeeded {
            runner.follow_up(id).await;
        }
        runner.poke();
    }

    /// Stops a running run's worker: SIGTERM, then SIGKILL after `CANCEL_GRACE`. A run whose
    /// worker has ended (or that has none) is recorded cancelled here; false when the run is
    /// not this server's local run.
    async fn stop(self: Arc<Self>, runner: Arc<Runner>, id: i64) -> crate::store::Result<bool> {
        // A run just taken from the queue may not have its worker yet: wait for it briefly.
        let mut pid = None;
        let mut ours = false;
        for _ in 0..100 {
            pid = self.children().get_mut(&id).map(|c| {
                c.cancelled = true;
                (c.pid, c.ended)
            });
            // Running here, as a local run of this server (another server's is its own).
            ours = runner.store.run(id).await?.is_some_and(|r| {
                r.status == Status::Running
                    && r.job_id.is_none()
                    && r.owner.as_deref().is_none_or(|o| o == runner.owner)
            });
            if pid.is_some() || !ours {
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let pid = match pid {
            Some((pid, false)) => pid,
            // Its worker ended and its end is still being stored, or it has no worker at all:
            // nothing to stop, the run is recorded cancelled (what its worker's end said is
            // then not stored over it).
            Some((_, true)) => return runner.cancel_without_worker(id).await,
            None if ours => return runner.cancel_without_worker(id).await,
            None => return Ok(false),
        };
        // SAFETY: plain kill(2) on our own child's pid.
        unsafe { libc::kill(pid as i32, libc::SIGTERM) };
        tokio::spawn(async move {
            tokio::time::sleep(CANCEL_GRACE).await;
            if self
                .children()
                .get(&id)
                .is_some_and(|c| c.pid == pid && !c.ended)
            {
                // SAFETY: as above; the child has not been reaped (it is still in the map).
                unsafe { libc::kill(pid as i32, libc::SIGKILL) };
            }
        });
        Ok(true)
    }
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
