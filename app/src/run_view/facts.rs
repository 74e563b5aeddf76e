//! The run's figures, how to reproduce it, and its downloads.
use crate::format::duration;
use crate::live::{is_final, RunState};
use crate::types::RunDetail;
use leptos::prelude::*;

/// The best validation metric so far: the result's when there is one, else from the epochs.
fn best(d: &RunDetail, s: &RunState) -> Option<f64> {
    if d.row.best_metric.is_some() {
        return d.row.best_metric;
    }
    let higher = d.higher_is_better.unwrap_or(d.task == "classification");
    s.epochs
        .iter()
        .map(|e| e.val_metric)
        .filter(|v| v.is_finite())
        .reduce(|a, b| if (b > a) == higher { b } else { a })
}

fn metric_name(d: &RunDetail) -> String {
    d.row.metric.clone().unwrap_or_else(|| {
        if d.task == "classification" {
            "accuracy".into()
        } else {
            "rmse".into()
        }
    })
}

/// Seconds since the page came alive in the browser, counted while the run can still change
/// (the server renders 0; the browser counts on from there).
fn ticking(state: RwSignal<RunState>) -> RwSignal<u64> {
    let tick = RwSignal::new(0u64);
    fn next(tick: RwSignal<u64>, state: RwSignal<RunState>) {
        set_timeout(
            move || {
                if state.try_with_untracked(|s| !is_final(&s.status)) == Some(true)
                    && tick.try_update(|t| *t += 1).is_some()
                {
                    next(tick, state);
                }
            },
            std::time::Duration::from_secs(1),
        );
    }
    // Effects run in the browser only.
    Effect::new(move |started: Option<()>| {
        if started.is_none() {
            next(tick, state);
        }
    });
    tick
}

/// The run's time: the recorded seconds once it has ended; while it runs, the seconds since it
/// started as the page was rendered plus those counted since (never less than its epochs').
fn elapsed(d: &RunDetail, s: &RunState, tick: u64) -> f64 {
    let epochs: f64 = s
        .epochs
        .iter()
        .map(|e| e.seconds)
        .filter(|x| x.is_finite())
        .sum();
    match (is_final(&s.status), d.row.seconds) {
        (true, Some(recorded)) => recorded,
        (true, None) => epochs,
        (false, Some(at_render)) => (at_render + tick as f64).max(epochs),
        (false, None) => epochs,
    }
}

#[component]
pub fn Figures(current: RwSignal<RunDetail>, state: RwSignal<RunState>) -> impl IntoView {
    let kind = current.with_untracked(|d| d.row.kind.clone());
    let tick = ticking(state);
    let figures = Memo::new(move |_| {
        let tick = tick.get();
        current.with(|d| {
            state.with(|s| {
                (
                    best(d, s),
                    metric_name(d),
                    d.weights.or(s.weights),
                    elapsed(d, s, tick),
                    d.job.clone(),
                    d.device.clone().unwrap_or_else(|| {
                        d.config
                            .iter()
                            .find(|(k, _)| k == "device")
                            .map(|(_, v)| v.trim_matches('"').to_string())
                            .unwrap_or_default()
                    }),
                )
            })
        })
    });
    view! {
        <dl class="figures">
            {move || {
                let (best, metric, weights, seconds, job, device) = figures.get();
                view! {
                    <div><dt>{format!("{} {metric}", if kind == "search" { "Best validation" } else { "Test" })}</dt>
                        <dd data-testid="best">{best.map(|v| format!("{v:.4}")).unwrap_or_else(|| "-".into())}</dd></div>
                    <div><dt>"Parameters"</dt><dd data-testid="weights">{weights.map(|w| w.to_string()).unwrap_or_else(|| "-".into())}</dd></div>
                    <div><dt>"Time"</dt><dd data-testid="time">{duration(seconds)}</dd></div>
                    <div><dt>"Device"</dt><dd>{device}</dd></div>
                    {job.map(|j| view! { <div><dt>"Executor"</dt><dd data-testid="job">{j}</dd></div> })}
                }
            }}
        </dl>
    }
}

#[component]
pub fn Reproducibility(current: RwSignal<RunDetail>) -> impl IntoView {
    move || {
        current.with(|d| {
            view! {
                <h2>"Reproducibility"</h2>
                <p class="facts">
                    {format!(
                        "seed {}, dataset sha256 {}, Dartboard {}, PyTorch {}",
                        d.seed.map(|s| s.to_string()).unwrap_or_else(|| "-".into()),
                        d.dataset_sha256,
                        d.dartboard_version,
                        d.pytorch_version
                    )}
                </p>
                <details class="config">
                    <summary>"Full config"</summary>
                    <table class="config">
                        <tbody>{d.config.iter().map(|(k, v)| view! {
                            <tr><th>{k.clone()}</th><td><code>{v.clone()}</code></td></tr>
                        }).collect_view()}</tbody>
                    </table>
                </details>
            }
        })
    }
}

fn size(bytes: u64) -> String {
    match bytes {
        b if b >= 1 << 20 => format!("{:.1} MB", b as f64 / 1048576.0),
        b if b >= 1 << 10 => format!("{:.1} kB", b as f64 / 1024.0),
        b => format!("{b} B"),
    }
}

#[component]
pub fn Downloads(current: RwSignal<RunDetail>) -> impl IntoView {
    view! {
        <h2>"Downloads"</h2>
        <div class="downloads">
            {move || current.with(|d| d.artifacts.iter().map(|a| view! {
                <a class="button secondary" href=a.url.clone() download=a.name.clone()
                    data-testid=format!("download-{}", a.name)>
                    {format!("{} ({})", a.name, size(a.bytes))}
                </a>
            }).collect_view())}
        </div>
    }
}
