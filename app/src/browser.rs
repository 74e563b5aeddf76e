//! What the pages do through the browser's own APIs: follow a run's websocket (reconnecting
//! after a drop), upload a form with progress, copy text. Only event handlers and effects call
//! these, so they never run during server rendering.
use crate::live::{is_final, RunState};
use leptos::prelude::*;
use std::cell::Cell;
use std::rc::Rc;
use std::time::Duration;
use wasm_bindgen::closure::Closure;
use wasm_bindgen::JsCast;
use web_sys::{FormData, MessageEvent, ProgressEvent, WebSocket, XmlHttpRequest};

fn origin(scheme_ws: bool) -> String {
    let loc = window().location();
    let host = loc.host().unwrap_or_default();
    let secure = loc.protocol().map(|p| p == "https:").unwrap_or(false);
    let scheme = match (scheme_ws, secure) {
        (true, true) => "wss",
        (true, false) => "ws",
        (false, true) => "https",
        (false, false) => "http",
    };
    format!("{scheme}://{host}")
}

/// This page's origin, `http://host:port`.
pub fn page_origin() -> String {
    origin(false)
}

/// Keeps `state` up to date from `/api/runs/{id}/ws` until the run ends or the page goes away;
/// after a drop it reconnects every 2 s, asking only for events after the last one it has.
/// `online` tells the page whether the stream is connected.
pub fn follow_run(id: i64, token_query: String, state: RwSignal<RunState>, online: RwSignal<bool>) {
    let stopped = Rc::new(Cell::new(false));
    let current: Rc<Cell<Option<WebSocket>>> = Rc::new(Cell::new(None));
    connect(
        id,
        token_query,
        state,
        online,
        Rc::clone(&stopped),
        Rc::clone(&current),
    );
    let stop = send_wrapper::SendWrapper::new((stopped, current));
    on_cleanup(move || {
        let (stopped, current) = stop.take();
        stopped.set(true);
        if let Some(ws) = current.take() {
            let _ = ws.close();
        }
    });
}

fn connect(
    id: i64,
    token_query: String,
    state: RwSignal<RunState>,
    online: RwSignal<bool>,
    stopped: Rc<Cell<bool>>,
    current: Rc<Cell<Option<WebSocket>>>,
) {
    let Some(last) = state.try_with_untracked(|s| s.last_seq) else {
        return;
    };
    let sep = if token_query.is_empty() { '?' } else { '&' };
    let url = format!(
        "{}/api/runs/{id}/ws{token_query}{sep}after={last}",
        origin(true)
    );
    let Ok(ws) = WebSocket::new(&url) else {
        return;
    };
    let on_message = Closure::<dyn FnMut(MessageEvent)>::new(move |e: MessageEvent| {
        let Some(text) = e.data().as_string() else {
            return;
        };
        if let Ok(v) = serde_json::from_str::<serde_json::Value>(&text) {
            state.try_update(|s| s.apply(&v));
        }
    });
    ws.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
    on_message.forget();
    let on_open = Closure::<dyn FnMut()>::new(move || {
        online.try_set(true);
    });
    ws.set_onopen(Some(on_open.as_ref().unchecked_ref()));
    on_open.forget();
    let again = Rc::clone(&stopped);
    let slot = Rc::clone(&current);
    let on_close = Closure::<dyn FnMut()>::new(move || {
        online.try_set(false);
        let ended = state
            .try_with_untracked(|s| is_final(&s.status))
            .unwrap_or(true);
        if again.get() || ended {
            return;
        }
        let (tq, stopped, slot) = (token_query.clone(), Rc::clone(&again), Rc::clone(&slot));
        set_timeout(
            move || {
                if !stopped.get() {
                    connect(id, tq, state, online, stopped, slot);
                }
            },
            Duration::from_secs(2),
        );
    });
    ws.set_onclose(Some(on_close.as_ref().unchecked_ref()));
    on_close.forget();
    current.set(Some(ws));
}

/// What an upload ended with: the HTTP status and the response body's text.
pub struct Uploaded {
    pub status: u16,
    pub body: String,
}

/// POSTs `form` to `url`, reporting the share sent (0 to 1) and then the answer; Err when the
/// request could not be made.
pub fn upload(
    url: &str,
    form: &FormData,
    progress: impl Fn(f64) + 'static,
    done: impl Fn(Uploaded) + 'static,
) -> Result<(), String> {
    let xhr = XmlHttpRequest::new().map_err(|e| format!("{e:?}"))?;
    xhr.open("POST", url).map_err(|e| format!("{e:?}"))?;
    let on_progress = Closure::<dyn FnMut(ProgressEvent)>::new(move |e: ProgressEvent| {
        if e.length_computable() && e.total() > 0.0 {
            progress(e.loaded() / e.total());
        }
    });
    if let Ok(up) = xhr.upload() {
        up.set_onprogress(Some(on_progress.as_ref().unchecked_ref()));
    }
    on_progress.forget();
    let req = xhr.clone();
    let on_end = Closure::<dyn FnMut()>::new(move || {
        done(Uploaded {
            status: req.status().unwrap_or(0),
            body: req.response_text().ok().flatten().unwrap_or_default(),
        });
    });
    xhr.set_onloadend(Some(on_end.as_ref().unchecked_ref()));
    on_end.forget();
    xhr.send_with_opt_form_data(Some(form))
        .map_err(|e| format!("{e:?}"))
}

/// Puts `text` on the clipboard (where the browser allows it).
pub fn copy(text: &str) {
    let _ = window().navigator().clipboard().write_text(text);
}

/// The page's origin in the browser; empty while rendering on the server (links stay relative).
pub fn page_origin_or_path() -> String {
    if cfg!(target_arch = "wasm32") {
        page_origin()
    } else {
        String::new()
    }
}
