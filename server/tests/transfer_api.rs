//! A cell moved to other data through the API (issue 18): `kind: train` with a search's
//! `source_run` and another `dataset_id` trains the cell there (here: a digits cell on a
//! regression dataset, so the head is rebuilt); the run page says so, the target dataset's
//! comparison lists it as transferred, the search's own comparison does not count it as its
//! retraining, and the model card names where the cell came from.
mod common;
mod http;

use common::ramp_csv;

use http::Server;
use serde_json::{json, Value};
use std::time::Duration;

const MINUTES: Duration = Duration::from_secs(240);

async fn text(s: &Server, path: &str) -> String {
    let r = s.http.get(s.url(path)).send().await.unwrap();
    assert_eq!(r.status().as_u16(), 200, "{path}");
    r.text().await.unwrap()
}

fn methods(cmp: &Value) -> Vec<String> {
    cmp["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["method"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_digits_cell_is_trained_on_regression_data_and_listed_as_transferred() {
    let s = Server::start("transfer-api");
    let digits = s.digits().await;
    let csv = ramp_csv(&s.dir.join("upload"));
    let (code, ramp) = s.upload(&[("file", &csv)], &[("task", "regression")]).await;
    assert_eq!(code, 201, "{ramp}");
    let ramp_id = ramp["id"].as_str().unwrap().to_string();
    let search = s.create_run(&digits, json!({"preset": "tiny"})).await;
    s.wait_status(search, &["succeeded"], MINUTES).await;

    let (code, run) = s
        .post(
            "/api/runs",
            &json!({"kind": "train", "source_run": search, "dataset_id": ramp_id, "config": {"preset": "tiny"}}),
        )
        .await;
    assert_eq!(code, 201, "{run}");
    let id = run["id"].as_i64().unwrap();
    let done = s.wait_status(id, &["succeeded"], MINUTES).await;
    assert_eq!(done["result"]["metric"], "rmse", "{done}");
    assert_eq!(done["source_run"], search);

    // The target dataset's comparison lists the cell as transferred, with its test RMSE.
    let (code, cmp) = s.get(&format!("/api/datasets/{ramp_id}/comparison")).await;
    assert_eq!(code, 200, "{cmp}");
    let digits_name = s.get(&format!("/api/datasets/{digits}")).await.1["name"]
        .as_str()
        .unwrap()
        .to_string();
    let want = format!("DARTS cell from {digits_name} (search #{search}), transferred");
    assert_eq!(methods(&cmp), [want.clone()]);
    assert_eq!(cmp["metric"], "rmse");
    assert_eq!(cmp["rows"][0]["runs"], json!([id]));
    assert_eq!(
        cmp["rows"][0]["test_metric_mean"].as_f64(),
        done["result"]["test_metric"].as_f64()
    );
    // The search's own comparison: its supernet, and no retraining on its data.
    let own = s.get(&format!("/api/runs/{search}/comparison")).await.1;
    assert_eq!(methods(&own), ["DARTS supernet (during search)"]);
    // The digits have nothing trained on them yet.
    assert_eq!(
        s.get(&format!("/api/datasets/{digits}/comparison")).await.0,
        404
    );

    // The run's page says where the cell came from and what was rebuilt; the dataset's page
    // lists the transfer; so does the model card.
    let page = text(&s, &format!("/runs/{id}")).await;
    for want in [
        format!("DARTS cell of search #{search} on {digits_name} (1x8x8, classification, 10 classes), transferred to"),
        "(1x8x8, regression, 1 target). Rebuilt: the head for regression (the search did classification).".to_string(),
    ] {
        assert!(page.contains(&want), "the run page lacks {want}");
    }
    let page = text(&s, &format!("/datasets/{ramp_id}")).await;
    assert!(page.contains("Every method on this dataset") && page.contains(&want));
    let card = text(&s, &format!("/api/runs/{id}/artifacts/MODEL.md")).await;
    assert!(
        card.contains(&format!(
            "## Transferred: the cell of search #{search} on {digits_name}"
        )) && card.contains(&want),
        "{card}"
    );

    // A dataset that does not exist is named.
    let (code, body) = s
        .post(
            "/api/runs",
            &json!({"kind": "train", "source_run": search, "dataset_id": "nope", "config": {"preset": "tiny"}}),
        )
        .await;
    assert_eq!(code, 422);
    assert!(body.to_string().contains("no dataset nope"), "{body}");
}
