//! The Slurm executor: a run is an `sbatch` job running `dartboard worker --run ID --data-dir
//! DIR` on a compute node. The data directory is on a filesystem the server and the nodes share,
//! so the server follows the worker's `runs/ID/events.jsonl` (storing each event with how far the
//! file was read, in one transaction) and the job's state (`scontrol show job`, then the
//! completion log once the controller has forgotten the job). Jobs do not depend on the server:
//! after a restart it re-attaches to them and stores what they wrote meanwhile.
mod follow;
pub mod jobs;
mod tail;

use super::executor::{Executor, Task};
use super::{locked, run_dir, write_job, Runner};
use crate::store::{Status, SUBMITTING};
use jobs::JobInfo;
use std::collections::HashMap;
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::process::Command;

/// How long a Slurm command may take before it counts as failed.
const COMMAND_TIMEOUT: Duration = Duration::from_secs(60);

/// `dartboard serve --slurm-*`: what every job asks Slurm for.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Options {
    pub partition: Option<String>,
    /// Generic resources, e.g. `gpu:1`.
    pub gres: Option<String>,
    pub cpus: Option<u32>,
    /// As sbatch takes it: `8G`, `16000M`.
    pub mem: Option<String>,
    /// As sbatch takes it: minutes, or `HH:MM:SS`, `D-HH:MM`.
    pub time: Option<String>,
    pub account: Option<String>,
    /// More sbatch options, split on white space (`--qos=long --constraint=a100`).
    pub extra: Vec<String>,
}

/// Quotes a word for sh.
fn quote(word: &str) -> String {
    format!("'{}'", word.replace('\'', r"'\''"))
}

/// The job name of a run's job.
pub fn job_name(id: i64) -> String {
    format!("dartboard-run-{id}")
}

impl Options {
    /// The batch script of run `id` (written to `runs/ID/job.sbatch`, so an operator can read
    /// and resubmit exactly what the server submitted).
    pub fn script(&self, exe: &Path, data_dir: &Path, id: i64) -> String {
        let dir = run_dir(data_dir, id);
        let mut lines = vec![
            "#!/bin/sh".to_string(),
            format!("# Dartboard run {id}, submitted by `dartboard serve --executor slurm`."),
            format!("#SBATCH --job-name={}", job_name(id)),
            format!("#SBATCH --chdir={}", dir.display()),
            format!("#SBATCH --output={}", dir.join("worker.out").display()),
            format!("#SBATCH --error={}", dir.join("worker.err").display()),
            "#SBATCH --open-mode=append".to_string(),
        ];
        let mut opt = |name: &str, value: Option<String>| {
            if let Some(v) = value {
                lines.push(format!("#SBATCH --{name}={v}"));
            }
        };
        opt("partition", self.partition.clone());
        opt("gres", self.gres.clone());
        opt("cpus-per-task", self.cpus.map(|c| c.to_string()));
        opt("mem", self.mem.clone());
        opt("time", self.time.clone());
        opt("account", self.account.clone());
        lines.push(
            "# libtorch uses the CPUs Slurm gave the job.\n\
             export DARTBOARD_THREADS=\"${SLURM_CPUS_PER_TASK:-${SLURM_CPUS_ON_NODE:-1}}\""
                .into(),
        );
        lines.push(format!(
            "exec {} worker --run {id} --data-dir {}",
            quote(&exe.display().to_string()),
            quote(&data_dir.display().to_string())
        ));
        lines.join("\n") + "\n"
    }
}

/// The Slurm executor: what every job asks for, and the jobs this server follows.
pub struct Slurm {
    opts: Options,
    jobs: Jobs,
}

impl Executor for Slurm {
    fn name(&self) -> &'static str {
        "slurm"
    }

    fn active(&self) -> usize {
        self.jobs.count()
    }

    /// Claimed, not running: the run is `running` when its job starts.
    fn take<'a>(&'a self, runner: &'a Runner) -> Task<'a, crate::store::Result<Option<i64>>> {
        Box::pin(runner.store.claim_queued(&runner.owner))
    }

    fn start(self: Arc<Self>, runner: Arc<Runner>, id: i64) -> Task<'static, ()> {
        Box::pin(async move { self.submit(runner, id).await })
    }

    fn reattach(self: Arc<Self>, runner: Arc<Runner>) -> Task<'static, crate::store::Result<()>> {
        Box::pin(async move { self.reattach_jobs(runner).await })
    }

    /// `scancel` of the run's job (a queued run's too: it may be pending in Slurm); its
    /// follower records the end. A job still being submitted is cancelled by its submitter,
    /// which sees the status.
    fn cancel(
        self: Arc<Self>,
        runner: Arc<Runner>,
        id: i64,
        queued: bool,
    ) -> Task<'static, crate::store::Result<bool>> {
        Box::pin(async move {
            let run = runner.store.run(id).await?;
            let job = run.as_ref().and_then(|r| r.job_id.clone());
            if queued {
                if let Some(job) = job.filter(|j| j != SUBMITTING) {
                    scancel(&job).await;
                }
                return Ok(true);
            }
            match job {
                Some(job) if job != SUBMITTING => {
                    let running = run.is_some_and(|r| r.status == Status::Running);
                    if running {
                        scancel(&job).await;
                    }
                    Ok(running)
                }
                Some(_) => Ok(false),
                // Running without a job: a local run this server took before it ran Slurm,
                // whose worker is gone.
                None => {
                    let ours = run.is_some_and(|r| {
                        r.status == Status::Running
                            && r.owner.as_deref().is_none_or(|o| o == runner.owner)
                    });
                    match ours {
                        true => runner.cancel_without_worker(id).await,
                        false => Ok(false),
                    }
                }
            }
        })
    }
}

