//! `/upload`: drop a file (or pick one), see the format options it needs, watch the upload's
//! progress, then the import summary or the import's error in place.
use leptos::html;
use leptos::prelude::*;
use serde_json::Value;

/// What a file's name says about the options it needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Needs {
    /// Array names (`.npz`, HDF5).
    pub arrays: bool,
    /// A second file with the targets (`.npy`, text arrays, IDX).
    pub targets_file: bool,
    /// A target column (CSV/TSV).
    pub column: bool,
    /// The image shape of flat arrays.
    pub shape: bool,
}

pub fn needs(file_name: &str) -> Needs {
    let n = file_name.to_ascii_lowercase();
    let n = n.strip_suffix(".gz").unwrap_or(&n);
    // MNIST's files have no extension: `train-images-idx3-ubyte`.
    if n.ends_with("idx3-ubyte") {
        return Needs {
            targets_file: true,
            ..Needs::default()
        };
    }
    let ext = n.rsplit('.').next().unwrap_or("");
    match ext {
        "npz" | "h5" | "hdf5" => Needs {
            arrays: true,
            shape: true,
            ..Needs::default()
        },
        "npy" | "txt" | "dat" => Needs {
            targets_file: true,
            shape: true,
            ..Needs::default()
        },
        "idx" | "ubyte" | "idx3-ubyte" => Needs {
            targets_file: true,
            ..Needs::default()
        },
        "csv" | "tsv" => Needs {
            column: true,
            shape: true,
            ..Needs::default()
        },
        _ => Needs::default(),
    }
}

/// The summary of an import, as lines.
fn summary(v: &Value) -> Vec<String> {
    let mut out = vec![format!(
        "{}: {} {} samples of {}x{}x{}",
        v["name"].as_str().unwrap_or(""),
        v["n"],
        v["task"].as_str().unwrap_or(""),
        v["channels"],
        v["height"],
        v["width"]
    )];
    if let Some(classes) = v["classes"].as_array() {
        let list: Vec<String> = classes
            .iter()
            .map(|c| format!("{} {}", c["name"].as_str().unwrap_or(""), c["count"]))
            .collect();
        out.push(format!("classes: {}", list.join(", ")));
    }
    for w in v["warnings"].as_array().into_iter().flatten() {
        out.push(format!("warning: {}", w.as_str().unwrap_or("")));
    }
    out
}

#[derive(Clone)]
enum Outcome {
    Imported(Value),
    Failed(String),
}

