//! Runs in their own processes: a worker that panics and one killed with SIGKILL end `failed`
//! while another run and the API go on; a viewer joining mid-run gets every event once; a server
//! killed mid-search leaves the run `interrupted`, and `resume` finishes it keeping its epochs.
mod http;

use http::{assert_contiguous, worker_pid, Server};
use serde_json::{json, Value};
use std::time::{Duration, Instant};

const MINUTES: Duration = Duration::from_secs(240);

/// A `tiny` search long enough to act on mid-run.
fn long() -> Value {
    json!({"preset": "tiny", "epochs": 30, "max_steps_per_epoch": 4})
}

#[tokio::test(flavor = "multi_thread")]
async fn panicking_and_killed_workers_fail_while_others_go_on() {
    let dir = http::scratch("jobs-faults");
    // Run 1's worker panics after its first epoch (the worker's test hook).
    let s = Server::start_in(
        &dir,
        "127.0.0.1:0",
        &["--workers", "2"],
        &[("DARTBOARD_WORKER_FAULT", "1:panic")],
    );
    let data = s.digits().await;
    let panics = s
        .create_run(&data, json!({"preset": "tiny", "epochs": 3}))
        .await;
    let killed = s.create_run(&data, long()).await;
    let run = s.wait_status(panics, &["failed"], MINUTES).await;
    let msg = run["message"].as_str().unwrap_or_default();
    assert!(
        msg.contains("panicked") && msg.contains("injected fault"),
        "{run}"
    );

    s.wait_for_epoch(killed, 1).await;
    let pid =
        worker_pid(killed, &std::fs::canonicalize(&dir).unwrap()).expect("the worker process");
    // SAFETY: kill(2) on the worker process the test found.
    assert_eq!(unsafe { libc::kill(pid, libc::SIGKILL) }, 0);
    let run = s.wait_status(killed, &["failed"], MINUTES).await;
    assert!(
        run["message"]
            .as_str()
            .unwrap_or_default()
            .contains("SIGKILL"),
        "{run}"
    );

    // The server still serves and runs the next search to the end.
    assert_eq!(s.get("/api/system").await.0, 200);
    let ok = s.create_run(&data, json!({"preset": "tiny"})).await;
    let events = s.follow(&format!("/api/runs/{ok}/ws")).await;
    assert_eq!(events.last().unwrap()["status"], "succeeded");
    let failed = s.follow(&format!("/api/runs/{killed}/ws")).await;
    assert_eq!(
        failed.last().unwrap()["status"],
        "failed",
        "the stream of an ended run closes after its last event"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_viewer_joining_mid_run_gets_every_event_once() {
    let s = Server::start("jobs-midrun");
    let data = s.digits().await;
    let id = s
        .create_run(
            &data,
            json!({"preset": "tiny", "epochs": 6, "max_steps_per_epoch": 4}),
        )
        .await;
    s.wait_for_epoch(id, 2).await;
    let path = format!("/api/runs/{id}/ws");
    let (mid, first) = tokio::join!(s.follow(&path), async {
        tokio::time::sleep(Duration::from_millis(300)).await;
        s.follow(&path).await
    });
    for events in [&mid, &first] {
        assert_contiguous(events);
        assert_eq!(events.last().unwrap()["status"], "succeeded");
    }
    assert_eq!(mid, first);
    let epochs = mid.iter().filter(|e| e["type"] == "epoch").count();
    assert_eq!(epochs, 6);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_killed_server_leaves_the_run_interrupted_and_resume_finishes_it() {
    let dir = http::scratch("jobs-restart");
    let mut s = Server::start_in(&dir, "127.0.0.1:0", &[], &[]);
    let data = s.digits().await;
    let id = s
        .create_run(
            &data,
            json!({"preset": "tiny", "epochs": 8, "max_steps_per_epoch": 4}),
        )
        .await;
    s.wait_for_epoch(id, 2).await;
    let canon = std::fs::canonicalize(&dir).unwrap();
    let pid = worker_pid(id, &canon).expect("worker");
    s.kill(); // SIGKILL: no clean shutdown
              // The worker dies with its server (parent-death signal).
    let start = Instant::now();
    while std::path::Path::new(&format!("/proc/{pid}")).exists()
        && start.elapsed() < Duration::from_secs(10)
    {
        std::thread::sleep(Duration::from_millis(50));
    }
    assert!(
        worker_pid(id, &canon).is_none(),
        "the worker outlived its server"
    );

    let s = Server::start_in(&dir, "127.0.0.1:0", &[], &[]);
    let run = s
        .wait_status(id, &["interrupted"], Duration::from_secs(10))
        .await;
    let kept = run["epoch"].as_i64().unwrap();
    assert!(kept >= 2, "{run}");
    let (status, body) = s.post(&format!("/api/runs/{id}/resume"), &json!({})).await;
    assert_eq!(status, 200, "{body}");
    let events = s.follow(&format!("/api/runs/{id}/ws")).await;
    assert_contiguous(&events);
    assert_eq!(events.last().unwrap()["status"], "succeeded");
    let statuses = http::statuses(&events);
    assert_eq!(
        statuses,
        [
            "queued",
            "running",
            "interrupted",
            "queued",
            "running",
            "succeeded"
        ]
    );
    assert!(events.iter().any(|e| e["message"]
        .as_str()
        .is_some_and(|m| m.starts_with("resumed from the checkpoint of epoch"))));
    // Epochs before the kill are kept: each of 1..=8 is reported, the resumed ones once more at most.
    let mut epochs: Vec<i64> = events
        .iter()
        .filter(|e| e["type"] == "epoch")
        .filter_map(|e| e["epoch"].as_i64())
        .collect();
    epochs.dedup();
    let resumed_from = epochs.windows(2).find(|w| w[1] <= w[0]).map(|w| w[1]);
    assert!(
        resumed_from.is_none_or(|e| e >= 2),
        "resume restarted too early: {epochs:?}"
    );
    epochs.sort();
    epochs.dedup();
    assert_eq!(epochs, (1..=8).collect::<Vec<_>>());
    let (_, run) = s.get(&format!("/api/runs/{id}")).await;
    assert_eq!(run["epoch"], 8);
}

#[tokio::test(flavor = "multi_thread")]
async fn cancel_ends_a_run_cancelled_and_seeded_runs_reproduce() {
    let s = Server::start("jobs-cancel");
    let data = s.digits().await;
    let long_run = s.create_run(&data, long()).await;
    let queued = s.create_run(&data, json!({"preset": "tiny"})).await;
    // The queued run is cancelled at once; the running one by a signal to its worker.
    let (status, _) = s
        .post(&format!("/api/runs/{queued}/cancel"), &json!({}))
        .await;
    assert_eq!(status, 200);
    assert_eq!(
        s.get(&format!("/api/runs/{queued}")).await.1["status"],
        "cancelled"
    );
    s.wait_for_epoch(long_run, 1).await;
    let (status, _) = s
        .post(&format!("/api/runs/{long_run}/cancel"), &json!({}))
        .await;
    assert_eq!(status, 200);
    let run = s.wait_status(long_run, &["cancelled"], MINUTES).await;
    assert!(run["epoch"].as_i64().unwrap() < 30, "{run}");
    let (status, _) = s
        .post(&format!("/api/runs/{long_run}/cancel"), &json!({}))
        .await;
    assert_eq!(status, 409, "an ended run cannot be cancelled again");

    // Each worker seeds its own generator: the same seed gives the same architecture weights.
    let a = s
        .create_run(&data, json!({"preset": "tiny", "seed": 7}))
        .await;
    let b = s
        .create_run(&data, json!({"preset": "tiny", "seed": 7}))
        .await;
    let mut alphas = vec![];
    for id in [a, b] {
        s.wait_status(id, &["succeeded"], MINUTES).await;
        let r = s
            .http
            .get(s.url(&format!("/api/runs/{id}/artifacts/alphas.json")))
            .send()
            .await
            .unwrap();
        alphas.push(r.text().await.unwrap());
    }
    assert_eq!(alphas[0], alphas[1]);
}
