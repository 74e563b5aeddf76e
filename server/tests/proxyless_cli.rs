//! ProxylessNAS from the command line (issue 17), as a user runs it: `dartboard latency` measures
//! and stores the device's table, `dartboard search --strategy proxyless` reuses it and prints
//! the layers it found, and `dartboard train` retrains them from the search's result.json.
mod common;

use common::{dartboard, json_line, sample, scratch};

#[test]
fn latency_search_and_train_from_the_command_line() {
    let data_dir = scratch("proxyless-cli-data");
    let d = data_dir.display().to_string();
    let table = json_line(&dartboard(&[
        "latency",
        "--data",
        &sample(),
        "--data-dir",
        &d,
        "--device",
        "cpu",
        "--init-channels",
        "8",
    ]));
    // The digits are 8x8: one stage halves them, 4 stages of 2 layers (the default).
    let layers = table["layers"].as_array().unwrap();
    assert_eq!(layers.len(), 8, "{table}");
    // The first searchable layer reads the stem's 8 channels at full size.
    assert_eq!(layers[0]["in"], serde_json::json!([8, 8, 8]));
    assert_eq!(layers[0]["stride"], 2);
    // A layer that halves has the six blocks; one that keeps its shape may also be skipped.
    assert_eq!(layers[0]["ms"].as_object().unwrap().len(), 6);
    let second = layers[1]["ms"].as_object().unwrap();
    assert_eq!(second.len(), 7);
    assert_eq!(second["zero"], 0.0);
    assert!(second["mb6_k7"].as_f64().unwrap() > 0.0);
    assert_eq!(table["measured"], 2 + 6 * 8);
    let stored = std::path::PathBuf::from(table["table"].as_str().unwrap());
    assert_eq!(stored.parent(), Some(data_dir.join("latency").as_path()));
    assert!(stored.is_file());
    // Measured once: a second call adds nothing.
    let again = json_line(&dartboard(&[
        "latency",
        "--data",
        &sample(),
        "--data-dir",
        &d,
        "--device",
        "cpu",
        "--init-channels",
        "8",
    ]));
    assert_eq!(again["measured"], 0);

    let out = scratch("proxyless-cli-search");
    let o = out.display().to_string();
    let found = json_line(&dartboard(&[
        "search",
        "--data",
        &sample(),
        "--data-dir",
        &d,
        "--preset",
        "tiny",
        "--strategy",
        "proxyless",
        "--init-channels",
        "8",
        "--latency-target-ms",
        "0.3",
        "--device",
        "cpu",
        "--out",
        &o,
    ]));
    assert_eq!(found["strategy"], "proxyless");
    assert_eq!(found["latency_target_ms"], 0.3);
    assert_eq!(
        found["architecture"]["choices"].as_array().unwrap().len(),
        8
    );
    assert!(found["predicted_latency_ms"].as_f64().unwrap() > 0.0);
    // The search measured nothing: the table had every block.
    let log = std::fs::read_to_string(out.join("events.jsonl")).unwrap();
    assert!(!log.contains("latency on cpu in"), "{log}");

    let trained = scratch("proxyless-cli-train");
    let t = trained.display().to_string();
    let r = json_line(&dartboard(&[
        "train",
        "--genotype",
        &out.join("result.json").display().to_string(),
        "--data",
        &sample(),
        "--preset",
        "tiny",
        "--device",
        "cpu",
        "--out",
        &t,
    ]));
    assert_eq!(r["architecture"], "proxyless");
    assert_eq!(r["layers"], found["architecture"]);
    assert!(r["speed"]["latency_ms"].as_f64().unwrap() > 0.0);
    assert!(trained.join("model.pt").is_file());

    // Bad values are named before anything runs.
    let bad = dartboard(&[
        "search",
        "--data",
        &sample(),
        "--strategy",
        "proxyless",
        "--latency-target-ms",
        "-1",
        "--per-stage",
        "40",
        "--out",
        &scratch("proxyless-cli-bad").display().to_string(),
    ]);
    assert!(!bad.status.success());
    let err = String::from_utf8_lossy(&bad.stderr);
    assert!(
        err.contains("latency_target_ms") && err.contains("per_stage"),
        "{err}"
    );
}
