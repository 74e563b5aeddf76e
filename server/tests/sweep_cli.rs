//! `dartboard sweep` as a user runs it: two points of a tiny search, one run each, in order;
//! sweep.json on stdout (each point's metric is its run's), the CSV, the map and the collapse
//! map as SVG in --out; a bad --vary is named before anything runs.
mod common;

use common::{dartboard, json_line, sample, scratch};

#[test]
fn a_sweep_runs_every_point_and_writes_its_map() {
    let out = scratch("sweep-cli");
    let o = out.display().to_string();
    let d = json_line(&dartboard(&[
        "sweep",
        "--data",
        &sample(),
        "--preset",
        "tiny",
        "--device",
        "cpu",
        "--vary",
        "alpha_lr=0.001,0.01",
        "--out",
        &o,
    ]));
    let cells = d["cells"].as_array().unwrap();
    assert_eq!(cells.len(), 2);
    for (i, c) in cells.iter().enumerate() {
        // The point's run folder holds the search whose best validation metric it shows.
        let runs: Vec<_> = std::fs::read_dir(&out)
            .unwrap()
            .filter_map(|e| e.ok())
            .filter(|e| {
                e.file_name()
                    .to_string_lossy()
                    .starts_with(&format!("p{i:02}-"))
            })
            .collect();
        assert_eq!(runs.len(), 1);
        let result: serde_json::Value = serde_json::from_str(
            &std::fs::read_to_string(runs[0].path().join("result.json")).unwrap(),
        )
        .unwrap();
        assert_eq!(c["mean"], result["best_val_metric"], "{c}");
        let config: serde_json::Value = serde_json::from_str(
            &std::fs::read_to_string(runs[0].path().join("config.json")).unwrap(),
        )
        .unwrap();
        assert_eq!(config["alpha_lr"], [0.001, 0.01][i]);
    }
    assert_eq!(d["axes"][0]["key"], "alpha_lr");
    let csv = std::fs::read_to_string(out.join("sweep.csv")).unwrap();
    assert_eq!(csv.lines().count(), 3, "{csv}");
    for svg in ["map.svg", "collapse.svg"] {
        let text = std::fs::read_to_string(out.join(svg)).unwrap();
        assert!(
            text.starts_with("<svg") && text.contains(">alpha_lr<"),
            "{svg}"
        );
    }

    let bad = dartboard(&[
        "sweep",
        "--data",
        &sample(),
        "--vary",
        "alpha_lr",
        "--out",
        &scratch("sweep-cli-bad").display().to_string(),
    ]);
    assert_eq!(bad.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("--vary alpha_lr: expected KEY=v1,v2"));
    let bad_out = scratch("sweep-cli-bad2");
    let bad = dartboard(&[
        "sweep",
        "--data",
        &sample(),
        "--preset",
        "tiny",
        "--vary",
        "alpha_lr=0.01,-1",
        "--out",
        &bad_out.display().to_string(),
    ]);
    assert_eq!(bad.status.code(), Some(1));
    let err = String::from_utf8_lossy(&bad.stderr);
    assert!(
        err.contains("at alpha_lr=-1") && err.contains("alpha_lr:"),
        "{err}"
    );
    // Every point is checked before any runs: no run's folder.
    assert!(!bad_out.exists(), "nothing ran");
}
