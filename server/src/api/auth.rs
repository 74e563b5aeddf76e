//! Who may do what. Bound to loopback, everything is open to the local user. Otherwise the admin
//! token (a bearer token) or a session made by logging in with it (an HttpOnly cookie carrying the
//! session's random id, never the token) is needed for every write and for every read without a
//! share token; share tokens reach only their run's reads. A client whose token or login fails
//! too often is refused for a while (`throttle`).
use super::error::ApiError;
use super::state::{AppState, State};
use axum::extract::{ConnectInfo, Request};
use axum::http::{header, HeaderMap, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use axum::Json;
use serde::Deserialize;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Arc;

pub const COOKIE: &str = "dartboard_session";
/// How long a login lasts.
const SESSION_SECONDS: u32 = 30 * 24 * 3600;

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

fn bearer(headers: &HeaderMap) -> Option<String> {
    let v = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    v.strip_prefix("Bearer ").map(|t| t.trim().to_string())
}

fn session_cookie(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .find_map(|part| {
            part.trim()
                .strip_prefix(&format!("{COOKIE}="))
                .map(str::to_string)
        })
}

/// The client's address (the proxy's, behind one).
fn client(req: &Request) -> IpAddr {
    req.extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED), |c| c.0.ip())
}

/// Who the request is, and whether it presented a wrong admin token.
async fn access(state: &AppState, headers: &HeaderMap) -> (Access, bool) {
    let Some(token) = &state.admin_token else {
        return (Access::Admin, false);
    };
    if let Some(b) = bearer(headers) {
        let ok = same(&b, token);
        return (if ok { Access::Admin } else { Access::Public }, !ok);
    }
    if let Some(id) = session_cookie(headers) {
        match state.store.session(&id).await {
            Ok(true) => return (Access::Admin, false),
            Ok(false) => {}
            Err(e) => tracing::error!("reading a session: {e}"),
        }
    }
    (Access::Public, false)
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

fn too_many(wait: u64) -> Response {
    let mut r = ApiError::new(
        StatusCode::TOO_MANY_REQUESTS,
        format!("too many failed attempts from this address; try again in {wait} s"),
    )
    .into_response();
    if let Ok(v) = wait.to_string().parse() {
        r.headers_mut().insert(header::RETRY_AFTER, v);
    }
    r
}

pub async fn gate(state: State, mut req: Request, next: Next) -> Response {
    let who = client(&req);
    let presents = bearer(req.headers()).is_some();
    if presents && state.admin_token.is_some() {
        if let Some(wait) = state.throttle.wait(who) {
            return too_many(wait);
        }
    }
    let (access, wrong) = access(&state, req.headers()).await;
    if wrong {
        state.throttle.failed(who);
    }
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
#[serde(deny_unknown_fields)]
pub struct Login {
    token: String,
}

/// 256 random bits as 64 hex digits.
fn session_id() -> Result<String, ApiError> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(ApiError::internal)?;
    Ok(bytes.iter().map(|b| format!("{b:02x}")).collect())
}

/// Whether the browser reached the server over TLS (directly, or through a proxy that says so).
fn over_tls(headers: &HeaderMap) -> bool {
    let forwarded = headers
        .get("x-forwarded-proto")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|p| p.eq_ignore_ascii_case("https"));
    let origin = headers
        .get(header::ORIGIN)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|o| o.starts_with("https://"));
    forwarded || origin
}

/// `POST /api/login`: checks the admin token and starts a session. Scripts send JSON
/// `{"token"}` and get JSON; the login page's form (no scripts needed) is sent back to `/` or,
/// with a wrong token, to `/login?failed=1` (`/login?wait=S` while this client is refused).
pub async fn login(state: State, req: Request) -> Response {
    use axum::extract::FromRequest;
    let who = client(&req);
    let tls = over_tls(req.headers());
    let form = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
    if let Some(wait) = state.throttle.wait(who) {
        return if form {
            Redirect::to(&format!("/login?wait={wait}")).into_response()
        } else {
            too_many(wait)
        };
    }
    let token = if form {
        match axum::Form::<Login>::from_request(req, &()).await {
            Ok(axum::Form(l)) => l.token,
            Err(e) => {
                return ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, e.body_text())
                    .into_response()
            }
        }
    } else {
        match super::error::body(Json::<Login>::from_request(req, &()).await) {
            Ok(l) => l.token,
            Err(e) => return e.into_response(),
        }
    };
    let ok = state.admin_token.as_deref().is_none_or(|t| same(t, &token));
    if !ok {
        state.throttle.failed(who);
        return if form {
            Redirect::to("/login?failed=1").into_response()
        } else {
            ApiError::new(StatusCode::UNAUTHORIZED, "wrong admin token").into_response()
        };
    }
    state.throttle.succeeded(who);
    let id = match session_id() {
        Ok(id) => id,
        Err(e) => return e.into_response(),
    };
    if let Err(e) = state
        .store
        .insert_session(&id, SESSION_SECONDS.into())
        .await
    {
        return ApiError::from(e).into_response();
    }
    let secure = if tls { "; Secure" } else { "" };
    let cookie = format!(
        "{COOKIE}={id}; HttpOnly; SameSite=Strict; Path=/; Max-Age={SESSION_SECONDS}{secure}"
    );
    if form {
        ([(header::SET_COOKIE, cookie)], Redirect::to("/")).into_response()
    } else {
        (
            [(header::SET_COOKIE, cookie)],
            Json(serde_json::json!({"ok": true})),
        )
            .into_response()
    }
}

/// `POST /api/logout`: ends the browser's session.
pub async fn logout(state: State, headers: HeaderMap) -> Response {
    if let Some(id) = session_cookie(&headers) {
        if let Err(e) = state.store.delete_session(&id).await {
            return ApiError::from(e).into_response();
        }
    }
    let clear = format!("{COOKIE}=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0");
    (
        [(header::SET_COOKIE, clear)],
        Json(serde_json::json!({"ok": true})),
    )
        .into_response()
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
