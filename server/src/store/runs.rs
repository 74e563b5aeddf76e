//! Runs: created queued, picked by the runner, finished with a status, a message and a result.
use super::{now, Backend, Result, RunRow, Status, Store, StoreError};
use serde_json::Value;
use sqlx::Row;

/// What `POST /api/runs` asks for, resolved.
#[derive(Debug, Clone)]
pub struct NewRun {
    pub kind: String,
    pub dataset_id: String,
    pub source_run: Option<i64>,
    /// The seed group the run belongs to (its first run's id).
    pub group_id: Option<i64>,
    /// The resolved engine config.
    pub config: Value,
    /// The request as given (the worker's job description).
    pub request: Value,
}

/// The job id of a run claimed for a scheduler while `sbatch` runs.
pub const SUBMITTING: &str = "submitting";

const SELECT: &str =
    "SELECT id, kind, dataset_id, source_run, group_id, status, config, message, result,
    epoch, epochs, best_metric, created_at, started_at, finished_at, job_id, job_state, owner,
    sweep_id, sweep_point FROM runs";

fn row(r: &sqlx::any::AnyRow) -> Result<RunRow> {
    let status: String = r.try_get("status")?;
    let result: Option<String> = r.try_get("result")?;
    Ok(RunRow {
        id: r.try_get("id")?,
        kind: r.try_get("kind")?,
        dataset_id: r.try_get("dataset_id")?,
        source_run: r.try_get("source_run")?,
        group_id: r.try_get("group_id")?,
        status: Status::parse(&status).ok_or_else(|| {
            StoreError::Db(sqlx::Error::Decode(
                format!("unknown status {status}").into(),
            ))
        })?,
        config: serde_json::from_str(r.try_get::<&str, _>("config")?)?,
        message: r.try_get("message")?,
        result: result.map(|t| serde_json::from_str(&t)).transpose()?,
        epoch: r.try_get("epoch")?,
        epochs: r.try_get("epochs")?,
        best_metric: r.try_get("best_metric")?,
        created_at: r.try_get("created_at")?,
        started_at: r.try_get("started_at")?,
        finished_at: r.try_get("finished_at")?,
        job_id: r.try_get("job_id")?,
        job_state: r.try_get("job_state")?,
        owner: r.try_get("owner")?,
        sweep_id: r.try_get("sweep_id")?,
        sweep_point: r.try_get("sweep_point")?,
    })
}

impl Store {
    pub async fn insert_run(&self, new: &NewRun) -> Result<i64> {
        let epochs = new
            .config
            .get("epochs")
            .and_then(Value::as_i64)
            .unwrap_or(0);
        let done = sqlx::query(
            "INSERT INTO runs (kind, dataset_id, source_run, group_id, status, config, request, epochs, created_at)
             VALUES ($1, $2, $3, $4, 'queued', $5, $6, $7, $8) RETURNING id",
        )
        .bind(&new.kind)
        .bind(&new.dataset_id)
        .bind(new.source_run)
        .bind(new.group_id)
        .bind(new.config.to_string())
        .bind(new.request.to_string())
        .bind(epochs)
        .bind(now())
        .fetch_one(&self.pool)
        .await
        .map_err(|e| match &e {
            sqlx::Error::Database(d) if d.is_foreign_key_violation() => StoreError::Conflict(
                format!(
                    "dataset {} (or the source run) was deleted meanwhile",
                    new.dataset_id
                ),
            ),
            _ => StoreError::Db(e),
        })?;
        Ok(done.try_get("id")?)
    }

