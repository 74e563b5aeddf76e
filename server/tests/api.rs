//! The JSON API against a real server: uploads (one file and two), a `tiny` search followed over
//! the websocket to success, artifacts, and the 422/409/413 answers.
mod http;

use engine::genotype::Genotype;
use http::{assert_contiguous, datasets, sample, Server};
use serde_json::{json, Value};
use std::time::Duration;

#[tokio::test(flavor = "multi_thread")]
async fn upload_search_follow_and_download() {
    let s = Server::start("api-flow");
    let (status, body) = s
        .upload(&[("file", &http::sample())], &[("name", "digits")])
        .await;
    assert_eq!(status, 201, "{body}");
    // sklearn digits: 1,797 8x8 greyscale images of 10 classes (sklearn-digits/SOURCE.md).
    assert_eq!(
        (
            body["n"].as_i64(),
            body["height"].as_i64(),
            body["channels"].as_i64()
        ),
        (Some(1797), Some(8), Some(1))
    );
    assert_eq!(body["classes"].as_array().map(Vec::len), Some(10));
    let id = body["id"].as_str().unwrap().to_string();
    let (again, body2) = s.upload(&[("file", &http::sample())], &[]).await;
    assert_eq!(
        (again, body2["id"].as_str()),
        (200, Some(id.as_str())),
        "the same data is found, not stored twice"
    );
    let (_, list) = s.get("/api/datasets").await;
    assert_eq!(list.as_array().map(Vec::len), Some(1));
    let png = s
        .http
        .get(s.url(&format!("/api/datasets/{id}/samples.png")))
        .send()
        .await
        .unwrap();
    assert_eq!(png.headers()["content-type"], "image/png");
    assert!(png.bytes().await.unwrap().starts_with(b"\x89PNG"));

    let run = s
        .create_run(&id, json!({"preset": "tiny", "epochs": 2}))
        .await;
    let events = s.follow(&format!("/api/runs/{run}/ws")).await;
    assert_contiguous(&events);
    assert_eq!(events[0]["status"], "queued");
    assert_eq!(events.last().unwrap()["status"], "succeeded", "{events:?}");
    let epochs: Vec<_> = events
        .iter()
        .filter(|e| e["type"] == "epoch")
        .map(|e| e["epoch"].as_i64())
        .collect();
    assert_eq!(epochs, vec![Some(1), Some(2)]);
    assert!(events.iter().any(|e| e["type"] == "alphas"));

    let run_json = s
        .wait_status(run, &["succeeded"], Duration::from_secs(10))
        .await;
    assert_eq!(run_json["epoch"], 2);
    assert!(
        run_json["result"]["best_val_metric"].as_f64().is_some(),
        "{run_json}"
    );
    // The estimate builds the same supernet: its parameter count is the run's.
    let (status, est) = s
        .post(
            "/api/estimate",
            &json!({"dataset_id": id, "config": {"preset": "tiny", "epochs": 2}}),
        )
        .await;
    assert_eq!(status, 200, "{est}");
    assert_eq!(est["weights"], run_json["result"]["weights"], "{est}");
    assert_eq!(
        (est["alphas"].as_i64(), est["fits"].as_bool()),
        (Some(224), Some(true)),
        "{est}"
    );
    assert!(
        est["seconds_per_epoch"].as_f64().is_some_and(|t| t > 0.0)
            && est["memory_bytes"].as_u64().is_some_and(|m| m > 0)
    );
    let (_, huge) = s
        .post(
            "/api/estimate",
            &json!({"dataset_id": id, "config": {"preset": "tiny", "batch_size": 4096, "layers": 30, "init_channels": 256}}),
        )
        .await;
    assert_eq!(huge["fits"], false, "{huge}");
    assert!(
        huge["reason"]
            .as_str()
            .is_some_and(|r| r.contains("batch_size")),
        "{huge}"
    );
    let (_, arts) = s.get(&format!("/api/runs/{run}/artifacts")).await;
    let names: Vec<&str> = arts
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|a| a["name"].as_str())
        .collect();
    for n in [
        "config.json",
        "events.jsonl",
        "genotype.json",
        "alphas.json",
        "result.json",
        "weights.safetensors",
    ] {
        assert!(names.contains(&n), "{n} missing from {names:?}");
    }
    let g = s
        .http
        .get(s.url(&format!("/api/runs/{run}/artifacts/genotype.json")))
        .send()
        .await
        .unwrap();
    let genotype: Genotype = g.json().await.unwrap();
    genotype.validate().unwrap();
    let log = s
        .http
        .get(s.url(&format!("/api/runs/{run}/artifacts/events.jsonl")))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(
        log.lines().count(),
        events.len(),
        "the download holds what the stream sent"
    );

    // The dataset is in use: 409; the run goes first, then the dataset.
    let del = s
        .http
        .delete(s.url(&format!("/api/datasets/{id}")))
        .send()
        .await
        .unwrap();
    assert_eq!(del.status().as_u16(), 409);
    let del = s
        .http
        .delete(s.url(&format!("/api/runs/{run}")))
        .send()
        .await
        .unwrap();
    assert_eq!(del.status().as_u16(), 204);
    assert_eq!(s.get(&format!("/api/runs/{run}")).await.0, 404);
    let del = s
        .http
        .delete(s.url(&format!("/api/datasets/{id}")))
        .send()
        .await
        .unwrap();
    assert_eq!(del.status().as_u16(), 204);
    assert!(!s.dir.join("datasets").join(&id).exists());
}

