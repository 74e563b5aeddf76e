//! What a request may cost is bounded by the server, not by the client (issue 29, findings 3, 4
//! and 7): a comparison URL of 8,000 ids, a 400 MB dataset name, a name that looks like an
//! option, a server function body past the limit, a page naming nothing.
mod http;

use http::Server;
use serde_json::json;
use std::time::{Duration, Instant};

#[tokio::test(flavor = "multi_thread")]
async fn a_longer_url_or_field_costs_no_more() {
    let s = Server::start("request-bounds");
    let data = s.digits().await;
    let run = s
        .create_run(
            &data,
            json!({"preset": "tiny", "epochs": 1, "max_steps_per_epoch": 1}),
        )
        .await;

    // The probe's page: one id 8,000 times is one run, answered as fast as one id.
    let same = vec![run.to_string(); 8000].join(",");
    let start = Instant::now();
    let r = s
        .http
        .get(s.url(&format!("/compare?runs={same}")))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    let page = r.text().await.unwrap();
    assert!(
        start.elapsed() < Duration::from_secs(5),
        "{:?}",
        start.elapsed()
    );
    assert!(page.len() < 2_000_000, "a page of {} bytes", page.len());
    assert_eq!(
        page.matches("data-testid=\"final-cell\"").count(),
        1,
        "one column"
    );
    // 8,000 different ids: refused with the cap, not rendered.
    let many: Vec<String> = (1..=8000).map(|i| i.to_string()).collect();
    let r = s
        .http
        .get(s.url(&format!("/compare?runs={}", many.join(","))))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 422);
    let page = r.text().await.unwrap();
    assert!(
        page.contains("at most 12"),
        "{}",
        &page[..page.len().min(2000)]
    );

    // Pages that name nothing answer 404.
    for path in ["/runs/999999", "/datasets/0123456789abcdef"] {
        let r = s.http.get(s.url(path)).send().await.unwrap();
        assert_eq!(r.status().as_u16(), 404, "{path}");
    }

    // Upload text fields are capped, read chunk by chunk: 422 naming the field.
    let (status, body) = s
        .upload(
            &[("file", &http::sample())],
            &[("name", &"n".repeat(200_000))],
        )
        .await;
    assert_eq!(status, 422, "{body}");
    assert!(
        http::message(&body).contains("'name' is longer than 4096 bytes"),
        "{body}"
    );
    // A name that looks like an option is a name (new data: the digits again would keep the
    // name they were first stored under).
    let csv = http::scratch("request-bounds-csv").join("tiny.csv");
    let rows: String = (0..40)
        .map(|r| {
            let px: Vec<String> = (0..16).map(|i| ((r * 7 + i) % 255).to_string()).collect();
            format!("{},{}\n", px.join(","), r % 2)
        })
        .collect();
    std::fs::write(&csv, rows).unwrap();
    let (status, body) = s
        .upload(&[("file", &csv)], &[("name", "--max-image-pixels")])
        .await;
    assert!(status == 200 || status == 201, "{status} {body}");
    assert_eq!(body["name"], "--max-image-pixels", "{body}");

    // A server function's body past --body-limit: 413, not 500.
    let r = s
        .http
        .post(s.url("/fn/get_runs"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(format!("ids={}", "1,".repeat(600_000)))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 413);

    // An unknown top-level key does not hide the config's own errors; a huge number is shown
    // short.
    let (status, body) = s
        .post(
            "/api/runs",
            &json!({"dataset_id": data, "colour": "red", "config": {"w_lr": 1e308}}),
        )
        .await;
    assert_eq!(status, 422, "{body}");
    let fields = http::fields(&body);
    assert!(
        fields.contains(&"colour".to_string()) && fields.contains(&"w_lr".to_string()),
        "{body}"
    );
    let text = body.to_string();
    assert!(text.contains("1e308") && text.len() < 2000, "{text}");
}
