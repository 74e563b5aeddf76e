//! The fault suite's rows on the cluster (issue 29; scripts/scaleout/with-cluster starts the
//! services): PostgreSQL restarted under a running server, and `slurmctld` restarted under a
//! running Slurm job. While the database is down the API answers 503 with a Retry-After and
//! creates nothing; after it is back the server serves and the run that was running ends with
//! its status stored, without a restart. A job whose controller restarts runs to its end.
mod http;

use http::Server;
use serde_json::{json, Value};
use std::process::Command;
use std::time::Duration;

const MINUTES: Duration = Duration::from_secs(240);

fn long(epochs: i64) -> Value {
    json!({"preset": "tiny", "epochs": epochs, "max_steps_per_epoch": 4})
}

#[tokio::test(flavor = "multi_thread")]
async fn a_restarted_database_answers_503_meanwhile_and_the_server_recovers() {
    let pg_dir = std::env::var("DARTBOARD_TEST_PG_DIR").expect(
        "DARTBOARD_TEST_PG_DIR is not set: run under scripts/scaleout/with-cluster (make test does)",
    );
    http::fresh_database("pg_restart");
    let url = http::postgres_url("pg_restart");
    let dir = http::scratch("pg-restart");
    let s = Server::start_in(&dir, "127.0.0.1:0", &["--database", &url], &[]);
    let data = s.digits().await;
    let run = s.create_run(&data, long(12)).await;
    s.wait_for_epoch(run, 1).await;

    // Down for 20 seconds: longer than a request's 10-second wait for a connection.
    let mut restart = Command::new("scripts/scaleout/pg-restart")
        .current_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/.."))
        .args([pg_dir.as_str(), "20"])
        .spawn()
        .expect("pg-restart");
    tokio::time::sleep(Duration::from_secs(3)).await;
    let r = s
        .http
        .post(s.url("/api/runs"))
        .json(&json!({"dataset_id": data, "config": {"preset": "tiny"}}))
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    let retry = r.headers().get("retry-after").cloned();
    let body: Value = r.json().await.unwrap_or(Value::Null);
    assert_eq!(status, 503, "{body}");
    assert!(retry.is_some(), "a Retry-After");
    assert!(
        body["error"]
            .as_str()
            .unwrap_or("")
            .contains("not answering"),
        "{body}"
    );
    assert!(restart.wait().expect("pg-restart").success());

    // Back: the run that was running ends with its status stored, and new work is taken.
    let ended = s.wait_status(run, &["succeeded", "failed"], MINUTES).await;
    assert_eq!(ended["status"], "succeeded", "{ended}");
    let (_, runs) = s.get("/api/runs").await;
    assert_eq!(
        runs.as_array().map(Vec::len),
        Some(1),
        "the refused request created nothing"
    );
    let next = s.create_run(&data, json!({"preset": "tiny"})).await;
    s.wait_status(next, &["succeeded"], MINUTES).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_job_runs_to_its_end_through_a_controller_restart() {
    assert!(
        std::env::var_os("SLURM_CONF").is_some(),
        "SLURM_CONF is not set: run under scripts/scaleout/with-cluster (make test does)"
    );
    let dir = http::scratch("slurmctld-restart");
    let s = Server::start_in(&dir, "127.0.0.1:0", &["--executor", "slurm"], &[]);
    let data = s.digits().await;
    let run = s.create_run(&data, long(10)).await;
    s.wait_for_epoch(run, 1).await;
    let down = Command::new("scontrol")
        .args(["shutdown", "slurmctld"])
        .status()
        .expect("scontrol");
    assert!(down.success());
    tokio::time::sleep(Duration::from_secs(5)).await;
    // The run is still running meanwhile: the server does not take a silent controller for a
    // lost job.
    let (_, row) = s.get(&format!("/api/runs/{run}")).await;
    assert_eq!(row["status"], "running", "{row}");
    // Started again from its saved state (no -c: the jobs are kept).
    let up = Command::new("slurmctld").status().expect("slurmctld");
    assert!(up.success());
    let ended = s.wait_status(run, &["succeeded", "failed"], MINUTES).await;
    assert_eq!(ended["status"], "succeeded", "{ended}");
}
