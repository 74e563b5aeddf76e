//! One dataset: sample images per class, class counts as a chart (or target statistics for
//! regression), splits, per-channel statistics, duplicates, warnings, every network trained on
//! it as accuracy against latency (Pareto front highlighted), and the runs that used it.
use crate::calls::get_dataset;
use crate::charts::{bars, pareto, scatter, Point};
use crate::format::utc;
use crate::types::{DatasetDetail, NetworkPoint};
use leptos::prelude::*;
use leptos_router::hooks::use_params_map;

/// The scatter of the dataset's trained networks and the list of its Pareto front.
fn networks(list: &[NetworkPoint]) -> impl IntoView {
    let higher = list.first().is_none_or(|n| n.higher_is_better);
    let metric = list
        .first()
        .map_or("metric".to_string(), |n| n.metric.clone());
    let points: Vec<Point> = list
        .iter()
        .map(|n| Point {
            latency_ms: n.latency_ms,
            metric: n.test_metric,
        })
        .collect();
    let front = pareto(&points, higher);
    let svg = scatter(&points, higher, &format!("test {metric}"));
    view! {
        <h2>"Trained networks: accuracy against latency"</h2>
        <p class="muted">{format!(
            "{} networks trained on this dataset, each at its measured batch-1 latency on the device it trained on. On the Pareto front, no other network is both faster and {}.",
            list.len(),
            if higher { "more accurate" } else { "lower in error" }
        )}</p>
        <div class="chart fixed" data-testid="pareto-chart" inner_html=svg></div>
        <table class="runs" data-testid="pareto-front">
            <thead><tr><th>"On the front"</th><th>"Network"</th><th>"Latency"</th><th>{format!("Test {metric}")}</th></tr></thead>
            <tbody>{front.into_iter().map(|i| {
                let n = &list[i];
                view! {
                    <tr>
                        <td><a href=format!("/runs/{}", n.run)>{format!("#{}", n.run)}</a></td>
                        <td>{n.architecture.clone()}</td>
                        <td>{format!("{:.3} ms", n.latency_ms)}</td>
                        <td>{format!("{:.4}", n.test_metric)}</td>
                    </tr>
                }
            }).collect_view()}</tbody>
        </table>
    }
}

