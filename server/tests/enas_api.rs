//! ENAS through the JSON API (issue 17): a search streams its controller's figures each epoch,
//! its cell is retrained and its shared weights pruned to it, and the comparison names them.
mod http;

use http::Server;
use serde_json::json;
use std::time::Duration;

const MINUTES: Duration = Duration::from_secs(240);

#[tokio::test(flavor = "multi_thread")]
async fn an_enas_search_is_retrained_pruned_and_compared_through_the_api() {
    let s = Server::start("enas-api");
    let data = s.digits().await;
    let search = s
        .create_run(
            &data,
            json!({"preset": "tiny", "strategy": "enas", "epochs": 2, "enas_controller_steps": 2, "enas_samples": 2}),
        )
        .await;
    s.wait_status(search, &["succeeded"], MINUTES).await;
    let events = s.follow(&format!("/api/runs/{search}/ws")).await;
    let controller: Vec<_> = events
        .iter()
        .filter(|e| e["type"] == "controller")
        .collect();
    assert_eq!(controller.len(), 2, "one controller event an epoch");
    assert!(controller[1]["entropy"].as_f64().unwrap() > 0.0);
    let searched = s.get(&format!("/api/runs/{search}")).await.1;
    assert_eq!(
        searched["result"]["genotype"]["normal"]
            .as_array()
            .unwrap()
            .len(),
        8
    );

    let mut made = vec![];
    for body in [
        json!({"kind": "train", "source_run": search, "config": {"preset": "tiny"}}),
        json!({"kind": "baseline", "baseline": "pruned", "source_run": search, "config": {"preset": "tiny"}}),
    ] {
        let (code, run) = s.post("/api/runs", &body).await;
        assert_eq!(code, 201, "{run}");
        made.push(run["id"].as_i64().unwrap());
    }
    for id in made {
        s.wait_status(id, &["succeeded"], MINUTES).await;
    }
    let (code, cmp) = s.get(&format!("/api/runs/{search}/comparison")).await;
    assert_eq!(code, 200, "{cmp}");
    assert!(
        cmp["searched_with"]
            .as_str()
            .unwrap()
            .starts_with("strategy enas"),
        "{cmp}"
    );
    let methods: Vec<&str> = cmp["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["method"].as_str().unwrap())
        .collect();
    assert_eq!(
        methods,
        [
            "ENAS shared weights through the kept cell (during search)",
            "ENAS cell, retrained",
            "ENAS shared weights pruned to its cell, fine-tuned"
        ]
    );
}
