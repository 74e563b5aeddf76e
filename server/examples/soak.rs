//! Soak run (`make soak`, not part of `make test`): 500 tiny runs through the API on the release
//! server, with websocket viewers joining and leaving (some stay to the end, some drop after the
//! first event, some join an ended run). Prints the server's resident memory and the number of
//! event channels its hub holds every 50 runs, then a JSON summary: the memory must stay flat
//! (the hub drops an ended run's channel with its last viewer) and every run must succeed.
//! `SOAK_RUNS=N` changes the count.
use futures_util::StreamExt;
use serde_json::{json, Value};
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};
use tokio_tungstenite::tungstenite::Message;

type Error = Box<dyn std::error::Error + Send + Sync>;

/// Follows a run's events: all of them (`keep`), or only the first before leaving.
async fn view(url: String, keep: bool) -> Result<usize, Error> {
    let (mut ws, _) = tokio_tungstenite::connect_async(url).await?;
    let mut n = 0;
    while let Some(msg) = tokio::time::timeout(Duration::from_secs(300), ws.next()).await? {
        match msg? {
            Message::Text(_) => {
                n += 1;
                if !keep {
                    break;
                }
            }
            Message::Close(_) => break,
            _ => {}
        }
    }
    Ok(n)
}

async fn system(http: &reqwest::Client, base: &str) -> Result<Value, Error> {
    Ok(http
        .get(format!("{base}/api/system"))
        .send()
        .await?
        .json()
        .await?)
}

#[tokio::main]
async fn main() -> Result<(), Error> {
    let runs: usize = std::env::var("SOAK_RUNS")
        .ok()
        .and_then(|t| t.parse().ok())
        .unwrap_or(500);
    let root = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
    let dir = std::env::temp_dir().join(format!("dartboard-soak-{}", std::process::id()));
    let mut server = Command::new(root.join("target/release/dartboard"))
        .args([
            "serve",
            "--addr",
            "127.0.0.1:0",
            "--workers",
            "2",
            "--worker-threads",
            "1",
        ])
        .args(["--max-queued", "1000", "--data-dir"])
        .arg(&dir)
        .arg("--sample")
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
    let config = json!({"preset": "tiny", "epochs": 1, "max_steps_per_epoch": 2, "device": "cpu"});
    let start = Instant::now();
    let mut samples = vec![];
    let mut failed = 0;
    let mut viewers = vec![];
    // Runs go in batches of 10, each with viewers that stay, leave early or come late.
    for batch in 0..runs.div_ceil(10) {
        let mut ids = vec![];
        for _ in 0..10.min(runs - batch * 10) {
            let created: Value = http
                .post(format!("{base}/api/runs"))
                .json(&json!({"dataset_id": data, "config": config}))
                .send()
                .await?
                .json()
                .await?;
            let id = created["id"].as_i64().ok_or("no run id")?;
            let url = format!("{ws_base}/api/runs/{id}/ws");
            viewers.push(tokio::spawn(view(url.clone(), true)));
            viewers.push(tokio::spawn(view(url, false)));
            ids.push(id);
        }
        for id in ids {
            loop {
                let run: Value = http
                    .get(format!("{base}/api/runs/{id}"))
                    .send()
                    .await?
                    .json()
                    .await?;
                match run["status"].as_str() {
                    Some("succeeded") => break,
                    Some("failed" | "cancelled" | "interrupted") => {
                        failed += 1;
                        break;
                    }
                    _ => tokio::time::sleep(Duration::from_millis(200)).await,
                }
            }
            // A late viewer of the ended run.
            view(format!("{ws_base}/api/runs/{id}/ws"), true).await?;
        }
        for v in viewers.drain(..) {
            v.await??;
        }
        let done = (batch + 1) * 10;
        if done % 50 == 0 || done >= runs {
            let s = system(&http, &base).await?;
            let rss = s["server_rss_bytes"].as_u64().unwrap_or(0);
            let channels = s["event_channels"].as_u64().unwrap_or(0);
            println!(
                "{done:>4} runs, {:>6.0} s: server {:.1} MB resident, {channels} event channels",
                start.elapsed().as_secs_f64(),
                rss as f64 / 1e6
            );
            samples.push((done, rss, channels));
        }
    }
    let first = samples.first().map_or(0, |s| s.1) as f64 / 1e6;
    let last = samples.last().map_or(0, |s| s.1) as f64 / 1e6;
    let peak = samples.iter().map(|s| s.1).max().unwrap_or(0) as f64 / 1e6;
    println!(
        "{}",
        json!({"runs": runs, "failed": failed, "seconds": start.elapsed().as_secs_f64(),
               "rss_mb_after_first_50": first, "rss_mb_at_end": last, "rss_mb_peak": peak,
               "event_channels_at_end": samples.last().map_or(0, |s| s.2)})
    );
    let _ = server.kill();
    let _ = server.wait();
    let _ = std::fs::remove_dir_all(&dir);
    if failed > 0 {
        return Err(format!("{failed} runs did not succeed").into());
    }
    Ok(())
}
