//! The epoch loop of a ProxylessNAS search (`strategy = proxyless`): per step, a weight step on
//! a training batch through one sampled block per layer, then an architecture step on a
//! validation batch through two (the reference alternates them every 5 steps on ImageNet;
//! every step here, where a search has tens of steps an epoch). Events, checkpoints, resume and
//! cancel as a cell search's; at the end each layer's most likely block is the architecture.
//!
//! Files in the run folder: `config.json`, `events.jsonl`, `latency.json` (the milliseconds
//! the search weighed, kept for a resume), `checkpoint/`, and at the end `architecture.json`
//! and `result.json`.
use super::result::ProxylessResult;
use super::searcher::{LatencyTerm, Objective, ProxylessSearcher};
use super::space::Layout;
use super::table::{LatencyTable, Weighed, TABLE_REPEATS};
use crate::config::{LatencyLoss, SearchConfig};
use crate::data::Dataset;
use crate::events::{Event, LogLevel};
use crate::optim::cosine_lr;
use crate::rng::Rng;
use crate::scoring::score;
use crate::search::epochs::{self, batch_of, EpochEnd, Stepped};
use crate::search::searcher::weight_optimizer;
use crate::search::session::{begin, resume};
use crate::search::{initialise, parts, write_json, EventLog, SearchError};
use std::path::Path;
use std::sync::atomic::AtomicBool;
use std::time::Instant;
use tch::Device;

/// The config's objective (None without a latency target).
pub fn objective(cfg: &SearchConfig) -> Option<Objective> {
    let target_ms = cfg.latency_target_ms?;
    Some(match cfg.latency_loss {
        LatencyLoss::MulLog => Objective::MulLog {
            target_ms,
            beta: cfg.latency_beta,
        },
        LatencyLoss::Add => Objective::Add {
            target_ms,
            lambda: cfg.latency_lambda,
        },
    })
}

/// The milliseconds a search weighs: the run's own `latency.json` when it resumes; else the
/// device's table under `tables` (measured where it lacks the layout's shapes, and saved back),
/// or a table measured for this run alone.
fn weighed(
    layout: &Layout,
    device: Device,
    out: &Path,
    tables: Option<&Path>,
    log: &mut EventLog,
) -> Result<Weighed, SearchError> {
    let own = out.join("latency.json");
    if let Some(w) = std::fs::read(&own)
        .ok()
        .and_then(|b| serde_json::from_slice::<Weighed>(&b).ok())
    {
        return Ok(w);
    }
    let mut table = match tables {
        Some(dir) => LatencyTable::load_or_empty(dir, device),
        None => LatencyTable::empty(device),
    };
    let started = Instant::now();
    let added = table.measure(layout, device, TABLE_REPEATS);
    if added > 0 {
        log.emit(Event::log(
            LogLevel::Info,
            format!(
                "measured {added} blocks' latency on {} in {:.1} s",
                table.device,
                started.elapsed().as_secs_f64()
            ),
        ))?;
        if let Some(dir) = tables {
            // A shared table that cannot be written is measured again next time; the search
            // goes on.
            if table.save(dir, device).is_err() {
                log.emit(Event::log(
                    LogLevel::Warn,
                    "the device's latency table could not be saved for later searches",
                ))?;
            }
        }
    }
    let missing = || SearchError::Data("the latency table lacks a block it just measured".into());
    let w = Weighed {
        device: table.device.clone(),
        threads: table.threads,
        candidate_ms: table.candidate_ms(layout).ok_or_else(missing)?,
        frame_ms: table.frame_ms(layout).ok_or_else(missing)?,
    };
    write_json(&own, &w)?;
    Ok(w)
}

