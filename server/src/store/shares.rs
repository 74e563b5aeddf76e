//! Share tokens: read-only access to a run and the runs made from it.
use super::{now, Result, Store};
use sqlx::Row;

impl Store {
    /// The run's share token, creating `token` as it when it has none.
    pub async fn share(&self, run_id: i64, token: &str) -> Result<String> {
        sqlx::query("INSERT INTO shares (token, run_id, created_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING")
            .bind(token)
            .bind(run_id)
            .bind(now())
            .execute(&self.pool)
            .await?;
        let r = sqlx::query("SELECT token FROM shares WHERE run_id = $1")
            .bind(run_id)
            .fetch_one(&self.pool)
            .await?;
        Ok(r.try_get("token")?)
    }

    /// The run's share token, if it has one.
    pub async fn share_token(&self, run_id: i64) -> Result<Option<String>> {
        let r = sqlx::query("SELECT token FROM shares WHERE run_id = $1")
            .bind(run_id)
            .fetch_optional(&self.pool)
            .await?;
        r.map(|r| r.try_get("token"))
            .transpose()
            .map_err(Into::into)
    }

    /// Revokes the run's token; false when it had none.
    pub async fn unshare(&self, run_id: i64) -> Result<bool> {
        let done = sqlx::query("DELETE FROM shares WHERE run_id = $1")
            .bind(run_id)
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected() > 0)
    }

    /// The run a token shares.
    pub async fn shared_run(&self, token: &str) -> Result<Option<i64>> {
        let r = sqlx::query("SELECT run_id FROM shares WHERE token = $1")
            .bind(token)
            .fetch_optional(&self.pool)
            .await?;
        r.map(|r| r.try_get("run_id"))
            .transpose()
            .map_err(Into::into)
    }

    /// Whether `run_id` is `root` or was made from it (directly or through other runs).
    pub async fn descends_from(&self, run_id: i64, root: i64) -> Result<bool> {
        let r = sqlx::query(
            "WITH RECURSIVE chain(id) AS (SELECT CAST($1 AS BIGINT) UNION SELECT r.id FROM runs r JOIN chain c ON r.source_run = c.id)
             SELECT 1 FROM chain WHERE id = $2",
        )
        .bind(root)
        .bind(run_id)
        .fetch_optional(&self.pool)
        .await?;
        Ok(r.is_some())
    }
}
