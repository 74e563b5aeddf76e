//! `dartboard worker --run ID --data-dir DIR`: runs one job in its own process, as the server's
//! runner (and later a cluster scheduler) starts it. It reads `runs/ID/job.json`, writes the run's
//! files into `runs/ID/`, resumes from the checkpoint there when one exists, and prints each event
//! as one JSON line on stdout (logs go to stderr).
use crate::args::Args;
use anyhow::{anyhow, bail, Context, Result};
use engine::config::SearchConfig;
use engine::events::{Event, RunStatus};
use engine::resnet::Depth;
use engine::retrain::config::TrainConfig;
use engine::retrain::net::Architecture;
use engine::retrain::random::{self, Budget, Space};
use engine::search::pruned::PrunedSource;
use engine::search::{EventLog, SearchError};
use serde_json::Value;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;

/// Test hook: `DARTBOARD_WORKER_FAULT=ID:panic` makes the worker of run ID panic mid-search, as a
/// bug in the engine would.
const FAULT_VAR: &str = "DARTBOARD_WORKER_FAULT";
/// The CPU threads libtorch may use in any `dartboard` command; the runner sets it for its
/// workers (cores / workers) so they do not oversubscribe the cores.
pub const THREADS_VAR: &str = "DARTBOARD_THREADS";

fn read_json(path: &Path) -> Result<Value> {
    let text = std::fs::read_to_string(path).with_context(|| path.display().to_string())?;
    serde_json::from_str(&text).with_context(|| format!("{}: not valid JSON", path.display()))
}

/// The search config of the run: its own `config.json` when resuming, else the job's config
/// (resolved and checked by the server when the run was created).
fn config(out: &Path, job: &Value) -> Result<SearchConfig> {
    if engine::search::checkpoint::find(out).is_some() {
        let path = out.join("config.json");
        return serde_json::from_value(read_json(&path)?)
            .with_context(|| format!("{}: not a Dartboard config", path.display()));
    }
    let Some(Value::Object(map)) = job.get("config") else {
        bail!("job.json has no config object");
    };
    SearchConfig::resolve(std::slice::from_ref(map)).map_err(|errors| {
        let lines: Vec<String> = errors.iter().map(|e| e.to_string()).collect();
        anyhow!("invalid config: {}", lines.join("; "))
    })
}

/// What a training job trains: one network, or a random search over a space.
enum Training {
    Network(Architecture),
    Random(Space, Budget),
}

/// A training job's config and what it trains (checked by the server when the run was created);
/// a pruned network's search is run `source_run` under `data_dir`.
fn training(job: &Value, data_dir: &Path) -> Result<(TrainConfig, Training)> {
    let cfg: TrainConfig =
        serde_json::from_value(job["config"].clone()).context("job.json: not a training config")?;
    let what = match (job.get("genotype"), job["baseline"].as_str()) {
        (Some(g), _) => Training::Network(Architecture::Cell(
            serde_json::from_value(g.clone()).context("job.json: not a genotype")?,
        )),
        (None, None) if job.get("layers").is_some() => Training::Network(Architecture::Proxyless(
            serde_json::from_value(job["layers"].clone())
                .context("job.json: not a ProxylessNAS architecture")?,
        )),
        (None, Some("resnet18")) => Training::Network(Architecture::ResNet(Depth::ResNet18)),
        (None, Some("resnet10")) => Training::Network(Architecture::ResNet(Depth::ResNet10)),
        (None, Some("pruned")) => {
            let source = job["source_run"]
                .as_i64()
                .context("job.json: a pruned network needs its source_run")?;
            let dir = crate::runner::run_dir(data_dir, source);
            let pruned = PrunedSource::open(&dir).map_err(|e| anyhow!("search {source}: {e}"))?;
            Training::Network(Architecture::Pruned(Box::new(pruned)))
        }
        (None, Some("random")) => Training::Random(
            serde_json::from_value(job["space"].clone()).context("job.json: no search space")?,
            serde_json::from_value(job["budget"].clone()).context("job.json: no budget")?,
        ),
        _ => bail!("job.json names no genotype, layers or baseline"),
    };
    Ok((cfg, what))
}

/// The message a panic carried.
pub fn panic_text(panic: Box<dyn std::any::Any + Send>) -> String {
    panic
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
        .unwrap_or_else(|| "the search panicked".into())
}

