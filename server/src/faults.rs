//! Storage faults: a full or read-only data directory, or a database that does not answer, is
//! the server's trouble, not the user's. They are told apart from other errors here (an I/O
//! error's code, a database's error code, a child's message), answered 507 or 503 with a plain
//! message and a `Retry-After`, and work that writes (a run, an upload) is refused up front when
//! the data directory is below its free-space reserve or cannot be written.
use std::path::Path;

/// Free space below which the server starts no run and takes no upload (`--min-free`).
pub const DEFAULT_RESERVE: u64 = 256 << 20;

/// What went wrong with the server's storage.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// No space left on the data directory (or the database's disk).
    Full,
    /// The data directory or the database file cannot be written.
    ReadOnly,
    /// The database does not answer (PostgreSQL restarting, the pool exhausted).
    Unreachable,
}

impl Fault {
    /// From an I/O error's code.
    pub fn of_io(e: &std::io::Error) -> Option<Fault> {
        match e.raw_os_error()? {
            libc::ENOSPC | libc::EDQUOT => Some(Fault::Full),
            libc::EROFS | libc::EACCES | libc::EPERM => Some(Fault::ReadOnly),
            _ => None,
        }
    }

    /// From a message (a child's last line, a database's text).
    pub fn of_text(message: &str) -> Option<Fault> {
        let m = message.to_ascii_lowercase();
        let any = |words: &[&str]| words.iter().any(|w| m.contains(w));
        if any(&[
            "no space left",
            "os error 28",
            "storagefull",
            "database or disk is full",
            "disk quota exceeded",
            "os error 122",
        ]) {
            Some(Fault::Full)
        } else if any(&[
            "read-only file system",
            "os error 30",
            // Permission taken away from the server's own folders (every path a worker or an
            // import writes is under the data directory).
            "permission denied (os error 13)",
            "readonly database",
            "read-only database",
            "unable to open database file",
        ]) {
            Some(Fault::ReadOnly)
        } else {
            None
        }
    }

    /// From a database error: SQLite's result codes (13 full; 8 read-only and its extended
    /// codes; 14 cannot open; 10 I/O), PostgreSQL's SQLSTATEs (53100 disk full, 25006 read-only
    /// transaction, class 08 connection, 57P01-57P03 shutting down), and a lost connection.
    pub fn of_db(e: &sqlx::Error) -> Option<Fault> {
        match e {
            sqlx::Error::Database(d) => {
                let code = d.code().map(|c| c.to_string()).unwrap_or_default();
                // SQLite's codes are numbers; PostgreSQL's five-character SQLSTATEs are not
                // taken for them (21000 would read as SQLite's 8).
                let sqlite = (code.len() < 5)
                    .then(|| code.parse::<i64>().ok())
                    .flatten()
                    .map(|c| c & 0xff);
                match (sqlite, code.as_str()) {
                    (Some(13), _) | (_, "53100") => Some(Fault::Full),
                    (Some(8 | 14), _) | (_, "25006") => Some(Fault::ReadOnly),
                    (Some(10), _) => Fault::of_text(d.message()).or(Some(Fault::ReadOnly)),
                    (_, c) if c.starts_with("08") || c.starts_with("57P0") => {
                        Some(Fault::Unreachable)
                    }
                    _ => Fault::of_text(d.message()),
                }
            }
            sqlx::Error::Io(io) => Fault::of_io(io).or(Some(Fault::Unreachable)),
            sqlx::Error::PoolTimedOut | sqlx::Error::PoolClosed => Some(Fault::Unreachable),
            sqlx::Error::Protocol(_) | sqlx::Error::Tls(_) => Some(Fault::Unreachable),
            other => Fault::of_text(&other.to_string()),
        }
    }

