//! PostgreSQL as the shared store (scripts/scaleout/with-cluster starts a throwaway one for
//! `make test`): two servers on one database share one queue, and each run starts exactly once;
//! a run that one server runs is watched live, cancelled and resumed through either.
//! (The other server suites run against PostgreSQL too: `make test` runs them again with
//! DARTBOARD_TEST_STORE=postgres.)
mod http;

use http::{assert_contiguous, Server};
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::time::{Duration, Instant};

#[tokio::test(flavor = "multi_thread")]
async fn two_servers_on_one_database_start_each_queued_run_once() {
    let url = http::postgres_url("two_servers");
    http::fresh_database("two_servers");
    let dir = http::scratch("pg-two-servers");
    let flags = |name: &'static str| {
        [
            "--database",
            "",
            "--server-name",
            name,
            "--max-queued",
            "50",
        ]
    };
    let mut a_flags = flags("alpha");
    let mut b_flags = flags("beta");
    a_flags[1] = &url;
    b_flags[1] = &url;
    let a = Server::start_in(&dir, "127.0.0.1:0", &a_flags, &[]);
    let data = a.digits().await;
    // Queued before the second server starts, so both compete for the same queue.
    let mut ids = vec![];
    for _ in 0..20 {
        ids.push(a.create_run(&data, json!({"preset": "tiny"})).await);
    }
    let b = Server::start_in(&dir, "127.0.0.1:0", &b_flags, &[]);
    let start = Instant::now();
    let mut owners: BTreeMap<String, usize> = BTreeMap::new();
    for &id in &ids {
        let server = if id % 2 == 0 { &a } else { &b };
        let run = server
            .wait_status(id, &["succeeded", "failed"], Duration::from_secs(600))
            .await;
        assert_eq!(run["status"], "succeeded", "{run}");
        *owners
            .entry(run["owner"].as_str().unwrap_or("?").to_string())
            .or_default() += 1;
        // One worker start: the worker's `running` status once, and one `succeeded`.
        let events = b.follow(&format!("/api/runs/{id}/ws")).await;
        let statuses = http::statuses(&events);
        assert_eq!(statuses, ["queued", "running", "succeeded"], "run {id}");
    }
    eprintln!(
        "20 runs on two servers in {:.1} s: {owners:?}",
        start.elapsed().as_secs_f64()
    );
    assert_eq!(owners.values().sum::<usize>(), 20);
    assert!(
        owners.get("alpha").is_some_and(|&n| n > 0) && owners.get("beta").is_some_and(|&n| n > 0),
        "both servers took runs from the queue: {owners:?}"
    );
}

/// Two servers on one database and data directory, named alpha and beta.
fn pair(name: &str) -> (Server, Server) {
    http::fresh_database(name);
    let url = http::postgres_url(name);
    let dir = http::scratch(&format!("pg-{name}"));
    let start = |server: &str| {
        Server::start_in(
            &dir,
            "127.0.0.1:0",
            &["--database", &url, "--server-name", server],
            &[],
        )
    };
    (start("alpha"), start("beta"))
}

