//! One truth for a run's state and the store's (issue 13, findings 5, 6 and 8): the final status
//! is stored before viewers hear it; parallel uploads of one file make one dataset; the queue
//! limit holds under parallel requests; deleting a dataset while runs are created never answers
//! 500; a crashed server's leftovers are cleaned at start; loose request shapes are refused.
mod http;

use futures_util::StreamExt;
use http::Server;
use serde_json::{json, Value};
use std::path::Path;
use std::time::Duration;
use tokio_tungstenite::tungstenite::Message;

const MINUTES: Duration = Duration::from_secs(240);

/// A small CSV (4x4 pixel rows and a label) whose content is unique to `salt`.
fn csv(dir: &Path, salt: u32) -> std::path::PathBuf {
    let mut text = String::from("label");
    for i in 0..16 {
        text += &format!(",p{i}");
    }
    text += "\n";
    for row in 0..40u32 {
        text += &format!("{}", row % 2);
        for i in 0..16u32 {
            text += &format!(",{}", (row * 7 + i * 13 + salt) % 256);
        }
        text += "\n";
    }
    let path = dir.join(format!("unique-{salt}.csv"));
    std::fs::write(&path, text).unwrap();
    path
}

#[tokio::test(flavor = "multi_thread")]
async fn the_final_status_is_stored_before_viewers_hear_it() {
    let s = Server::start("races-final");
    let data = s.digits().await;
    for round in 0..2 {
        let id = s
            .create_run(&data, json!({"preset": "tiny", "epochs": 1, "seed": round}))
            .await;
        let (mut ws, _) = tokio_tungstenite::connect_async(s.ws_url(&format!("/api/runs/{id}/ws")))
            .await
            .unwrap();
        let final_event = loop {
            let msg = tokio::time::timeout(MINUTES, ws.next())
                .await
                .expect("an event within 240 s")
                .expect("the stream ended before a final status")
                .unwrap();
            if let Message::Text(t) = msg {
                let e: Value = serde_json::from_str(&t).unwrap();
                if e["type"] == "status" && e["status"] != "running" && e["status"] != "queued" {
                    break e;
                }
            }
        };
        assert_eq!(final_event["status"], "succeeded", "{final_event}");
        // At once, before anything else: the store says the same, result and all.
        let (_, run) = s.get(&format!("/api/runs/{id}")).await;
        assert_eq!(run["status"], "succeeded", "{run}");
        assert!(run["result"].is_object(), "{run}");
        let page = s
            .http
            .get(s.url(&format!("/runs/{id}")))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(
            page.contains(r#"class="status succeeded""#),
            "the page renders the stored final status"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn parallel_uploads_of_one_file_make_one_dataset() {
    let s = Server::start("races-uploads");
    let file = csv(&s.dir, 7);
    let files = [("file", file.as_path())];
    let uploads = (0..20).map(|_| s.upload(&files, &[]));
    let answers = futures_util::future::join_all(uploads).await;
    let statuses: Vec<u16> = answers.iter().map(|a| a.0).collect();
    assert!(
        statuses.iter().all(|&c| c == 200 || c == 201),
        "{statuses:?} {:?}",
        answers.iter().find(|a| a.0 >= 400)
    );
    assert_eq!(
        statuses.iter().filter(|&&c| c == 201).count(),
        1,
        "{statuses:?}"
    );
    let ids: std::collections::BTreeSet<&str> =
        answers.iter().filter_map(|a| a.1["id"].as_str()).collect();
    assert_eq!(ids.len(), 1, "{ids:?}");
    let (_, list) = s.get("/api/datasets").await;
    assert_eq!(list.as_array().map(Vec::len), Some(1));
    let leftovers: Vec<_> = std::fs::read_dir(s.dir.join("datasets"))
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".tmp"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
    let scratch = std::fs::read_dir(s.dir.join("uploads")).map_or(0, |d| d.count());
    assert_eq!(scratch, 0, "upload scratch folders left");
}

#[tokio::test(flavor = "multi_thread")]
async fn the_queue_limit_holds_under_parallel_requests() {
    let dir = http::scratch("races-queue");
    let s = Server::start_in(&dir, "127.0.0.1:0", &["--max-queued", "5"], &[]);
    let data = s.digits().await;
    let body = json!({"dataset_id": data, "config": {"preset": "tiny", "epochs": 50}});
    let answers = futures_util::future::join_all((0..20).map(|_| s.post("/api/runs", &body))).await;
    let accepted = answers.iter().filter(|a| a.0 == 201).count();
    let refused = answers.iter().filter(|a| a.0 == 429).count();
    assert_eq!(accepted + refused, 20, "{answers:?}");
    let (_, runs) = s.get("/api/runs").await;
    let runs = runs.as_array().unwrap().clone();
    let queued = runs.iter().filter(|r| r["status"] == "queued").count();
    let started = runs.len() - queued;
    assert!(queued <= 5, "{queued} queued");
    // The worker may have taken one from the queue meanwhile, making room for one more.
    assert!(
        accepted <= 5 + started,
        "{accepted} accepted, {started} started"
    );
    for r in runs {
        let id = r["id"].as_i64().unwrap();
        s.post(&format!("/api/runs/{id}/cancel"), &json!({})).await;
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn deleting_a_dataset_while_runs_are_created_never_fails_inside() {
    let s = Server::start("races-delete");
    for round in 0..12 {
        let file = csv(&s.dir, 100 + round);
        let (status, up) = s.upload(&[("file", &file)], &[]).await;
        assert_eq!(status, 201, "{up}");
        let data = up["id"].as_str().unwrap().to_string();
        let body = json!({"dataset_id": data, "config": {"preset": "tiny", "epochs": 50}});
        let delete = s
            .http
            .delete(s.url(&format!("/api/datasets/{data}")))
            .send();
        let (created, deleted) = tokio::join!(s.post("/api/runs", &body), delete);
        let deleted = deleted.unwrap();
        let (d_status, d_text) = (deleted.status().as_u16(), deleted.text().await.unwrap());
        assert!(matches!(created.0, 201 | 409 | 422), "{created:?}");
        assert!(matches!(d_status, 204 | 409), "{d_status} {d_text}");
        assert!(!d_text.contains("used by 0"), "{d_text}");
        // Exactly one of them won.
        assert_eq!(
            created.0 == 201,
            d_status == 409,
            "{created:?} {d_status} {d_text}"
        );
        if created.0 == 201 {
            let id = created.1["id"].as_i64().unwrap();
            s.post(&format!("/api/runs/{id}/cancel"), &json!({})).await;
        }
    }
}

#[test]
fn a_crashed_servers_leftovers_are_cleaned_at_start() {
    let dir = http::scratch("races-leftovers");
    let upload = dir.join("uploads/0a1b2c3d4e5f6a7b/file");
    std::fs::create_dir_all(&upload).unwrap();
    std::fs::write(upload.join("half.zip"), b"PK").unwrap();
    let temps = [
        dir.join("datasets/.0123456789abcdef.tmp"),
        dir.join("datasets/.0123456789abcdef.4242-7.tmp"),
    ];
    for t in &temps {
        std::fs::create_dir_all(t).unwrap();
        std::fs::write(t.join("data.safetensors"), b"half").unwrap();
    }
    let kept = dir.join("datasets/fedcba9876543210");
    std::fs::create_dir_all(&kept).unwrap();
    let s = Server::start_in(&dir, "127.0.0.1:0", &[], &[]);
    assert!(!dir.join("uploads/0a1b2c3d4e5f6a7b").exists());
    for t in &temps {
        assert!(!t.exists(), "{}", t.display());
    }
    assert!(kept.exists(), "a stored dataset is not a leftover");
    drop(s);
}

#[tokio::test(flavor = "multi_thread")]
async fn loose_request_shapes_are_refused_by_name() {
    let s = Server::start("races-shapes");
    let data = s.digits().await;
    let cases = [
        (json!({"dataset_id": data, "study": "yes"}), "study"),
        (
            json!({"dataset_id": data, "study": {"preset": "quick", "colour": "red"}}),
            "study",
        ),
        (json!({"dataset_id": data, "study": {"preset": 3}}), "study"),
        (json!({"dataset_id": data, "colour": "red"}), "colour"),
        (json!({"dataset_id": data, "source_run": 1}), "source_run"),
        (
            json!({"dataset_id": data, "genotype": "darts-v2"}),
            "genotype",
        ),
        (
            json!({"dataset_id": data, "kind": "search", "baseline": "resnet18"}),
            "baseline",
        ),
        (
            json!({"dataset_id": data, "kind": "train", "genotype": "darts-v2", "baseline": "resnet18"}),
            "baseline",
        ),
        (
            json!({"dataset_id": data, "kind": "baseline", "baseline": "resnet18", "genotype": "darts-v2"}),
            "genotype",
        ),
        (json!(["dataset_id"]), "body"),
    ];
    for (body, field) in cases {
        let (status, answer) = s.post("/api/runs", &body).await;
        assert_eq!(status, 422, "{body}: {answer}");
        assert!(
            http::fields(&answer).contains(&field.to_string()),
            "{body}: {answer}"
        );
    }
    let (_, runs) = s.get("/api/runs").await;
    assert_eq!(
        runs.as_array().map(Vec::len),
        Some(0),
        "nothing was started"
    );
}
