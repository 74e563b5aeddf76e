//! PostgreSQL as the shared store (scripts/scaleout/with-cluster starts a throwaway one for
//! `make test`): two servers on one database share one queue, and each run starts exactly once.
//! (The other server suites run against PostgreSQL too: `make test` runs them again with
//! DARTBOARD_TEST_STORE=postgres.)
mod http;

use http::Server;
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
        let statuses: Vec<&str> = events
            .iter()
            .filter(|e| e["type"] == "status")
            .filter_map(|e: &Value| e["status"].as_str())
            .collect();
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