/// Runs (or resumes, when `out` holds a checkpoint) a ProxylessNAS search and writes its files
/// into `out`. `tables`: where the devices' latency tables are kept between searches.
pub fn run(
    data: &Dataset,
    cfg: &SearchConfig,
    out: &Path,
    tables: Option<&Path>,
    cancel: &AtomicBool,
    listener: &mut dyn FnMut(u64, &Event),
) -> Result<ProxylessResult, SearchError> {
    let errors = cfg.validate();
    if !errors.is_empty() {
        return Err(SearchError::Config(errors));
    }
    let (device, loss, mut log) = begin(data, cfg, out, listener)?;

    let parts = parts(data, cfg)?;
    let (c, h, w) = data.image_shape();
    let outputs = crate::network::NetShape::of(data, cfg.init_channels, 1).outputs;
    let layout = Layout::new(c, (h, w), outputs, cfg.init_channels, cfg.per_stage);
    let weighed = weighed(&layout, device, out, tables, &mut log)?;
    let term = LatencyTerm {
        candidate_ms: weighed.candidate_ms.clone(),
        frame_ms: weighed.frame_ms,
        objective: objective(cfg),
    };
    let mut searcher = initialise(Some(cfg.seed), || {
        ProxylessSearcher::new(
            &layout,
            device,
            loss,
            |n| weight_optimizer(cfg, n),
            cfg.alpha_lr,
            Some(term),
            cfg.grad_clip,
        )
    });
    let n_weights = crate::count_weights(&searcher.weights_vs);
    let mut progress = resume(out, &mut searcher, &mut log)?;
    let network = format!(
        "ProxylessNAS supernet of {} layers and {n_weights} weights",
        layout.layers.len()
    );
    epochs::announce(
        &mut log,
        data,
        &parts,
        "architecture",
        &network,
        n_weights,
        device,
    )?;

    let started = Instant::now();
    let b = cfg.batch_size;
    let steps = epochs::steps(&parts, cfg, true);
    for epoch in progress.epoch + 1..=cfg.epochs {
        let epoch_start = Instant::now();
        let arch_learns = epoch > cfg.warmup_epochs;
        searcher
            .w_opt
            .set_lr(cosine_lr(cfg.w_lr, cfg.w_lr_min, epoch - 1, cfg.epochs));
        let (w_order, a_order) = epochs::orders(&parts, cfg.seed, epoch);
        // The paths drawn this epoch: the same on a resume.
        let mut paths = Rng::derive(cfg.seed, 4, epoch as u64);
        let trained = epochs::train(&mut log, data, &parts, (epoch, steps), cancel, |step| {
            let wb = batch_of(&w_order, step, b);
            let (xt, yt) = data.batch(wb, &parts.stats, device);
            let (l, pred) = searcher.weight_step(&xt, &yt, &mut paths);
            if arch_learns && l.is_finite() {
                let ab = batch_of(&a_order, step, b);
                let (xv, yv) = data.batch(ab, &parts.stats, device);
                searcher.arch_step(&xv, &yv, &mut paths);
            }
            Stepped {
                samples: wb.len(),
                loss: l,
                outputs: pred,
                targets: yt,
            }
        })?;
        // The network of each layer's most likely block, on the validation part.
        let val = score(
            &|x| searcher.predict(x),
            &searcher.loss,
            data,
            &parts.arch,
            &parts.stats,
            device,
            2 * b,
        );
        log.emit(layers_event(epoch, &searcher, &layout, &weighed))?;
        let end = EpochEnd {
            epoch,
            epochs: cfg.epochs,
            trained,
            val,
            started: epoch_start,
        };
        epochs::finish(&mut log, out, data, &searcher, &mut progress, end, started)?;
    }

    let result = super::result::finish(
        data,
        cfg,
        &layout,
        &searcher,
        &weighed,
        &progress,
        started.elapsed().as_secs_f64(),
    );
    write_json(&out.join("architecture.json"), &result.architecture)?;
    crate::runlog::succeed(&mut log, out, &result)?;
    Ok(result)
}

/// The epoch's `layers` event: each layer's candidates and their probabilities, the expected
/// latency, and the most likely network with its predicted latency.
fn layers_event(
    epoch: usize,
    searcher: &ProxylessSearcher,
    layout: &Layout,
    weighed: &Weighed,
) -> Event {
    let chosen = searcher.choices();
    Event::Layers {
        epoch,
        candidates: layout
            .layers
            .iter()
            .map(|l| l.candidates().iter().map(|c| c.name()).collect())
            .collect(),
        probabilities: searcher
            .probabilities()
            .iter()
            .map(|p| p.iter().map(|v| *v as f32).collect())
            .collect(),
        expected_ms: searcher.expected_ms().unwrap_or(f64::NAN),
        chosen: chosen.iter().map(|c| c.name()).collect(),
        chosen_ms: weighed.predict(layout, &chosen),
    }
}
