//! The epoch loop of an ENAS search (`strategy = enas`): the shared weights take a step on each
//! training batch through a cell the controller samples; then the controller takes
//! `enas_controller_steps` REINFORCE steps, each on a sampled cell's metric on a validation
//! batch (accuracy; the negative loss for regression). Each epoch reports the controller's mean
//! reward, entropy and baseline and its most likely cell; the search ends with the best of
//! `enas_samples` sampled cells on the validation part ("best of N", DARTS.md). Events,
//! checkpoints, resume and cancel as a DARTS search's; the same result files.
use super::controller::{Controller, Pick};
use super::{mixing, EnasSearcher};
use crate::config::SearchConfig;
use crate::data::{Dataset, Task};
use crate::events::{Event, LogLevel, ParamFree};
use crate::genotype::Genotype;
use crate::network::NetShape;
use crate::optim::{cosine_lr, Adam};
use crate::rng::Rng;
use crate::runlog::write_json;
use crate::scoring::{evaluate_with, metric_name, metric_of};
use crate::search::architect;
use crate::search::epochs::{self, batch_of, headline, EpochEnd, Stepped};
use crate::search::error::SearchError;
use crate::search::result::{SearchResult, Searched};
use crate::search::searcher::{Loss, Searcher};
use crate::search::session::{begin, initialise, parts, resume};
use std::path::Path;
use std::sync::atomic::AtomicBool;
use std::time::Instant;
use tch::nn::VarStore;
use tch::Device;

/// Validation samples each of the final N cells is scored on.
const FINAL_SAMPLES: usize = 256;

fn genotype_event(epoch: usize, genotype: &Genotype) -> Event {
    let (normal, reduce) = genotype.param_free();
    Event::Genotype {
        epoch,
        genotype: genotype.clone(),
        param_free: ParamFree { normal, reduce },
    }
}

/// The reward of a cell's outputs on a validation batch: accuracy, or the negative loss.
fn reward(
    task: Task,
    loss: &Loss,
    out: &tch::Tensor,
    y: &tch::Tensor,
    classes: usize,
    stats: &crate::data::Stats,
) -> f64 {
    match task {
        Task::Classification => metric_of(task, out, y, stats, classes),
        Task::Regression => -loss.compute(out, y).double_value(&[]),
    }
}

