//! `dartboard data inspect|import` and searching a stored dataset by id, as a user runs them.
mod common;

use common::{dartboard, json_line, sample, scratch};

#[test]
fn inspect_prints_the_summary() {
    let s = json_line(&dartboard(&["data", "inspect", &sample(), "--json"]));
    assert_eq!(
        (
            s["task"].as_str(),
            s["n"].as_u64(),
            s["channels"].as_u64(),
            s["height"].as_u64()
        ),
        (Some("classification"), Some(1797), Some(1), Some(8))
    );
    assert_eq!(s["classes"].as_array().unwrap().len(), 10);
    assert_eq!(s["splits"]["test"], 269);
    assert_eq!(s["sha256"].as_str().unwrap().len(), 64);
    for key in ["channel_mean", "channel_sd", "duplicates", "warnings"] {
        assert!(!s[key].is_null(), "{key}");
    }
}

#[test]
fn inspect_refuses_bad_options_and_files_clearly() {
    let r = dartboard(&["data", "inspect", &sample(), "--resize", "0"]);
    assert!(!r.status.success());
    assert!(String::from_utf8_lossy(&r.stderr).contains("--resize"));
    let r = dartboard(&["data", "inspect", "/nonexistent/images.npz"]);
    assert!(String::from_utf8_lossy(&r.stderr).contains("/nonexistent/images.npz"));
}

#[test]
fn import_is_idempotent_and_search_runs_on_the_stored_id() {
    let dir = scratch("data-cli-store");
    let data_dir = dir.join("data");
    let dd = data_dir.to_str().unwrap();
    let first = json_line(&dartboard(&[
        "data",
        "import",
        &sample(),
        "--data-dir",
        dd,
        "--name",
        "digits",
    ]));
    let id = first["id"].as_str().unwrap().to_string();
    assert_eq!(
        (first["stored"].as_bool(), first["name"].as_str()),
        (Some(true), Some("digits"))
    );
    assert_eq!(&first["sha256"].as_str().unwrap()[..16], id);
    let second = json_line(&dartboard(&["data", "import", &sample(), "--data-dir", dd]));
    assert_eq!(
        (second["id"].as_str(), second["stored"].as_bool()),
        (Some(id.as_str()), Some(false))
    );

    let out = dir.join("run");
    let r = dartboard(&[
        "search",
        "--data",
        &id,
        "--data-dir",
        dd,
        "--preset",
        "tiny",
        "--device",
        "cpu",
        "--out",
        out.to_str().unwrap(),
    ]);
    let result = json_line(&r);
    assert_eq!(result["metric"], "accuracy");
    assert!(String::from_utf8_lossy(&r.stderr).contains("digits: 1797 samples"));
}

#[test]
fn failed_import_stores_nothing() {
    let dir = scratch("data-cli-bad-import");
    let data_dir = dir.join("data");
    std::fs::create_dir_all(dir.join("pets/cat")).unwrap();
    std::fs::create_dir_all(dir.join("pets/dog")).unwrap();
    std::fs::write(dir.join("pets/cat/0.png"), b"\x89PNG\r\n\x1a\n truncated").unwrap();
    std::fs::write(dir.join("pets/dog/0.png"), b"\x89PNG\r\n\x1a\n truncated").unwrap();
    let r = dartboard(&[
        "data",
        "import",
        dir.join("pets").to_str().unwrap(),
        "--data-dir",
        data_dir.to_str().unwrap(),
    ]);
    assert!(!r.status.success());
    let err = String::from_utf8_lossy(&r.stderr);
    assert!(
        err.contains("cat/0.png") && err.contains("cannot decode"),
        "{err}"
    );
    let stored = std::fs::read_dir(data_dir.join("datasets"))
        .map(|d| d.count())
        .unwrap_or(0);
    assert_eq!(stored, 0, "nothing may be stored");
}
