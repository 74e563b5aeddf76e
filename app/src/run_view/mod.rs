//! The run page: live while the run goes (progress, curves, heatmaps, cells, log), the result
//! once it has ended (figures, reproducibility, downloads, sharing). The share page shows the
//! same view read-only. Everything is in the server's HTML; after hydration the run's websocket
//! keeps it current.
mod architecture;
mod controller;
mod controls;
mod facts;
mod layers;
mod study;
mod transfer;

use crate::charts::{lines, lines_marked};
use crate::format::duration;
use crate::live::{is_final, RunState};
use crate::types::RunDetail;
use leptos::prelude::*;

/// Train and validation series of one measure.
fn curves(s: &RunState, loss: bool) -> Vec<(String, Vec<(f64, f64)>)> {
    let pick = |train: bool| {
        s.epochs
            .iter()
            .map(|e| {
                let y = match (loss, train) {
                    (true, true) => e.train_loss,
                    (true, false) => e.val_loss,
                    (false, true) => e.train_metric,
                    (false, false) => e.val_metric,
                };
                (e.epoch as f64, y)
            })
            .collect()
    };
    vec![
        ("train".to_string(), pick(true)),
        ("validation".to_string(), pick(false)),
    ]
}

#[component]
fn Progress(state: RwSignal<RunState>, online: RwSignal<bool>) -> impl IntoView {
    let summary = Memo::new(move |_| {
        state.with(|s| {
            (
                s.status.clone(),
                s.epochs.len(),
                s.epochs_total,
                s.fraction(),
                s.eta_seconds(),
                s.message.clone(),
            )
        })
    });
    view! {
        <div class="progress-row">
            {move || {
                let (status, done, total, fraction, eta, message) = summary.get();
                view! {
                    <span class=format!("status {status}") data-testid="status">{status.clone()}</span>
                    <span class="epoch-counter" data-testid="epoch">{format!("epoch {done} of {total}")}</span>
                    <div class="bar" role="progressbar" aria-valuemin="0" aria-valuemax="100"
                        aria-valuenow=format!("{:.0}", fraction * 100.0)>
                        <div class="fill" style=format!("width: {:.1}%", fraction * 100.0)></div>
                    </div>
                    <span class="muted">{eta.map(|s| format!("about {} left", duration(s))).unwrap_or_default()}</span>
                    {message.map(|m| view! { <p class="error run-message">{m}</p> })}
                }
            }}
            <span class="muted live-flag">{move || {
                let ended = state.with(|s| is_final(&s.status));
                match (ended, online.get()) {
                    (true, _) => "",
                    (false, true) => "live",
                    (false, false) => "reconnecting...",
                }
            }}</span>
        </div>
    }
}

/// Reads the ended run again for its result (figures, downloads). The worker's final event can
/// arrive before the server has recorded the run as ended, so it retries each second until the
/// record says so (at most `tries` times).
fn reread_result(
    current: RwSignal<RunDetail>,
    id: i64,
    token: String,
    read_only: bool,
    tries: u32,
) {
    leptos::task::spawn_local(async move {
        let fresh = if read_only {
            crate::calls::get_shared(token.clone()).await
        } else {
            crate::calls::get_run(id).await
        };
        if let Ok(Some(d)) = fresh {
            let recorded = is_final(&d.row.status);
            if current.try_set(d).is_none() && !recorded && tries > 1 {
                set_timeout(
                    move || reread_result(current, id, token, read_only, tries - 1),
                    std::time::Duration::from_secs(1),
                );
            }
        }
    });
}