/// Runs (or resumes, when `out` holds a checkpoint) an ENAS search and writes its files.
pub fn run(
    data: &Dataset,
    cfg: &SearchConfig,
    out: &Path,
    cancel: &AtomicBool,
    listener: &mut dyn FnMut(u64, &Event),
) -> Result<SearchResult, SearchError> {
    let (device, loss, mut log) = begin(data, cfg, out, listener)?;
    let parts = parts(data, cfg)?;
    let (c, h, w) = data.image_shape();
    let shape = NetShape::of(data, cfg.init_channels, cfg.layers);
    let mut s = initialise(Some(cfg.seed), || {
        let shared = Searcher::new(&shape, cfg, loss, device);
        let controller_vs = VarStore::new(device);
        let controller = Controller::new(&controller_vs.root(), &cfg.primitives, cfg.nodes);
        let n = controller_vs.trainable_variables().len();
        EnasSearcher {
            shared,
            controller,
            controller_opt: Adam::new(n, cfg.enas_controller_lr, (0.0, 0.999), 0.0),
            controller_vs,
        }
    });
    let n_weights = crate::count_weights(&s.shared.weights_vs);
    let mut progress = resume(out, &mut s, &mut log)?;
    let network = format!("shared supernet of {n_weights} weights");
    epochs::announce(
        &mut log,
        data,
        &parts,
        "the controller",
        &network,
        n_weights,
        device,
    )?;
    let started = Instant::now();
    let b = cfg.batch_size;
    let steps = epochs::steps(&parts, cfg, false);
    let classes = data.names.len();
    let params = s.controller_vs.trainable_variables();
    for epoch in progress.epoch + 1..=cfg.epochs {
        let epoch_start = Instant::now();
        s.shared
            .w_opt
            .set_lr(cosine_lr(cfg.w_lr, cfg.w_lr_min, epoch - 1, cfg.epochs));
        let (w_order, a_order) = epochs::orders(&parts, cfg.seed, epoch);
        let mut cells = Rng::derive(cfg.seed, 5, epoch as u64);
        let trained = epochs::train(&mut log, data, &parts, (epoch, steps), cancel, |step| {
            let wb = batch_of(&w_order, step, b);
            let (xt, yt) = data.batch(wb, &parts.stats, device);
            let cell = tch::no_grad(|| s.controller.sample(Pick::Draw(&mut cells), None));
            let mix = mixing(&cell.genotype, &cfg.primitives, cfg.nodes, device);
            let (l, pred) = s.shared.weight_step_with(&xt, &yt, &mix);
            Stepped {
                samples: wb.len(),
                loss: l,
                outputs: pred,
                targets: yt,
            }
        })?;
        // The controller's REINFORCE steps (none during the warm-up).
        let (mut rewards, mut entropies) = (vec![], vec![]);
        if epoch > cfg.warmup_epochs {
            let mut draws = Rng::derive(cfg.seed, 6, epoch as u64);
            for k in 0..cfg.enas_controller_steps {
                let from = (k * b) % a_order.len();
                let ab = &a_order[from..(from + b).min(a_order.len())];
                let (xv, yv) = data.batch(ab, &parts.stats, device);
                let cell = s.controller.sample(Pick::Draw(&mut draws), None);
                let mix = mixing(&cell.genotype, &cfg.primitives, cfg.nodes, device);
                let out = s.shared.predict_with(&xv, &mix).to_device(Device::Cpu);
                let r = reward(
                    data.task,
                    &s.shared.loss,
                    &out,
                    &yv.to_device(Device::Cpu),
                    classes,
                    &parts.stats,
                );
                // The reference's moving average, started at the first reward.
                let base = progress
                    .controller_baseline
                    .map_or(r, |b| b - (1.0 - cfg.enas_baseline_decay) * (b - r));
                progress.controller_baseline = Some(base);
                let objective =
                    -(&cell.log_prob * (r - base)) - &cell.entropy * cfg.enas_entropy_weight;
                let grads = architect::reached(&objective, &params);
                s.controller_opt.step(&params, &grads);
                rewards.push(r);
                entropies.push(cell.entropy.double_value(&[]));
            }
        }
        let likely = tch::no_grad(|| s.controller.sample(Pick::Greedy, None)).genotype;
        let mix = mixing(&likely, &cfg.primitives, cfg.nodes, device);
        let val = evaluate_with(
            &s.shared,
            Some(&mix),
            data,
            &parts.arch,
            &parts.stats,
            device,
            2 * b,
        );
        let mean = |v: &[f64]| {
            if v.is_empty() {
                f64::NAN
            } else {
                v.iter().sum::<f64>() / v.len() as f64
            }
        };
        log.emit(genotype_event(epoch, &likely))?;
        log.emit(Event::Controller {
            epoch,
            reward: mean(&rewards),
            entropy: mean(&entropies),
            baseline: progress.controller_baseline.unwrap_or(f64::NAN),
        })?;
        let end = EpochEnd {
            epoch,
            epochs: cfg.epochs,
            trained,
            val,
            started: epoch_start,
        };
        epochs::finish(&mut log, out, data, &s, &mut progress, end, started)?;
    }

    // Best of N: sampled cells scored through the shared weights on the validation part.
    let scored = &crate::retrain::fit::calibration_sample(&parts.arch, FINAL_SAMPLES);
    let mut finals = Rng::derive(cfg.seed, 7, 0);
    let mut best: Option<(Genotype, f64)> = None;
    for _ in 0..cfg.enas_samples {
        let cell = tch::no_grad(|| s.controller.sample(Pick::Draw(&mut finals), None)).genotype;
        let mix = mixing(&cell, &cfg.primitives, cfg.nodes, device);
        let score = evaluate_with(
            &s.shared,
            Some(&mix),
            data,
            scored,
            &parts.stats,
            device,
            2 * b,
        );
        let m = headline(data, &score);
        if best.as_ref().is_none_or(|(_, bm)| data.task.better(m, *bm)) {
            best = Some((cell, m));
        }
    }
    let (genotype, best_sampled) = best.unwrap_or_else(|| {
        let g = tch::no_grad(|| s.controller.sample(Pick::Greedy, None)).genotype;
        (g, f64::NAN)
    });
    log.emit(Event::log(
        LogLevel::Info,
        format!(
            "kept the best of {} sampled cells on {} validation samples: {} {best_sampled:.4}",
            cfg.enas_samples,
            scored.len(),
            metric_name(data.task)
        ),
    ))?;
    log.emit(genotype_event(cfg.epochs, &genotype))?;
    let mix = mixing(&genotype, &cfg.primitives, cfg.nodes, device);
    let test_metrics = if data.splits.test.is_empty() {
        Default::default()
    } else {
        evaluate_with(
            &s.shared,
            Some(&mix),
            data,
            &data.splits.test,
            &parts.stats,
            device,
            b.max(64),
        )
        .metrics
    };
    let macs = crate::nn::count_macs(|| {
        let _ = s.shared.predict_with(
            &tch::Tensor::zeros([1, c, h, w], (tch::Kind::Float, device)),
            &mix,
        );
    });
    let searched = Searched {
        genotype: genotype.clone(),
        epochs: cfg.epochs,
        seconds: progress.seconds + started.elapsed().as_secs_f64(),
        weights: n_weights,
        device,
        test_metrics,
        macs,
    };
    let result = SearchResult::new(data, &progress, searched);
    write_json(&out.join("genotype.json"), &genotype)?;
    crate::runlog::succeed(&mut log, out, &result)?;
    Ok(result)
}