/// A dataset's symmetry (which flips and quarter turns training may make) is changed through
/// `PATCH /api/datasets/{id}`, kept on disk where runs read it, and a bad word is named and
/// changes nothing; uploading the same data with a symmetry changes it too.
#[tokio::test(flavor = "multi_thread")]
async fn a_datasets_symmetry_is_changed_in_place_and_a_bad_one_named() {
    let s = Server::start("api-symmetry");
    let id = s.digits().await;
    let path = format!("/api/datasets/{id}");
    assert_eq!(s.get(&path).await.1["summary"]["symmetry"], "none");
    let patch = |body: Value| {
        let request = s.http.patch(s.url(&path)).json(&body);
        async move {
            let r = request.send().await.expect("PATCH");
            let status = r.status().as_u16();
            (status, r.json::<Value>().await.unwrap_or(Value::Null))
        }
    };
    let (status, body) = patch(json!({"symmetry": "dihedral"})).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["summary"]["symmetry"], "dihedral");
    let on_disk: Value = serde_json::from_str(
        &std::fs::read_to_string(s.dir.join("datasets").join(&id).join("summary.json"))
            .expect("summary.json"),
    )
    .expect("JSON");
    assert_eq!(
        on_disk["symmetry"], "dihedral",
        "runs read the stored summary"
    );
    let (status, body) = patch(json!({"symmetry": "mirror"})).await;
    assert_eq!(status, 422, "{body}");
    assert!(
        body.to_string()
            .contains("symmetry: 'mirror' is not a symmetry"),
        "{body}"
    );
    let (status, body) = patch(json!({"name": "renamed"})).await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(s.get(&path).await.1["summary"]["symmetry"], "dihedral");
    let missing = s
        .http
        .patch(s.url("/api/datasets/no-such-data"))
        .json(&json!({"symmetry": "flip"}))
        .send()
        .await
        .expect("PATCH");
    assert_eq!(missing.status().as_u16(), 404);
    let (status, body) = s
        .upload(&[("file", &sample())], &[("symmetry", "flip")])
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(s.get(&path).await.1["summary"]["symmetry"], "flip");
}

