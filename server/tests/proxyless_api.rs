//! ProxylessNAS through the JSON API (issue 17): a search with a latency target streams its
//! layers, its found network is retrained from `source_run` and compared with a ResNet, the
//! latency figures reach the comparison, and what only a cell search has is refused by name.
mod http;

use http::{fields, Server};
use serde_json::json;
use std::time::Duration;

const MINUTES: Duration = Duration::from_secs(240);

#[tokio::test(flavor = "multi_thread")]
async fn a_proxyless_search_is_retrained_and_compared_through_the_api() {
    let s = Server::start("proxyless-api");
    let data = s.digits().await;

    let (code, bad) = s
        .post(
            "/api/runs",
            &json!({"dataset_id": data, "kind": "search", "config": {"strategy": "proxyless", "latency_target_ms": 0, "latency_loss": "fast"}}),
        )
        .await;
    assert_eq!(code, 422, "{bad}");
    let bad_fields = fields(&bad);
    for f in ["latency_target_ms", "latency_loss"] {
        assert!(bad_fields.iter().any(|b| b == f), "{f} in {bad}");
    }

    let search = s
        .create_run(
            &data,
            json!({"preset": "tiny", "strategy": "proxyless", "init_channels": 8, "epochs": 2, "latency_target_ms": 0.4}),
        )
        .await;
    s.wait_status(search, &["succeeded"], MINUTES).await;
    let events = s.follow(&format!("/api/runs/{search}/ws")).await;
    let layers: Vec<_> = events.iter().filter(|e| e["type"] == "layers").collect();
    assert_eq!(layers.len(), 2, "one layers event an epoch");
    assert_eq!(layers[0]["probabilities"].as_array().unwrap().len(), 8);
    let searched = s.get(&format!("/api/runs/{search}")).await.1;
    assert_eq!(searched["result"]["strategy"], "proxyless");
    assert_eq!(searched["result"]["latency_target_ms"], 0.4);

    let (code, train) = s
        .post(
            "/api/runs",
            &json!({"kind": "train", "source_run": search, "config": {"preset": "tiny"}}),
        )
        .await;
    assert_eq!(code, 201, "{train}");
    let (code, base) = s
        .post(
            "/api/runs",
            &json!({"kind": "baseline", "baseline": "resnet10", "source_run": search, "config": {"preset": "tiny"}}),
        )
        .await;
    assert_eq!(code, 201, "{base}");
    for (baseline, says) in [("pruned", "no cell supernet"), ("random", "samples cells")] {
        let (code, refused) = s
            .post(
                "/api/runs",
                &json!({"kind": "baseline", "baseline": baseline, "source_run": search, "config": {"preset": "tiny"}}),
            )
            .await;
        assert_eq!(code, 422, "{refused}");
        assert!(refused.to_string().contains(says), "{refused}");
    }
    let train = s
        .wait_status(train["id"].as_i64().unwrap(), &["succeeded"], MINUTES)
        .await;
    s.wait_status(base["id"].as_i64().unwrap(), &["succeeded"], MINUTES)
        .await;
    assert_eq!(train["result"]["architecture"], "proxyless");
    assert_eq!(
        train["result"]["layers"],
        searched["result"]["architecture"]
    );
    let names: Vec<String> = s
        .get(&format!("/api/runs/{}/artifacts", train["id"]))
        .await
        .1
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["name"].as_str().unwrap().to_string())
        .collect();
    for f in ["architecture.json", "model.pt", "MODEL.md"] {
        assert!(names.iter().any(|n| n == f), "{f} in {names:?}");
    }

    let (code, cmp) = s.get(&format!("/api/runs/{search}/comparison")).await;
    assert_eq!(code, 200, "{cmp}");
    assert_eq!(
        cmp["searched_with"],
        "strategy proxyless, latency target 0.4 ms (add loss)"
    );
    let rows = cmp["rows"].as_array().unwrap();
    let methods: Vec<&str> = rows.iter().map(|r| r["method"].as_str().unwrap()).collect();
    assert_eq!(
        methods,
        [
            "ProxylessNAS supernet, most likely path (during search)",
            "ProxylessNAS network, retrained",
            "ResNet-10"
        ]
    );
    // The retrained network's measured latency, and the ResNet's: accuracy against cost.
    for r in &rows[1..] {
        assert!(r["latency_ms"].as_f64().unwrap() > 0.0, "{r}");
    }
}
