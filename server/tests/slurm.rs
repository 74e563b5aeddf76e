//! The Slurm executor on a real one-node cluster (scripts/scaleout/with-cluster starts it for
//! `make test` and sets SLURM_CONF): a search submitted as an `sbatch` job runs to the end with
//! its events over the websocket and its job id on the run page; cancel ends a pending and a
//! running job; a job past `--slurm-time` ends `failed` naming the time limit; a worker's
//! failure message comes from its files; a server killed mid-search re-attaches to the job.
mod http;

use http::{assert_contiguous, Server};
use serde_json::{json, Value};
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

const MINUTES: Duration = Duration::from_secs(240);

fn cluster() {
    assert!(
        std::env::var_os("SLURM_CONF").is_some(),
        "SLURM_CONF is not set: run under scripts/scaleout/with-cluster (make test does)"
    );
}

fn slurm_server(name: &str, extra: &[&str]) -> Server {
    cluster();
    let dir = http::scratch(name);
    let mut flags = vec!["--executor", "slurm", "--workers", "4"];
    flags.extend(extra);
    Server::start_in(&dir, "127.0.0.1:0", &flags, &[])
}

/// A `tiny` search that runs for a while (cancel and restarts act on it mid-run).
fn long(epochs: i64) -> Value {
    json!({"preset": "tiny", "epochs": epochs, "max_steps_per_epoch": 4})
}

/// `JobState` of a job as `scontrol show job` reports it (None once the controller forgot it).
fn job_state(job: &str) -> Option<String> {
    let out = Command::new("scontrol")
        .args(["show", "job", "-o", job])
        .output()
        .expect("scontrol");
    let text = String::from_utf8_lossy(&out.stdout);
    text.split(' ')
        .find_map(|kv| kv.strip_prefix("JobState="))
        .map(str::to_string)
}

