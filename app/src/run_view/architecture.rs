//! A search's architecture as it was at an epoch: the alpha heatmaps of both cells with the kept
//! edges outlined, the discretised cells as diagrams, and the parameter-free ops per epoch with
//! the skip-connection warning.
use crate::charts::lines;
use crate::draw::diagram::diagram;
use crate::draw::heatmap::{heatmap, importance};
use crate::live::{AlphaSnap, Cell, GenoSnap, OpDecision, RunState};
use leptos::prelude::*;

/// More skip connections than this in the normal cell is the collapse users hit
/// (../shared/DARTS.md, failure modes; P-DARTS caps it at 2).
const SKIP_LIMIT: usize = 2;

fn skips(cell: &Cell) -> usize {
    cell.edges
        .iter()
        .filter(|(op, _)| op == "skip_connect")
        .count()
}

/// The snapshot at `epoch`, or the latest when None.
fn at<T: Clone>(list: &[T], epoch: Option<usize>, of: impl Fn(&T) -> usize) -> Option<T> {
    match epoch {
        None => list.last().cloned(),
        Some(e) => list.iter().find(|x| of(x) == e).cloned(),
    }
}

#[component]
pub fn Architecture(state: RwSignal<RunState>) -> impl IntoView {
    // None follows the latest epoch; the slider picks an earlier one.
    let picked = RwSignal::new(None::<usize>);
    let count = Memo::new(move |_| state.with(|s| s.alphas.len()));
    // ENAS writes cells without alphas.
    let drawn = Memo::new(move |_| state.with(|s| s.alphas.len().max(s.genotypes.len())));
    let last_epoch = Memo::new(move |_| state.with(|s| s.alphas.last().map_or(0, |a| a.epoch)));
    let first_epoch = Memo::new(move |_| state.with(|s| s.alphas.first().map_or(0, |a| a.epoch)));
    let alphas: Memo<Option<AlphaSnap>> =
        Memo::new(move |_| state.with(|s| at(&s.alphas, picked.get(), |a| a.epoch)));
    let cells: Memo<Option<GenoSnap>> =
        Memo::new(move |_| state.with(|s| at(&s.genotypes, picked.get(), |g| g.epoch)));
    let free = Memo::new(move |_| {
        state.with(|s| {
            s.genotypes
                .iter()
                .map(|g| (g.epoch, g.param_free_normal, g.param_free_reduce))
                .collect::<Vec<_>>()
        })
    });
    let maps = move || {
        let Some(a) = alphas.get() else {
            return String::new();
        };
        let kept = cells.get().unwrap_or_default();
        heatmap("normal cell", &a.primitives, &a.normal, &kept.normal)
            + &heatmap("reduction cell", &a.primitives, &a.reduce, &kept.reduce)
    };
    // Perturbation-based selection: beside the alphas, what removing each op cost.
    let decisions = Memo::new(move |_| state.with(|s| s.decisions.clone()));
    let importance_maps = move || {
        let list = decisions.get();
        let a = alphas.get()?;
        (!list.is_empty()).then(|| {
            let map = |cell: &str, title: &str, edges: usize| {
                let (drops, kept) = OpDecision::table(&list, cell, edges, &a.primitives);
                importance(title, &a.primitives, &drops, &kept)
            };
            map("normal", "normal cell: metric lost", a.normal.len())
                + &map("reduce", "reduction cell: metric lost", a.reduce.len())
        })
    };
    let diagrams = move || {
        cells
            .get()
            .map(|g| diagram("normal cell", &g.normal) + &diagram("reduction cell", &g.reduce))
            .unwrap_or_default()
    };
    let free_chart = move || {
        let f = free.get();
        lines(
            "parameter-free ops",
            &[
                (
                    "normal".into(),
                    f.iter().map(|(e, n, _)| (*e as f64, *n as f64)).collect(),
                ),
                (
                    "reduction".into(),
                    f.iter().map(|(e, _, r)| (*e as f64, *r as f64)).collect(),
                ),
            ],
        )
    };
    let warning = move || {
        cells.get().and_then(|g| {
            let n = skips(&g.normal);
            (n > SKIP_LIMIT).then(|| format!(
                "The normal cell has {n} skip connections at epoch {}: the search is collapsing into parameter-free cells. Cap them with max_skip_connects = 2 or stop earlier.",
                g.epoch
            ))
        })
    };
    view! {
        <h2>"Architecture"</h2>
        {move || (drawn.get() == 0).then(|| view! { <p class="muted">"The heatmaps and cells appear after the first epoch."</p> })}
        <div class="slider" class:hidden=move || count.get() < 2>
            <label for="epoch-slider">"Show epoch"</label>
            <input id="epoch-slider" type="range" data-testid="epoch-slider"
                min=move || first_epoch.get() max=move || last_epoch.get()
                prop:value=move || picked.get().unwrap_or_else(|| last_epoch.get())
                on:input=move |ev| {
                    let v = event_target_value(&ev).parse::<usize>().ok();
                    picked.set(v.filter(|v| *v != last_epoch.get_untracked()));
                }/>
            <span data-testid="shown-epoch">{move || {
                let e = picked.get().unwrap_or_else(|| last_epoch.get());
                match picked.get() {
                    None => format!("epoch {e} (latest)"),
                    Some(_) => format!("epoch {e}"),
                }
            }}</span>
        </div>
        <div class="heatmaps" data-testid="heatmaps" inner_html=maps></div>
        {move || importance_maps().map(|m| view! {
            <h3>"Perturbation-based selection"</h3>
            <p class="muted">"Per edge, how much the supernet's validation metric drops when each op is removed (loss rises for regression); selection keeps the op whose removal hurts most (outlined). Where this disagrees with the alpha heatmap, alpha magnitude did not measure importance."</p>
            <div class="heatmaps" data-testid="importance" inner_html=m></div>
        })}
        <div class="cells" data-testid="cells" inner_html=diagrams></div>
        {move || warning().map(|w| view! { <p class="warning-box" role="alert">{w}</p> })}
        <h3>"Parameter-free ops in the kept cells, per epoch"</h3>
        <div class="chart fixed small" inner_html=free_chart></div>
    }
}