/// A failure as the run's message: without libtorch's C++ backtrace (its text up to "Exception
/// raised from") and without the server's data directory.
pub fn for_clients(message: &str, data_dir: &std::path::Path) -> String {
    let head = message
        .split("Exception raised from")
        .next()
        .unwrap_or(message)
        .trim_end();
    let dir = data_dir.display().to_string();
    let mut text = head.replace(&format!("{dir}/"), "").replace(&dir, "");
    if text.len() > 2000 {
        let cut = (0..=2000)
            .rev()
            .find(|&i| text.is_char_boundary(i))
            .unwrap_or(0);
        text.truncate(cut);
        text.push_str(" ...");
    }
    text
}

pub fn run(mut args: Args) -> Result<()> {
    let id: i64 = args
        .require("run")?
        .parse()
        .map_err(|_| anyhow!("--run: expected a run id"))?;
    let data_dir = PathBuf::from(args.require("data-dir")?);
    args.reject_rest()?;
    if let Some(n) = std::env::var(THREADS_VAR)
        .ok()
        .and_then(|t| t.parse::<i32>().ok())
    {
        tch::set_num_threads(n.max(1));
    }
    let out = crate::runner::run_dir(&data_dir, id);
    let job = read_json(&out.join("job.json"))?;
    let kind = job["kind"].as_str().unwrap_or("search").to_string();
    let fault = std::env::var(FAULT_VAR).ok() == Some(format!("{id}:panic"));
    let stdout = std::sync::Mutex::new(std::io::stdout());
    let mut listener = |seq: u64, e: &Event| {
        if fault && matches!(e, Event::Epoch { .. }) {
            panic!("injected fault ({FAULT_VAR}): the worker panics after its first epoch");
        }
        if let Ok(mut out) = stdout.lock() {
            let _ = writeln!(out, "{}", e.to_json_with_seq(seq));
            let _ = out.flush();
        }
    };
    let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| -> Result<_> {
        let dataset_id = job["dataset_id"]
            .as_str()
            .ok_or_else(|| anyhow!("job.json has no dataset_id"))?;
        let (data, _) = engine::data::store::load(&data_dir, dataset_id)?;
        let cancel = AtomicBool::new(false);
        if kind == "search" {
            let cfg = config(&out, &job)?;
            let tables = crate::latency_cmd::tables_dir(&data_dir);
            return Ok(engine::method::run(
                &data,
                &cfg,
                &out,
                Some(&tables),
                &cancel,
                &mut listener,
            )
            .map(|_| ()));
        }
        let (cfg, what) = training(&job, &data_dir)?;
        Ok(match what {
            Training::Network(arch) => {
                engine::retrain::run(&data, &arch, &cfg, &out, &cancel, &mut listener)
            }
            Training::Random(space, budget) => {
                random::run(&data, &space, budget, &cfg, &out, &cancel, &mut listener)
            }
        }
        .map(|_| ()))
    }));
    let failure = match outcome {
        Ok(Ok(Ok(_))) => return Ok(()),
        Ok(Ok(Err(SearchError::Cancelled))) => "cancelled".to_string(),
        Ok(Ok(Err(e))) => e.to_string(),
        Ok(Err(e)) => format!("{e:#}"),
        Err(panic) => format!("the worker panicked: {}", panic_text(panic)),
    };
    let failure = for_clients(&failure, &data_dir);
    let mut print = |seq: u64, e: &Event| {
        println!("{}", e.to_json_with_seq(seq));
    };
    if let Ok(mut log) = EventLog::open(&out, &mut print) {
        let _ = log.emit(Event::Status {
            status: RunStatus::Failed,
            message: Some(failure.clone()),
        });
    }
    Err(anyhow!("run {id} failed: {failure}"))
}

#[cfg(test)]
mod tests {
    use super::for_clients;

    #[test]
    fn failures_lose_backtraces_and_server_paths() {
        let dir = std::path::Path::new("/srv/dartboard-data");
        let torch = "Torch(\"shape '[0, 16]' is invalid\nException raised from view at aten/src/ATen/native/TensorShape.cpp:3600 (most recent call first):\nframe #0: c10::Error::Error\")";
        assert_eq!(
            for_clients(torch, dir),
            "Torch(\"shape '[0, 16]' is invalid"
        );
        let read = "/srv/dartboard-data/datasets/0123/summary.json: missing field `channel_mean`";
        assert_eq!(
            for_clients(read, dir),
            "datasets/0123/summary.json: missing field `channel_mean`"
        );
        assert!(for_clients(&"x".repeat(5000), dir).len() < 2100);
    }
}