    /// Puts a run into a seed group (a run repeated later becomes its group's first).
    pub async fn set_group(&self, id: i64, group: i64) -> Result<()> {
        sqlx::query("UPDATE runs SET group_id = $1 WHERE id = $2")
            .bind(group)
            .bind(id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    pub async fn run(&self, id: i64) -> Result<Option<RunRow>> {
        let r = sqlx::query(&format!("{SELECT} WHERE id = $1"))
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        r.as_ref().map(row).transpose()
    }

    /// Every run, newest first.
    pub async fn runs(&self) -> Result<Vec<RunRow>> {
        let rows = sqlx::query(&format!("{SELECT} ORDER BY id DESC"))
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(row).collect()
    }

    /// The job description the worker reads.
    pub async fn run_request(&self, id: i64) -> Result<Option<Value>> {
        let r = sqlx::query("SELECT request FROM runs WHERE id = $1")
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        match r {
            Some(r) => Ok(Some(serde_json::from_str(
                r.try_get::<&str, _>("request")?,
            )?)),
            None => Ok(None),
        }
    }

    pub async fn count_status(&self, status: Status) -> Result<i64> {
        let r = sqlx::query("SELECT COUNT(*) AS n FROM runs WHERE status = $1")
            .bind(status.as_str())
            .fetch_one(&self.pool)
            .await?;
        Ok(r.try_get("n")?)
    }

    /// The oldest queued run nobody has claimed: `FOR UPDATE SKIP LOCKED` on PostgreSQL, so two
    /// servers on one database never take the same run (SQLite has one writer at a time).
    fn oldest_unclaimed(&self) -> &'static str {
        match self.backend {
            Backend::Sqlite => {
                "SELECT id FROM runs WHERE status = 'queued' AND job_id IS NULL ORDER BY id LIMIT 1"
            }
            Backend::Postgres => {
                "SELECT id FROM runs WHERE status = 'queued' AND job_id IS NULL ORDER BY id LIMIT 1
                 FOR UPDATE SKIP LOCKED"
            }
        }
    }

    /// The oldest queued run, marked running by `owner` (a local worker starts at once).
    pub async fn take_queued(&self, owner: &str) -> Result<Option<i64>> {
        let r = sqlx::query(&format!(
            "UPDATE runs SET status = 'running', started_at = $1, message = NULL, finished_at = NULL,
             owner = $2, job_state = NULL WHERE id = ({}) RETURNING id",
            self.oldest_unclaimed()
        ))
        .bind(now())
        .bind(owner)
        .fetch_optional(&self.pool)
        .await?;
        r.map(|r| r.try_get("id")).transpose().map_err(Into::into)
    }

    /// The oldest queued run, claimed by `owner` for a scheduler: it stays `queued` (the job
    /// waits in the scheduler's queue) with the job id `SUBMITTING` until `set_job`.
    pub async fn claim_queued(&self, owner: &str) -> Result<Option<i64>> {
        let r = sqlx::query(&format!(
            "UPDATE runs SET job_id = $1, owner = $2, job_state = NULL, message = NULL
             WHERE id = ({}) RETURNING id",
            self.oldest_unclaimed()
        ))
        .bind(SUBMITTING)
        .bind(owner)
        .fetch_optional(&self.pool)
        .await?;
        r.map(|r| r.try_get("id")).transpose().map_err(Into::into)
    }

    /// Records the scheduler's job id (or, with None, gives a claimed run back to the queue).
    pub async fn set_job(&self, id: i64, job: Option<&str>) -> Result<()> {
        sqlx::query("UPDATE runs SET job_id = $1 WHERE id = $2")
            .bind(job)
            .bind(id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Records the job's state as the scheduler reports it (PENDING, RUNNING, ...).
    pub async fn set_job_state(&self, id: i64, state: &str) -> Result<()> {
        sqlx::query("UPDATE runs SET job_state = $1 WHERE id = $2")
            .bind(state)
            .bind(id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// A queued run whose job started: `running` from now.
    pub async fn job_started(&self, id: i64) -> Result<bool> {
        let done = sqlx::query(
            "UPDATE runs SET status = 'running', started_at = $1 WHERE id = $2 AND status = 'queued'",
        )
        .bind(now())
        .bind(id)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// How many bytes of the run's events.jsonl are stored.
    pub async fn events_offset(&self, id: i64) -> Result<i64> {
        let r = sqlx::query("SELECT events_offset FROM runs WHERE id = $1")
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        Ok(r.map(|r| r.try_get("events_offset"))
            .transpose()?
            .unwrap_or(0))
    }

    /// `owner`'s scheduler jobs that have not ended: (run id, job id, events.jsonl bytes stored).
    pub async fn open_jobs(&self, owner: &str) -> Result<Vec<(i64, String, i64)>> {
        let rows = sqlx::query(
            "SELECT id, job_id, events_offset FROM runs WHERE owner = $1 AND job_id IS NOT NULL
             AND status IN ('queued', 'running') ORDER BY id",
        )
        .bind(owner)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok((
                    r.try_get("id")?,
                    r.try_get("job_id")?,
                    r.try_get("events_offset")?,
                ))
            })
            .collect()
    }

    /// Moves a run from one of `from` to `to`; false when it was in none of them.
    pub async fn transition(
        &self,
        id: i64,
        from: &[Status],
        to: Status,
        message: Option<&str>,
    ) -> Result<bool> {
        let list = from
            .iter()
            .map(|s| format!("'{}'", s.as_str()))
            .collect::<Vec<_>>()
            .join(",");
        let finished = if to.is_final() { Some(now()) } else { None };
        // Back in the queue, a run is anybody's to claim again.
        let unclaim = if to == Status::Queued {
            ", job_id = NULL, job_state = NULL, owner = NULL"
        } else {
            ""
        };
        let done = sqlx::query(&format!(
            "UPDATE runs SET status = $1, message = $2, finished_at = $3{unclaim} WHERE id = $4 AND status IN ({list})"
        ))
        .bind(to.as_str())
        .bind(message)
        .bind(finished)
        .bind(id)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// `owner`'s runs with a local worker that were running (at start-up: their workers died
    /// with the old server). Rows from before owners were recorded count as anybody's.
    pub async fn running_ids(&self, owner: &str) -> Result<Vec<i64>> {
        let rows = sqlx::query(
            "SELECT id FROM runs WHERE status = 'running' AND job_id IS NULL
             AND (owner = $1 OR owner IS NULL) ORDER BY id",
        )
        .bind(owner)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| r.try_get("id").map_err(Into::into))
            .collect()
    }

    pub async fn set_progress(
        &self,
        id: i64,
        epoch: i64,
        epochs: i64,
        best: Option<f64>,
    ) -> Result<()> {
        sqlx::query("UPDATE runs SET epoch = $1, epochs = $2, best_metric = COALESCE($3, best_metric) WHERE id = $4")
            .bind(epoch)
            .bind(epochs)
            .bind(best)
            .bind(id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    pub async fn set_result(&self, id: i64, result: &Value) -> Result<()> {
        // A search's best validation metric; a trained network's test metric.
        let best = result
            .get("best_val_metric")
            .or_else(|| result.get("test_metric"))
            .and_then(Value::as_f64);
        sqlx::query(
            "UPDATE runs SET result = $1, best_metric = COALESCE($2, best_metric) WHERE id = $3",
        )
        .bind(result.to_string())
        .bind(best)
        .bind(id)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Deletes a run that is not queued or running, with its events and share; false otherwise.
    pub async fn delete_run(&self, id: i64) -> Result<bool> {
        let done =
            sqlx::query("DELETE FROM runs WHERE id = $1 AND status NOT IN ('queued', 'running')")
                .bind(id)
                .execute(&self.pool)
                .await?;
        Ok(done.rows_affected() == 1)
    }
}