#[component]
pub fn RunView(detail: RunDetail) -> impl IntoView {
    let state = RwSignal::new(detail.state.clone());
    let online = RwSignal::new(false);
    let id = detail.row.id;
    let token_query = detail.token_query.clone();
    // In the browser only: follow the run while it can still change.
    Effect::new(move |started: Option<bool>| {
        if started != Some(true) && !state.with_untracked(|s| is_final(&s.status)) {
            crate::browser::follow_run(id, token_query.clone(), state, online);
        }
        true
    });
    // When the run ends while watched, the result (figures, downloads) is read once more.
    let current = RwSignal::new(detail.clone());
    let ended_at_load = is_final(&detail.state.status);
    let reread = StoredValue::new(false);
    let share_token = detail.token_query.trim_start_matches("?token=").to_string();
    let read_only = detail.read_only;
    Effect::new(move |_| {
        let ended = state.with(|s| is_final(&s.status));
        if ended && !ended_at_load && !reread.get_value() {
            reread.set_value(true);
            reread_result(current, id, share_token.clone(), read_only, 10);
        }
    });
    let epochs = Memo::new(move |_| state.with(|s| s.epochs.clone()));
    let loss_chart =
        move || epochs.with(|_| state.with_untracked(|s| lines("loss", &curves(s, true))));
    let metric = detail.row.metric.clone().unwrap_or_else(|| "metric".into());
    let metric_label = metric.clone();
    // A finished training marks the epoch whose weights it kept on the metric's curves.
    let kept = move || current.with(|d| d.stopped.as_ref().map(|s| s.kept_epoch));
    let metric_chart = move || {
        let kept = kept();
        epochs.with(|_| {
            state.with_untracked(|s| {
                let label = kept.map(|k| format!("kept epoch {k}"));
                lines_marked(
                    &metric_label,
                    &curves(s, false),
                    kept.zip(label.as_deref()).map(|(k, l)| (k as f64, l)),
                )
            })
        })
    };
    let title = format!(
        "Run #{}: {} on {}",
        detail.row.id, detail.row.kind, detail.row.dataset_name
    );
    let is_search = detail.row.kind == "search";
    let config_key = |k: &str| {
        detail
            .config
            .iter()
            .find(|(key, _)| key == k)
            .map(|(_, v)| v.clone())
    };
    // ProxylessNAS searches layers, not a cell.
    let layered = is_search && config_key("strategy").as_deref() == Some("\"proxyless\"");
    let target_ms = config_key("latency_target_ms").and_then(|v| v.parse::<f64>().ok());
    let log = Memo::new(move |_| {
        state.with(|s| {
            let skip = s.log.len().saturating_sub(300);
            s.log[skip..].to_vec()
        })
    });
    view! {
        <div class="title-row">
            <h1>{title}</h1>
            {(!detail.read_only).then(|| view! { <controls::Controls current state/> })}
        </div>
        {detail.source_run.map(|s| view! { <p class="facts">"Made from "<a href=format!("/runs/{s}")>{format!("run #{s}")}</a></p> })}
        {detail.transfer.clone().map(|t| view! { <p class="facts" data-testid="transferred">{t}</p> })}
        {view! { <Progress state online/> <facts::Figures current state/> }.into_any()}
        // A finished study says at the top which network to take.
        {move || current.with(|d| d.comparison.as_ref().and_then(|c| c.verdict.as_ref()).map(|v| view! {
            <p class="verdict-top" data-testid="verdict-top"><strong>{v.sentence.clone()}</strong></p>
        }))}
        <h2>"Curves"</h2>
        <div class="charts">
            <div class="chart fixed" inner_html=loss_chart></div>
            <div class="chart fixed" inner_html=metric_chart></div>
        </div>
        {move || current.with(|d| d.stopped.as_ref().map(|s| view! {
            <p class="facts" data-testid="stopped">{crate::format::sentence_case(&s.message)}</p>
        }))}
        {(is_search && !layered).then(|| view! { <controller::Controller state/> <architecture::Architecture state/> }.into_any())}
        {layered.then(|| view! { <layers::Layers state target_ms/> }.into_any())}
        {is_search.then(|| view! { <study::Study current state/> }.into_any())}
        {move || current.with(|d| d.dataset_comparison.clone().filter(|c| !c.rows.is_empty()).map(|c| view! {
            <h2>{format!("On {}: every method", d.row.dataset_name)}</h2>
            {crate::comparison::comparison_table(&c)}
        }))}
        <h2>"Log"</h2>
        <pre class="log" data-testid="log">{move || log.get().into_iter().map(|l| format!("[{}] {}\n", l.level, l.message)).collect::<String>()}</pre>
        <facts::Reproducibility current/>
        <facts::Downloads current/>
    }
}
