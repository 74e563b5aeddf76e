//! The dataset page's symmetry: which mirror images and quarter turns training may make of the
//! dataset's images, shown and changed in place (runs started afterwards use the new word).
use crate::calls::set_symmetry;
use leptos::prelude::*;

/// (value, what it allows).
const CHOICES: [(&str, &str); 4] = [
    ("none", "none: no flips or turns (digits, letters, X-rays)"),
    ("flip", "flip: horizontal mirror images"),
    ("rot90", "rot90: quarter turns (square images)"),
    ("dihedral", "dihedral: quarter turns and mirror images"),
];

#[component]
pub fn Symmetry(id: String, current: String) -> impl IntoView {
    let chosen = RwSignal::new(current.clone());
    let saved = RwSignal::new(current);
    let note = RwSignal::new(String::new());
    let save = Action::new(move |value: &String| {
        let (id, value) = (id.clone(), value.clone());
        async move {
            match set_symmetry(id, value.clone()).await {
                Ok(Ok(())) => {
                    note.set(format!("Saved: training may now use {value}."));
                    saved.set(value);
                }
                Ok(Err(reason)) => note.set(reason),
                Err(e) => note.set(e.to_string()),
            }
        }
    });
    view! {
        <h2>"Symmetry"</h2>
        <p class="muted">"Training augments with flips and quarter turns only where the data allows them: a mirrored digit is another image, a micrograph has no preferred side."</p>
        <p class="symmetry-control">
            <label>"Training may use "
                <select data-testid="symmetry" prop:value=move || chosen.get()
                    on:change=move |ev| chosen.set(event_target_value(&ev))>
                    {CHOICES.iter().map(|(v, text)| view! {
                        <option value=*v selected=move || saved.get() == *v>{*text}</option>
                    }).collect_view()}
                </select>
            </label>
            " "
            <button data-testid="save-symmetry"
                disabled=move || chosen.get() == saved.get() || save.pending().get()
                on:click=move |_| { save.dispatch(chosen.get()); }>"Save"</button>
        </p>
        <p class="muted" role="status" data-testid="symmetry-note">{move || note.get()}</p>
    }
}
