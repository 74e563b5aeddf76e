//! Who may do what. Bound to loopback, everything is open to the local user. Otherwise the admin
//! token (a bearer token, or the HttpOnly cookie `POST /api/login` sets) is needed for every write
//! and for every read without a share token; share tokens reach only their run's reads.
use super::{ApiError, AppState, State};
use axum::extract::Request;
use axum::http::{header, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use axum::Json;
use serde::Deserialize;
use std::sync::Arc;

pub const COOKIE: &str = "dartboard_admin";

/// Whether the request carries admin rights; handlers that allow share tokens read this.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    Admin,
    Public,
}

/// Compares in time that depends only on the lengths.
pub fn same(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

fn presented(req: &Request) -> Vec<String> {
    let mut out = vec![];
    let headers = req.headers();
    if let Some(v) = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
    {
        if let Some(t) = v.strip_prefix("Bearer ") {
            out.push(t.trim().to_string());
        }
    }
    for v in headers.get_all(header::COOKIE) {
        for part in v.to_str().unwrap_or("").split(';') {
            if let Some(t) = part.trim().strip_prefix(&format!("{COOKIE}=")) {
                out.push(t.to_string());
            }
        }
    }
    out
}

fn access(state: &AppState, req: &Request) -> Access {
    match &state.admin_token {
        None => Access::Admin,
        Some(token) if presented(req).iter().any(|t| same(t, token)) => Access::Admin,
        Some(_) => Access::Public,
    }
}

/// Reads a share token may make: the share page and GETs of one run with `?token=`.
fn share_read(req: &Request) -> bool {
    let path = req.uri().path();
    if path.starts_with("/share/") || path.starts_with("/api/share/") {
        return true;
    }
    req.method() == Method::GET
        && path.starts_with("/api/runs/")
        && req
            .uri()
            .query()
            .is_some_and(|q| q.split('&').any(|p| p.starts_with("token=")))
}

pub async fn gate(state: State, mut req: Request, next: Next) -> Response {
    let access = access(&state, &req);
    let path = req.uri().path();
    // The login page and the site's static files (wasm, JS, CSS) are open to everyone.
    let open =
        path == "/api/login" || path == "/login" || path.starts_with("/pkg/") || share_read(&req);
    if access == Access::Public && !open {
        // A person opening a page is sent to the login page; scripts get a JSON 401.
        let page =
            req.method() == Method::GET && !path.starts_with("/api/") && !path.starts_with("/fn/");
        if page {
            return Redirect::to("/login").into_response();
        }
        return ApiError::new(
            StatusCode::UNAUTHORIZED,
            "this server needs its admin token: send it as a bearer token, or log in",
        )
        .into_response();
    }
    req.extensions_mut().insert(access);
    next.run(req).await
}

#[derive(Deserialize)]
pub struct Login {
    token: String,
}

/// `POST /api/login`: checks the admin token and sets the admin cookie. Scripts send JSON
/// `{"token"}` and get JSON; the login page's form (no scripts needed) is sent back to `/` or,
/// with a wrong token, to `/login?failed=1`.
pub async fn login(state: State, req: Request) -> Response {
    use axum::extract::FromRequest;
    let form = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
    let token = if form {
        match axum::Form::<Login>::from_request(req, &()).await {
            Ok(axum::Form(l)) => l.token,
            Err(e) => {
                return ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, e.body_text())
                    .into_response()
            }
        }
    } else {
        match super::body(Json::<Login>::from_request(req, &()).await) {
            Ok(l) => l.token,
            Err(e) => return e.into_response(),
        }
    };
    let ok = state.admin_token.as_deref().is_none_or(|t| same(t, &token));
    let cookie = format!("{COOKIE}={token}; HttpOnly; SameSite=Strict; Path=/; Max-Age=2592000");
    match (ok, form) {
        (true, true) => ([(header::SET_COOKIE, cookie)], Redirect::to("/")).into_response(),
        (false, true) => Redirect::to("/login?failed=1").into_response(),
        (true, false) => (
            [(header::SET_COOKIE, cookie)],
            Json(serde_json::json!({"ok": true})),
        )
            .into_response(),
        (false, false) => {
            ApiError::new(StatusCode::UNAUTHORIZED, "wrong admin token").into_response()
        }
    }
}

/// The run a read asks for, when it may see it: any run for the admin, else only runs in the
/// share token's scope. A missing run, a wrong or revoked token, or a run outside its scope is
/// 404 with no hint.
pub async fn readable_run(
    state: &Arc<AppState>,
    access: Access,
    token: Option<&str>,
    run_id: i64,
) -> Result<crate::store::RunRow, ApiError> {
    if access != Access::Admin {
        let root = match token {
            Some(t) => state.store.shared_run(t).await?,
            None => None,
        };
        let Some(root) = root else {
            return Err(ApiError::not_found());
        };
        if !state.store.descends_from(run_id, root).await? {
            return Err(ApiError::not_found());
        }
    }
    state
        .store
        .run(run_id)
        .await?
        .ok_or_else(ApiError::not_found)
}