impl Slurm {
    pub fn new(opts: Options) -> Slurm {
        Slurm {
            opts,
            jobs: Jobs::default(),
        }
    }
}

/// The Slurm jobs a server follows, and their states as the last poll saw them.
#[derive(Default)]
pub struct Jobs {
    /// Run id -> job id.
    followed: Mutex<HashMap<i64, String>>,
    /// Job id -> what Slurm last said.
    states: Mutex<HashMap<String, JobInfo>>,
    /// Polls in a row that found a followed job nowhere.
    misses: Mutex<HashMap<String, u32>>,
    polling: AtomicBool,
    /// Followers that hold their worker's final status and wait only for the job to end: the
    /// poller asks four times a second then, instead of once.
    ending: AtomicUsize,
}

/// Polls in a row (one a second) after which a job that Slurm knows nowhere counts as lost.
const LOST_AFTER: u32 = 30;

impl Jobs {
    pub fn count(&self) -> usize {
        locked(&self.followed).len()
    }

    fn state(&self, job: &str) -> Option<JobInfo> {
        locked(&self.states).get(job).cloned()
    }

    fn follow(&self, run: i64, job: &str) {
        locked(&self.followed).insert(run, job.to_string());
    }

    fn forget(&self, run: i64) {
        if let Some(job) = locked(&self.followed).remove(&run) {
            locked(&self.states).remove(&job);
            locked(&self.misses).remove(&job);
        }
    }

    /// One poll: every followed job's state from the controller, or from the completion log.
    async fn poll(&self) {
        let followed: Vec<String> = locked(&self.followed).values().cloned().collect();
        if followed.is_empty() {
            return;
        }
        let listing = match slurm(&["scontrol", "show", "job", "-o"]).await {
            Ok(text) => text,
            Err(e) => {
                tracing::warn!("slurm: {e}");
                return;
            }
        };
        let known: HashMap<String, JobInfo> = jobs::parse_scontrol(&listing)
            .into_iter()
            .map(|j| (j.id.clone(), j))
            .collect();
        let mut missing = vec![];
        for job in &followed {
            match known.get(job) {
                Some(info) => {
                    locked(&self.states).insert(job.clone(), info.clone());
                }
                None => missing.push(job.clone()),
            }
        }
        if missing.is_empty() {
            return;
        }
        let log = completion_log().await;
        for job in missing {
            let found = log.as_deref().and_then(|t| jobs::find_in_jobcomp(t, &job));
            let info = match found {
                Some(info) => info,
                None => {
                    let mut misses = locked(&self.misses);
                    let n = misses.entry(job.clone()).or_default();
                    *n += 1;
                    if *n < LOST_AFTER {
                        continue;
                    }
                    JobInfo {
                        id: job.clone(),
                        name: String::new(),
                        state: "LOST".into(),
                        reason: Some(
                            "neither the controller nor the completion log knows it".into(),
                        ),
                        exit_code: "?".into(),
                        work_dir: String::new(),
                    }
                }
            };
            locked(&self.states).insert(job, info);
        }
    }
}

/// Runs a Slurm command; its stdout, or a message with its stderr.
async fn slurm(argv: &[&str]) -> Result<String, String> {
    let run = Command::new(argv[0])
        .args(&argv[1..])
        .stdin(std::process::Stdio::null())
        .kill_on_drop(true)
        .output();
    let out = tokio::time::timeout(COMMAND_TIMEOUT, run)
        .await
        .map_err(|_| format!("{} did not answer within a minute", argv[0]))?
        .map_err(|e| format!("{}: {e} (is Slurm's client on the server's PATH?)", argv[0]))?;
    if out.status.success() {
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    } else {
        let err = String::from_utf8_lossy(&out.stderr);
        Err(format!("{}: {}", argv[0], err.trim()))
    }
}

/// The completion log's text, when Slurm keeps one as a text file.
async fn completion_log() -> Option<String> {
    let config = slurm(&["scontrol", "show", "config"]).await.ok()?;
    let path = jobs::jobcomp_path(&config)?;
    tokio::fs::read_to_string(path).await.ok()
}

