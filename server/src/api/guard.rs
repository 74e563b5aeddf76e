//! What a browser may be tricked into sending, refused before any handler runs:
//!
//! - **DNS rebinding.** A page on `evil.example` whose name is re-pointed at 127.0.0.1 reaches the
//!   loopback server with `Host: evil.example`. Only the hosts the server is bound to or
//!   configured for are answered: IP literals (a browser sends one only when the user typed it),
//!   `localhost`, and each `--allowed-host`.
//! - **Cross-site requests.** A form on another site posts to the server without a preflight. A
//!   state-changing request (anything but GET, HEAD and OPTIONS) and a websocket upgrade must come
//!   from the server's own origin: its `Origin` (or, without one, its `Referer`) names the host the
//!   request was sent to, or an allowed host. Requests with neither header come from scripts and
//!   command-line clients, which no web page can drive.
//! - **Bodies of the wrong kind.** The JSON API takes JSON only: a form or text body, which a
//!   browser sends cross-site without asking, is refused where JSON is meant.
//!
//! Every answer also carries the security headers (no framing, no content sniffing, a strict
//! Content-Security-Policy unless the page set its own with its script nonce).
use super::error::ApiError;
use super::hosts::{foreign_origin, text};
use super::state::State;
use axum::extract::Request;
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

fn changes_state(method: &Method) -> bool {
    !matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
}

fn is_upgrade(headers: &HeaderMap) -> bool {
    text(headers, header::UPGRADE).is_some_and(|u| u.eq_ignore_ascii_case("websocket"))
}

/// Where a body of a browser form's kind (which needs no preflight) is what the route takes:
/// dataset uploads (multipart), the login form, and the pages' server functions.
fn takes_forms(path: &str) -> bool {
    path == "/api/datasets" || path == "/api/login" || path.starts_with("/fn/")
}

/// A body a cross-site form can send without a preflight, where JSON is meant.
fn form_body_where_json_is_meant(req: &Request) -> bool {
    let kind = text(req.headers(), header::CONTENT_TYPE)
        .unwrap_or("")
        .to_ascii_lowercase();
    let formish = [
        "application/x-www-form-urlencoded",
        "multipart/form-data",
        "text/plain",
    ]
    .iter()
    .any(|k| kind.starts_with(k));
    formish && !takes_forms(req.uri().path())
}

/// A refusal, with the security headers every answer carries.
fn refuse(status: StatusCode, message: String) -> Response {
    tracing::warn!("{message}");
    let mut response = ApiError::new(status, message).into_response();
    secure_headers(response.headers_mut());
    response
}

pub async fn guard(state: State, req: Request, next: Next) -> Response {
    let host = text(req.headers(), header::HOST).unwrap_or("").to_string();
    if !state.hosts.answers(&host) {
        return refuse(
            StatusCode::MISDIRECTED_REQUEST,
            format!("this server does not answer to the host '{host}'; its operator can allow it with dartboard serve --allowed-host NAME"),
        );
    }
    if changes_state(req.method()) || is_upgrade(req.headers()) {
        if let Some(why) = foreign_origin(req.headers(), &state.hosts) {
            return refuse(StatusCode::FORBIDDEN, why);
        }
    }
    if changes_state(req.method()) && form_body_where_json_is_meant(&req) {
        return refuse(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            format!(
                "{} takes a JSON body (Content-Type: application/json)",
                req.uri().path()
            ),
        );
    }
    // A page's server function reads its body whole: past the limit it is refused here, as
    // the JSON API refuses one (the function itself would only fail).
    let declared = text(req.headers(), header::CONTENT_LENGTH).and_then(|l| l.parse::<u64>().ok());
    if req.uri().path().starts_with("/fn/") {
        if declared.is_some_and(|l| l > state.limits.body_bytes as u64) {
            return refuse(
                StatusCode::PAYLOAD_TOO_LARGE,
                "the request body is larger than this server's limit (dartboard serve --body-limit)".into(),
            );
        }
        // A body without a declared length (chunked) could not be held to the limit here.
        if declared.is_none() && req.headers().contains_key(header::TRANSFER_ENCODING) {
            return refuse(
                StatusCode::LENGTH_REQUIRED,
                "a server function's body needs a Content-Length".into(),
            );
        }
    }
    let mut response = next.run(req).await;
    secure_headers(response.headers_mut());
    response
}

/// The policy of every answer that did not set its own (the pages set one with their nonce).
pub const DEFAULT_CSP: &str =
    "default-src 'none'; img-src 'self' data:; style-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'";

fn secure_headers(headers: &mut HeaderMap) {
    let fixed = [
        (header::X_FRAME_OPTIONS, "DENY"),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::REFERRER_POLICY, "same-origin"),
    ];
    for (name, value) in fixed {
        headers.insert(name, HeaderValue::from_static(value));
    }
    headers
        .entry(header::CONTENT_SECURITY_POLICY)
        .or_insert(HeaderValue::from_static(DEFAULT_CSP));
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::hosts::Hosts;

    fn headers(pairs: &[(header::HeaderName, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(k.clone(), HeaderValue::from_str(v).unwrap());
        }
        h
    }

    #[test]
    fn hosts_answered() {
        let hosts = Hosts::new("dartboard.example.org, lab-7:8080").unwrap();
        for ok in [
            "127.0.0.1:3000",
            "localhost:3000",
            "LOCALHOST",
            "[::1]:3000",
            "10.1.2.3",
            "dartboard.example.org",
            "Dartboard.Example.org:443",
            "lab-7:9999",
        ] {
            assert!(hosts.answers(ok), "{ok}");
        }
        for bad in [
            "evil.example",
            "evil.example:3000",
            "127.0.0.1.evil.example",
            "localhost.evil.example",
            "",
            "[::1",
            "dartboard.example.org.evil.example",
        ] {
            assert!(!hosts.answers(bad), "{bad}");
        }
        assert!(Hosts::new("bad host").is_err());
        assert!(Hosts::new("x/y").is_err());
    }

    #[test]
    fn origins() {
        let hosts = Hosts::new("dartboard.example.org").unwrap();
        let own = headers(&[
            (header::HOST, "127.0.0.1:3000"),
            (header::ORIGIN, "http://127.0.0.1:3000"),
        ]);
        assert_eq!(foreign_origin(&own, &hosts), None);
        let script = headers(&[(header::HOST, "127.0.0.1:3000")]);
        assert_eq!(foreign_origin(&script, &hosts), None);
        let proxied = headers(&[
            (header::HOST, "127.0.0.1:3000"),
            (header::ORIGIN, "https://dartboard.example.org"),
        ]);
        assert_eq!(foreign_origin(&proxied, &hosts), None);
        for (name, value) in [
            (header::ORIGIN, "https://evil.example"),
            (header::ORIGIN, "null"),
            (header::ORIGIN, "http://127.0.0.1:3001"),
            (header::REFERER, "https://evil.example/page?x=1"),
            (header::REFERER, "http://127.0.0.1:3000@evil.example/"),
        ] {
            let h = headers(&[(header::HOST, "127.0.0.1:3000"), (name.clone(), value)]);
            let why = foreign_origin(&h, &hosts).unwrap_or_default();
            assert!(why.contains(value), "{value}: {why}");
        }
        let own_referer = headers(&[
            (header::HOST, "localhost:3000"),
            (header::REFERER, "http://localhost:3000/runs/4"),
        ]);
        assert_eq!(foreign_origin(&own_referer, &hosts), None);
    }
}
