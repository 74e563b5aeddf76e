//! Executor benchmark (`make bench-executors`, beside the throwaway Slurm cluster that
//! scripts/scaleout/with-cluster starts): 50 `tiny` searches queued at once through the local
//! executor and through the Slurm one, two at a time (the test node has 2 CPUs; each job asks
//! for one). Prints runs per minute and, per run, the overhead a viewer sees:
//! - submit to first event: from the moment the runner handed the run to its executor (the
//!   run's `job.json` is written just before the child process starts or `sbatch` runs) to the
//!   worker's first event arriving over the websocket. It includes the worker's own start
//!   (libtorch, the dataset), the same for both executors;
//! - last event to recorded end: from the worker's last write to `events.jsonl` to its final
//!   status arriving over the websocket (stored first).
//!
//! Slurm's own scheduling (its StartTime - SubmitTime, whole seconds) is printed beside them.
use futures_util::StreamExt;
use serde_json::{json, Value};
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Instant, SystemTime};

const RUNS: usize = 50;

type Error = Box<dyn std::error::Error + Send + Sync>;

fn now() -> f64 {
    SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64())
}

fn mtime(path: &Path) -> Result<f64, Error> {
    Ok(std::fs::metadata(path)?
        .modified()?
        .duration_since(SystemTime::UNIX_EPOCH)?
        .as_secs_f64())
}

/// Arrival times of the run's first worker event (after the server's `queued`) and its final
/// status.
async fn follow(url: String) -> Result<(f64, f64, String), Error> {
    let (mut ws, _) = tokio_tungstenite::connect_async(url).await?;
    let (mut first, mut last, mut status) = (None, 0.0, String::new());
    while let Some(msg) = ws.next().await {
        if let tokio_tungstenite::tungstenite::Message::Text(t) = msg? {
            let v: Value = serde_json::from_str(&t)?;
            let worker = !(v["type"] == "status" && v["status"] == "queued");
            if worker && first.is_none() {
                first = Some(now());
            }
            last = now();
            if v["type"] == "status" {
                status = v["status"].as_str().unwrap_or_default().to_string();
            }
        }
    }
    Ok((first.ok_or("no worker event")?, last, status))
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    let n = v.len();
    if n == 0 {
        return f64::NAN;
    }
    if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    }
}

/// Whole seconds from submit to start, by `scontrol show job` (jobs are kept 5 s after they
/// end on the test cluster, so this reads each job as it starts).
fn slurm_wait(job: &str) -> Option<f64> {
    let out = Command::new("scontrol")
        .args(["show", "job", "-o", job])
        .output()
        .ok()?;
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    let field = |k: &str| {
        text.split(' ')
            .find_map(|kv| kv.strip_prefix(k))
            .map(str::to_string)
    };
    let secs = |t: String| -> Option<f64> {
        let out = Command::new("date").args(["-d", &t, "+%s"]).output().ok()?;
        String::from_utf8_lossy(&out.stdout).trim().parse().ok()
    };
    Some(secs(field("StartTime=")?)? - secs(field("SubmitTime=")?)?)
}

async fn bench(root: &Path, executor: &str) -> Result<Value, Error> {
    let dir = std::env::temp_dir().join(format!(
        "dartboard-executors-{executor}-{}",
        std::process::id()
    ));
    let mut server = Command::new(root.join("target/release/dartboard"))
        .args(["serve", "--addr", "127.0.0.1:0", "--data-dir"])
        .arg(&dir)
        .args([
            "--executor",
            executor,
            "--workers",
            "2",
            "--worker-threads",
            "1",
        ])
        .args(["--max-queued", "100", "--sample"])
        .arg(root.join("data/sample/digits.csv.gz"))
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .spawn()?;
    let mut line = String::new();
    BufReader::new(server.stdout.take().ok_or("no stdout")?).read_line(&mut line)?;
    let base = line
        .trim()
        .trim_start_matches("dartboard listening on ")
        .to_string();
    let ws_base = base.replacen("http", "ws", 1);
    let http = reqwest::Client::new();
    let sets: Value = http
        .get(format!("{base}/api/datasets"))
        .send()
        .await?
        .json()
        .await?;
    let data = sets[0]["id"]
        .as_str()
        .ok_or("no sample dataset")?
        .to_string();
    let start = Instant::now();
    let mut runs = vec![];
    for _ in 0..RUNS {
        let created: Value = http
            .post(format!("{base}/api/runs"))
            .json(&json!({"dataset_id": data, "config": {"preset": "tiny", "device": "cpu"}}))
            .send()
            .await?
            .json()
            .await?;
        let id = created["id"]
            .as_i64()
            .ok_or_else(|| format!("no run id: {created}"))?;
        let follower = tokio::spawn(follow(format!("{ws_base}/api/runs/{id}/ws")));
        runs.push((id, follower));
    }
    // Slurm's own scheduling delay, read while the jobs are known to the controller.
    let mut waits = vec![];
    let mut results = vec![];
    for (id, follower) in runs {
        let (first, end, status) = follower.await??;
        if status != "succeeded" {
            return Err(format!("run {id} ended {status}").into());
        }
        results.push((id, first, end));
    }
    let minutes = start.elapsed().as_secs_f64() / 60.0;
    let (mut to_first, mut to_end) = (vec![], vec![]);
    for (id, first, end) in results {
        let run_dir: PathBuf = dir.join("runs").join(id.to_string());
        to_first.push(first - mtime(&run_dir.join("job.json"))?);
        to_end.push(end - mtime(&run_dir.join("events.jsonl"))?);
        if executor == "slurm" {
            let run: Value = http
                .get(format!("{base}/api/runs/{id}"))
                .send()
                .await?
                .json()
                .await?;
            if let Some(w) = run["job_id"].as_str().and_then(slurm_wait) {
                waits.push(w);
            }
        }
    }
    let _ = server.kill();
    let _ = server.wait();
    let _ = std::fs::remove_dir_all(&dir);
    Ok(json!({
        "executor": executor,
        "runs": RUNS,
        "runs_per_minute": RUNS as f64 / minutes,
        "submit_to_first_event_s": {"median": median(to_first.clone()), "max": to_first.iter().cloned().fold(0.0, f64::max)},
        "last_event_to_end_s": {"median": median(to_end.clone()), "max": to_end.iter().cloned().fold(0.0, f64::max)},
        "slurm_submit_to_start_s": (!waits.is_empty()).then(|| median(waits)),
    }))
}

#[tokio::main]
async fn main() -> Result<(), Error> {
    if std::env::var_os("SLURM_CONF").is_none() {
        return Err("SLURM_CONF is not set: run under scripts/scaleout/with-cluster (make bench-executors does)".into());
    }
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
    for executor in ["local", "slurm"] {
        println!("{}", bench(&root, executor).await?);
    }
    Ok(())
}