    /// What the client is told: nothing was stored, and whose move it is.
    pub fn message(self) -> &'static str {
        match self {
            Fault::Full => "the server's data directory is full, so nothing was stored; an administrator has to free space (GET /api/system shows what is free), then try again",
            Fault::ReadOnly => "the server's data directory cannot be written right now, so nothing was stored; try again shortly",
            Fault::Unreachable => "the server's database is not answering right now, so nothing was stored; try again shortly",
        }
    }

    /// 507 Insufficient Storage for a full disk, else 503 Service Unavailable.
    pub fn status(self) -> axum::http::StatusCode {
        match self {
            Fault::Full => axum::http::StatusCode::INSUFFICIENT_STORAGE,
            _ => axum::http::StatusCode::SERVICE_UNAVAILABLE,
        }
    }

    /// Seconds a client should wait before trying again.
    pub fn retry_after(self) -> u64 {
        match self {
            Fault::Full => 300,
            Fault::ReadOnly => 30,
            Fault::Unreachable => 10,
        }
    }

    /// A run's failure message when its worker met this fault.
    pub fn run_message(self) -> &'static str {
        match self {
            Fault::Full => "no space left on the data directory; free space, then resume the run",
            Fault::ReadOnly => {
                "the data directory could not be written; once it can, resume the run"
            }
            Fault::Unreachable => "the database did not answer; resume the run once it does",
        }
    }
}

/// Free bytes on the filesystem holding `path` (for an unprivileged user).
pub fn free_bytes(path: &Path) -> Option<u64> {
    let c = std::ffi::CString::new(path.as_os_str().as_encoded_bytes()).ok()?;
    // SAFETY: statvfs fills the struct we pass; the path is a valid C string.
    let mut s: libc::statvfs = unsafe { std::mem::zeroed() };
    (unsafe { libc::statvfs(c.as_ptr(), &mut s) } == 0).then(|| s.f_bavail * s.f_frsize)
}

/// Refuses work that writes when `dir` has less than `reserve` bytes free or cannot be written
/// (a file is created and removed: permissions, a read-only mount and a full inode table all
/// show).
pub fn check_writable(dir: &Path, reserve: u64) -> Result<(), Fault> {
    if free_bytes(dir).is_some_and(|free| free < reserve) {
        return Err(Fault::Full);
    }
    let probe = dir.join(format!(".write-probe-{}", std::process::id()));
    match std::fs::write(&probe, b"") {
        Ok(()) => {
            let _ = std::fs::remove_file(&probe);
            Ok(())
        }
        Err(e) => Err(Fault::of_io(&e).unwrap_or(Fault::ReadOnly)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn faults_are_told_apart_from_the_data() {
        let full = std::io::Error::from_raw_os_error(libc::ENOSPC);
        assert_eq!(Fault::of_io(&full), Some(Fault::Full));
        let ro = std::io::Error::from_raw_os_error(libc::EROFS);
        assert_eq!(Fault::of_io(&ro), Some(Fault::ReadOnly));
        assert_eq!(
            Fault::of_io(&std::io::Error::from_raw_os_error(libc::ENOENT)),
            None
        );
        assert_eq!(
            Fault::of_text("x.npz: IoError(Os { code: 28, kind: StorageFull, message: \"No space left on device\" })"),
            Some(Fault::Full)
        );
        assert_eq!(
            Fault::of_text(
                "error returned from database: (code: 8) attempt to write a readonly database"
            ),
            Some(Fault::ReadOnly)
        );
        assert_eq!(Fault::of_text("row 1: a cell is not UTF-8 text"), None);
        assert_eq!(Fault::Full.status().as_u16(), 507);
        assert_eq!(Fault::ReadOnly.status().as_u16(), 503);
    }

    #[test]
    fn a_reserve_larger_than_the_disk_refuses_and_a_writable_dir_passes() {
        let dir = std::env::temp_dir();
        assert_eq!(check_writable(&dir, u64::MAX), Err(Fault::Full));
        assert_eq!(check_writable(&dir, 0), Ok(()));
        let missing = dir.join("dartboard-no-such-dir/inner");
        assert!(check_writable(&missing, 0).is_err());
    }
}