/// Polls the run until `pred` holds for it.
async fn wait_run(s: &Server, id: i64, what: &str, pred: impl Fn(&Value) -> bool) -> Value {
    let start = Instant::now();
    loop {
        let (_, run) = s.get(&format!("/api/runs/{id}")).await;
        if pred(&run) {
            return run;
        }
        assert!(
            start.elapsed() < MINUTES,
            "run {id}: waited {MINUTES:?} for {what}: {run}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// The run's events.jsonl as the worker wrote it, without the worker's sequence numbers.
fn file_events(dir: &Path, id: i64) -> Vec<Value> {
    let text =
        std::fs::read_to_string(dir.join(format!("runs/{id}/events.jsonl"))).expect("events");
    text.lines()
        .map(|l| without_seq(serde_json::from_str(l).expect("JSON line")))
        .collect()
}

fn without_seq(mut e: Value) -> Value {
    if let Value::Object(m) = &mut e {
        m.remove("seq");
    }
    e
}

#[tokio::test(flavor = "multi_thread")]
async fn a_search_runs_as_a_slurm_job_to_the_end() {
    let s = slurm_server("slurm-search", &["--slurm-time", "10"]);
    let data = s.digits().await;
    let id = s.create_run(&data, json!({"preset": "tiny"})).await;
    let events = s.follow(&format!("/api/runs/{id}/ws")).await;
    assert_contiguous(&events);
    assert_eq!(events.last().unwrap()["status"], "succeeded", "{events:?}");
    assert!(events.iter().any(|e| e["type"] == "epoch"));
    let run = s
        .wait_status(id, &["succeeded"], Duration::from_secs(10))
        .await;
    let job = run["job_id"].as_str().expect("a Slurm job id").to_string();
    assert_eq!(run["job_state"], "COMPLETED", "{run}");
    assert!(run["result"]["genotype"].is_object(), "{run}");
    // What was submitted, and where the worker's output went.
    let dir = s.dir.join(format!("runs/{id}"));
    let script = std::fs::read_to_string(dir.join("job.sbatch")).expect("job.sbatch");
    assert!(script.contains("#SBATCH --time=10"), "{script}");
    assert!(
        script.contains(&format!("worker --run {id} --data-dir")),
        "{script}"
    );
    assert!(dir.join("worker.err").is_file() && dir.join("genotype.json").is_file());
    // Artifacts download as with local runs.
    let r = s
        .http
        .get(s.url(&format!("/api/runs/{id}/artifacts/genotype.json")))
        .send()
        .await
        .expect("GET");
    assert_eq!(r.status(), 200);
    // The run page shows the job.
    let page = s
        .http
        .get(s.url(&format!("/runs/{id}")))
        .send()
        .await
        .expect("GET")
        .text()
        .await
        .expect("page");
    assert!(
        page.contains(&format!("Slurm job {job}")),
        "no job id on the page"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn cancel_ends_a_pending_and_a_running_job() {
    // Each job asks for every CPU of the one node, so the second waits in Slurm's queue.
    let cpus = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .to_string();
    let s = slurm_server("slurm-cancel", &["--slurm-cpus", &cpus]);
    let data = s.digits().await;
    let first = s.create_run(&data, long(200)).await;
    let second = s.create_run(&data, long(200)).await;
    wait_run(&s, first, "its job to run", |r| r["status"] == "running").await;
    let pending = wait_run(&s, second, "its job to wait", |r| {
        r["job_state"] == "PENDING"
    })
    .await;
    assert_eq!(pending["status"], "queued", "a pending job is a queued run");
    let pending_job = pending["job_id"].as_str().expect("job").to_string();
    let (status, body) = s
        .post(&format!("/api/runs/{second}/cancel"), &json!({}))
        .await;
    assert_eq!(status, 200, "{body}");
    s.wait_status(second, &["cancelled"], MINUTES).await;
    let state = job_state(&pending_job);
    assert!(
        state.is_none() || state.as_deref() == Some("CANCELLED"),
        "{state:?}"
    );

    let running = s.get(&format!("/api/runs/{first}")).await.1;
    let running_job = running["job_id"].as_str().expect("job").to_string();
    assert_eq!(job_state(&running_job).as_deref(), Some("RUNNING"));
    let (status, body) = s
        .post(&format!("/api/runs/{first}/cancel"), &json!({}))
        .await;
    assert_eq!(status, 200, "{body}");
    let run = s.wait_status(first, &["cancelled"], MINUTES).await;
    assert_eq!(run["job_state"], "CANCELLED", "{run}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_job_past_its_time_limit_fails_naming_it() {
    let s = slurm_server("slurm-timeout", &["--slurm-time", "1"]);
    let data = s.digits().await;
    let id = s.create_run(&data, long(1000)).await;
    let run = s.wait_status(id, &["failed"], MINUTES).await;
    let message = run["message"].as_str().expect("message");
    assert!(
        message.contains("TIMEOUT") && message.contains("time limit"),
        "{message}"
    );
    assert!(
        run["epoch"].as_i64().unwrap_or(0) >= 1,
        "it ran before: {run}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_failing_worker_reports_through_its_files() {
    cluster();
    let dir = http::scratch("slurm-fault");
    // The worker of run 1 panics after its first epoch (the worker's test hook; sbatch passes
    // the server's environment to the job).
    let s = Server::start_in(
        &dir,
        "127.0.0.1:0",
        &["--executor", "slurm"],
        &[("DARTBOARD_WORKER_FAULT", "1:panic")],
    );
    let data = s.digits().await;
    let id = s.create_run(&data, long(5)).await;
    assert_eq!(id, 1);
    let run = s.wait_status(id, &["failed"], MINUTES).await;
    let message = run["message"].as_str().expect("message");
    assert!(message.contains("the worker panicked"), "{message}");
    assert!(!message.contains(&dir.display().to_string()), "{message}");
    let err = std::fs::read_to_string(dir.join("runs/1/worker.err")).expect("worker.err");
    assert!(err.contains("injected fault"), "{err}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_server_killed_mid_search_reattaches_to_its_job() {
    let mut s = slurm_server("slurm-restart", &[]);
    let dir = s.dir.clone();
    let data = s.digits().await;
    let id = s.create_run(&data, long(40)).await;
    let run = wait_run(&s, id, "epoch 2", |r| r["epoch"].as_i64().unwrap_or(0) >= 2).await;
    let job = run["job_id"].as_str().expect("job").to_string();
    s.kill(); // SIGKILL: no clean shutdown
    let written = file_events(&dir, id).len();
    std::thread::sleep(Duration::from_secs(3));
    assert_eq!(
        job_state(&job).as_deref(),
        Some("RUNNING"),
        "the job went on"
    );
    assert!(
        file_events(&dir, id).len() > written,
        "the worker wrote on while no server ran"
    );

    let s = Server::start_in(&dir, "127.0.0.1:0", &["--executor", "slurm"], &[]);
    let events = s.follow(&format!("/api/runs/{id}/ws")).await;
    assert_contiguous(&events);
    let run = s
        .wait_status(id, &["succeeded"], Duration::from_secs(10))
        .await;
    assert_eq!(run["job_id"], job.as_str());
    // Every event the worker wrote is stored once, in order, after the run's `queued`.
    assert_eq!(events[0]["status"], "queued");
    let stored: Vec<Value> = events[1..].iter().cloned().map(without_seq).collect();
    assert_eq!(stored, file_events(&dir, id));
    assert_eq!(stored.last().unwrap()["status"], "succeeded");
}
