//! A finished search next to what a scientist would have done without it: buttons that retrain
//! its cell, run the baselines (ResNet-18, ResNet-10, random search) and repeat the whole study
//! with N seeds (with a preset and device), the progress of those runs, and the comparison table
//! and chart.
use crate::calls::{derive_runs, get_run};
use crate::charts::bars;
use crate::format::duration;
use crate::live::is_final;
use crate::types::{Comparison, RunDetail};
use leptos::prelude::*;
use std::time::Duration;

const PRESETS: [&str; 4] = ["tiny", "quick", "default", "darts-paper"];

/// Reads the run again every 2 s until every run made from it has ended.
fn poll(current: RwSignal<RunDetail>, id: i64) {
    set_timeout(
        move || {
            leptos::task::spawn_local(async move {
                if let Ok(Some(d)) = get_run(id).await {
                    let busy = d
                        .derived
                        .iter()
                        .chain(&d.group)
                        .any(|r| !is_final(&r.status));
                    if current.try_set(d).is_none() && busy {
                        poll(current, id);
                    }
                }
            });
        },
        Duration::from_secs(2),
    );
}

fn metric_text(mean: Option<f64>, sd: Option<f64>, n: usize) -> String {
    match (mean, sd) {
        (Some(m), Some(s)) => format!("{m:.4} ± {s:.4} (n = {n})"),
        (Some(m), None) => format!("{m:.4}"),
        _ => "-".into(),
    }
}

/// Multiply-adds as people write them: 555.4 M, 1.20 G.
fn macs_text(macs: Option<i64>) -> String {
    match macs {
        Some(m) if m >= 1_000_000_000 => format!("{:.2} G", m as f64 / 1e9),
        Some(m) => format!("{:.1} M", m as f64 / 1e6),
        None => "-".into(),
    }
}

/// Batch-1 latency and batch-64 throughput: "3.1 ms, 2,400/s".
fn speed_text(latency_ms: Option<f64>, throughput: Option<f64>) -> String {
    match (latency_ms, throughput) {
        (Some(l), Some(t)) => format!("{} ms, {:.0}/s", significant(l), t),
        (Some(l), None) => format!("{} ms", significant(l)),
        _ => "-".into(),
    }
}

/// Milliseconds with three significant digits (0.412, 3.07, 41.2, 412).
fn significant(ms: f64) -> String {
    let digits = (2 - ms.abs().max(1e-9).log10().floor() as i32).clamp(0, 4) as usize;
    format!("{ms:.digits$}")
}

/// The search cost, with the budget a random search was given.
fn search_text(seconds: Option<f64>, budget: Option<f64>) -> String {
    match (seconds, budget) {
        (Some(s), Some(b)) => format!("{} (budget {})", duration(s), duration(b)),
        (Some(s), None) => duration(s),
        _ => "-".into(),
    }
}

/// A comparison worth a table: two methods with a test metric (a young search has only its own
/// row, and that without one).
fn comparable(c: &Comparison) -> bool {
    c.rows
        .iter()
        .filter(|r| r.test_metric_mean.is_some())
        .count()
        >= 2
}

fn table(c: &Comparison) -> impl IntoView {
    let labels: Vec<String> = c.rows.iter().map(|r| r.method.clone()).collect();
    let values: Vec<f64> = c
        .rows
        .iter()
        .map(|r| r.test_metric_mean.unwrap_or(0.0))
        .collect();
    let chart = bars(&labels, &values, &format!("test {}", c.metric));
    let better = if c.higher_is_better {
        "higher is better"
    } else {
        "lower is better"
    };
    view! {
        <p class="muted" data-testid="searched-with">{format!("DARTS rows searched with {}.", c.searched_with)}</p>
        <table class="comparison" data-testid="comparison">
            <thead><tr>
                <th>"Method"</th><th>"Parameters"</th><th>"Multiply-adds"</th>
                <th title="one image's forward pass (median), and images per second in batches of 64, on the device it was trained on">"Latency, throughput"</th>
                <th>"Search cost"</th>
                <th>"Training cost"</th><th>{format!("Test {} ({better})", c.metric)}</th><th>"Runs"</th>
            </tr></thead>
            <tbody>{c.rows.iter().map(|r| view! {
                <tr>
                    <td>{r.method.clone()}</td>
                    <td>{r.params.map(|p| p.to_string()).unwrap_or_else(|| "-".into())}</td>
                    <td>{macs_text(r.macs)}</td>
                    <td>{speed_text(r.latency_ms, r.throughput)}</td>
                    <td>{search_text(r.search_seconds, r.budget_seconds)}</td>
                    <td>{r.train_seconds.map(duration).unwrap_or_else(|| "-".into())}</td>
                    <td>{metric_text(r.test_metric_mean, r.test_metric_sd, r.runs.len())}</td>
                    <td>{r.runs.iter().map(|id| view! { <a href=format!("/runs/{id}")>{format!("#{id} ")}</a> }).collect_view()}</td>
                </tr>
            }).collect_view()}</tbody>
        </table>
        <div class="chart" inner_html=chart></div>
    }
}

