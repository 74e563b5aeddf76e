//! A run's events: numbered, stored, then fanned out live. The store is the history; the
//! broadcast channel only carries what happens while someone listens, so a slow viewer that lags
//! behind is resynchronised from the store and never holds a run back.
use crate::store::{EventRow, Store, StoreError};
use serde_json::Value;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use tokio::sync::broadcast;

/// Events buffered per viewer before it counts as lagging.
const BUFFER: usize = 256;

struct Channel {
    tx: broadcast::Sender<Arc<EventRow>>,
    /// The next `seq`, behind its own lock so events of one run are numbered and stored in order.
    next: Arc<tokio::sync::Mutex<Option<i64>>>,
    /// The last event published was a final status.
    ended: bool,
}

pub struct Hub {
    store: Store,
    channels: Mutex<HashMap<i64, Channel>>,
}

impl Hub {
    pub fn new(store: Store) -> Hub {
        Hub {
            store,
            channels: Mutex::new(HashMap::new()),
        }
    }

    fn with_channel<T>(&self, run_id: i64, f: impl FnOnce(&mut Channel) -> T) -> T {
        let mut map = match self.channels.lock() {
            Ok(m) => m,
            Err(poisoned) => poisoned.into_inner(),
        };
        let ch = map.entry(run_id).or_insert_with(|| Channel {
            tx: broadcast::channel(BUFFER).0,
            next: Arc::new(tokio::sync::Mutex::new(None)),
            ended: false,
        });
        f(ch)
    }

    /// Live events of the run from now on.
    pub fn subscribe(&self, run_id: i64) -> broadcast::Receiver<Arc<EventRow>> {
        self.with_channel(run_id, |c| c.tx.subscribe())
    }

    /// Numbers the event (`seq` replaced), stores it and sends it to the run's viewers.
    pub async fn publish(&self, run_id: i64, event: Value) -> crate::store::Result<i64> {
        self.publish_at(run_id, event, None).await
    }

    /// As `publish`, for an event read from the run's `events.jsonl`: `offset` (the bytes of
    /// the file read once this event is stored) is stored with it, atomically.
    pub async fn publish_at(
        &self,
        run_id: i64,
        mut event: Value,
        offset: Option<i64>,
    ) -> crate::store::Result<i64> {
        let (next, tx) = self.with_channel(run_id, |c| (Arc::clone(&c.next), c.tx.clone()));
        let mut next = next.lock().await;
        let mut seq = match *next {
            Some(s) => s,
            None => self.store.last_seq(run_id).await? + 1,
        };
        // Another server on a shared store may have numbered events of this run meanwhile
        // (it runs the run, this one took a cancel or a resume): number on from the store's.
        let mut tries = 0;
        let row = loop {
            if let Value::Object(m) = &mut event {
                m.insert("seq".into(), seq.into());
            }
            let row = EventRow::new(seq, &event);
            let stored = match offset {
                Some(o) => {
                    self.store
                        .insert_file_event(run_id, seq, &row.body, o)
                        .await
                }
                None => self.store.insert_event(run_id, seq, &row.body).await,
            };
            match stored {
                Ok(()) => break row,
                Err(StoreError::Db(sqlx::Error::Database(d)))
                    if d.is_unique_violation() && tries < 3 =>
                {
                    tries += 1;
                    seq = self.store.last_seq(run_id).await? + 1;
                }
                Err(e) => return Err(e),
            }
        };
        *next = Some(seq + 1);
        let ends = row.ends;
        // No receivers is fine: the store has it.
        let _ = tx.send(Arc::new(row));
        self.with_channel(run_id, |c| c.ended = ends);
        if ends {
            self.release(run_id);
        }
        Ok(seq)
    }

    /// Drops the run's channel once its run has ended and nobody listens: the store keeps the
    /// history, and a resumed run gets a new channel. Viewers call this as they leave, so the
    /// hub holds channels only for live runs and their viewers.
    pub fn release(&self, run_id: i64) {
        let mut map = match self.channels.lock() {
            Ok(m) => m,
            Err(poisoned) => poisoned.into_inner(),
        };
        if map
            .get(&run_id)
            .is_some_and(|c| c.ended && c.tx.receiver_count() == 0)
        {
            map.remove(&run_id);
        }
    }

    /// A viewer left (its receiver dropped): the channel goes if the run has ended and nobody
    /// else listens. `run_final` is the run's stored status being final.
    pub fn leave(&self, run_id: i64, run_final: bool) {
        if run_final {
            if let Ok(mut map) = self.channels.lock() {
                if let Some(c) = map.get_mut(&run_id) {
                    c.ended = true;
                }
            }
        }
        self.release(run_id);
    }

    /// Channels held now (for the soak test's memory figure and the system page).
    pub fn channels(&self) -> usize {
        self.channels.lock().map_or(0, |m| m.len())
    }

    /// Forgets a deleted run's channel.
    pub fn forget(&self, run_id: i64) {
        if let Ok(mut m) = self.channels.lock() {
            m.remove(&run_id);
        }
    }
}

/// A status event as the engine writes them.
pub fn status_event(status: crate::store::Status, message: Option<&str>) -> Value {
    let mut v = serde_json::json!({"type": "status", "status": status.as_str()});
    if let Some(m) = message {
        v["message"] = m.into();
    }
    v
}
