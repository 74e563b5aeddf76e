//! A comparison as a table and a bar chart: each method's parameters, multiply-adds, measured
//! latency and throughput, search and training cost, augmentation, why training stopped and
//! test metric (mean ± sd over seeds), under the study's verdict when it has one.
//! A search's page shows its own; a dataset's page (and a transferred cell's) shows the
//! dataset's.
use crate::charts::bars_noted;
use crate::format::duration;
use crate::types::Comparison;
use leptos::prelude::*;

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
pub fn comparable(c: &Comparison) -> bool {
    c.rows
        .iter()
        .filter(|r| r.test_metric_mean.is_some())
        .count()
        >= 2
}

pub fn comparison_table(c: &Comparison) -> AnyView {
    let labels: Vec<String> = c.rows.iter().map(|r| r.method.clone()).collect();
    let values: Vec<f64> = c
        .rows
        .iter()
        .map(|r| r.test_metric_mean.unwrap_or(0.0))
        .collect();
    // Each bar carries its network's batch-1 latency: accuracy against cost at a glance.
    let notes: Vec<String> = c
        .rows
        .iter()
        .map(|r| {
            r.latency_ms
                .map(|l| format!("{} ms", significant(l)))
                .unwrap_or_default()
        })
        .collect();
    let chart = bars_noted(&labels, &values, &notes, &format!("test {}", c.metric));
    let better = if c.higher_is_better {
        "higher is better"
    } else {
        "lower is better"
    };
    view! {
        {c.verdict.as_ref().map(|v| crate::verdict::verdict_view(v, &c.metric, c.higher_is_better))}
        {(!c.searched_with.is_empty()).then(|| view! {
            <p class="muted" data-testid="searched-with">{format!("DARTS rows searched with {}.", c.searched_with)}</p>
        })}
        <table class="comparison" data-testid="comparison">
            <thead><tr>
                <th>"Method"</th><th>"Parameters"</th><th>"Multiply-adds"</th>
                <th title="one image's forward pass (median), and images per second in batches of 64, on the device it was trained on">"Latency, throughput"</th>
                <th>"Search cost"</th>
                <th>"Training cost"</th><th>"Augmentation"</th><th>"Stopped"</th>
                <th>{format!("Test {} ({better})", c.metric)}</th><th>"Runs"</th>
            </tr></thead>
            <tbody>{c.rows.iter().map(|r| view! {
                <tr>
                    <td>{r.method.clone()}</td>
                    <td>{r.params.map(|p| p.to_string()).unwrap_or_else(|| "-".into())}</td>
                    <td>{macs_text(r.macs)}</td>
                    <td>{speed_text(r.latency_ms, r.throughput)}</td>
                    <td>{search_text(r.search_seconds, r.budget_seconds)}</td>
                    <td>{r.train_seconds.map(duration).unwrap_or_else(|| "-".into())}</td>
                    <td>{r.trained_with.clone().unwrap_or_else(|| "-".into())}</td>
                    <td>{if r.stopped.is_empty() { "-".to_string() } else { r.stopped.join("; ") }}</td>
                    <td>{metric_text(r.test_metric_mean, r.test_metric_sd, r.runs.len())}</td>
                    <td>{r.runs.iter().map(|id| view! { <a href=format!("/runs/{id}")>{format!("#{id} ")}</a> }).collect_view()}</td>
                </tr>
            }).collect_view()}</tbody>
        </table>
        <div class="chart" data-testid="comparison-chart" inner_html=chart></div>
    }
    .into_any()
}
