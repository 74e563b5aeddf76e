//! `dartboard search`: resolves the config (preset < --config file < flags), reads the data, runs
//! or resumes the search in --out, and prints result.json as one line.
use crate::args::Args;
use crate::progress::run_job;
use anyhow::{anyhow, bail, Context, Result};
use engine::config::{flag_value, SearchConfig};
use engine::events::{Event, RunStatus};
use engine::search::{self, EventLog, SearchError};
use serde_json::{Map, Value};
use std::path::{Path, PathBuf};

fn read_json_object(path: &Path) -> Result<Map<String, Value>> {
    let text = std::fs::read_to_string(path).with_context(|| format!("{}", path.display()))?;
    match serde_json::from_str(&text)
        .with_context(|| format!("{}: not valid JSON", path.display()))?
    {
        Value::Object(m) => Ok(m),
        _ => bail!("{}: expected a JSON object of config keys", path.display()),
    }
}

pub fn config_errors(errors: &[engine::config::FieldError]) -> anyhow::Error {
    let lines: Vec<String> = errors
        .iter()
        .map(|e| format!("  {}: {}", e.field, e.message))
        .collect();
    anyhow!("invalid config:\n{}", lines.join("\n"))
}

pub fn run(mut args: Args) -> Result<()> {
    let resume = args.take("resume").map(PathBuf::from);
    let out = match (&resume, args.take("out")) {
        (Some(r), _) => r.clone(),
        (None, Some(o)) => PathBuf::from(o),
        (None, None) => bail!("--out DIR is required"),
    };
    let data_arg = args.take("data");
    let data_dir = PathBuf::from(
        args.take("data-dir")
            .unwrap_or_else(|| crate::data_cmd::DEFAULT_DATA_DIR.into()),
    );
    let import = crate::data_cmd::import_options(&mut args)?;
    let config_file = args.take("config").map(PathBuf::from);
    let check_only = args.flag(crate::train_cmd::VALIDATE_ONLY);
    let (cfg, data_path) = if resume.is_some() {
        let cfg_path = out.join("config.json");
        let cfg: SearchConfig = serde_json::from_value(Value::Object(read_json_object(&cfg_path)?))
            .with_context(|| format!("{}: not a Dartboard config", cfg_path.display()))?;
        if engine::search::checkpoint::find(&out).is_none() {
            bail!("{}: no checkpoint to resume from", out.display());
        }
        let rest = args.into_rest();
        if let Some(k) = rest.keys().next() {
            bail!(
                "--{k}: a resumed search keeps its config ({})",
                cfg_path.display()
            );
        }
        let source = read_json_object(&out.join("source.json")).ok();
        let recorded =
            source.and_then(|s| s.get("data").and_then(Value::as_str).map(PathBuf::from));
        let data = data_arg
            .map(PathBuf::from)
            .or(recorded)
            .ok_or_else(|| anyhow!("--data is required"))?;
        (cfg, data)
    } else {
        let data = PathBuf::from(data_arg.ok_or_else(|| anyhow!("--data PATH is required"))?);
        let mut layers = Vec::new();
        if let Some(file) = &config_file {
            layers.push(read_json_object(file)?);
        }
        let mut flags = Map::new();
        for (key, text) in args.into_rest() {
            flags.insert(key.clone(), flag_value(&key, &text));
        }
        layers.push(flags);
        let cfg = SearchConfig::resolve(&layers).map_err(|e| config_errors(&e))?;
        if check_only {
            return Ok(());
        }
        if out.exists()
            && std::fs::read_dir(&out)
                .map(|mut d| d.next().is_some())
                .unwrap_or(false)
        {
            bail!(
                "{}: the folder is not empty; choose a new --out, or --resume {} to continue",
                out.display(),
                out.display()
            );
        }
        (cfg, data)
    };

    let data = crate::data_cmd::open(&data_path.to_string_lossy(), &data_dir, &import)?;
    std::fs::create_dir_all(&out).with_context(|| format!("{}", out.display()))?;
    let abs = std::fs::canonicalize(&data_path).unwrap_or(data_path.clone());
    search::write_json(
        &out.join("source.json"),
        &serde_json::json!({"data": abs, "data_dir": data_dir, "import": import}),
    )?;

    let tables = crate::latency_cmd::tables_dir(&data_dir);
    let outcome = run_job(|cancel, listener| {
        engine::method::run(&data, &cfg, &out, Some(&tables), cancel, listener)
    });
    let failure = match outcome {
        Ok(Ok(result)) => {
            println!("{}", serde_json::to_string(&result)?);
            return Ok(());
        }
        Ok(Err(SearchError::Cancelled)) => return Err(anyhow!("search cancelled")),
        Ok(Err(SearchError::Config(errors))) => return Err(config_errors(&errors)),
        Ok(Err(e)) => e.to_string(),
        Err(panic) => panic,
    };
    // Record the failure in the run's own log so the run folder tells what happened.
    let mut quiet = |_: u64, _: &Event| {};
    if let Ok(mut log) = EventLog::open(&out, &mut quiet) {
        let _ = log.emit(Event::Status {
            status: RunStatus::Failed,
            message: Some(failure.clone()),
        });
    }
    Err(anyhow!("search failed: {failure}"))
}
