//! Following one Slurm job: its run's events as the worker writes them (four reads a second,
//! so a viewer sees each within about a second), its state as the poller last saw it, and its
//! end: the worker's own final status when it wrote one, else Slurm's account of the end.
use super::jobs::{JobInfo, Phase};
use super::tail::read_events;
use super::{Runner, Slurm};
use crate::store::Status;
use serde_json::Value;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

const READ_EVERY: Duration = Duration::from_millis(250);

/// What the follower has read of the worker's own statuses.
#[derive(Default)]
struct Seen {
    /// The worker's final status event, held back until the run's row says the same, with the
    /// file offset after it.
    held: Option<(Value, i64)>,
    /// The worker's last status and message.
    last: Option<(String, Option<String>)>,
}

impl Slurm {
    pub(super) async fn follow(&self, runner: &Arc<Runner>, id: i64, job: &str, mut offset: i64) {
        let path = super::run_dir(&runner.data_dir, id).join("events.jsonl");
        let mut seen = Seen::default();
        let mut reported: Option<String> = None;
        let mut ending = false;
        loop {
            if seen.held.is_some() && !ending {
                ending = true;
                self.jobs.ending.fetch_add(1, Ordering::SeqCst);
            }
            // The state first, the file after: a job seen ended has written all it will write.
            let info = self.jobs.state(job);
            read_on(runner, id, &path, &mut offset, &mut seen).await;
            let Some(info) = info else {
                tokio::time::sleep(READ_EVERY).await;
                continue;
            };
            if reported.as_deref() != Some(info.state.as_str()) {
                if let Err(e) = runner.store.set_job_state(id, &info.state).await {
                    tracing::error!("run {id}: {e}");
                }
                reported = Some(info.state.clone());
            }
            match info.phase() {
                Phase::Waiting => {}
                Phase::Running => started(runner, id).await,
                Phase::Ended => {
                    if ending {
                        self.jobs.ending.fetch_sub(1, Ordering::SeqCst);
                    }
                    ended(runner, id, &info, seen).await;
                    return;
                }
            }
            tokio::time::sleep(READ_EVERY).await;
        }
    }
}

/// The run is `running` from its job's start (or the worker's first status, if sooner).
async fn started(runner: &Runner, id: i64) {
    if let Err(e) = runner.store.job_started(id).await {
        tracing::error!("run {id}: {e}");
    }
}

/// Stores the events the worker wrote since `offset`.
async fn read_on(
    runner: &Runner,
    id: i64,
    path: &std::path::Path,
    offset: &mut i64,
    seen: &mut Seen,
) {
    let events = match read_events(path, *offset) {
        Ok((events, _)) => events,
        Err(e) => {
            tracing::warn!("run {id}: reading events.jsonl: {e}");
            return;
        }
    };
    for (event, after) in events {
        if seen.held.is_some() {
            break;
        }
        runner.note_progress(id, &event).await;
        if event["type"] == "status" {
            let status = event["status"].as_str().unwrap_or_default().to_string();
            seen.last = Some((
                status.clone(),
                event["message"].as_str().map(str::to_string),
            ));
            match Status::parse(&status) {
                Some(Status::Running) => started(runner, id).await,
                Some(s) if s.is_final() => {
                    seen.held = Some((event, after));
                    break;
                }
                _ => {}
            }
        }
        match runner.hub.publish_at(id, event, Some(after)).await {
            Ok(_) => *offset = after,
            Err(e) => {
                // Read again from the last stored event next time.
                tracing::error!("run {id}: storing an event: {e}");
                return;
            }
        }
    }
}

/// Records how the run ended.
async fn ended(runner: &Runner, id: i64, info: &JobInfo, seen: Seen) {
    let tail = worker_tail(&super::run_dir(&runner.data_dir, id));
    let (status, message, event) = match (info.state.as_str(), &seen.last) {
        ("CANCELLED", _) => (Status::Cancelled, "cancelled by request".to_string(), None),
        ("COMPLETED", Some((st, _))) if st == "succeeded" => {
            runner.store_result(id).await;
            (Status::Succeeded, String::new(), seen.held)
        }
        (_, Some((st, Some(msg)))) if st == "failed" => (Status::Failed, msg.clone(), seen.held),
        _ => {
            let mut msg = info.describe();
            if !tail.is_empty() {
                msg = format!("{msg}; the worker's last output:\n{}", tail.join("\n"));
            }
            (
                Status::Failed,
                crate::worker::for_clients(&msg, &runner.data_dir),
                None,
            )
        }
    };
    let event = event.map(|(e, at)| (e, Some(at)));
    runner.finish_at(id, status, &message, event).await;
    if status == Status::Succeeded {
        runner.follow_up(id).await;
    }
}

/// The last lines of the job's stderr file.
fn worker_tail(dir: &std::path::Path) -> Vec<String> {
    let text = std::fs::read_to_string(dir.join("worker.err")).unwrap_or_default();
    let lines: Vec<String> = text.lines().map(str::to_string).collect();
    lines[lines.len().saturating_sub(super::super::TAIL_LINES)..].to_vec()
}
