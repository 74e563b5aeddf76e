//! `train` and `baseline` runs through the API: made from a finished search (or a named
//! genotype), run by workers like searches, scored on the test split, readable through the
//! search's share link; bad requests name every bad field.
mod http;

use http::{fields, Server};
use serde_json::json;
use std::time::Duration;

const MINUTES: Duration = Duration::from_secs(240);

#[tokio::test(flavor = "multi_thread")]
async fn a_search_is_retrained_and_compared_with_a_resnet_on_its_test_split() {
    let s = Server::start("training-runs");
    let data = s.digits().await;
    let search = s.create_run(&data, json!({"preset": "tiny"})).await;
    s.wait_status(search, &["succeeded"], MINUTES).await;

    let (code, train) = s
        .post("/api/runs", &json!({"kind": "train", "source_run": search, "config": {"preset": "tiny", "epochs": 2}}))
        .await;
    assert_eq!(code, 201, "{train}");
    let (code, base) = s
        .post("/api/runs", &json!({"kind": "baseline", "baseline": "resnet10", "source_run": search, "config": {"preset": "tiny"}}))
        .await;
    assert_eq!(code, 201, "{base}");
    let train = s
        .wait_status(train["id"].as_i64().unwrap(), &["succeeded"], MINUTES)
        .await;
    let base = s
        .wait_status(base["id"].as_i64().unwrap(), &["succeeded"], MINUTES)
        .await;

    let searched = s.get(&format!("/api/runs/{search}")).await.1;
    // The search's own supernet, scored once on the test split.
    assert!(
        searched["result"]["supernet_test_metric"]
            .as_f64()
            .is_some(),
        "{searched}"
    );
    assert_eq!(train["source_run"], search);
    assert_eq!(train["dataset_id"], data.as_str(), "the source's dataset");
    assert_eq!(train["result"]["genotype"], searched["result"]["genotype"]);
    assert_eq!(train["result"]["architecture"], "darts");
    // The runs list shows a trained network's test metric as its best.
    assert_eq!(train["best_metric"], train["result"]["test_metric"]);
    assert_eq!(base["result"]["architecture"], "resnet10");
    // kuangliu/pytorch-cifar ResNet-10 on 1-channel images with 10 classes: 4,903,242 weights
    // for 3 channels, less 2 x 64 x 3 x 3 for the stem's two missing input channels.
    assert_eq!(base["result"]["params"], 4_903_242 - 2 * 64 * 9);
    assert_eq!(
        base["result"]["train_samples"],
        train["result"]["train_samples"]
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
    for f in [
        "genotype.json",
        "result.json",
        "weights.safetensors",
        "model.pt",
        "MODEL.md",
    ] {
        assert!(names.iter().any(|n| n == f), "{f} in {names:?}");
    }

    // The comparison: supernet, retrained cell and ResNet-10, with their test metrics.
    let (code, cmp) = s.get(&format!("/api/runs/{search}/comparison")).await;
    assert_eq!(code, 200, "{cmp}");
    let methods: Vec<&str> = cmp["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["method"].as_str().unwrap())
        .collect();
    assert_eq!(
        methods,
        [
            "DARTS supernet (during search)",
            "DARTS cell, retrained",
            "ResNet-10"
        ]
    );
    assert_eq!(
        cmp["rows"][0]["test_metric_mean"],
        searched["result"]["supernet_test_metric"]
    );
    assert_eq!(
        cmp["rows"][1]["test_metric_mean"],
        train["result"]["test_metric"]
    );
    assert_eq!(cmp["rows"][1]["runs"], json!([train["id"]]));
    assert_eq!(cmp["rows"][2]["params"], base["result"]["params"]);
    assert_eq!(cmp["metric"], "accuracy");
    assert_eq!(
        s.get(&format!("/api/runs/{}/comparison", train["id"]))
            .await
            .0,
        404
    );

    // The model card: data, metrics, the baselines of its search, and how to load the model.
    let card = s
        .http
        .get(s.url(&format!("/api/runs/{}/artifacts/MODEL.md", train["id"])))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    for want in [
        "## Data",
        "classes, in the order of the model's outputs: 0, 1, 2",
        "| accuracy |",
        "Confusion matrix (rows: true class",
        "ResNet-10",
        "torch.jit.load(\"model.pt\")",
        "[N, 1, 8, 8]",
        "images per second in batches of 64",
        "| latency (ms) |",
    ] {
        assert!(card.contains(want), "{want} in\n{card}");
    }
    // A search has no trained network, so no card.
    assert_eq!(
        s.get(&format!("/api/runs/{search}/artifacts/MODEL.md"))
            .await
            .0,
        404
    );

    // A share of the search also opens the runs made from it.
    let token = s
        .post(&format!("/api/runs/{search}/share"), &json!({}))
        .await
        .1["token"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(
        s.get(&format!("/api/runs/{}?token={token}", train["id"]))
            .await
            .0,
        200
    );
    let shared = s.get(&format!("/api/share/{token}")).await.1;
    assert_eq!(shared["derived"].as_array().unwrap().len(), 2);

    // A named genotype needs no search.
    let (code, named) = s
        .post("/api/runs", &json!({"kind": "train", "genotype": "darts-v2", "dataset_id": data, "config": {"preset": "tiny"}}))
        .await;
    assert_eq!(code, 201, "{named}");
    s.wait_status(named["id"].as_i64().unwrap(), &["succeeded"], MINUTES)
        .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn bad_training_requests_name_every_bad_field() {
    let s = Server::start("training-bad");
    let data = s.digits().await;
    let (code, body) = s
        .post(
            "/api/runs",
            &json!({"kind": "train", "dataset_id": data, "config": {"cutout": 3, "bogus": 1}}),
        )
        .await;
    assert_eq!(code, 422);
    let f = fields(&body);
    for want in ["genotype", "cutout", "bogus"] {
        assert!(f.iter().any(|x| x == want), "{want} in {body}");
    }
    let (code, body) = s
        .post(
            "/api/runs",
            &json!({"kind": "train", "source_run": 999, "genotype": "darts-v7"}),
        )
        .await;
    assert_eq!(code, 422);
    let f = fields(&body);
    assert!(
        f.contains(&"source_run".to_string()) && f.contains(&"dataset_id".to_string()),
        "{body}"
    );
    let (code, body) = s
        .post(
            "/api/runs",
            &json!({"kind": "baseline", "baseline": "vgg", "dataset_id": data}),
        )
        .await;
    assert_eq!(
        (code, fields(&body)),
        (422, vec!["baseline".to_string()]),
        "{body}"
    );
    assert!(
        body.to_string()
            .contains("one of resnet18, resnet10, random, pruned"),
        "{body}"
    );
    // A pruned network needs the search whose supernet it fine-tunes.
    let (code, body) = s
        .post(
            "/api/runs",
            &json!({"kind": "baseline", "baseline": "pruned", "dataset_id": data}),
        )
        .await;
    assert_eq!(
        (code, fields(&body)),
        (422, vec!["source_run".to_string()]),
        "{body}"
    );
    assert!(
        body.to_string()
            .contains("the search whose supernet it fine-tunes"),
        "{body}"
    );
    // Nothing was stored.
    assert_eq!(s.get("/api/runs").await.1.as_array().unwrap().len(), 0);
}
