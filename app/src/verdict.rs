//! A study's verdict as the comparison shows it: the sentence that says which network to take,
//! then the derived network against each other network, the paired difference in the test
//! metric with its 95% bootstrap interval and a word.
use crate::types::StudyVerdict;
use leptos::prelude::*;

/// "+0.0113 [+0.0033, +0.0193]".
pub fn interval_text(difference: f64, low: f64, high: f64) -> String {
    format!("{difference:+.4} [{low:+.4}, {high:+.4}]")
}

pub fn verdict_view(v: &StudyVerdict, metric: &str, higher_is_better: bool) -> AnyView {
    let sign = if higher_is_better {
        "positive: the derived network scores higher"
    } else {
        "negative: the derived network's error is lower"
    };
    let study = match v.searches.as_slice() {
        [] => String::new(),
        [one] => format!("Verdict of search #{one}'s study. "),
        many => format!(
            "Verdict of the study of searches {}. ",
            many.iter()
                .map(|s| format!("#{s}"))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    };
    view! {
        <section class="verdict" data-testid="verdict">
            <p class="verdict-sentence" data-testid="verdict-sentence"><strong>{v.sentence.clone()}</strong></p>
            <p class="muted">{format!("{study}{} was taken by {}.", v.derived, v.picked_by)}</p>
            <table class="comparison" data-testid="verdict-table">
                <thead><tr>
                    <th>{format!("{} against", v.derived)}</th>
                    <th title=format!("test {metric}, mean over seeds; {sign}")>{format!("Difference in test {metric}, 95% interval")}</th>
                    <th>"Seeds"</th><th>"Verdict"</th>
                </tr></thead>
                <tbody>{v.against.iter().map(|a| view! {
                    <tr>
                        <td>{a.method.clone()}</td>
                        <td data-testid="verdict-interval">{interval_text(a.difference, a.low, a.high)}</td>
                        <td>{a.seeds}</td>
                        <td class=format!("verdict-{}", a.verdict)>{a.verdict.clone()}</td>
                    </tr>
                }).collect_view()}</tbody>
            </table>
        </section>
    }
    .into_any()
}
