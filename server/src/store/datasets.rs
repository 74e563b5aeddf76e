//! Registered datasets.
use super::{now, DatasetRow, Result, Store};
use serde_json::Value;
use sqlx::Row;

const SELECT: &str = "SELECT d.id, d.name, d.summary, d.created_at,
    (SELECT COUNT(*) FROM runs r WHERE r.dataset_id = d.id) AS runs FROM datasets d";

fn row(r: &sqlx::any::AnyRow) -> Result<DatasetRow> {
    Ok(DatasetRow {
        id: r.try_get("id")?,
        name: r.try_get("name")?,
        summary: serde_json::from_str(r.try_get::<&str, _>("summary")?)?,
        created_at: r.try_get("created_at")?,
        runs: r.try_get("runs")?,
    })
}

impl Store {
    /// Registers a stored dataset; false when it was registered already.
    pub async fn insert_dataset(&self, id: &str, name: &str, summary: &Value) -> Result<bool> {
        let done = sqlx::query(
            "INSERT INTO datasets (id, name, summary, created_at) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
        )
        .bind(id)
        .bind(name)
        .bind(summary.to_string())
        .bind(now())
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Replaces a registered dataset's summary (its symmetry changed); false when unknown.
    pub async fn update_dataset_summary(&self, id: &str, summary: &Value) -> Result<bool> {
        let done = sqlx::query("UPDATE datasets SET summary = $1 WHERE id = $2")
            .bind(summary.to_string())
            .bind(id)
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected() == 1)
    }

    pub async fn datasets(&self) -> Result<Vec<DatasetRow>> {
        let rows = sqlx::query(&format!("{SELECT} ORDER BY d.created_at DESC"))
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(row).collect()
    }

    pub async fn dataset(&self, id: &str) -> Result<Option<DatasetRow>> {
        let r = sqlx::query(&format!("{SELECT} WHERE d.id = $1"))
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        r.as_ref().map(row).transpose()
    }

    /// Deletes the dataset's row; false when runs still use it (nothing is deleted then).
    pub async fn delete_dataset(&self, id: &str) -> Result<bool> {
        let done = sqlx::query(
            "DELETE FROM datasets WHERE id = $1 AND NOT EXISTS (SELECT 1 FROM runs WHERE dataset_id = $2)",
        )
        .bind(id)
        .bind(id)
        .execute(&self.pool)
        .await;
        match done {
            Ok(done) => Ok(done.rows_affected() == 1),
            // PostgreSQL: a run created meanwhile commits while the delete waits on the row its
            // foreign key locked; the delete then fails the key (SQLSTATE 23503). The dataset is
            // in use, as if the run had come first.
            Err(sqlx::Error::Database(e)) if e.code().as_deref() == Some("23503") => Ok(false),
            Err(e) => Err(e.into()),
        }
    }
}
