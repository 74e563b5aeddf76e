//! Sweeps: a row each (what was asked, whether it was cancelled), their member runs marked with
//! the sweep and the point, and read-only share tokens of their own.
use super::{now, Result, Store};
use serde_json::Value;
use sqlx::Row;

#[derive(Debug, Clone)]
pub struct SweepRow {
    pub id: i64,
    pub kind: String,
    pub dataset_id: String,
    /// The request as given: the run request it varies, `axes`, `seeds`, `mode`, ...
    pub request: Value,
    pub cancelled: bool,
    pub created_at: f64,
}

fn sweep_row(r: &sqlx::any::AnyRow) -> Result<SweepRow> {
    Ok(SweepRow {
        id: r.try_get("id")?,
        kind: r.try_get("kind")?,
        dataset_id: r.try_get("dataset_id")?,
        request: serde_json::from_str(r.try_get::<&str, _>("request")?)?,
        cancelled: r.try_get::<i64, _>("cancelled")? != 0,
        created_at: r.try_get("created_at")?,
    })
}

const SELECT: &str = "SELECT id, kind, dataset_id, request, cancelled, created_at FROM sweeps";

impl Store {
    pub async fn insert_sweep(&self, kind: &str, dataset_id: &str, request: &Value) -> Result<i64> {
        let r = sqlx::query(
            "INSERT INTO sweeps (kind, dataset_id, request, created_at) VALUES ($1, $2, $3, $4) RETURNING id",
        )
        .bind(kind)
        .bind(dataset_id)
        .bind(request.to_string())
        .bind(now())
        .fetch_one(&self.pool)
        .await?;
        Ok(r.try_get("id")?)
    }

    pub async fn sweep(&self, id: i64) -> Result<Option<SweepRow>> {
        let r = sqlx::query(&format!("{SELECT} WHERE id = $1"))
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        r.as_ref().map(sweep_row).transpose()
    }

    /// Every sweep, the newest first.
    pub async fn sweeps(&self) -> Result<Vec<SweepRow>> {
        let rows = sqlx::query(&format!("{SELECT} ORDER BY id DESC"))
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(sweep_row).collect()
    }

    /// Marks run `id` as point `point` of sweep `sweep`.
    pub async fn set_sweep(&self, id: i64, sweep: i64, point: i64) -> Result<()> {
        sqlx::query("UPDATE runs SET sweep_id = $1, sweep_point = $2 WHERE id = $3")
            .bind(sweep)
            .bind(point)
            .bind(id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    pub async fn cancel_sweep(&self, id: i64) -> Result<()> {
        sqlx::query("UPDATE sweeps SET cancelled = 1 WHERE id = $1")
            .bind(id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// The sweep's share token, creating `token` as it when it has none.
    pub async fn share_sweep(&self, sweep: i64, token: &str) -> Result<String> {
        sqlx::query("INSERT INTO sweep_shares (token, sweep_id, created_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING")
            .bind(token)
            .bind(sweep)
            .bind(now())
            .execute(&self.pool)
            .await?;
        let r = sqlx::query("SELECT token FROM sweep_shares WHERE sweep_id = $1")
            .bind(sweep)
            .fetch_one(&self.pool)
            .await?;
        Ok(r.try_get("token")?)
    }

    pub async fn sweep_share_token(&self, sweep: i64) -> Result<Option<String>> {
        let r = sqlx::query("SELECT token FROM sweep_shares WHERE sweep_id = $1")
            .bind(sweep)
            .fetch_optional(&self.pool)
            .await?;
        r.map(|r| r.try_get("token"))
            .transpose()
            .map_err(Into::into)
    }

    /// The sweep a token shares.
    pub async fn shared_sweep(&self, token: &str) -> Result<Option<i64>> {
        let r = sqlx::query("SELECT sweep_id FROM sweep_shares WHERE token = $1")
            .bind(token)
            .fetch_optional(&self.pool)
            .await?;
        r.map(|r| r.try_get("sweep_id"))
            .transpose()
            .map_err(Into::into)
    }
}
