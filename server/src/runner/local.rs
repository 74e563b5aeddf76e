//! The local executor: each run is a child process (`dartboard worker`) of the server, its
//! events read from the child's stdout. A crash, a signal or the out-of-memory killer ends the
//! child, never the server; the child dies with the server (it is not re-attached).
use super::{Child, Runner, TAIL_LINES};
use crate::store::Status;
use serde_json::Value;
use std::collections::VecDeque;
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::Command;

impl Runner {
    /// Writes the run's job file and starts its worker; a run that cannot start fails.
    pub(super) async fn launch(self: &Arc<Self>, id: i64) {
        let dir = super::run_dir(&self.data_dir, id);
        let spawned = match self.store.run_request(id).await {
            Ok(Some(request)) => super::write_job(&dir, &request).and_then(|()| self.spawn(id)),
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

    pub(super) fn spawn(&self, id: i64) -> Result<tokio::process::Child, String> {
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
                ended: false,
            },
        );
        Ok(child)
    }

    pub(super) async fn watch(self: Arc<Self>, id: i64, mut child: tokio::process::Child) {
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
                self.store_result(id).await;
                (Status::Succeeded, String::new(), held)
            }
            (_, Some((st, Some(msg)))) if st == "failed" => (Status::Failed, msg.clone(), held),
            (Ok(s), _) => (Status::Failed, exit_message(s, &tail), None),
            (Err(e), _) => (Status::Failed, format!("waiting for the worker: {e}"), None),
        };
        self.finish(id, status, &message, event).await;
        self.children().remove(&id);
        if status == Status::Succeeded {
            self.follow_up(id).await;
        }
        self.poke();
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
