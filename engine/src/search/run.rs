//! The epoch loop of a search: weight and architecture steps, events, checkpoints, and the
//! result files at the end.
use super::epochs::{self, batch_of, EpochEnd, Stepped};
use super::error::SearchError;
use super::result::{SearchResult, Searched};
use super::searcher::Searcher;
use super::selection;
use super::session::{begin, exploded, initialise, parts, resume, Parts};
use crate::config::SearchConfig;
use crate::data::Dataset;
use crate::events::{Event, LogLevel, ParamFree};
use crate::genotype::Genotype;
use crate::network::NetShape;
use crate::optim::cosine_lr;
use crate::rng::Rng;
use crate::runlog::write_json;
use crate::scoring::evaluate;
use std::path::Path;
use std::sync::atomic::AtomicBool;
use std::time::Instant;
use tch::Device;

/// Weight-part samples on which a recalibrating strategy's batch-norm statistics are
/// recomputed before each score (as random search's candidates': retrain/candidate.rs).
const CALIBRATION_SAMPLES: usize = 512;

/// Validation samples scored after each epoch: a fixed seeded sample of the architecture part,
/// so that an epoch's cost follows its steps, not the dataset's size (a 30,000-image
/// validation part scored after every 10-step epoch was most of a search's time).
pub const VAL_SAMPLES: usize = 2048;

/// Recomputes the deterministic pass's batch-norm statistics on the first `samples` of the
/// weight part, in whole batches of `b`: where the strategy asks for it (`Strategy::recalibrates`)
/// or `always` (the supernet's test score, measured as the trained networks' are).
fn recalibrate(
    searcher: &Searcher,
    data: &Dataset,
    parts: &Parts,
    device: Device,
    (b, samples, always): (usize, usize, bool),
) {
    // A random sample: the weight part is in file order when the dataset has a validation split.
    let sample = crate::retrain::fit::calibration_sample(&parts.weights, samples);
    let used = &sample[..];
    searcher.recalibrate(
        used.chunks(b.max(2))
            .filter(|c| c.len() > 1)
            .map(|c| data.batch(c, &parts.stats, device).0),
        always,
    );
}

/// The DARTS rule with the config's skip cap.
fn discretise(normal: &[Vec<f32>], reduce: &[Vec<f32>], cfg: &SearchConfig) -> Genotype {
    Genotype::from_weights(
        normal,
        reduce,
        &cfg.primitives,
        cfg.nodes,
        cfg.max_skip_connects,
    )
}

