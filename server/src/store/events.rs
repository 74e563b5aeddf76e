//! Run events with their sequence numbers.
use super::{EventRow, Result, Store};
use sqlx::Row;

impl Store {
    pub async fn insert_event(&self, run_id: i64, seq: i64, body: &str) -> Result<()> {
        sqlx::query("INSERT INTO events (run_id, seq, body) VALUES ($1, $2, $3)")
            .bind(run_id)
            .bind(seq)
            .bind(body)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Stores an event read from the run's `events.jsonl` together with how far the file has
    /// been read, in one transaction: after a crash the file is read on from exactly there, so
    /// no event is lost or stored twice.
    pub async fn insert_file_event(
        &self,
        run_id: i64,
        seq: i64,
        body: &str,
        offset: i64,
    ) -> Result<()> {
        let mut tx = self.pool.begin().await?;
        sqlx::query("INSERT INTO events (run_id, seq, body) VALUES ($1, $2, $3)")
            .bind(run_id)
            .bind(seq)
            .bind(body)
            .execute(&mut *tx)
            .await?;
        sqlx::query("UPDATE runs SET events_offset = $1 WHERE id = $2")
            .bind(offset)
            .bind(run_id)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    /// The run's highest stored `seq`, or -1.
    pub async fn last_seq(&self, run_id: i64) -> Result<i64> {
        let r = sqlx::query("SELECT COALESCE(MAX(seq), -1) AS s FROM events WHERE run_id = $1")
            .bind(run_id)
            .fetch_one(&self.pool)
            .await?;
        Ok(r.try_get("s")?)
    }

    /// The run's events with `seq` above `after`, in order.
    pub async fn events_after(&self, run_id: i64, after: i64) -> Result<Vec<EventRow>> {
        let rows =
            sqlx::query("SELECT seq, body FROM events WHERE run_id = $1 AND seq > $2 ORDER BY seq")
                .bind(run_id)
                .bind(after)
                .fetch_all(&self.pool)
                .await?;
        rows.iter()
            .map(|r| {
                let body: &str = r.try_get("body")?;
                Ok(EventRow::new(
                    r.try_get("seq")?,
                    &serde_json::from_str(body)?,
                ))
            })
            .collect()
    }
}