#[component]
pub fn Study(
    current: RwSignal<RunDetail>,
    state: RwSignal<crate::live::RunState>,
) -> impl IntoView {
    let (id, read_only) = current.with_untracked(|d| (d.row.id, d.read_only));
    let preset = RwSignal::new("quick".to_string());
    let device = RwSignal::new("auto".to_string());
    let note = RwSignal::new(String::new());
    let seeds = RwSignal::new(3u32);
    let start = Action::new(move |what: &String| {
        let what = what.clone();
        async move {
            match derive_runs(id, what, preset.get_untracked(), device.get_untracked()).await {
                Ok(Ok(ids)) => {
                    let list: Vec<String> = ids.iter().map(|i| format!("#{i}")).collect();
                    note.set(format!("Started {}.", list.join(", ")));
                    poll(current, id);
                }
                Ok(Err(reason)) => note.set(reason),
                Err(e) => note.set(e.to_string()),
            }
        }
    });
    // The live status: it can be ahead of the record the page was rendered from.
    let succeeded = move || state.with(|s| s.status == "succeeded");
    // The section appears once there is something in it.
    let shown = move || {
        succeeded()
            || current.with(|d| {
                !d.group.is_empty()
                    || !d.derived.is_empty()
                    || d.comparison.as_ref().is_some_and(comparable)
            })
    };
    view! {
        {move || shown().then(|| view! { <h2>"Against the baselines"</h2> })}
        {move || (!read_only && succeeded()).then(|| view! {
            <div class="study-actions">
                <label>"Training preset "
                    <select prop:value=move || preset.get() on:change=move |ev| preset.set(event_target_value(&ev))>
                        {PRESETS.iter().map(|p| view! { <option value=*p>{*p}</option> }).collect_view()}
                    </select>
                </label>
                <label>"Device "
                    <select prop:value=move || device.get() on:change=move |ev| device.set(event_target_value(&ev))>
                        <option value="auto">"auto"</option>
                        <option value="cpu">"cpu"</option>
                        <option value="cuda">"cuda"</option>
                    </select>
                </label>
                <button class="button" on:click=move |_| { start.dispatch("retrain".into()); }>"Retrain"</button>
                <button class="button secondary" on:click=move |_| { start.dispatch("baselines".into()); }>"Run baselines"</button>
                <label>"Seeds "
                    <input type="number" min="2" max="20" prop:value=move || seeds.get().to_string()
                        on:input=move |ev| seeds.set(event_target_value(&ev).parse().unwrap_or(3))/>
                </label>
                <button class="button secondary" on:click=move |_| { start.dispatch(format!("seeds:{}", seeds.get_untracked())); }>
                    {move || format!("Repeat with {} seeds", seeds.get())}
                </button>
                <span class="muted" role="status">{move || note.get()}</span>
            </div>
        })}
        {move || current.with(|d| (!d.group.is_empty()).then(|| view! {
            <p class="facts">"Seed group: "</p>
            <ul class="derived" data-testid="group">{d.group.iter().map(|r| view! {
                <li><a href=format!("/runs/{}", r.id)>{format!("#{} search, seed {}", r.id, r.seed.unwrap_or(0))}</a>" "
                    <span class=format!("status {}", r.status)>{r.status.clone()}</span>
                    {format!(" {}/{}", r.epoch, r.epochs)}</li>
            }).collect_view()}</ul>
        }))}
        {move || current.with(|d| (!d.derived.is_empty()).then(|| view! {
            <ul class="derived">{d.derived.iter().map(|r| view! {
                <li><a href=format!("/runs/{}", r.id)>{format!("#{} {}", r.id, r.kind)}</a>" "
                    <span class=format!("status {}", r.status)>{r.status.clone()}</span>
                    {format!(" {}/{}", r.epoch, r.epochs)}</li>
            }).collect_view()}</ul>
        }))}
        {move || current.with(|d| d.comparison.as_ref().filter(|c| comparable(c)).map(table))}
    }
}
