//! The server's store: every handler and the runner go through `Store`'s methods, never through
//! SQL of their own, so a PostgreSQL store for several machines can replace this SQLite one
//! behind the same methods. SQLite runs in WAL mode; migrations run when the store opens.
mod datasets;
mod events;
mod runs;
mod sessions;
mod shares;

use serde::Serialize;
use serde_json::Value;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::SqlitePool;
use std::path::Path;
use std::str::FromStr;

pub use runs::NewRun;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database: {0}")]
    Db(#[from] sqlx::Error),
    #[error("database migration: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("stored JSON is invalid: {0}")]
    Json(#[from] serde_json::Error),
    /// A write that lost a race to another (e.g. a run on a dataset deleted meanwhile).
    #[error("{0}")]
    Conflict(String),
}

pub type Result<T> = std::result::Result<T, StoreError>;

/// Seconds since the Unix epoch.
pub fn now() -> f64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64())
}

/// A run's life: `queued` -> `running` -> one of the ends; `interrupted` when the server stopped
/// under a running worker (resumable).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Queued,
    Running,
    Succeeded,
    Failed,
    Cancelled,
    Interrupted,
}

impl Status {
    pub const ALL: [Status; 6] = [
        Status::Queued,
        Status::Running,
        Status::Succeeded,
        Status::Failed,
        Status::Cancelled,
        Status::Interrupted,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Status::Queued => "queued",
            Status::Running => "running",
            Status::Succeeded => "succeeded",
            Status::Failed => "failed",
            Status::Cancelled => "cancelled",
            Status::Interrupted => "interrupted",
        }
    }

    pub fn parse(text: &str) -> Option<Status> {
        Status::ALL.into_iter().find(|s| s.as_str() == text)
    }

    /// No worker will write to the run any more (until a resume).
    pub fn is_final(self) -> bool {
        !matches!(self, Status::Queued | Status::Running)
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct DatasetRow {
    pub id: String,
    pub name: String,
    pub summary: Value,
    pub created_at: f64,
    /// Runs that use the dataset.
    pub runs: i64,
}

#[derive(Debug, Clone, Serialize)]
pub struct RunRow {
    pub id: i64,
    pub kind: String,
    pub dataset_id: String,
    pub source_run: Option<i64>,
    /// The seed group (its first run's id); None for a run made alone.
    pub group_id: Option<i64>,
    pub status: Status,
    pub config: Value,
    pub message: Option<String>,
    pub result: Option<Value>,
    pub epoch: i64,
    pub epochs: i64,
    pub best_metric: Option<f64>,
    pub created_at: f64,
    pub started_at: Option<f64>,
    pub finished_at: Option<f64>,
}

/// One stored event: its body is the event object with `seq`.
#[derive(Debug, Clone)]
pub struct EventRow {
    pub seq: i64,
    pub body: String,
    /// A final status: no worker writes after it (until a resume), so streams close on it.
    pub ends: bool,
}

impl EventRow {
    pub fn new(seq: i64, event: &Value) -> EventRow {
        let ends = event["type"] == "status"
            && event["status"]
                .as_str()
                .and_then(Status::parse)
                .is_some_and(Status::is_final);
        EventRow {
            seq,
            body: event.to_string(),
            ends,
        }
    }
}

#[derive(Clone)]
pub struct Store {
    pool: SqlitePool,
}

impl Store {
    /// Opens (creating if missing) `dartboard.db` in `data_dir` and runs the migrations.
    pub async fn open(data_dir: &Path) -> Result<Store> {
        let path = data_dir.join("dartboard.db");
        let options = SqliteConnectOptions::from_str(&format!("sqlite://{}", path.display()))?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .foreign_keys(true)
            .busy_timeout(std::time::Duration::from_secs(10));
        let pool = SqlitePoolOptions::new()
            .max_connections(8)
            .connect_with(options)
            .await?;
        sqlx::migrate!("./migrations").run(&pool).await?;
        Ok(Store { pool })
    }
}