#[tokio::test(flavor = "multi_thread")]
async fn two_file_regression_upload() {
    let s = Server::start("api-mechanical");
    let dir = datasets().join("mechanical-mnist-test");
    let (status, body) = s
        .upload(
            &[
                ("file", &dir.join("mnist_img_test.txt.zip")),
                ("y_file", &dir.join("summary_psi_test_all.txt")),
            ],
            &[],
        )
        .await;
    assert_eq!(status, 201, "{body}");
    // Mechanical MNIST test split: 10,000 28x28 images with strain-energy targets (SOURCE.md).
    assert_eq!(
        (
            body["task"].as_str(),
            body["n"].as_i64(),
            body["width"].as_i64()
        ),
        (Some("regression"), Some(10000), Some(28))
    );
    assert!(
        body["targets"].as_array().is_some_and(|t| !t.is_empty()),
        "{body}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn bad_configs_get_422_naming_every_key() {
    let s = Server::start("api-422");
    let id = s.digits().await;
    let (status, body) = s
        .post("/api/runs", &json!({"dataset_id": id, "config": {"preset": "tiny", "epochs": "two", "w_lr": -1, "colour": 3, "loss": "mse"}}))
        .await;
    assert_eq!(status, 422, "{body}");
    let fields: Vec<&str> = body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| e["field"].as_str())
        .collect();
    for f in ["epochs", "w_lr", "colour"] {
        assert!(fields.contains(&f), "{f} not named in {body}");
    }
    let (status, body) = s
        .post(
            "/api/runs",
            &json!({"dataset_id": id, "config": {"loss": "mse"}}),
        )
        .await;
    assert_eq!(
        (status, body["errors"][0]["field"].as_str()),
        (422, Some("loss")),
        "{body}"
    );
    let (status, body) = s
        .post(
            "/api/runs",
            &json!({"dataset_id": "0123456789abcdef", "config": {}}),
        )
        .await;
    assert_eq!(
        (status, body["errors"][0]["field"].as_str()),
        (422, Some("dataset_id")),
        "{body}"
    );
    let (_, runs) = s.get("/api/runs").await;
    assert_eq!(
        runs.as_array().map(Vec::len),
        Some(0),
        "nothing is queued for a bad request"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn oversized_and_bad_uploads_are_refused_and_nothing_is_stored() {
    let dir = http::scratch("api-413");
    let s = Server::start_in(&dir, "127.0.0.1:0", &["--upload-limit", "20000"], &[]);
    let (status, body) = s.upload(&[("file", &http::sample())], &[]).await;
    assert_eq!(status, 413, "{body}");
    assert!(
        body["error"].as_str().unwrap().contains("20000 bytes"),
        "{body}"
    );
    let bad = dir.join("broken.csv");
    std::fs::write(&bad, "a,b,label\n1,2,0\n3,x,1\n").unwrap();
    let (status, body) = s.upload(&[("file", &bad)], &[]).await;
    assert_eq!(status, 422, "{body}");
    let msg = body["error"].as_str().unwrap();
    assert!(
        msg.contains("broken.csv") && !msg.contains("uploads/"),
        "{msg}"
    );
    let (_, list) = s.get("/api/datasets").await;
    assert_eq!(list.as_array().map(Vec::len), Some(0));
    let left: Vec<_> = std::fs::read_dir(dir.join("uploads"))
        .map(|d| d.count())
        .into_iter()
        .collect();
    assert_eq!(left, vec![0], "upload scratch folders are removed");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_full_queue_answers_429() {
    let dir = http::scratch("api-429");
    let s = Server::start_in(&dir, "127.0.0.1:0", &["--max-queued", "1"], &[]);
    let id = s.digits().await;
    let long = json!({"preset": "tiny", "epochs": 50});
    let running = s.create_run(&id, long.clone()).await;
    s.wait_status(running, &["running"], Duration::from_secs(60))
        .await;
    let waiting = s.create_run(&id, long.clone()).await;
    let (status, body) = s
        .post("/api/runs", &json!({"dataset_id": id, "config": long}))
        .await;
    assert_eq!(status, 429, "{body}");
    assert!(
        body["error"]
            .as_str()
            .is_some_and(|e| e.contains("--max-queued")),
        "{body}"
    );
    for run in [waiting, running] {
        assert_eq!(
            s.post(&format!("/api/runs/{run}/cancel"), &json!({}))
                .await
                .0,
            200
        );
    }
}
