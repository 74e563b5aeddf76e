//! Progress on stderr: a bar redrawn in place on a terminal, plain lines otherwise.
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
    tty: bool,
}

impl Progress {
    pub fn new() -> Self {
        Progress {
            tty: std::io::stderr().is_terminal(),
        }
    }

    pub fn show(&mut self, event: &Event) {
        let mut err = std::io::stderr().lock();
        match event {
            Event::Step {
                epoch,
                step,
                steps,
                train_loss,
            } if self.tty => {
                let width = 30;
                let done = (step * width).checked_div(*steps).unwrap_or(width);
                let bar = format!("{}{}", "#".repeat(done), ".".repeat(width - done));
                let _ = write!(
                    err,
                    "\repoch {epoch} [{bar}] step {step}/{steps} loss {train_loss:.4}   "
                );
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
            } => {
                let clear = if self.tty { "\r\x1b[2K" } else { "" };
                let _ = writeln!(
                    err,
                    "{clear}epoch {epoch}/{epochs}: train loss {train_loss:.4} metric {train_metric:.4} | val loss {val_loss:.4} metric {val_metric:.4} | {seconds:.1} s"
                );
            }
            Event::Genotype { genotype, .. } => {
                let ops = |c: &[(engine::ops::Primitive, usize)]| {
                    c.iter()
                        .map(|(p, i)| format!("{p}<-{i}"))
                        .collect::<Vec<_>>()
                        .join(" ")
                };
                let _ = writeln!(
                    err,
                    "  normal: {}\n  reduce: {}",
                    ops(&genotype.normal),
                    ops(&genotype.reduce)
                );
            }
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
                let _ = writeln!(
                    err,
                    "  selection, {} cell: {what} (cost of removing: {worst})",
                    d.cell
                );
            }
            Event::Log { level, message } => {
                let _ = writeln!(err, "{}: {message}", format!("{level:?}").to_lowercase());
            }
            Event::Status { status, message } => {
                let _ = writeln!(
                    err,
                    "status: {status:?}{}",
                    message
                        .as_ref()
                        .map(|m| format!(" ({m})"))
                        .unwrap_or_default()
                );
            }
            _ => {}
        }
    }
}
