//! The server's store: every handler and the runner go through `Store`'s methods, never through
//! SQL of their own. Two databases stand behind the same methods, through sqlx's `Any` driver:
//! an embedded SQLite file (the default, in WAL mode) and PostgreSQL (`--database postgres://...`)
//! for several servers and a cluster. Queries use `$N` parameters, which both understand; the
//! migrations are kept in step file by file (`migrations/sqlite`, `migrations/postgres`), embedded
//! in the binary (`migrations.rs`) and run when the store opens.
mod datasets;
mod events;
mod migrations;
mod runs;
mod sessions;
mod shares;
mod sweeps;

use serde::Serialize;
use serde_json::Value;
use sqlx::any::AnyPoolOptions;
use sqlx::AnyPool;
use sqlx::Executor;
use std::path::Path;

pub use runs::{NewRun, SUBMITTING};
pub use sweeps::SweepRow;

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

impl StoreError {
    /// The storage fault behind the error (a full disk, a read-only file, a database that does
    /// not answer), if it is one.
    pub fn fault(&self) -> Option<crate::faults::Fault> {
        match self {
            StoreError::Db(e) => crate::faults::Fault::of_db(e),
            StoreError::Migrate(e) => crate::faults::Fault::of_text(&e.to_string()),
            _ => None,
        }
    }
}

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
    /// The scheduler's job id (Slurm runs).
    pub job_id: Option<String>,
    /// The job's state as the scheduler last reported it.
    pub job_state: Option<String>,
    /// The server that took the run from the queue (`--server-name`).
    pub owner: Option<String>,
    /// The sweep the run belongs to, and the index of its point there.
    pub sweep_id: Option<i64>,
    pub sweep_point: Option<i64>,
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

/// Which database stands behind the store.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

#[derive(Clone)]
pub struct Store {
    pool: AnyPool,
    backend: Backend,
}

/// A `postgres://` URL without its password, for messages and logs.
pub fn redacted(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            let user = &url[scheme + 3..at];
            let user = user.split(':').next().unwrap_or_default();
            format!("{}{user}:***{}", &url[..scheme + 3], &url[at..])
        }
        _ => url.to_string(),
    }
}

impl Store {
    /// Opens the store: PostgreSQL when `database` is a `postgres://` URL, else (creating if
    /// missing) `dartboard.db` in `data_dir`; then runs the migrations.
    pub async fn open(data_dir: &Path, database: Option<&str>) -> Result<Store> {
        sqlx::any::install_default_drivers();
        match database {
            Some(url) if url.starts_with("postgres://") || url.starts_with("postgresql://") => {
                // A database that does not answer is told within seconds (503), not after
                // the default half-minute wait for a connection.
                let pool = AnyPoolOptions::new()
                    .max_connections(8)
                    .acquire_timeout(std::time::Duration::from_secs(10))
                    .connect(url)
                    .await?;
                migrations::migrator(migrations::POSTGRES).await?.run(&pool).await?;
                Ok(Store {
                    pool,
                    backend: Backend::Postgres,
                })
            }
            Some(other) => Err(StoreError::Conflict(format!(
                "--database: '{}' is not a postgres:// URL (without it the store is SQLite in the data directory)",
                redacted(other)
            ))),
            None => {
                let path = data_dir.join("dartboard.db");
                let url = format!("sqlite://{}?mode=rwc", url_path(&path));
                // SQLite opens a file it cannot write read-only, and such a connection goes on
                // refusing writes after the file is writable again: connections opened while it
                // was not are closed instead of reused once it is (no restart needed).
                let unwritable_at = std::sync::Arc::new(std::sync::Mutex::new(None));
                let (seen, checked) = (unwritable_at.clone(), unwritable_at);
                let (at_connect, at_acquire) = (path.clone(), path.clone());
                let pool = AnyPoolOptions::new()
                    .max_connections(8)
                    .after_connect(move |conn, _| {
                        let unwritable = !writable(&at_connect);
                        let seen = seen.clone();
                        Box::pin(async move {
                            conn.execute(
                                "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; \
                                 PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 10000;",
                            )
                            .await?;
                            // The pool dates the connection after this returns: a second
                            // ahead, so that this connection counts as opened before it.
                            if unwritable {
                                if let Ok(mut t) = seen.lock() {
                                    *t = Some(
                                        std::time::Instant::now() + std::time::Duration::from_secs(1),
                                    );
                                }
                            }
                            Ok(())
                        })
                    })
                    .before_acquire(move |_, meta| {
                        let last = checked.lock().ok().and_then(|t| *t);
                        let opened = std::time::Instant::now().checked_sub(meta.age);
                        let stale = last.is_some_and(|t| opened.is_none_or(|o| o <= t))
                            && writable(&at_acquire);
                        Box::pin(async move { Ok(!stale) })
                    })
                    .connect(&url)
                    .await?;
                migrations::migrator(migrations::SQLITE).await?.run(&pool).await?;
                Ok(Store {
                    pool,
                    backend: Backend::Sqlite,
                })
            }
        }
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }
}

/// Whether this process may write `path` and the folder holding it (SQLite writes its WAL and
/// shared-memory files beside the database).
fn writable(path: &Path) -> bool {
    let ok = |p: &Path| {
        std::ffi::CString::new(p.as_os_str().as_encoded_bytes())
            // SAFETY: access(2) reads a valid C string.
            .is_ok_and(|c| unsafe { libc::access(c.as_ptr(), libc::W_OK) } == 0)
    };
    ok(path) && path.parent().is_none_or(ok)
}

/// A file path as the path part of a URL (the characters a URL gives a meaning escaped).
fn url_path(path: &Path) -> String {
    let mut out = String::new();
    for c in path.display().to_string().chars() {
        match c {
            '%' | '?' | '#' | ' ' => out.push_str(&format!("%{:02X}", c as u32)),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn passwords_stay_out_of_messages() {
        assert_eq!(
            super::redacted("postgres://dart:s3cret@db.example:5432/dartboard"),
            "postgres://dart:***@db.example:5432/dartboard"
        );
        assert_eq!(super::redacted("postgres://db/x"), "postgres://db/x");
        assert_eq!(
            super::url_path(std::path::Path::new("/srv/a b/50%?#")),
            "/srv/a%20b/50%25%3F%23"
        );
    }
}
