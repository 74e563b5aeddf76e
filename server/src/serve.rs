//! `dartboard serve`: the web server with its store, runner and API.
use crate::api;
use crate::api::state::{AppState, Limits};
use crate::args::Args;
use crate::hub::Hub;
use crate::importer::{ImportError, Importer};
use crate::runner::{slurm, Executor, Runner, Setup};
use crate::store::Store;
use anyhow::{anyhow, bail, Context, Result};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

const GIB: u64 = 1 << 30;

fn bytes(args: &mut Args, key: &str, default: u64) -> Result<u64> {
    match args.take(key) {
        None => Ok(default),
        Some(t) => t
            .parse()
            .map_err(|_| anyhow!("--{key}: '{t}' is not a number of bytes")),
    }
}

/// Imports and registers the sample dataset (idempotent: the id is the data's hash).
async fn import_sample(store: &Store, importer: &Importer, path: &Path) -> Result<()> {
    let opts = engine::data::ImportOptions::default();
    let mut summary = importer
        .import(path, &opts, "sample: sklearn digits")
        .await
        .map_err(|e| match e {
            ImportError::Refused(m) | ImportError::Internal(m) => anyhow!(m),
        })?;
    let id = summary["id"].as_str().unwrap_or_default().to_string();
    if let serde_json::Value::Object(m) = &mut summary {
        m.remove("id");
        m.remove("stored");
    }
    store
        .insert_dataset(&id, "sample: sklearn digits", &summary)
        .await?;
    Ok(())
}

/// Removes what a killed server or import left half-written: every upload's scratch folder
/// (`uploads/<id>/`) and every temporary dataset folder (`datasets/.<id>...tmp`). Nothing else
/// writes there while the server is not running. What was removed, for the log.
pub fn clean_leftovers(data_dir: &Path) -> Vec<PathBuf> {
    let mut gone = vec![];
    let entries = |dir: PathBuf| {
        std::fs::read_dir(dir)
            .into_iter()
            .flatten()
            .flatten()
            .map(|e| e.path())
    };
    for path in entries(data_dir.join("uploads")) {
        gone.push(path);
    }
    for path in entries(data_dir.join("datasets")) {
        let name = path.file_name().map(|n| n.to_string_lossy().into_owned());
        if name.is_some_and(|n| n.starts_with('.') && n.ends_with(".tmp")) {
            gone.push(path);
        }
    }
    gone.retain(|p| {
        let removed = if p.is_dir() {
            std::fs::remove_dir_all(p)
        } else {
            std::fs::remove_file(p)
        };
        removed.is_ok()
    });
    gone
}

/// `--executor local|slurm` with the `--slurm-*` options.
fn executor(args: &mut Args) -> Result<Arc<dyn Executor>> {
    let kind = args.take("executor").unwrap_or_else(|| "local".into());
    let mut opts = slurm::Options {
        partition: args.take("slurm-partition"),
        gres: args.take("slurm-gres"),
        cpus: args.optional("slurm-cpus")?,
        mem: args.take("slurm-mem"),
        time: args.take("slurm-time"),
        account: args.take("slurm-account"),
        extra: vec![],
    };
    if let Some(extra) = args.take("slurm-extra") {
        opts.extra = extra.split_whitespace().map(str::to_string).collect();
        if let Some(bad) = opts.extra.iter().find(|w| !w.starts_with('-')) {
            bail!("--slurm-extra: '{bad}' is not an sbatch option (give options like --qos=long)");
        }
    }
    // Each executor, by the name `--executor` gives it.
    match kind.as_str() {
        "local" => {
            if opts != slurm::Options::default() {
                bail!("the --slurm-* options need --executor slurm");
            }
            Ok(Arc::new(crate::runner::local::Local::default()))
        }
        "slurm" => Ok(Arc::new(slurm::Slurm::new(opts))),
        other => bail!("--executor: '{other}' is not one of local, slurm"),
    }
}

/// The machine's host name (the default `--server-name`).
fn hostname() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|h| h.trim().to_string())
        .ok()
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "localhost".into())
}

