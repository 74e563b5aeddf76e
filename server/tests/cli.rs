//! The `dartboard` binary as a user runs it: JSON on stdout, errors on stderr, exit codes.
mod common;

use common::{dartboard, json_line, sample, scratch};

// ../shared/DARTS.md "Reference sizes": the authors' supernet and DARTS_V2 evaluation network.
#[test]
fn params_prints_the_authors_counts() {
    let search = dartboard(&[
        "params",
        "--model",
        "search",
        "--channels",
        "3",
        "--classes",
        "10",
        "--init-channels",
        "16",
        "--layers",
        "8",
    ]);
    assert_eq!(
        json_line(&search),
        serde_json::json!({"weights": 1_930_618, "alphas": 224})
    );
    let base = [
        "params",
        "--model",
        "eval",
        "--genotype",
        "darts-v2",
        "--channels",
        "3",
        "--classes",
        "10",
        "--init-channels",
        "36",
        "--layers",
        "20",
    ];
    assert_eq!(json_line(&dartboard(&base))["weights"], 3_349_342);
    let mut aux = base.to_vec();
    aux.push("--auxiliary");
    assert_eq!(
        json_line(&dartboard(&aux)),
        serde_json::json!({"weights": 3_825_768, "alphas": 0})
    );
}

#[test]
fn bad_config_names_every_bad_key_and_stores_nothing() {
    let out = scratch("cli-bad-config");
    let o = out.display().to_string();
    let r = dartboard(&[
        "search",
        "--data",
        &sample(),
        "--epochs",
        "zero",
        "--order",
        "third",
        "--colour",
        "red",
        "--out",
        &o,
    ]);
    assert!(!r.status.success());
    let err = String::from_utf8_lossy(&r.stderr);
    for key in ["epochs", "order", "colour"] {
        assert!(err.contains(key), "{key} not named in: {err}");
    }
    assert!(!out.exists(), "nothing may be stored for a refused search");
}

#[test]
fn missing_data_and_non_empty_out_are_refused_clearly() {
    let out = scratch("cli-missing");
    let o = out.display().to_string();
    let r = dartboard(&[
        "search",
        "--data",
        "/nonexistent/data.npz",
        "--preset",
        "tiny",
        "--out",
        &o,
    ]);
    assert!(!r.status.success());
    assert!(String::from_utf8_lossy(&r.stderr).contains("/nonexistent/data.npz"));
    std::fs::create_dir_all(&out).unwrap();
    std::fs::write(out.join("keep.txt"), "mine").unwrap();
    let r = dartboard(&[
        "search",
        "--data",
        &sample(),
        "--preset",
        "tiny",
        "--out",
        &o,
    ]);
    assert!(String::from_utf8_lossy(&r.stderr).contains("not empty"));
    assert_eq!(
        std::fs::read_to_string(out.join("keep.txt")).unwrap(),
        "mine"
    );
}

#[test]
fn config_file_and_flags_override_the_preset() {
    let dir = scratch("cli-config");
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("cfg.json");
    std::fs::write(&file, r#"{"preset": "tiny", "epochs": 3, "seed": 5}"#).unwrap();
    let out = dir.join("run");
    let r = dartboard(&[
        "search",
        "--data",
        &sample(),
        "--config",
        file.to_str().unwrap(),
        "--epochs",
        "1",
        "--max-steps-per-epoch",
        "2",
        "--device",
        "cpu",
        "--out",
        out.to_str().unwrap(),
    ]);
    let result = json_line(&r);
    assert_eq!(result["epochs"], 1);
    let cfg: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("config.json")).unwrap()).unwrap();
    assert_eq!(
        (
            cfg["preset"].as_str(),
            cfg["seed"].as_u64(),
            cfg["max_steps_per_epoch"].as_u64()
        ),
        (Some("tiny"), Some(5), Some(2))
    );
}

/// The issue's bar: `--preset quick` on the sklearn digits reaches 0.90 validation accuracy.
#[test]
fn quick_preset_on_digits_reaches_90_percent() {
    let out = scratch("cli-quick");
    let r = dartboard(&[
        "search",
        "--data",
        &sample(),
        "--preset",
        "quick",
        "--device",
        "cpu",
        "--out",
        out.to_str().unwrap(),
    ]);
    let result = json_line(&r);
    let acc = result["best_val_metric"].as_f64().unwrap();
    assert!(acc >= 0.90, "validation accuracy {acc}");
    assert_eq!(result["genotype"]["normal"].as_array().unwrap().len(), 8);
}

#[test]
fn resume_continues_a_run_folder() {
    let out = scratch("cli-resume");
    let o = out.display().to_string();
    let r = dartboard(&[
        "search",
        "--data",
        &sample(),
        "--preset",
        "tiny",
        "--device",
        "cpu",
        "--out",
        &o,
    ]);
    json_line(&r);
    // A finished run resumes to the same result files without training again.
    let again = json_line(&dartboard(&["search", "--resume", &o]));
    assert_eq!(again["epochs"], 1);
    assert!(
        dartboard(&["search", "--resume", "/nonexistent/run"])
            .status
            .code()
            != Some(0)
    );
}

#[test]
fn bench_prints_step_times() {
    let r = dartboard(&[
        "bench",
        "--batch",
        "4",
        "--size",
        "8",
        "--channels",
        "1",
        "--init-channels",
        "4",
        "--layers",
        "3",
        "--steps",
        "1",
        "--device",
        "cpu",
    ]);
    let v = json_line(&r);
    for key in [
        "w_step_s",
        "alpha_first_s",
        "alpha_second_s",
        "peak_rss_bytes",
    ] {
        assert!(v[key].as_f64().unwrap() > 0.0, "{key}");
    }
}
