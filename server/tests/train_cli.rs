//! `dartboard train` as a user runs it: the genotype a search found (its `genotype.json` or
//! `result.json`) or a named one, retrained, with result.json on stdout.
mod common;

use common::{dartboard, json_line, ramp_csv, sample, scratch};

#[test]
fn train_retrains_a_searched_genotype_and_prints_its_test_result() {
    let search = scratch("train-cli-search");
    let s = search.display().to_string();
    json_line(&dartboard(&[
        "search",
        "--data",
        &sample(),
        "--preset",
        "tiny",
        "--device",
        "cpu",
        "--out",
        &s,
    ]));
    for (name, file) in [
        ("from-genotype", "genotype.json"),
        ("from-result", "result.json"),
    ] {
        let out = scratch(&format!("train-cli-{name}"));
        let o = out.display().to_string();
        let g = search.join(file).display().to_string();
        let r = json_line(&dartboard(&[
            "train",
            "--genotype",
            &g,
            "--data",
            &sample(),
            "--preset",
            "tiny",
            "--device",
            "cpu",
            "--epochs",
            "2",
            "--out",
            &o,
        ]));
        // The fields the issue names, with the test split of the sklearn digits.
        assert_eq!(r["metric"], "accuracy");
        assert_eq!(r["higher_is_better"], true);
        let t = r["test_metric"].as_f64().unwrap();
        assert!((0.0..=1.0).contains(&t), "{r}");
        assert!(r["params"].as_i64().unwrap() > 0);
        assert!(r["seconds"].as_f64().unwrap() > 0.0);
        assert_eq!(r["epochs"], 2);
        let searched: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(search.join("genotype.json")).unwrap())
                .unwrap();
        assert_eq!(
            r["genotype"], searched,
            "the searched cell is the one trained"
        );
        assert!(out.join("weights.safetensors").is_file());
        // The exported model predicts every image of the data: index, class, ten probabilities.
        let csv = out.join("predictions.csv");
        let p = json_line(&dartboard(&[
            "predict",
            "--model",
            &out.join("model.pt").display().to_string(),
            "--data",
            &sample(),
            "--out",
            &csv.display().to_string(),
        ]));
        assert_eq!(p["predictions"], 1797);
        let text = std::fs::read_to_string(&csv).unwrap();
        let mut lines = text.lines();
        assert_eq!(
            lines.next().unwrap(),
            "index,class,p_0,p_1,p_2,p_3,p_4,p_5,p_6,p_7,p_8,p_9"
        );
        for (i, line) in lines.enumerate() {
            let cells: Vec<f64> = line.split(',').map(|c| c.parse().unwrap()).collect();
            assert_eq!(cells[0] as usize, i);
            let probs = &cells[2..];
            assert!((probs.iter().sum::<f64>() - 1.0).abs() < 1e-6, "{line}");
            let best = probs
                .iter()
                .enumerate()
                .max_by(|a, b| a.1.total_cmp(b.1))
                .unwrap()
                .0;
            assert_eq!(cells[1] as usize, best, "{line}");
        }
    }
}

#[test]
fn train_refuses_bad_keys_and_unknown_genotypes_clearly() {
    let out = scratch("train-cli-bad");
    let o = out.display().to_string();
    let r = dartboard(&[
        "train",
        "--genotype",
        "darts-v9",
        "--data",
        &sample(),
        "--out",
        &o,
    ]);
    assert_eq!(r.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&r.stderr).contains("darts-v9"));
    let r = dartboard(&[
        "train",
        "--genotype",
        "darts-v2",
        "--data",
        &sample(),
        "--cutout",
        "2",
        "--bogus",
        "1",
        "--out",
        &o,
    ]);
    let err = String::from_utf8_lossy(&r.stderr);
    assert!(err.contains("cutout") && err.contains("bogus"), "{err}");
    assert!(!out.exists(), "nothing written");
}

/// A cell found on the digits (classification) trained on a regression dataset: the search's
/// `data.json` says what it was searched on; the training says it is a transfer, what it
/// rebuilt (the head), and writes `transfer.json`; trained on the search's own data it is none.
#[test]
fn a_cell_trained_on_other_data_is_a_transfer() {
    let search = scratch("train-cli-transfer-search");
    let s = search.display().to_string();
    json_line(&dartboard(&[
        "search",
        "--data",
        &sample(),
        "--preset",
        "tiny",
        "--device",
        "cpu",
        "--out",
        &s,
    ]));
    let about: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(search.join("data.json")).unwrap()).unwrap();
    // The sklearn digits: 8x8 grey images of 10 classes.
    assert_eq!(
        about,
        serde_json::json!({"name": about["name"], "task": "classification", "channels": 1,
            "height": 8, "width": 8, "outputs": 10})
    );
    let csv = ramp_csv(&scratch("train-cli-transfer-data"));
    let out = scratch("train-cli-transfer");
    let g = search.join("genotype.json").display().to_string();
    let run = dartboard(&[
        "train",
        "--genotype",
        &g,
        "--data",
        &csv.display().to_string(),
        "--task",
        "regression",
        "--preset",
        "tiny",
        "--device",
        "cpu",
        "--out",
        &out.display().to_string(),
    ]);
    let r = json_line(&run);
    let said = "Rebuilt: the head for regression (the search did classification).";
    assert_eq!(r["transfer"]["rebuilt"], said, "{r}");
    assert_eq!(r["transfer"]["to"]["task"], "regression");
    assert_eq!(r["metric"], "rmse");
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(
        stderr.contains("transferred: the cell searched on") && stderr.contains(said),
        "{stderr}"
    );
    let record: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("transfer.json")).unwrap()).unwrap();
    assert_eq!(record, r["transfer"]);
    // The same cell on its own data: no transfer.
    let home = scratch("train-cli-transfer-home");
    let r = json_line(&dartboard(&[
        "train",
        "--genotype",
        &g,
        "--data",
        &sample(),
        "--preset",
        "tiny",
        "--device",
        "cpu",
        "--out",
        &home.display().to_string(),
    ]));
    assert!(r.get("transfer").is_none(), "{r}");
    assert!(!home.join("transfer.json").exists());
}
