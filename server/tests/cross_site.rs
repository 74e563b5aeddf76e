//! What any web page the scientist visits could make their Dartboard do (issue 13, findings 1, 2
//! and 9): forms posted from another site, DNS rebinding through a foreign `Host`, a websocket
//! opened from another origin, and the login (a session cookie, not the token; repeated failures
//! slowed down; the security headers on every answer).
mod http;

use app::calls::{DeleteDataset, ListRuns, RunAction, StartSearch};
use http::Server;
use leptos::server_fn::ServerFn;
use reqwest::header::{CONTENT_TYPE, COOKIE, HOST, ORIGIN, REFERER};
use serde_json::json;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

const EVIL: &str = "https://evil.example";
const TOKEN: &str = "s3cret-admin-token";

/// Where a page's server function is served (its name and a hash).
fn fn_path<T: ServerFn>() -> String {
    T::PATH.to_string()
}

fn host_of(s: &Server) -> String {
    s.base.trim_start_matches("http://").to_string()
}

/// Every way a page on another site can post without a preflight: the state-changing routes the
/// probe reached, with a form body or none. Each must be refused with 403 and change nothing.
async fn cross_site_writes_are_refused(s: &Server, data: &str, run: i64, extra: &[(&str, &str)]) {
    let form = |path: &str, body: &str, header: (reqwest::header::HeaderName, &str)| {
        let mut r = s
            .http
            .post(s.url(path))
            .header(header.0, header.1)
            .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(body.to_string());
        for (k, v) in extra {
            r = r.header(*k, *v);
        }
        r.send()
    };
    let cases: Vec<(String, String)> = vec![
        (
            fn_path::<StartSearch>(),
            format!("dataset_id={data}&config=%7B%7D"),
        ),
        (fn_path::<RunAction>(), format!("id={run}&action=delete")),
        (fn_path::<RunAction>(), format!("id={run}&action=share")),
        (fn_path::<DeleteDataset>(), format!("id={data}")),
        (format!("/api/runs/{run}/share"), String::new()),
        (format!("/api/runs/{run}/cancel"), String::new()),
    ];
    for (path, body) in &cases {
        for header in [
            (ORIGIN, EVIL.to_string()),
            (REFERER, format!("{EVIL}/cats.html")),
            (ORIGIN, "null".to_string()),
        ] {
            let r = form(path, body, (header.0.clone(), &header.1))
                .await
                .unwrap();
            let status = r.status().as_u16();
            let text = r.text().await.unwrap_or_default();
            assert_eq!(status, 403, "{path} with {header:?}: {text}");
            assert!(text.contains("another site"), "{text}");
        }
    }
    // A multipart import from another site.
    let upload = reqwest::multipart::Form::new().part(
        "file",
        reqwest::multipart::Part::bytes(std::fs::read(http::sample()).unwrap())
            .file_name("digits.csv.gz"),
    );
    let mut r = s
        .http
        .post(s.url("/api/datasets"))
        .header(ORIGIN, EVIL)
        .multipart(upload);
    for (k, v) in extra {
        r = r.header(*k, *v);
    }
    assert_eq!(r.send().await.unwrap().status().as_u16(), 403);
}

