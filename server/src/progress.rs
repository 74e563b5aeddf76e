//! Progress on stderr: an indicatif bar of the epoch's steps on a terminal, with each epoch's
//! figures printed above it; plain lines otherwise (a log file, a pipe).
use engine::events::Event;
use engine::search::SearchError;
use std::io::{IsTerminal, Write};
use std::sync::atomic::AtomicBool;

/// Runs an engine job from the command line with its progress on stderr. A panic in it comes
/// back as `Err` with the panic's message; the job's own outcome is inside `Ok`.
pub fn run_job<T>(
    job: impl FnOnce(&AtomicBool, &mut dyn FnMut(u64, &Event)) -> Result<T, SearchError>,
) -> Result<Result<T, SearchError>, String> {
    let cancel = AtomicBool::new(false);
    let mut progress = Progress::new();
    let mut listener = |_seq: u64, e: &Event| progress.show(e);
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| job(&cancel, &mut listener)))
        .map_err(crate::worker::panic_text)
}

pub struct Progress {
    /// An indicatif bar for the current epoch's steps when stderr is a terminal.
    bar: Option<indicatif::ProgressBar>,
}

impl Progress {
    pub fn new() -> Self {
        Progress {
            bar: std::io::stderr().is_terminal().then(|| {
                let bar = indicatif::ProgressBar::with_draw_target(
                    None,
                    indicatif::ProgressDrawTarget::stderr(),
                );
                if let Ok(style) = indicatif::ProgressStyle::with_template(
                    "epoch {prefix} [{bar:30}] step {pos}/{len} {msg} ({eta} left)",
                ) {
                    bar.set_style(style.progress_chars("#>."));
                }
                bar
            }),
        }
    }

    /// A line above the bar (or alone, without one).
    fn line(&self, text: String) {
        match &self.bar {
            Some(bar) => bar.println(text),
            None => {
                let _ = writeln!(std::io::stderr().lock(), "{text}");
            }
        }
    }

    pub fn show(&mut self, event: &Event) {
        match event {
            Event::Step {
                epoch,
                step,
                steps,
                train_loss,
            } => {
                if let Some(bar) = &self.bar {
                    if bar.length() != Some(*steps as u64) || bar.position() > *step as u64 {
                        bar.reset();
                        bar.set_length(*steps as u64);
                    }
                    bar.set_prefix(epoch.to_string());
                    bar.set_position(*step as u64);
                    bar.set_message(format!("loss {train_loss:.4}"));
                }
            }
            Event::Epoch {
                epoch,
                epochs,
                train_loss,
                train_metric,
                val_loss,
                val_metric,
                seconds,
                ..
            } => self.line(epoch_line(
                *epoch,
                *epochs,
                (*train_loss, *train_metric),
                (*val_loss, *val_metric),
                *seconds,
            )),
            Event::Genotype { genotype, .. } => {
                let ops = |c: &[(engine::ops::Primitive, usize)]| {
                    c.iter()
                        .map(|(p, i)| format!("{p}<-{i}"))
                        .collect::<Vec<_>>()
                        .join(" ")
                };
                self.line(format!(
                    "  normal: {}\n  reduce: {}",
                    ops(&genotype.normal),
                    ops(&genotype.reduce)
                ));
            }
            Event::Controller {
                reward,
                entropy,
                baseline,
                ..
            } => self.line(format!(
                "  controller: reward {reward:.4}, entropy {entropy:.3}, baseline {baseline:.4}"
            )),
            Event::Layers {
                chosen,
                expected_ms,
                chosen_ms,
                ..
            } => self.line(format!(
                "  layers: {} | expected latency {expected_ms:.3} ms, this network {chosen_ms:.3} ms",
                chosen.join(" ")
            )),
            Event::Selection(d) => {
                let worst = d
                    .candidates
                    .iter()
                    .map(|c| format!("{} {:+.3}", c.name, c.drop))
                    .collect::<Vec<_>>()
                    .join(", ");
                let what = match d.edge {
                    Some(e) => format!("edge {e} keeps {}", d.chosen),
                    None => format!("node {} drops {}", d.node, d.chosen),
                };
                self.line(format!(
                    "  selection, {} cell: {what} (cost of removing: {worst})",
                    d.cell
                ));
            }
            Event::Log { level, message } => {
                self.line(format!("{}: {message}", format!("{level:?}").to_lowercase()))
            }
            Event::Status { status, message } => {
                if let Some(bar) = &self.bar {
                    bar.finish_and_clear();
                }
                self.line(format!(
                    "status: {status:?}{}",
                    message
                        .as_ref()
                        .map(|m| format!(" ({m})"))
                        .unwrap_or_default()
                ));
            }
            _ => {}
        }
    }
}

/// An epoch's line. A training on train + validation has no validation part (its figures are
/// NaN), and the line says so instead of printing NaN.
fn epoch_line(
    epoch: usize,
    epochs: usize,
    (train_loss, train_metric): (f64, f64),
    (val_loss, val_metric): (f64, f64),
    seconds: f64,
) -> String {
    let val = if val_loss.is_finite() {
        format!("val loss {val_loss:.4} metric {val_metric:.4}")
    } else {
        "no validation part (trained on train + validation)".to_string()
    };
    format!("epoch {epoch}/{epochs}: train loss {train_loss:.4} metric {train_metric:.4} | {val} | {seconds:.1} s")
}

#[cfg(test)]
mod tests {
    use super::epoch_line;

    #[test]
    fn a_training_without_validation_says_so_instead_of_nan() {
        let line = epoch_line(2, 5, (1.7315, 0.4016), (f64::NAN, f64::NAN), 1.4);
        assert_eq!(
            line,
            "epoch 2/5: train loss 1.7315 metric 0.4016 | no validation part (trained on train + validation) | 1.4 s"
        );
        let line = epoch_line(1, 5, (0.7, 0.74), (0.6786, 0.7409), 71.3);
        assert!(line.contains("val loss 0.6786 metric 0.7409"), "{line}");
    }
}
