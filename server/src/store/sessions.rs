//! Browser sessions: logging in with the admin token makes one; its cookie carries the session's
//! random id, never the token itself.
use super::{now, Result, Store};
use sqlx::Row;

impl Store {
    /// Records a session that lasts `seconds`; expired sessions are dropped on the way.
    pub async fn insert_session(&self, id: &str, seconds: f64) -> Result<()> {
        let t = now();
        sqlx::query("DELETE FROM sessions WHERE expires_at < $1")
            .bind(t)
            .execute(&self.pool)
            .await?;
        sqlx::query("INSERT INTO sessions (id, created_at, expires_at) VALUES ($1, $2, $3)")
            .bind(id)
            .bind(t)
            .bind(t + seconds)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Whether `id` is a live session.
    pub async fn session(&self, id: &str) -> Result<bool> {
        let r = sqlx::query("SELECT expires_at FROM sessions WHERE id = $1")
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        match r {
            Some(r) => Ok(r.try_get::<f64, _>("expires_at")? > now()),
            None => Ok(false),
        }
    }

    /// Ends a session (logging out).
    pub async fn delete_session(&self, id: &str) -> Result<()> {
        sqlx::query("DELETE FROM sessions WHERE id = $1")
            .bind(id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }
}
