//! What every search run shares before and around its epochs, whatever its method: the seeded
//! initialisation, the split into weight and architecture parts, the run folder with its config
//! and event log, and the resume from a checkpoint.
use super::checkpoint;
use super::error::SearchError;
use super::searcher;
use crate::config::SearchConfig;
use crate::data::{Dataset, Stats};
use crate::rng::Rng;
use crate::runlog::{write_json, EventLog};
use tch::Device;

/// tch's random generator is global to the process: whatever initialises weights holds this
/// (`initialise`), so a search's draws from its seed to the last of its initialisation are its
/// own and concurrent work in one process stays reproducible.
static SEEDED_INIT: std::sync::Mutex<()> = std::sync::Mutex::new(());

/// A validation loss above this has exploded even where batch norm kept every training step
/// finite (chance is ln K for K classes, and 1 for standardized regression targets): with SGD at
/// w_lr 10 the supernet's validation loss reaches 1e8 to 1e11 within an epoch.
pub const EXPLODED_LOSS: f64 = 1e6;

/// Whether a loss means the search diverged: not finite, or exploded.
pub fn exploded(loss: f64) -> bool {
    !loss.is_finite() || loss > EXPLODED_LOSS
}

/// Runs `init` (which builds weights from tch's global generator) alone among initialisations
/// of this process, after seeding the generator with `seed` when one is given.
pub fn initialise<T>(seed: Option<u64>, init: impl FnOnce() -> T) -> T {
    let _guard = SEEDED_INIT
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    if let Some(seed) = seed {
        tch::manual_seed(seed as i64);
    }
    init()
}

/// Which samples train the weights, which the architecture; normalisation statistics.
#[derive(Debug, Clone)]
pub struct Parts {
    pub weights: Vec<i64>,
    pub arch: Vec<i64>,
    pub stats: Stats,
}

/// The dataset's own validation split when it has one, else `arch_fraction` of train (shuffled
/// with the run's seed). The test split is never used.
pub fn parts(data: &Dataset, cfg: &SearchConfig) -> Result<Parts, SearchError> {
    let (weights, arch) = if data.splits.val.is_empty() {
        let mut train = data.splits.train.clone();
        Rng::derive(cfg.seed, 0, 0).shuffle(&mut train);
        let n_arch = ((train.len() as f64 * cfg.arch_fraction).round() as usize)
            .clamp(1, train.len().saturating_sub(1));
        let arch = train.split_off(train.len() - n_arch);
        (train, arch)
    } else {
        (data.splits.train.clone(), data.splits.val.clone())
    };
    if weights.is_empty() || arch.is_empty() {
        return Err(SearchError::Data(format!(
            "{}: too few training samples to search ({})",
            data.name,
            data.splits.train.len()
        )));
    }
    let all: Vec<i64> = weights.iter().chain(&arch).copied().collect();
    let stats = data.stats(&all);
    Ok(Parts {
        weights,
        arch,
        stats,
    })
}

/// What every search starts with: its device and loss from the config, the run folder with
/// `config.json`, and its event log with the run marked running.
pub fn begin<'a>(
    data: &Dataset,
    cfg: &SearchConfig,
    out: &std::path::Path,
    listener: &'a mut dyn FnMut(u64, &crate::events::Event),
) -> Result<(Device, searcher::Loss, EventLog<'a>), SearchError> {
    let device = config_device(&cfg.device)?;
    let loss = searcher::Loss::resolve(cfg.loss, data.task)
        .map_err(|m| SearchError::Config(vec![crate::config::FieldError::new("loss", m)]))?;
    std::fs::create_dir_all(out).map_err(|source| SearchError::Io {
        path: out.to_path_buf(),
        source,
    })?;
    write_json(&out.join("config.json"), cfg)?;
    // What the found cell was searched on: a transfer to other data says what it rebuilt.
    write_json(
        &out.join(crate::data::about::FILE),
        &crate::data::about::About::of(data),
    )?;
    let mut log = EventLog::open(out, listener)?;
    log.emit(crate::events::Event::Status {
        status: crate::events::RunStatus::Running,
        message: None,
    })?;
    Ok((device, loss, log))
}

/// The progress of the checkpoint in `out`, loaded into `searcher` (and said in the log), or a
/// fresh start.
pub fn resume(
    out: &std::path::Path,
    searcher: &mut dyn checkpoint::Resumable,
    log: &mut EventLog,
) -> Result<checkpoint::Progress, SearchError> {
    Ok(match checkpoint::find(out) {
        Some(dir) => {
            let p = checkpoint::load(&dir, searcher)?;
            log.emit(crate::events::Event::log(
                crate::events::LogLevel::Info,
                format!("resumed from the checkpoint of epoch {}", p.epoch),
            ))?;
            p
        }
        None => checkpoint::Progress::default(),
    })
}

/// The config's `device` key as a device, or the config error naming it.
pub fn config_device(text: &str) -> Result<Device, SearchError> {
    crate::device::parse(text).map_err(|m| {
        SearchError::Config(vec![crate::config::FieldError {
            field: "device".into(),
            message: m,
        }])
    })
}
