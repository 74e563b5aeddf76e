//! `GET /api/runs/{id}/ws`: the run's events as JSON text messages. A viewer first gets the
//! stored history, then live events, by `seq` with no gap and no repeat; one that lags behind
//! the broadcast is resynchronised from the store. The stream of an ended run closes after its
//! last event. `?after=SEQ` skips the events a reconnecting viewer already has. On a shared
//! PostgreSQL store another server may be the one storing a run's events (it runs the run):
//! the stream then also reads the store once a second.
use super::auth::{readable_run, Access};
use super::error::ApiResult;
use super::state::{AppState, State};
use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::extract::{Path, Query};
use axum::response::Response;
use axum::Extension;
use std::sync::Arc;
use tokio::sync::broadcast::error::RecvError;

#[derive(serde::Deserialize, Default)]
pub struct StreamQuery {
    token: Option<String>,
    /// The last `seq` the viewer has; -1 (all) when absent.
    after: Option<i64>,
}

pub async fn ws(
    state: State,
    Path(id): Path<i64>,
    Extension(access): Extension<Access>,
    Query(q): Query<StreamQuery>,
    upgrade: WebSocketUpgrade,
) -> ApiResult<Response> {
    readable_run(&state, access, q.token.as_deref(), id).await?;
    let state = Arc::clone(&state);
    let after = q.after.unwrap_or(-1).max(-1);
    Ok(upgrade.on_upgrade(move |socket| follow(socket, state, id, after)))
}

/// Sends the stored events after `last`; Ok(true) when the stream should close.
async fn catch_up(
    socket: &mut WebSocket,
    state: &AppState,
    id: i64,
    last: &mut i64,
) -> Result<bool, ()> {
    let events = state.store.events_after(id, *last).await.map_err(|_| ())?;
    let mut ended = false;
    for e in events {
        socket
            .send(Message::Text(e.body.clone().into()))
            .await
            .map_err(|_| ())?;
        *last = e.seq;
        ended = e.ends;
    }
    Ok(ended)
}

async fn follow(socket: WebSocket, state: Arc<AppState>, id: i64, after: i64) {
    // Subscribe before reading the history, so nothing falls between the two.
    let live = state.hub.subscribe(id);
    stream(socket, &state, live, id, after).await;
    // The receiver is gone: an ended run's channel goes with its last viewer.
    let ended = state
        .store
        .run(id)
        .await
        .ok()
        .flatten()
        .is_none_or(|r| r.status.is_final());
    state.hub.leave(id, ended);
}

async fn stream(
    mut socket: WebSocket,
    state: &AppState,
    mut live: tokio::sync::broadcast::Receiver<Arc<crate::store::EventRow>>,
    id: i64,
    after: i64,
) {
    let mut last = after;
    match catch_up(&mut socket, state, id, &mut last).await {
        Ok(false) => {}
        Ok(true) | Err(()) => {
            let _ = socket.send(Message::Close(None)).await;
            return;
        }
    }
    // A run that ended between its last stored event and its final status event gets that event
    // within moments; an old run without one just closes.
    let ended_already = state
        .store
        .run(id)
        .await
        .ok()
        .flatten()
        .is_none_or(|r| r.status.is_final());
    let grace = tokio::time::sleep(if ended_already {
        std::time::Duration::from_secs(2)
    } else {
        std::time::Duration::MAX / 4
    });
    tokio::pin!(grace);
    let shared = state.store.backend() == crate::store::Backend::Postgres;
    let mut poll = tokio::time::interval(std::time::Duration::from_secs(1));
    loop {
        tokio::select! {
            _ = poll.tick(), if shared => {
                match catch_up(&mut socket, state, id, &mut last).await {
                    Ok(false) => {}
                    Ok(true) => {
                        let _ = socket.send(Message::Close(None)).await;
                        return;
                    }
                    Err(()) => return,
                }
            }
            got = live.recv() => {
                let ended = match got {
                    Ok(e) if e.seq <= last => false,
                    Ok(e) if e.seq == last + 1 => {
                        if socket.send(Message::Text(e.body.clone().into())).await.is_err() {
                            return;
                        }
                        last = e.seq;
                        e.ends
                    }
                    // A gap or a lag: the store has everything.
                    Ok(_) | Err(RecvError::Lagged(_)) => match catch_up(&mut socket, state, id, &mut last).await {
                        Ok(ended) => ended,
                        Err(()) => return,
                    },
                    Err(RecvError::Closed) => true,
                };
                if ended {
                    let _ = socket.send(Message::Close(None)).await;
                    return;
                }
            }
            _ = &mut grace => {
                let _ = socket.send(Message::Close(None)).await;
                return;
            }
            incoming = socket.recv() => match incoming {
                None | Some(Err(_)) | Some(Ok(Message::Close(_))) => return,
                Some(Ok(_)) => {}
            },
        }
    }
}
