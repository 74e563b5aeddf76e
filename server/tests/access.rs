//! Access off loopback: the admin token (bearer or login cookie) for writes and reads; share
//! tokens reach their run and the runs made from it, read-only; a wrong or revoked one is 404.
mod http;

use http::Server;
use serde_json::json;

const TOKEN: &str = "s3cret-admin-token";

#[test]
fn a_public_bind_without_admin_token_is_refused() {
    let dir = http::scratch("access-refused");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_dartboard"))
        .args(["serve", "--addr", "0.0.0.0:0", "--data-dir"])
        .arg(&dir)
        .env_remove("DARTBOARD_ADMIN_TOKEN")
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("--admin-token"));
}

#[tokio::test(flavor = "multi_thread")]
async fn admin_token_cookie_and_share_links() {
    let dir = http::scratch("access-share");
    let s = Server::start_in(&dir, "0.0.0.0:0", &[], &[("DARTBOARD_ADMIN_TOKEN", TOKEN)]);
    // No credentials: reads and writes are refused.
    assert_eq!(s.get("/api/runs").await.0, 401);
    assert_eq!(s.get("/api/system").await.0, 401);
    let (status, _) = s.upload(&[("file", &http::sample())], &[]).await;
    assert_eq!(status, 401);
    let wrong = s
        .http
        .get(s.url("/api/runs"))
        .bearer_auth("nope")
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status().as_u16(), 401);

    // A script uses the bearer token.
    let admin = reqwest::Client::builder()
        .default_headers(
            [(
                reqwest::header::AUTHORIZATION,
                format!("Bearer {TOKEN}").parse().unwrap(),
            )]
            .into_iter()
            .collect(),
        )
        .build()
        .unwrap();
    let form = reqwest::multipart::Form::new().part(
        "file",
        reqwest::multipart::Part::bytes(std::fs::read(http::sample()).unwrap())
            .file_name("digits.csv.gz"),
    );
    let up: serde_json::Value = admin
        .post(s.url("/api/datasets"))
        .multipart(form)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let data = up["id"].as_str().unwrap();
    let create = |cfg| {
        admin
            .post(s.url("/api/runs"))
            .json(&json!({"dataset_id": data, "config": cfg}))
            .send()
    };
    let shared: serde_json::Value = create(json!({"preset": "tiny"}))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let other: serde_json::Value = create(json!({"preset": "tiny", "seed": 5}))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let (shared, other) = (
        shared["id"].as_i64().unwrap(),
        other["id"].as_i64().unwrap(),
    );

    // A browser logs in and gets an HttpOnly, SameSite cookie.
    let bad = s.post("/api/login", &json!({"token": "guess"})).await;
    assert_eq!(bad.0, 401);
    let login = s
        .http
        .post(s.url("/api/login"))
        .json(&json!({"token": TOKEN}))
        .send()
        .await
        .unwrap();
    let cookie = login.headers()["set-cookie"].to_str().unwrap().to_string();
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite"),
        "{cookie}"
    );
    let pair = cookie.split(';').next().unwrap().to_string();
    let r = s
        .http
        .get(s.url("/api/runs"))
        .header("cookie", &pair)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);

    // Share the first run: its page, its JSON and its artifacts with ?token=, nothing else.
    let share: serde_json::Value = admin
        .post(s.url(&format!("/api/runs/{shared}/share")))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let token = share["token"].as_str().unwrap().to_string();
    assert_eq!(token.len(), 32, "128 random bits as hex");
    assert_eq!(share["url"], format!("/share/{token}"));
    let (status, page) = s.get(&format!("/api/share/{token}")).await;
    assert_eq!((status, page["run"]["id"].as_i64()), (200, Some(shared)));
    let html = s
        .http
        .get(s.url(&format!("/share/{token}")))
        .send()
        .await
        .unwrap();
    assert_eq!(html.status().as_u16(), 200);
    let text = html.text().await.unwrap();
    assert!(
        text.contains(&format!("Run #{shared}")),
        "the page names the run"
    );
    assert!(
        !text.contains(">Cancel<") && !text.contains(">Share<"),
        "no edit control"
    );
    assert_eq!(
        s.get(&format!("/api/runs/{shared}?token={token}")).await.0,
        200
    );
    assert_eq!(
        s.get(&format!("/api/runs/{shared}/artifacts?token={token}"))
            .await
            .0,
        200
    );
    let events = s
        .follow(&format!("/api/runs/{shared}/ws?token={token}"))
        .await;
    assert_eq!(events.last().unwrap()["status"], "succeeded");
    // Out of scope, wrong, or used for a write: no hint that anything is there.
    assert_eq!(
        s.get(&format!("/api/runs/{other}?token={token}")).await.0,
        404
    );
    assert_eq!(
        s.get(&format!("/api/runs/{shared}?token=0000{}", &token[4..]))
            .await
            .0,
        404
    );
    assert_eq!(
        s.get("/api/share/00000000000000000000000000000000").await.0,
        404
    );
    assert_eq!(
        s.get("/share/00000000000000000000000000000000").await.0,
        404
    );
    let write = s
        .http
        .delete(s.url(&format!("/api/runs/{shared}?token={token}")))
        .send()
        .await
        .unwrap();
    assert_eq!(write.status().as_u16(), 401);
    // Revoked: 404 everywhere.
    let revoke = admin
        .delete(s.url(&format!("/api/runs/{shared}/share")))
        .send()
        .await
        .unwrap();
    assert_eq!(revoke.status().as_u16(), 204);
    assert_eq!(s.get(&format!("/share/{token}")).await.0, 404);
    assert_eq!(
        s.get(&format!("/api/runs/{shared}?token={token}")).await.0,
        404
    );
    let done = admin
        .get(s.url(&format!("/api/runs/{other}")))
        .send()
        .await
        .unwrap();
    assert_eq!(done.status().as_u16(), 200);
}