/// Runs (or resumes, when `out` holds a checkpoint) a search of the DARTS family (DARTS, PC-DARTS,
/// GDAS, with any regulariser and selection) and writes its files into `out`. ENAS and
/// ProxylessNAS are methods of their own (`crate::method`).
pub fn run(
    data: &Dataset,
    cfg: &SearchConfig,
    out: &Path,
    cancel: &AtomicBool,
    listener: &mut dyn FnMut(u64, &Event),
) -> Result<SearchResult, SearchError> {
    let mut errors = cfg.validate();
    if !cfg.strategy.is_darts_family() {
        errors.push(crate::config::FieldError::new(
            "strategy",
            format!(
                "{} is a search method of its own, not a strategy of the DARTS family (run it with method::run)",
                cfg.strategy.name()
            ),
        ));
    }
    if !errors.is_empty() {
        return Err(SearchError::Config(errors));
    }
    let (device, loss, mut log) = begin(data, cfg, out, listener)?;

    let parts = parts(data, cfg)?;
    let (c, h, w) = data.image_shape();
    let shape = NetShape::of(data, cfg.init_channels, cfg.layers);
    let mut searcher = initialise(Some(cfg.seed), || Searcher::new(&shape, cfg, loss, device));
    let n_weights = crate::count_weights(&searcher.weights_vs);
    let mut progress = resume(out, &mut searcher, &mut log)?;
    let network = format!("supernet of {n_weights} weights");
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
    let scored = validation_sample(&parts.arch, cfg.seed);
    let mut epochs = progress.planned_epochs.unwrap_or(cfg.epochs);
    let mut epoch = progress.epoch;
    while epoch < epochs {
        epoch += 1;
        let epoch_start = Instant::now();
        searcher.begin_epoch(epoch, epochs);
        // PC-DARTS's warm-up: the first epochs train the weights alone.
        let alphas_learn = epoch > cfg.warmup_epochs;
        searcher
            .w_opt
            .set_lr(cosine_lr(cfg.w_lr, cfg.w_lr_min, epoch - 1, epochs));
        let (w_order, a_order) = epochs::orders(&parts, cfg.seed, epoch);
        let trained = epochs::train(&mut log, data, &parts, (epoch, steps), cancel, |step| {
            let wb = batch_of(&w_order, step, b);
            let ab = batch_of(&a_order, step, b);
            let (xt, yt) = data.batch(wb, &parts.stats, device);
            let (xv, yv) = data.batch(ab, &parts.stats, device);
            if alphas_learn {
                let done = ((epoch - 1) * steps + step) as f64 / (epochs * steps) as f64;
                searcher.alpha_step((&xt, &yt), (&xv, &yv), None, done);
            }
            let (l, out) = searcher.weight_step(&xt, &yt);
            Stepped {
                samples: wb.len(),
                loss: l,
                outputs: out,
                targets: yt,
            }
        })?;
        recalibrate(
            &searcher,
            data,
            &parts,
            device,
            (b, CALIBRATION_SAMPLES, false),
        );
        let val = evaluate(&searcher, data, &scored, &parts.stats, device, 2 * b);
        if exploded(val.loss) {
            return Err(SearchError::Diverged {
                epoch,
                step: steps,
                loss: val.loss,
            });
        }
        let (normal, reduce) = searcher.op_weights();
        let genotype = discretise(&normal, &reduce, cfg);
        let uncapped = Genotype::from_weights(&normal, &reduce, &cfg.primitives, cfg.nodes, None);
        let (pf_normal, pf_reduce) = genotype.param_free();
        log.emit(Event::Alphas {
            epoch,
            primitives: cfg.primitives.clone(),
            normal,
            reduce,
        })?;
        log.emit(Event::Genotype {
            epoch,
            genotype,
            param_free: ParamFree {
                normal: pf_normal,
                reduce: pf_reduce,
            },
        })?;
        let raw_skips = uncapped
            .normal
            .iter()
            .filter(|(p, _)| *p == crate::ops::Primitive::SkipConnect)
            .count();
        if raw_skips > 2 {
            log.emit(Event::log(LogLevel::Warn, format!("the normal cell's strongest ops include {raw_skips} skip connections: the search may be collapsing into parameter-free cells")))?;
        }
        if epoch <= 2 && cfg.seconds.is_some() {
            let last = epoch_start.elapsed().as_secs_f64();
            let elapsed = progress.seconds + started.elapsed().as_secs_f64();
            epochs = crate::budget::plan_epochs(cfg.seconds, cfg.epochs, epoch, elapsed, last);
            progress.planned_epochs = Some(epochs);
            log.emit(Event::log(
                LogLevel::Info,
                format!(
                    "epoch {epoch} took {last:.1} s: {epochs} epochs of the {} fit the search's {:.0} s",
                    cfg.epochs,
                    cfg.seconds.unwrap_or(0.0)
                ),
            ))?;
        }
        let end = EpochEnd {
            epoch,
            epochs,
            trained,
            val,
            started: epoch_start,
        };
        epochs::finish(&mut log, out, data, &searcher, &mut progress, end, started)?;
    }

    let (normal, reduce) = searcher.op_weights();
    // The supernet as searched, scored once on the test split before selection may fine-tune
    // it (a resumed selection reuses the figures of the first session).
    let test_metrics = match &progress.supernet_test_metrics {
        Some(m) => m.clone(),
        None if data.splits.test.is_empty() => Default::default(),
        None => {
            // Precise BN, as every trained network is scored: the gap compares like with like.
            recalibrate(
                &searcher,
                data,
                &parts,
                device,
                (b, crate::retrain::PRECISE_BN_SAMPLES, true),
            );
            evaluate(
                &searcher,
                data,
                &data.splits.test,
                &parts.stats,
                device,
                b.max(64),
            )
            .metrics
        }
    };
    progress.supernet_test_metrics = Some(test_metrics.clone());
    // Multiply-adds of the supernet on one image: every op of every edge runs.
    let macs = crate::nn::count_macs(|| {
        let _ = searcher.predict(&tch::Tensor::zeros(
            [1, c, h, w],
            (tch::Kind::Float, device),
        ));
    });
    let genotype = selection::for_config(cfg).select(&mut selection::Context {
        searcher: &mut searcher,
        data,
        parts: &parts,
        cfg,
        out,
        log: &mut log,
        cancel,
        progress: &mut progress,
        device,
    })?;
    let searched = Searched {
        genotype: genotype.clone(),
        epochs,
        seconds: progress.seconds + started.elapsed().as_secs_f64(),
        weights: n_weights,
        device,
        test_metrics,
        macs,
    };
    let result = SearchResult::new(data, &progress, searched);
    // A rule other than argmax may keep another cell than the last epoch's: the pages show the
    // cell the run kept.
    if genotype != discretise(&normal, &reduce, cfg) {
        let (pf_normal, pf_reduce) = genotype.param_free();
        log.emit(Event::Genotype {
            epoch: epochs,
            genotype: genotype.clone(),
            param_free: ParamFree {
                normal: pf_normal,
                reduce: pf_reduce,
            },
        })?;
    }
    write_json(&out.join("genotype.json"), &genotype)?;
    // The op weights discretisation read (PC-DARTS's already multiplied by their edge's), and
    // PC-DARTS's edge weights on their own.
    let mut alphas =
        serde_json::json!({"primitives": cfg.primitives, "normal": normal, "reduce": reduce});
    if let Some((n, r)) = searcher.alphas.edge_weights(cfg.nodes) {
        alphas["edges"] = serde_json::json!({"normal": n, "reduce": r});
    }
    write_json(&out.join("alphas.json"), &alphas)?;
    crate::runlog::succeed(&mut log, out, &result)?;
    Ok(result)
}

/// The validation samples scored after each epoch: all of `arch` up to `VAL_SAMPLES`, else a
/// sample of that many drawn with the search's seed (the same every epoch).
pub fn validation_sample(arch: &[i64], seed: u64) -> Vec<i64> {
    if arch.len() <= VAL_SAMPLES {
        return arch.to_vec();
    }
    let mut order = arch.to_vec();
    Rng::derive(seed, 3, 0).shuffle(&mut order);
    order.truncate(VAL_SAMPLES);
    order.sort_unstable();
    order
}
