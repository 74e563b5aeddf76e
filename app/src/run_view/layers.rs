//! A ProxylessNAS search's layers as they stand: each searchable layer's block probabilities as a
//! heatmap (the most likely block outlined), the blocks found so far with their predicted
//! latency, and the expected latency per epoch against the target.
use crate::charts::lines;
use crate::draw::heatmap::layers;
use crate::live::RunState;
use leptos::prelude::*;

#[component]
pub fn Layers(state: RwSignal<RunState>, target_ms: Option<f64>) -> impl IntoView {
    let latest = Memo::new(move |_| state.with(|s| s.layers.last().cloned()));
    let curve = Memo::new(move |_| {
        state.with(|s| {
            s.layers
                .iter()
                .map(|l| (l.epoch as f64, l.expected_ms, l.chosen_ms))
                .collect::<Vec<_>>()
        })
    });
    let map = move || {
        latest
            .get()
            .map(|l| layers(&format!("layers at epoch {}", l.epoch), &l))
            .unwrap_or_default()
    };
    let chart = move || {
        let points = curve.get();
        let mut series = vec![
            (
                "expected (by probability)".to_string(),
                points.iter().map(|(e, x, _)| (*e, *x)).collect::<Vec<_>>(),
            ),
            (
                "most likely network".to_string(),
                points.iter().map(|(e, _, c)| (*e, *c)).collect(),
            ),
        ];
        if let Some(t) = target_ms {
            series.push((
                "target".to_string(),
                points.iter().map(|(e, _, _)| (*e, t)).collect(),
            ));
        }
        lines("batch-1 latency, ms", &series)
    };
    view! {
        <h2>"Layers"</h2>
        {move || latest.with(|l| l.is_none()).then(|| view! { <p class="muted">"The layers' block probabilities appear after the first epoch."</p> })}
        <div class="heatmaps" data-testid="layer-map" inner_html=map></div>
        <p class="facts" data-testid="found-layers">{move || latest.get().map(|l| format!(
            "Most likely blocks: {}; predicted {:.3} ms per image on the search's device{}.",
            l.chosen.join(", "),
            l.chosen_ms,
            target_ms.map(|t| format!(" (target {t} ms)")).unwrap_or_default()
        ))}</p>
        <h3>"Latency per epoch"</h3>
        <div class="chart fixed" data-testid="latency-curve" inner_html=chart></div>
    }
}
