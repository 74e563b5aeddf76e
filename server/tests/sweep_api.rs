//! Sweeps through the JSON API (issue 18): a 2x2 grid of `tiny` searches with 2 seeds runs to
//! the end; each cell of its map is the mean of its runs' metrics; the points whose `w_lr` makes
//! the search diverge are marked failed and the sweep still completes; the CSV lists every run;
//! bad requests are named per field and point; a cancelled sweep stops every member; a share
//! link reads it.
mod http;

use http::Server;
use serde_json::{json, Value};
use std::time::{Duration, Instant};

const MINUTES: Duration = Duration::from_secs(300);

async fn wait_finished(s: &Server, id: i64, want: &str) -> Value {
    let start = Instant::now();
    loop {
        let (code, d) = s.get(&format!("/api/sweeps/{id}")).await;
        assert_eq!(code, 200, "{d}");
        if d["row"]["status"] == want {
            return d;
        }
        assert!(
            start.elapsed() < MINUTES,
            "sweep {id} not {want} after {MINUTES:?}: {d}"
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

async fn text(s: &Server, path: &str) -> (u16, String) {
    let r = s.http.get(s.url(path)).send().await.unwrap();
    (r.status().as_u16(), r.text().await.unwrap())
}

#[tokio::test(flavor = "multi_thread")]
async fn a_grid_of_searches_is_mapped_with_its_diverged_points_marked() {
    let s = Server::start("sweep-api");
    let data = s.digits().await;
    // SGD without clipping: at w_lr 10 the validation loss explodes (the search diverges).
    let base =
        json!({"preset": "tiny", "w_optimizer": "sgd", "w_momentum": 0.99, "grad_clip": 1e30});
    let (code, made) = s
        .post(
            "/api/sweeps",
            &json!({"dataset_id": data, "kind": "search", "config": base,
                "axes": [{"key": "w_lr", "values": [0.001, 10]}, {"key": "alpha_lr", "values": [0.001, 0.01]}],
                "seeds": 2}),
        )
        .await;
    assert_eq!(code, 201, "{made}");
    let id = made["id"].as_i64().unwrap();
    assert_eq!(made["runs"].as_array().unwrap().len(), 8);
    let d = wait_finished(&s, id, "finished").await;
    let cells = d["cells"].as_array().unwrap();
    assert_eq!(cells.len(), 4);
    for c in cells {
        let runs: Vec<i64> = c["runs"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r.as_i64().unwrap())
            .collect();
        assert_eq!(runs.len(), 2, "two seeds a point: {c}");
        let mut metrics = vec![];
        let mut seeds = vec![];
        for r in &runs {
            let run = s.get(&format!("/api/runs/{r}")).await.1;
            seeds.push(run["config"]["seed"].as_u64().unwrap());
            if let Some(m) = run["result"]["best_val_metric"].as_f64() {
                metrics.push(m);
            }
        }
        seeds.sort_unstable();
        assert_eq!(
            seeds[1],
            seeds[0] + 1,
            "consecutive seeds from the config's"
        );
        let diverging = c["label"].as_str().unwrap().starts_with("w_lr=10");
        if diverging {
            assert_eq!(
                (c["failed"].as_u64(), c["mean"].as_f64()),
                (Some(2), None),
                "{c}"
            );
        } else {
            assert_eq!(c["failed"], 0, "{c}");
            let mean = metrics.iter().sum::<f64>() / metrics.len() as f64;
            assert!(
                (c["mean"].as_f64().unwrap() - mean).abs() < 1e-12,
                "{c} vs {metrics:?}"
            );
            assert_eq!(c["n"], 2);
            assert!(c["parameter_free"].as_f64().is_some());
        }
    }
    assert_eq!(d["measure"], "best validation accuracy of the search");
    let best = d["sweet_spot"]["best"].as_str().unwrap();
    assert!(best.starts_with("w_lr=0.001"), "{d}");
    assert_eq!(d["sweet_spot"]["scored"], 2);

    // A sweep of another kind: the best point's first search's cell, retrained at two
    // learning rates (a seed each); each point's value is its test metric.
    let source = cells
        .iter()
        .find(|c| c["label"] == best)
        .map(|c| c["runs"][0].as_i64().unwrap())
        .unwrap();
    let (code, trains) = s
        .post(
            "/api/sweeps",
            &json!({"kind": "train", "source_run": source, "config": {"preset": "tiny"},
                "axes": [{"key": "lr", "values": [0.01, 0.05]}]}),
        )
        .await;
    assert_eq!(code, 201, "{trains}");
    let t = wait_finished(&s, trains["id"].as_i64().unwrap(), "finished").await;
    assert_eq!(t["measure"], "test accuracy");
    for c in t["cells"].as_array().unwrap() {
        let run = s.get(&format!("/api/runs/{}", c["runs"][0])).await.1;
        assert_eq!(run["kind"], "train");
        assert_eq!(run["source_run"], source);
        assert_eq!(c["mean"], run["result"]["test_metric"], "{c}");
    }

    // The CSV: a line a run; the failed ones say why.
    let (code, csv) = text(&s, &format!("/api/sweeps/{id}/sweep.csv")).await;
    assert_eq!(code, 200);
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(
        lines[0],
        "run,point,seed,w_lr,alpha_lr,status,accuracy,parameter_free_ops,message"
    );
    assert_eq!(lines.len(), 9);
    assert_eq!(
        lines
            .iter()
            .filter(|l| l.contains(",failed,") && l.contains("diverged"))
            .count(),
        4,
        "{csv}"
    );

    // The page draws the map with a cell a point and the failed ones marked, without scripts.
    let (code, page) = text(&s, &format!("/sweeps/{id}")).await;
    assert_eq!(code, 200);
    assert!(
        page.contains("class=\"sweep-map\"") && page.contains("2 failed"),
        "{page}"
    );
    let (code, share) = s.post(&format!("/api/sweeps/{id}/share"), &json!({})).await;
    assert_eq!(code, 200, "{share}");
    let token = share["token"].as_str().unwrap();
    let (code, shared) = s.get(&format!("/api/share/sweeps/{token}")).await;
    assert_eq!(
        (code, shared["cells"].as_array().map(Vec::len)),
        (200, Some(4))
    );
    assert_eq!(shared["read_only"], true);
    assert_eq!(text(&s, &format!("/share/sweeps/{token}")).await.0, 200);
    assert_eq!(s.get("/api/share/sweeps/nope").await.0, 404);
}

#[tokio::test(flavor = "multi_thread")]
async fn bad_sweeps_are_named_and_a_cancelled_sweep_stops_every_run() {
    let s = Server::start("sweep-cancel");
    let data = s.digits().await;
    let (code, body) = s
        .post(
            "/api/sweeps",
            &json!({"dataset_id": data, "config": {"preset": "tiny"},
                "axes": [{"key": "alpha_lr", "values": [0.01, -1]}, {"key": "seed", "values": [1, 2]}],
                "seeds": 99}),
        )
        .await;
    assert_eq!(code, 422, "{body}");
    let text = body.to_string();
    assert!(
        text.contains("seeds are not an axis") && text.contains("99: give 1 to 10"),
        "{body}"
    );
    let (code, body) = s
        .post(
            "/api/sweeps",
            &json!({"dataset_id": data, "config": {"preset": "tiny"},
                "axes": [{"key": "alpha_lr", "values": [0.01, -1]}]}),
        )
        .await;
    assert_eq!(code, 422, "{body}");
    assert_eq!(body["errors"][0]["field"], "alpha_lr");
    assert!(body.to_string().contains("at alpha_lr=-1"), "{body}");
    assert!(
        s.get("/api/sweeps").await.1.as_array().unwrap().is_empty(),
        "nothing stored"
    );

    // More runs than --max-queued admits: 429, nothing stored.
    let small = Server::start_in(
        &http::scratch("sweep-429"),
        "127.0.0.1:0",
        &["--max-queued", "3"],
        &[],
    );
    let small_data = small.digits().await;
    let (code, body) = small
        .post(
            "/api/sweeps",
            &json!({"dataset_id": small_data, "config": {"preset": "tiny"},
                "axes": [{"key": "alpha_lr", "values": [0.01, 0.02]}], "seeds": 2}),
        )
        .await;
    assert_eq!(code, 429, "{body}");
    assert!(
        body["error"].as_str().unwrap().contains("--max-queued"),
        "{body}"
    );
    assert!(small
        .get("/api/runs")
        .await
        .1
        .as_array()
        .unwrap()
        .is_empty());
    assert!(small
        .get("/api/sweeps")
        .await
        .1
        .as_array()
        .unwrap()
        .is_empty());

    let (code, made) = s
        .post(
            "/api/sweeps",
            &json!({"dataset_id": data, "config": {"preset": "tiny", "epochs": 3},
                "axes": [{"key": "alpha_lr", "range": {"from": 1e-3, "to": 1e-1, "count": 3, "scale": "log"}}],
                "seeds": 2}),
        )
        .await;
    assert_eq!(code, 201, "{made}");
    let id = made["id"].as_i64().unwrap();
    let (code, cancelled) = s
        .post(&format!("/api/sweeps/{id}/cancel"), &json!({}))
        .await;
    assert_eq!(code, 200, "{cancelled}");
    let d = wait_finished(&s, id, "cancelled").await;
    for r in made["runs"].as_array().unwrap() {
        let run = s
            .wait_status(
                r.as_i64().unwrap(),
                &["cancelled", "succeeded", "failed"],
                MINUTES,
            )
            .await;
        assert_eq!(run["status"], "cancelled", "{run}");
    }
    assert_eq!(d["row"]["runs"], 6);
    assert_eq!(d["axes"][0]["values"], json!(["0.001", "0.01", "0.1"]));
}
