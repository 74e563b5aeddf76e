//! Load benchmark (`make bench-server`): 200 websocket viewers on one running search. Starts the
//! release server on a fresh data directory, then runs the same `quick` search 3 times without
//! viewers and 3 times with 200, alternating, and prints the mean epoch time of each, the change
//! in percent, and whether every viewer received every event.
use futures_util::StreamExt;
use serde_json::{json, Value};
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::Duration;

const VIEWERS: usize = 200;
const REPEATS: usize = 3;

type Error = Box<dyn std::error::Error + Send + Sync>;

async fn follow(url: String) -> Result<Vec<i64>, Error> {
    let (mut ws, _) = tokio_tungstenite::connect_async(url).await?;
    let mut seqs = vec![];
    while let Some(msg) = ws.next().await {
        match msg? {
            tokio_tungstenite::tungstenite::Message::Text(t) => {
                let v: Value = serde_json::from_str(&t)?;
                seqs.push(v["seq"].as_i64().unwrap_or(-1));
            }
            tokio_tungstenite::tungstenite::Message::Close(_) => break,
            _ => {}
        }
    }
    Ok(seqs)
}

/// Runs one search; returns (mean epoch seconds, viewers that got every event once in order).
async fn search(
    http: &reqwest::Client,
    base: &str,
    data: &str,
    viewers: usize,
) -> Result<(f64, usize), Error> {
    let config =
        json!({"preset": "quick", "epochs": 4, "max_steps_per_epoch": 20, "device": "cpu"});
    let created: Value = http
        .post(format!("{base}/api/runs"))
        .json(&json!({"dataset_id": data, "config": config}))
        .send()
        .await?
        .json()
        .await?;
    let id = created["id"].as_i64().ok_or("no run id")?;
    let ws = format!("{}/api/runs/{id}/ws", base.replacen("http", "ws", 1));
    let tasks: Vec<_> = (0..viewers)
        .map(|_| tokio::spawn(follow(ws.clone())))
        .collect();
    let events = follow(ws).await?;
    let mut complete = 0;
    let want: Vec<i64> = (0..events.len() as i64).collect();
    for t in tasks {
        if t.await?? == want {
            complete += 1;
        }
    }
    let log = http
        .get(format!("{base}/api/runs/{id}/artifacts/events.jsonl"))
        .send()
        .await?
        .text()
        .await?;
    let secs: Vec<f64> = log
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .filter(|e| e["type"] == "epoch")
        .filter_map(|e| e["seconds"].as_f64())
        .collect();
    if log.lines().count() != events.len() {
        return Err("the stream and the stored log differ".into());
    }
    Ok((
        secs.iter().sum::<f64>() / secs.len().max(1) as f64,
        complete,
    ))
}

#[tokio::main]
async fn main() -> Result<(), Error> {
    let root = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
    let dir = std::env::temp_dir().join(format!("dartboard-ws-load-{}", std::process::id()));
    let mut server = Command::new(root.join("target/release/dartboard"))
        .args(["serve", "--addr", "127.0.0.1:0", "--data-dir"])
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
    let (mut alone, mut watched) = (vec![], vec![]);
    for round in 0..REPEATS {
        let (a, _) = search(&http, &base, &data, 0).await?;
        let (w, complete) = search(&http, &base, &data, VIEWERS).await?;
        println!("round {}: epoch {a:.2} s alone, {w:.2} s with {VIEWERS} viewers ({complete}/{VIEWERS} got every event)", round + 1);
        alone.push(a);
        watched.push(w);
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let mean = |v: &[f64]| v.iter().sum::<f64>() / v.len() as f64;
    let (a, w) = (mean(&alone), mean(&watched));
    println!(
        "{}",
        json!({"viewers": VIEWERS, "repeats": REPEATS, "epoch_seconds_alone": a, "epoch_seconds_watched": w, "change_percent": 100.0 * (w - a) / a})
    );
    let _ = server.kill();
    let _ = server.wait();
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
}