fn body(d: DatasetDetail) -> impl IntoView {
    let id = d.row.id.clone();
    let trained = (!d.networks.is_empty()).then(|| networks(&d.networks));
    let class_chart = (!d.classes.is_empty()).then(|| {
        let labels: Vec<String> = d.classes.iter().map(|(n, _)| n.clone()).collect();
        let counts: Vec<f64> = d.classes.iter().map(|(_, c)| *c as f64).collect();
        bars(&labels, &counts, "images")
    });
    let splits = d
        .splits
        .iter()
        .map(|(s, n)| format!("{s} {n}"))
        .collect::<Vec<_>>()
        .join(", ");
    let seed = d
        .test_seed
        .map(|s| format!(" (test held out with seed {s})"))
        .unwrap_or_default();
    view! {
        <div class="title-row">
            <h1>{d.row.name.clone()}</h1>
            <div class="actions">
                <a class="button" href=format!("/new?dataset={id}")>"New search on this data"</a>
            </div>
        </div>
        <p class="facts">
            {format!("{}, {} samples of {} ({}-bit), ", d.row.task, d.row.n, d.row.shape, d.bit_depth)}
            {format!("splits: {splits}{seed}")}
        </p>
        <h2>"Samples"</h2>
        <img class="samples" src=format!("/api/datasets/{id}/samples.png")
            alt=format!("example images of {}, a row per class", d.row.name)/>
        {class_chart.map(|svg| view! {
            <h2>"Images per class"</h2>
            <div class="chart" inner_html=svg></div>
        })}
        {d.targets.iter().filter(|t| !t.histogram.is_empty()).map(|t| {
            let bins = t.histogram.len() as f64;
            let width = (t.max - t.min) / bins;
            let labels: Vec<String> = (0..t.histogram.len()).map(|i| format!("{:.3}", t.min + width * (i as f64 + 0.5))).collect();
            let counts: Vec<f64> = t.histogram.iter().map(|c| *c as f64).collect();
            view! {
                <h2>{format!("Target histogram: {}", t.name)}</h2>
                <div class="chart" data-testid="target-histogram" inner_html=bars(&labels, &counts, "images")></div>
            }
        }).collect_view()}
        {(!d.targets.is_empty()).then(|| view! {
            <h2>"Targets"</h2>
            <table class="targets">
                <thead><tr><th>"Target"</th><th>"Min"</th><th>"Max"</th><th>"Mean"</th><th>"SD"</th></tr></thead>
                <tbody>{d.targets.iter().map(|t| view! {
                    <tr><td>{t.name.clone()}</td><td>{format!("{:.4}", t.min)}</td><td>{format!("{:.4}", t.max)}</td>
                        <td>{format!("{:.4}", t.mean)}</td><td>{format!("{:.4}", t.sd)}</td></tr>
                }).collect_view()}</tbody>
            </table>
        })}
        {view! { <super::symmetry::Symmetry id=id.clone() current=d.symmetry.clone()/> }.into_any()}
        <h2>"Channels"</h2>
        <table class="channels">
            <thead><tr><th>"Channel"</th><th>"Mean"</th><th>"SD"</th></tr></thead>
            <tbody>{d.channel_mean.iter().zip(&d.channel_sd).enumerate().map(|(c, (m, s))| view! {
                <tr><td>{c}</td><td>{format!("{m:.4}")}</td><td>{format!("{s:.4}")}</td></tr>
            }).collect_view()}</tbody>
        </table>
        <h2>"Checks"</h2>
        <ul class="checks">
            <li>{format!("{} exact duplicate image(s)", d.duplicates)}</li>
            {d.warnings.iter().map(|w| view! { <li class="warning">{w.clone()}</li> }).collect_view()}
            <li class="muted">{format!("sha256 {}", d.sha256)}</li>
        </ul>
        {d.comparison.clone().filter(|c| !c.rows.is_empty()).map(|c| view! {
            <h2>"Every method on this dataset"</h2>
            <p class="muted">"Cells of this dataset's searches, cells transferred from searches on other data, and the baselines, each trained and tested here."</p>
            {crate::comparison::comparison_table(&c)}
        })}
        {trained}
        <h2>"Runs on this dataset"</h2>
        {if d.runs.is_empty() {
            view! { <p class="muted">"None yet."</p> }.into_any()
        } else {
            view! {
                <table class="runs">
                    <thead><tr><th>"Run"</th><th>"Kind"</th><th>"Status"</th><th>"Best metric"</th><th>"Started"</th></tr></thead>
                    <tbody>{d.runs.iter().map(|r| view! {
                        <tr>
                            <td><a href=format!("/runs/{}", r.id)>{format!("#{}", r.id)}</a></td>
                            <td>{r.kind.clone()}</td>
                            <td><span class=format!("status {}", r.status)>{r.status.clone()}</span></td>
                            <td>{r.best_metric.map(|v| format!("{v:.4}")).unwrap_or_default()}</td>
                            <td>{utc(r.created_at)}</td>
                        </tr>
                    }).collect_view()}</tbody>
                </table>
            }.into_any()
        }}
    }
}

#[component]
pub fn DatasetPage() -> impl IntoView {
    let params = use_params_map();
    let id = move || params.with(|p| p.get("id").unwrap_or_default());
    let detail = Resource::new(id, get_dataset);
    view! {
        <section class="page">
            <Suspense fallback=|| view! { <p class="muted">"Loading the dataset..."</p> }>
                {move || detail.get().map(|r| match r {
                    Err(e) => view! { <p class="error">{format!("Could not read the dataset: {e}")}</p> }.into_any(),
                    Ok(None) => {
                        super::answer_not_found();
                        view! { <p class="empty">"No such dataset."</p> }.into_any()
                    }
                    Ok(Some(d)) => body(d).into_any(),
                })}
            </Suspense>
        </section>
    }
}
