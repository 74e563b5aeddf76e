//! A run's events: numbered, stored, then fanned out live. The store is the history; the
//! broadcast channel only carries what happens while someone listens, so a slow viewer that lags
//! behind is resynchronised from the store and never holds a run back.
use crate::store::{EventRow, Store};
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

    fn with_channel<T>(&self, run_id: i64, f: impl FnOnce(&Channel) -> T) -> T {
        let mut map = match self.channels.lock() {
            Ok(m) => m,
            Err(poisoned) => poisoned.into_inner(),
        };
        let ch = map.entry(run_id).or_insert_with(|| Channel {
            tx: broadcast::channel(BUFFER).0,
            next: Arc::new(tokio::sync::Mutex::new(None)),
        });
        f(ch)
    }

    /// Live events of the run from now on.
    pub fn subscribe(&self, run_id: i64) -> broadcast::Receiver<Arc<EventRow>> {
        self.with_channel(run_id, |c| c.tx.subscribe())
    }

    /// Numbers the event (`seq` replaced), stores it and sends it to the run's viewers.
    pub async fn publish(&self, run_id: i64, mut event: Value) -> crate::store::Result<i64> {
        let (next, tx) = self.with_channel(run_id, |c| (Arc::clone(&c.next), c.tx.clone()));
        let mut next = next.lock().await;
        let seq = match *next {
            Some(s) => s,
            None => self.store.last_seq(run_id).await? + 1,
        };
        if let Value::Object(m) = &mut event {
            m.insert("seq".into(), seq.into());
        }
        let row = EventRow::new(seq, &event);
        self.store.insert_event(run_id, seq, &row.body).await?;
        *next = Some(seq + 1);
        // No receivers is fine: the store has it.
        let _ = tx.send(Arc::new(row));
        Ok(seq)
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