pub fn run(mut args: Args) -> Result<()> {
    let addr: SocketAddr = args
        .take("addr")
        .unwrap_or_else(|| "127.0.0.1:3000".into())
        .parse()
        .map_err(|_| anyhow!("--addr: expected IP:PORT, e.g. 127.0.0.1:3000"))?;
    let data_dir = PathBuf::from(
        args.take("data-dir")
            .unwrap_or_else(|| crate::data_cmd::DEFAULT_DATA_DIR.into()),
    );
    let executor = executor(&mut args)?;
    let workers: usize = args.number("workers", 1)?;
    let database = args
        .take("database")
        .or_else(|| std::env::var("DATABASE_URL").ok())
        .filter(|d| !d.is_empty());
    let owner = args.take("server-name").unwrap_or_else(hostname);
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let threads: usize = args.number("worker-threads", (cores / workers.max(1)).max(1))?;
    let admin_token = args
        .take("admin-token")
        .or_else(|| std::env::var("DARTBOARD_ADMIN_TOKEN").ok())
        .filter(|t| !t.is_empty());
    let limits = Limits {
        upload_bytes: bytes(&mut args, "upload-limit", 4 * GIB)?,
        body_bytes: bytes(&mut args, "body-limit", 1 << 20)? as usize,
        queued_runs: args.number("max-queued", 100)?,
        min_free_bytes: bytes(&mut args, "min-free", crate::faults::DEFAULT_RESERVE)?,
    };
    let import_limits = crate::data_cmd::import_limits(&mut args)?;
    let hosts =
        api::Hosts::new(&args.take("allowed-host").unwrap_or_default()).map_err(|m| anyhow!(m))?;
    let sample = args.take("sample").map(PathBuf::from);
    let site_root = args
        .take("site")
        .map_or_else(crate::site::default_root, PathBuf::from);
    args.reject_rest()?;
    if !addr.ip().is_loopback() && admin_token.is_none() {
        bail!("{addr} is reachable from other machines: set --admin-token TOKEN or DARTBOARD_ADMIN_TOKEN (loopback addresses need none)");
    }
    if addr.ip().is_loopback() && admin_token.is_some() {
        eprintln!("note: bound to loopback, the admin token is still required");
    }
    std::fs::create_dir_all(&data_dir).with_context(|| data_dir.display().to_string())?;
    let data_dir = std::fs::canonicalize(&data_dir)?;
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .init();
    let runtime = tokio::runtime::Runtime::new()?;
    for path in clean_leftovers(&data_dir) {
        tracing::info!(
            "removed a leftover of an earlier server: {}",
            path.display()
        );
    }
    runtime.block_on(async move {
        let store = Store::open(&data_dir, database.as_deref())
            .await
            .with_context(|| match &database {
                Some(url) => format!("opening the store {}", crate::store::redacted(url)),
                None => "opening the store".into(),
            })?;
        let exe = std::env::current_exe()?;
        let importer = Importer::new(exe.clone(), data_dir.clone(), import_limits);
        if let Some(path) = &sample {
            import_sample(&store, &importer, path)
                .await
                .with_context(|| format!("importing the sample {}", path.display()))?;
        }
        let hub = Arc::new(Hub::new(store.clone()));
        let runner = Runner::new(
            store.clone(),
            Arc::clone(&hub),
            Setup {
                data_dir: data_dir.clone(),
                workers,
                threads,
                exe,
                executor,
                owner,
                min_free_bytes: limits.min_free_bytes,
            },
        );
        runner.start().await?;
        let state = Arc::new(AppState {
            store,
            hub,
            runner,
            data_dir,
            admin_token,
            limits,
            site_root,
            hosts,
            throttle: Default::default(),
            admission: Default::default(),
            importer,
            estimates: tokio::sync::Semaphore::new(crate::api::estimate::AT_ONCE),
        });
        let listener = tokio::net::TcpListener::bind(addr)
            .await
            .with_context(|| addr.to_string())?;
        // Tests and scripts read the bound address (with --addr 127.0.0.1:0) from this line.
        println!("dartboard listening on http://{}", listener.local_addr()?);
        let app = crate::routes::router(state).into_make_service_with_connect_info::<SocketAddr>();
        axum::serve(listener, app)
            .with_graceful_shutdown(shutdown())
            .await?;
        Ok(())
    })
}

async fn shutdown() {
    let term = async {
        if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        {
            s.recv().await;
        }
    };
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = term => {}
    }
}