async fn wait_owned(s: &Server, id: i64) -> Value {
    let start = Instant::now();
    loop {
        let (_, run) = s.get(&format!("/api/runs/{id}")).await;
        if run["status"] == "running" && run["epoch"].as_i64().unwrap_or(0) >= 1 {
            return run;
        }
        assert!(
            start.elapsed() < Duration::from_secs(240),
            "run {id}: {run}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_run_is_watched_cancelled_and_resumed_through_either_server() {
    let (a, b) = pair("either_server");
    let data = a.digits().await;
    let long = json!({"preset": "tiny", "epochs": 25, "max_steps_per_epoch": 4});
    // Both servers have one worker: two long runs keep both busy, one each.
    let first = a.create_run(&data, long.clone()).await;
    let second = a.create_run(&data, long).await;
    let (r1, r2) = (wait_owned(&a, first).await, wait_owned(&a, second).await);
    let mut owners = [r1["owner"].as_str().unwrap(), r2["owner"].as_str().unwrap()];
    owners.sort();
    assert_eq!(owners, ["alpha", "beta"], "each server runs one");
    let on_beta = if r1["owner"] == "beta" { first } else { second };
    let on_alpha = if on_beta == first { second } else { first };
    // The run alpha runs, seen through beta, which stores none of its events.
    let epoch_now = |run: Value| run["epoch"].as_i64().unwrap_or(0);
    let watched_from = epoch_now(a.get(&format!("/api/runs/{on_alpha}")).await.1);
    let watch = {
        let url = b.ws_url(&format!("/api/runs/{on_alpha}/ws"));
        tokio::spawn(async move {
            let (mut ws, _) = tokio_tungstenite::connect_async(url)
                .await
                .expect("websocket");
            let mut events: Vec<(Instant, Value)> = vec![];
            use futures_util::StreamExt;
            while let Some(Ok(msg)) = ws.next().await {
                if let tokio_tungstenite::tungstenite::Message::Text(t) = msg {
                    events.push((Instant::now(), serde_json::from_str(&t).expect("JSON")));
                }
            }
            events
        })
    };
    // Two more epochs stored by alpha, then a second for beta's viewer to read them.
    let start = Instant::now();
    while epoch_now(a.get(&format!("/api/runs/{on_alpha}")).await.1) < watched_from + 2 {
        assert!(
            start.elapsed() < Duration::from_secs(120),
            "run {on_alpha} stalled"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    tokio::time::sleep(Duration::from_millis(1500)).await;
    // A local worker is cancelled through the server whose child it is.
    let (status, body) = b
        .post(&format!("/api/runs/{on_alpha}/cancel"), &json!({}))
        .await;
    assert_eq!(status, 409, "{body}");
    assert!(
        body["error"].as_str().unwrap_or("").contains("alpha"),
        "{body}"
    );
    let cancelled_at = Instant::now();
    let (status, body) = a
        .post(&format!("/api/runs/{on_alpha}/cancel"), &json!({}))
        .await;
    assert_eq!(status, 200, "{body}");
    let seen = watch.await.expect("viewer");
    let events: Vec<Value> = seen.iter().map(|(_, e)| e.clone()).collect();
    assert_contiguous(&events);
    assert_eq!(events.last().unwrap()["status"], "cancelled");
    let live: Vec<i64> = seen
        .iter()
        .filter(|(t, e)| e["type"] == "epoch" && *t < cancelled_at)
        .filter_map(|(_, e)| e["epoch"].as_i64())
        .filter(|&n| n > watched_from)
        .collect();
    assert!(
        live.len() >= 2,
        "beta's viewer got alpha's epochs after {watched_from} as they came: {live:?}"
    );
    // Beta's run, cancelled by beta and resumed through alpha, which numbered its `queued`
    // when it was created and has stored nothing of it since: every event once, in order.
    let (status, body) = b
        .post(&format!("/api/runs/{on_beta}/cancel"), &json!({}))
        .await;
    assert_eq!(status, 200, "{body}");
    b.wait_status(on_beta, &["cancelled"], Duration::from_secs(60))
        .await;
    let (status, body) = a
        .post(&format!("/api/runs/{on_beta}/resume"), &json!({}))
        .await;
    assert_eq!(status, 200, "{body}");
    let run = a
        .wait_status(on_beta, &["succeeded"], Duration::from_secs(240))
        .await;
    assert_eq!(run["epoch"], 25);
    let events = a.follow(&format!("/api/runs/{on_beta}/ws")).await;
    assert_contiguous(&events);
    let statuses = http::statuses(&events);
    assert_eq!(
        statuses,
        [
            "queued",
            "running",
            "cancelled",
            "queued",
            "running",
            "succeeded"
        ]
    );
}
