//! `dartboard train` as a user runs it: the genotype a search found (its `genotype.json` or
//! `result.json`) or a named one, retrained, with result.json on stdout.
mod common;

use common::{dartboard, json_line, sample, scratch};

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