/// `scancel JOB`; a failure is logged (the job may have ended meanwhile).
pub async fn scancel(job: &str) {
    if let Err(e) = slurm(&["scancel", job]).await {
        tracing::warn!("slurm: {e}");
    }
}

impl Slurm {
    /// Submits a run claimed from the queue: its job files, then `sbatch`. A refusal ends the
    /// run `failed` with sbatch's message.
    async fn submit(self: Arc<Self>, runner: Arc<Runner>, id: i64) {
        let opts = &self.opts;
        let dir = run_dir(&runner.data_dir, id);
        let script = dir.join("job.sbatch");
        let prepared = match runner.store.run_request(id).await {
            Ok(Some(request)) => write_job(&dir, &request).and_then(|()| {
                std::fs::write(&script, opts.script(&runner.exe, &runner.data_dir, id))
                    .map_err(|e| format!("job.sbatch: {e}"))
            }),
            Ok(None) => Err(format!("run {id} vanished")),
            Err(e) => Err(e.to_string()),
        };
        // Events a local attempt of the run streamed are stored already: the job's are read
        // from the end of the file as it is now (read before sbatch: the job may start at once).
        let offset = match runner.store.events_offset(id).await {
            Ok(0) => std::fs::metadata(dir.join("events.jsonl")).map_or(0, |m| m.len() as i64),
            Ok(o) => o,
            Err(e) => {
                tracing::error!("run {id}: {e}");
                0
            }
        };
        let script = script.display().to_string();
        let mut argv = vec!["sbatch", "--parsable"];
        argv.extend(opts.extra.iter().map(String::as_str));
        argv.push(&script);
        let submitted = match prepared {
            Ok(()) => slurm(&argv).await,
            Err(e) => Err(e),
        };
        let job = match submitted {
            // `--parsable` prints "ID" or "ID;CLUSTER".
            Ok(out) => out.trim().split(';').next().unwrap_or_default().to_string(),
            Err(msg) => {
                let msg = crate::worker::for_clients(
                    &format!("Slurm refused the job: {msg}"),
                    &runner.data_dir,
                );
                tracing::error!("run {id}: {msg}");
                runner.finish(id, Status::Failed, &msg, None).await;
                return;
            }
        };
        if let Err(e) = runner.store.set_job(id, Some(&job)).await {
            tracing::error!("run {id}: storing job {job}: {e}");
        }
        tracing::info!("run {id}: Slurm job {job}");
        // Cancelled while sbatch ran: the job goes too.
        if runner
            .store
            .run(id)
            .await
            .ok()
            .flatten()
            .is_some_and(|r| r.status.is_final())
        {
            scancel(&job).await;
            return;
        }
        self.attach(&runner, id, job, offset);
    }

    /// Follows a job from `offset` bytes of its run's events.jsonl.
    fn attach(self: &Arc<Self>, runner: &Arc<Runner>, id: i64, job: String, offset: i64) {
        self.jobs.follow(id, &job);
        if !self.jobs.polling.swap(true, Ordering::SeqCst) {
            let me = Arc::clone(self);
            tokio::spawn(async move {
                loop {
                    me.jobs.poll().await;
                    let pause = if me.jobs.ending.load(Ordering::SeqCst) > 0 {
                        Duration::from_millis(250)
                    } else {
                        Duration::from_secs(1)
                    };
                    tokio::time::sleep(pause).await;
                }
            });
        }
        let me = Arc::clone(self);
        let runner = Arc::clone(runner);
        tokio::spawn(async move {
            me.follow(&runner, id, &job, offset).await;
            me.jobs.forget(id);
            runner.poke();
        });
    }

    /// After a restart: follows this server's Slurm jobs again. A run claimed but not known
    /// to be submitted is looked up by its job name; not found, it goes back to the queue.
    async fn reattach_jobs(self: Arc<Self>, runner: Arc<Runner>) -> crate::store::Result<()> {
        let open = runner.store.open_jobs(&runner.owner).await?;
        if open.is_empty() {
            return Ok(());
        }
        let listing = slurm(&["scontrol", "show", "job", "-o"]).await;
        for (id, job, offset) in open {
            if job != SUBMITTING {
                tracing::info!("run {id}: re-attached to Slurm job {job}");
                self.attach(&runner, id, job, offset);
                continue;
            }
            let dir = run_dir(&runner.data_dir, id).display().to_string();
            let found = listing.as_ref().ok().and_then(|l| {
                jobs::parse_scontrol(l)
                    .into_iter()
                    .find(|j| j.name == job_name(id) && j.work_dir == dir)
            });
            match found {
                Some(j) => {
                    runner.store.set_job(id, Some(&j.id)).await?;
                    self.attach(&runner, id, j.id, offset);
                }
                // Not found in a listing Slurm gave: never submitted, so it queues again.
                None if listing.is_ok() => runner.store.set_job(id, None).await?,
                None => tracing::warn!(
                    "run {id}: Slurm did not answer; its job is looked up at the next start"
                ),
            }
        }
        Ok(())
    }
}
