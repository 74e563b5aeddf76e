//! ENAS's controller per epoch: the mean reward of the cells it sampled in its REINFORCE steps
//! with its moving-average baseline, and the entropy of its decisions (falling as it settles on
//! cells).
use crate::charts::lines;
use crate::live::RunState;
use leptos::prelude::*;

#[component]
pub fn Controller(state: RwSignal<RunState>) -> impl IntoView {
    let points = Memo::new(move |_| state.with(|s| s.controller.clone()));
    let reward = move || {
        let p = points.get();
        lines(
            "reward",
            &[
                (
                    "mean reward".to_string(),
                    p.iter().map(|c| (c.epoch as f64, c.reward)).collect(),
                ),
                (
                    "baseline".to_string(),
                    p.iter().map(|c| (c.epoch as f64, c.baseline)).collect(),
                ),
            ],
        )
    };
    let entropy = move || {
        let p = points.get();
        lines(
            "entropy, nats per cell",
            &[(
                "entropy".to_string(),
                p.iter().map(|c| (c.epoch as f64, c.entropy)).collect(),
            )],
        )
    };
    view! {
        {move || (!points.with(Vec::is_empty)).then(|| view! {
            <h2>"Controller"</h2>
            <p class="muted">"ENAS: the cells the controller sampled after each epoch, scored on validation batches through the shared weights (accuracy; the negative loss for regression); the baseline is their moving average. The entropy of its decisions falls as it settles."</p>
            <div class="charts">
                <div class="chart fixed" data-testid="controller-reward" inner_html=reward></div>
                <div class="chart fixed" data-testid="controller-entropy" inner_html=entropy></div>
            </div>
        })}
    }
}
