//! What keeps the runner's record true when the machine fails under it: queued runs wait while
//! the data directory is below its free-space reserve, a run the store says is running but
//! that has no worker is recorded failed, and a cancel of such a run records it cancelled.
use super::Runner;
use crate::hub::status_event;
use crate::store::Status;

impl Runner {
    /// Whether the data directory has its reserve free; queued runs wait while it has not.
    pub(super) fn has_room(&self) -> bool {
        use std::sync::atomic::Ordering;
        let free = crate::faults::free_bytes(&self.data_dir);
        let room = free.is_none_or(|f| f >= self.min_free_bytes);
        if self.short_of_space.swap(!room, Ordering::Relaxed) != !room {
            match room {
                false => tracing::warn!(
                    "{} has {} bytes free, below the reserve of {} (--min-free): queued runs wait",
                    self.data_dir.display(),
                    free.unwrap_or(0),
                    self.min_free_bytes
                ),
                true => tracing::info!(
                    "{}: space again; queued runs start",
                    self.data_dir.display()
                ),
            }
        }
        room
    }

    /// Records `failed` for this server's local runs that the store says are running but that
    /// have no worker (`has_worker`; one that ended while its end could not be stored, a launch
    /// that failed half-way): a run never outlives its worker.
    pub(super) async fn reap_orphans(&self, has_worker: impl Fn(i64) -> bool) {
        let Ok(ids) = self.store.running_ids(&self.owner).await else {
            return;
        };
        for id in ids {
            if has_worker(id) {
                continue;
            }
            let msg = "the run's worker is gone (it ended without reporting how); resume continues the run from its last epoch checkpoint";
            // Only from running: the list may be older than a run that ended and was queued
            // again meanwhile.
            match self
                .store
                .transition(id, &[Status::Running], Status::Failed, Some(msg))
                .await
            {
                Ok(true) => {
                    tracing::warn!("run {id}: {msg}");
                    let event = status_event(Status::Failed, Some(msg));
                    if let Err(e) = self.hub.publish(id, event).await {
                        tracing::error!("run {id}: {e}");
                    }
                }
                Ok(false) => {}
                Err(e) => tracing::error!("run {id}: {e}"),
            }
        }
    }

    /// Records a running run whose worker is gone (or going) as cancelled.
    pub(super) async fn cancel_without_worker(&self, id: i64) -> crate::store::Result<bool> {
        let msg = "cancelled by request (its worker had already ended)";
        let moved = self
            .store
            .transition(id, &[Status::Running], Status::Cancelled, Some(msg))
            .await?;
        if moved {
            self.hub
                .publish(id, status_event(Status::Cancelled, Some(msg)))
                .await?;
        }
        Ok(moved)
    }
}