#[tokio::test(flavor = "multi_thread")]
async fn loopback_server_refuses_other_sites_and_foreign_hosts() {
    let s = Server::start("xsite-loopback");
    let data = s.digits().await;
    let run = s
        .create_run(&data, json!({"preset": "tiny", "epochs": 1}))
        .await;
    s.wait_status(run, &["succeeded"], std::time::Duration::from_secs(240))
        .await;
    cross_site_writes_are_refused(&s, &data, run, &[]).await;
    // Nothing changed: the run and the dataset are there, unshared, and no run was started.
    let (_, runs) = s.get("/api/runs").await;
    assert_eq!(runs.as_array().map(Vec::len), Some(1), "{runs}");
    assert_eq!(s.get(&format!("/api/datasets/{data}")).await.0, 200);
    let (_, page) = s.get(&format!("/api/runs/{run}")).await;
    assert_eq!(page["status"], "succeeded");

    // The server's own pages (same origin), and scripts (no Origin), still work.
    let own = format!("http://{}", host_of(&s));
    let r = s
        .http
        .post(s.url(&format!("/api/runs/{run}/share")))
        .header(ORIGIN, &own)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    let r = s
        .http
        .post(s.url(&fn_path::<ListRuns>()))
        .header(ORIGIN, &own)
        .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    let r = s
        .http
        .post(s.url(&fn_path::<ListRuns>()))
        .header(REFERER, format!("{own}/runs/{run}"))
        .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);

    // JSON endpoints take JSON only: a text/plain or form body is refused even without Origin.
    for kind in ["text/plain", "application/x-www-form-urlencoded"] {
        let r = s
            .http
            .post(s.url("/api/runs"))
            .header(CONTENT_TYPE, kind)
            .body(format!(r#"{{"dataset_id": "{data}"}}"#))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status().as_u16(), 415, "{kind}");
        // Refusals carry the security headers every other answer has.
        assert_eq!(r.headers()["x-content-type-options"], "nosniff", "{kind}");
        assert_eq!(r.headers()["x-frame-options"], "DENY", "{kind}");
    }

    // DNS rebinding: a foreign Host is not answered, for pages, API and websocket alike.
    for path in ["/", "/api/runs", &format!("/api/runs/{run}/ws") as &str] {
        let r = s
            .http
            .get(s.url(path))
            .header(HOST, "evil.example:3000")
            .send()
            .await
            .unwrap();
        assert_eq!(r.status().as_u16(), 421, "{path}");
        assert_eq!(r.headers()["x-content-type-options"], "nosniff", "{path}");
        assert!(
            r.headers().contains_key("content-security-policy"),
            "{path}"
        );
        let text = r.text().await.unwrap_or_default();
        assert!(text.contains("--allowed-host"), "{text}");
    }
    let port = host_of(&s).rsplit(':').next().unwrap().to_string();
    for host in [format!("localhost:{port}"), host_of(&s)] {
        let r = s
            .http
            .get(s.url("/api/runs"))
            .header(HOST, host.as_str())
            .send()
            .await
            .unwrap();
        assert_eq!(r.status().as_u16(), 200, "{host}");
    }

    // A websocket opened by another site's page is refused; the server's own page's is served.
    let ws = s.ws_url(&format!("/api/runs/{run}/ws"));
    let mut evil = ws.clone().into_client_request().unwrap();
    evil.headers_mut().insert("origin", EVIL.parse().unwrap());
    let refused = tokio_tungstenite::connect_async(evil).await;
    assert!(refused.is_err(), "the websocket opened for {EVIL}");
    let mut own_req = ws.into_client_request().unwrap();
    own_req.headers_mut().insert("origin", own.parse().unwrap());
    assert!(tokio_tungstenite::connect_async(own_req).await.is_ok());

    // Security headers: the page's policy allows scripts from the server (and its nonce) only.
    let r = s.http.get(s.url("/")).send().await.unwrap();
    let headers = r.headers().clone();
    let html = r.text().await.unwrap();
    assert_eq!(headers["x-frame-options"], "DENY");
    assert_eq!(headers["x-content-type-options"], "nosniff");
    let csp = headers["content-security-policy"]
        .to_str()
        .unwrap()
        .to_string();
    assert!(csp.contains("script-src 'self' 'nonce-"), "{csp}");
    assert!(csp.contains("frame-ancestors 'none'"), "{csp}");
    let nonce = csp
        .split("'nonce-")
        .nth(1)
        .and_then(|t| t.split('\'').next())
        .unwrap();
    assert!(
        html.contains(&format!("nonce=\"{nonce}\"")),
        "the page's inline scripts carry the header's nonce"
    );
    let r = s.http.get(s.url("/api/runs")).send().await.unwrap();
    assert!(r.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .starts_with("default-src 'none'"));
}

#[tokio::test(flavor = "multi_thread")]
async fn allowed_hosts_are_answered() {
    let dir = http::scratch("xsite-allowed");
    let s = Server::start_in(
        &dir,
        "127.0.0.1:0",
        &["--allowed-host", "dartboard.lab.example"],
        &[],
    );
    let r = s
        .http
        .get(s.url("/api/runs"))
        .header(HOST, "dartboard.lab.example")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    // Behind a TLS proxy that keeps the local Host, the browser's origin is the allowed name.
    let r = s
        .http
        .post(s.url("/api/login"))
        .header(ORIGIN, "https://dartboard.lab.example")
        .json(&json!({"token": "x"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    assert!(r.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .contains("; Secure"));
}

#[tokio::test(flavor = "multi_thread")]
async fn token_server_sessions_throttle_and_cross_site_with_cookie() {
    let dir = http::scratch("xsite-token");
    let s = Server::start_in(&dir, "0.0.0.0:0", &[], &[("DARTBOARD_ADMIN_TOKEN", TOKEN)]);
    // Logging in gives a session id, never the token itself.
    let login = s
        .http
        .post(s.url("/api/login"))
        .json(&json!({"token": TOKEN}))
        .send()
        .await
        .unwrap();
    assert_eq!(login.status().as_u16(), 200);
    let cookie = login.headers()["set-cookie"].to_str().unwrap().to_string();
    assert!(!cookie.contains(TOKEN), "{cookie}");
    assert!(cookie.starts_with("dartboard_session="), "{cookie}");
    assert!(!cookie.contains("Secure"), "plain HTTP: {cookie}");
    let pair = cookie.split(';').next().unwrap().to_string();
    let with_cookie = |path: &str| s.http.get(s.url(path)).header(COOKIE, &pair).send();
    assert_eq!(
        with_cookie("/api/runs").await.unwrap().status().as_u16(),
        200
    );
    // The token as a cookie is no credential.
    let r = s
        .http
        .get(s.url("/api/runs"))
        .header(COOKIE, format!("dartboard_session={TOKEN}"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 401);

    // The admin's cookie does not make another site's forms work.
    let form = reqwest::multipart::Form::new().part(
        "file",
        reqwest::multipart::Part::bytes(std::fs::read(http::sample()).unwrap())
            .file_name("digits.csv.gz"),
    );
    let data: serde_json::Value = s
        .http
        .post(s.url("/api/datasets"))
        .bearer_auth(TOKEN)
        .multipart(form)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let data = data["id"].as_str().unwrap().to_string();
    cross_site_writes_are_refused(&s, &data, 1, &[("cookie", &pair)]).await;
    let n: serde_json::Value = s
        .http
        .get(s.url("/api/runs"))
        .bearer_auth(TOKEN)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(n.as_array().map(Vec::len), Some(0), "no run was started");

    // Logging out ends the session.
    let out = s
        .http
        .post(s.url("/api/logout"))
        .header(COOKIE, &pair)
        .send()
        .await
        .unwrap();
    assert_eq!(out.status().as_u16(), 200);
    assert_eq!(
        with_cookie("/api/runs").await.unwrap().status().as_u16(),
        401
    );

    // Guessing: five wrong tokens, then this client is refused for a while, right token or not.
    let mut statuses = vec![];
    for _ in 0..8 {
        let r = s.post("/api/login", &json!({"token": "guess"})).await;
        statuses.push(r.0);
    }
    assert_eq!(statuses[..5], [401; 5], "{statuses:?}");
    assert!(statuses[5..].iter().all(|&c| c == 429), "{statuses:?}");
    let r = s
        .http
        .post(s.url("/api/login"))
        .json(&json!({"token": TOKEN}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 429);
    let wait: u64 = r.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=60).contains(&wait), "{wait}");
    let bearer = s
        .http
        .get(s.url("/api/runs"))
        .bearer_auth(TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(bearer.status().as_u16(), 429);
}
