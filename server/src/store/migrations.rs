//! Both stores' migrations, embedded in the binary. sqlx's `migrate!` macro would do the same,
//! but its proc-macro builds sqlx's whole driver stack (SQLite's C amalgamation included) a
//! second time for the host: about a minute of a fresh machine's build. The migrations are the
//! files in `migrations/sqlite` and `migrations/postgres`, named as sqlx names them
//! (`NNNN_description.sql`), with the checksum sqlx computes (so a database migrated by an older
//! build is accepted); a test holds these lists to the folders.
use sqlx::error::BoxDynError;
use sqlx::migrate::{Migration, MigrationSource, MigrationType, Migrator};
use std::borrow::Cow;
use std::future::Future;
use std::pin::Pin;

/// (file name, SQL) of one store's migrations, in order.
type Files = &'static [(&'static str, &'static str)];

macro_rules! files {
    ($db:literal: $($name:literal),+ $(,)?) => {
        &[$(($name, include_str!(concat!("../../migrations/", $db, "/", $name)))),+]
    };
}

pub const SQLITE: Files = files!("sqlite":
    "0001_init.sql", "0002_groups.sql", "0003_sessions.sql", "0004_executors.sql", "0005_sweeps.sql");
pub const POSTGRES: Files = files!("postgres":
    "0001_init.sql", "0002_groups.sql", "0003_sessions.sql", "0004_executors.sql", "0005_sweeps.sql");

/// The migrator for one store's files.
pub async fn migrator(files: Files) -> Result<Migrator, sqlx::migrate::MigrateError> {
    Migrator::new(Embedded(files)).await
}

#[derive(Debug)]
struct Embedded(Files);

impl<'s> MigrationSource<'s> for Embedded {
    fn resolve(
        self,
    ) -> Pin<Box<dyn Future<Output = Result<Vec<Migration>, BoxDynError>> + Send + 's>> {
        Box::pin(async move {
            self.0
                .iter()
                .map(|(name, sql)| migration(name, sql))
                .collect()
        })
    }
}

/// A migration as sqlx's folder source reads `name`: the version before the first `_`, the rest
/// (without `.sql`, `_` as spaces) the description; `-- no-transaction` on the first line.
fn migration(name: &str, sql: &'static str) -> Result<Migration, BoxDynError> {
    let (version, rest) = name
        .split_once('_')
        .ok_or_else(|| format!("migration {name}: expected NNNN_description.sql"))?;
    let version: i64 = version
        .parse()
        .map_err(|_| format!("migration {name}: the version is not a number"))?;
    let description = rest.trim_end_matches(".sql").replace('_', " ");
    Ok(Migration::new(
        version,
        Cow::Owned(description),
        MigrationType::from_filename(rest),
        Cow::Borrowed(sql),
        sql.starts_with("-- no-transaction"),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    fn folder(db: &str) -> Vec<String> {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("migrations")
            .join(db);
        let mut names: Vec<String> = std::fs::read_dir(dir)
            .into_iter()
            .flatten()
            .flatten()
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }

    fn listed(files: Files) -> Vec<String> {
        files.iter().map(|(name, _)| name.to_string()).collect()
    }

    /// Every file of both folders is embedded, and both stores have the same numbered files.
    #[test]
    fn embedded_lists_are_the_folders() {
        assert!(folder("sqlite").len() >= 4);
        assert_eq!(listed(SQLITE), folder("sqlite"));
        assert_eq!(listed(POSTGRES), folder("postgres"));
        assert_eq!(folder("sqlite"), folder("postgres"));
    }

    /// The same migrations, versions, descriptions and checksums as sqlx's own folder source
    /// (what `migrate!` embedded before), so databases migrated by older builds still open.
    #[test]
    fn same_as_sqlx_reads_the_folders() -> Result<(), Box<dyn std::error::Error>> {
        let rt = tokio::runtime::Builder::new_current_thread().build()?;
        for (db, files) in [("sqlite", SQLITE), ("postgres", POSTGRES)] {
            let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("migrations")
                .join(db);
            let theirs = rt.block_on(Migrator::new(dir.as_path()))?;
            let ours = rt.block_on(migrator(files))?;
            let key = |m: &Migration| {
                (
                    m.version,
                    m.description.to_string(),
                    m.checksum.to_vec(),
                    m.no_tx,
                    m.migration_type.label(),
                )
            };
            let theirs: Vec<_> = theirs.iter().map(key).collect();
            let ours: Vec<_> = ours.iter().map(key).collect();
            assert_eq!(ours, theirs, "{db}");
        }
        Ok(())
    }
}