#[component]
pub fn UploadPage() -> impl IntoView {
    let form_ref = NodeRef::<html::Form>::new();
    let file_ref = NodeRef::<html::Input>::new();
    let file_name = RwSignal::new(String::new());
    let progress = RwSignal::new(None::<f64>);
    let outcome = RwSignal::new(None::<Outcome>);
    let dragging = RwSignal::new(false);
    let shown = Memo::new(move |_| needs(&file_name.get()));
    let on_drop = move |ev: leptos::ev::DragEvent| {
        ev.prevent_default();
        dragging.set(false);
        let files = ev.data_transfer().and_then(|d| d.files());
        if let (Some(files), Some(input)) = (files, file_ref.get()) {
            if let Some(f) = files.get(0) {
                file_name.set(f.name());
            }
            input.set_files(Some(&files));
        }
    };
    let on_pick = move |_| {
        let name = file_ref
            .get()
            .and_then(|i| i.files())
            .and_then(|f| f.get(0))
            .map(|f| f.name())
            .unwrap_or_default();
        file_name.set(name);
    };
    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        outcome.set(None);
        let Some(form) = form_ref.get() else { return };
        if file_name.get_untracked().is_empty() {
            outcome.set(Some(Outcome::Failed("Choose or drop a file first.".into())));
            return;
        }
        let Ok(data) = leptos::web_sys::FormData::new_with_form(&form) else {
            return;
        };
        progress.set(Some(0.0));
        let sent = crate::browser::upload(
            "/api/datasets",
            &data,
            move |p| progress.set(Some(p)),
            move |answer| {
                progress.set(None);
                let body: Value = serde_json::from_str(&answer.body).unwrap_or(Value::Null);
                outcome.set(Some(match answer.status {
                    200 | 201 => Outcome::Imported(body),
                    0 => Outcome::Failed("The upload did not reach the server.".into()),
                    s => Outcome::Failed(
                        body["error"]
                            .as_str()
                            .map(str::to_string)
                            .unwrap_or_else(|| format!("The server answered {s}.")),
                    ),
                }));
            },
        );
        if let Err(e) = sent {
            progress.set(None);
            outcome.set(Some(Outcome::Failed(e)));
        }
    };
    view! {
        <section class="page">
            <h1>"Upload data"</h1>
            <form class="upload" node_ref=form_ref on:submit=on_submit
                method="post" action="/api/datasets" enctype="multipart/form-data">
                <label class="drop" class:dragging=move || dragging.get()
                    on:dragover=move |ev: leptos::ev::DragEvent| { ev.prevent_default(); dragging.set(true); }
                    on:dragleave=move |_| dragging.set(false)
                    on:drop=on_drop>
                    <span>{move || match file_name.get() {
                        n if n.is_empty() => "Drop a file here, or click to choose one: a folder of images (.zip, .tar.gz), CSV, .npy/.npz, HDF5, IDX or TIFF.".to_string(),
                        n => format!("Chosen: {n}"),
                    }}</span>
                    <input type="file" name="file" id="file" node_ref=file_ref on:change=on_pick/>
                </label>
                <div class="field"><label for="name">"Name (default: the file's name)"</label><input id="name" name="name" type="text"/></div>
                <div class="field" class:hidden=move || !shown.get().arrays>
                    <label for="x">"Images array name"</label><input id="x" name="x" type="text" placeholder="x_train"/>
                    <label for="y">"Targets array name"</label><input id="y" name="y" type="text" placeholder="y_train"/>
                </div>
                <div class="field" class:hidden=move || !shown.get().targets_file>
                    <label for="y_file">"Targets file (one target row per image)"</label>
                    <input id="y_file" name="y_file" type="file"/>
                </div>
                <div class="field" class:hidden=move || !shown.get().column>
                    <label for="target">"Target column(s) (default: the first)"</label><input id="target" name="target" type="text"/>
                </div>
                <div class="field" class:hidden=move || !shown.get().shape>
                    <label for="shape">"Image shape C,H,W (when it cannot be told)"</label><input id="shape" name="shape" type="text" placeholder="1,28,28"/>
                </div>
                <details class="more">
                    <summary>"Task, resize, crop and symmetry"</summary>
                    <div class="field"><label for="task">"Task"</label>
                        <select id="task" name="task">
                            <option value="">"as the targets say"</option>
                            <option value="classification">"classification"</option>
                            <option value="regression">"regression"</option>
                        </select></div>
                    <div class="field"><label for="resize">"Resize to HxW"</label><input id="resize" name="resize" type="text" placeholder="32x32"/></div>
                    <div class="field"><label for="crop">"Centre crop to HxW"</label><input id="crop" name="crop" type="text"/></div>
                    <div class="field"><label for="symmetry">"Flips and turns training may make"</label>
                        <select id="symmetry" name="symmetry">
                            <option value="none">"none (digits, letters, X-rays)"</option>
                            <option value="flip">"horizontal mirror images"</option>
                            <option value="rot90">"quarter turns"</option>
                            <option value="dihedral">"quarter turns and mirror images"</option>
                        </select></div>
                </details>
                <div class="actions">
                    <button type="submit" class="button" disabled=move || progress.get().is_some()>"Upload"</button>
                </div>
                <div class="bar" class:hidden=move || progress.get().is_none() role="progressbar"
                    aria-valuenow=move || format!("{:.0}", progress.get().unwrap_or(0.0) * 100.0)>
                    <div class="fill" style=move || format!("width: {:.1}%", progress.get().unwrap_or(0.0) * 100.0)></div>
                </div>
                <p class="muted" class:hidden=move || progress.get().is_none()>{move || match progress.get() {
                    Some(p) if p >= 1.0 => "Uploaded; importing...".to_string(),
                    Some(p) => format!("Uploading: {:.0}%", p * 100.0),
                    None => String::new(),
                }}</p>
            </form>
            <div class="outcome" data-testid="outcome">{move || outcome.get().map(|o| match o {
                Outcome::Imported(v) => view! {
                    <div class="ok-box">
                        <p><strong>"Imported."</strong></p>
                        <ul>{summary(&v).into_iter().map(|l| view! { <li>{l}</li> }).collect_view()}</ul>
                        <p><a class="button" href=format!("/datasets/{}", v["id"].as_str().unwrap_or(""))>"Open the dataset"</a></p>
                    </div>
                }.into_any(),
                Outcome::Failed(m) => view! { <p class="error-box" role="alert">{m}</p> }.into_any(),
            })}</div>
        </section>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_format_asks_for_its_own_options() {
        assert!(needs("cutouts.npz").arrays && needs("survey.h5").arrays);
        assert!(needs("images.txt.gz").targets_file && !needs("images.txt.gz").arrays);
        assert!(needs("digits.csv.gz").column);
        assert_eq!(needs("photos.zip"), Needs::default());
        assert!(needs("train-images-idx3-ubyte").targets_file);
        assert!(needs("t10k-images-idx3-ubyte.gz").targets_file);
        assert!(needs("cutouts.npy").targets_file);
    }
}
