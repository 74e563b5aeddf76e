//! Importing: targets and tasks inferred or chosen, preprocessing, the summary a user reads, the
//! store (idempotent, by content hash) and loading a stored dataset back. Expected numbers come
//! from the datasets' SOURCE.md files in ../shared/datasets.
mod common;

use engine::data::store;
use engine::data::summary::summarize;
use engine::data::{load, load_with, ImportOptions, Task};
use tch::Kind;

fn mechanical(target: Option<&str>) -> (engine::data::Dataset, ImportOptions) {
    let dir = common::datasets().join("mechanical-mnist-test");
    let opts = ImportOptions {
        y_file: Some(dir.join("summary_psi_test_all.txt")),
        target: target.map(str::to_string),
        ..Default::default()
    };
    (
        load_with(&dir.join("mnist_img_test.txt.zip"), &opts).unwrap(),
        opts,
    )
}

#[test]
fn mechanical_mnist_text_matrix_is_a_regression_on_the_last_column() {
    let (d, opts) = mechanical(None);
    assert_eq!(
        (d.task, d.len(), d.image_shape()),
        (Task::Regression, 10_000, (1, 28, 28))
    );
    let s = summarize(&d, &opts);
    // SOURCE.md: psi[:, 12] ranges 110.46-219.41 with mean 161.1; pixels are 8-bit grey levels.
    let t = &s.targets.as_ref().unwrap()[0];
    assert_eq!(t.name, "12");
    assert!(
        (t.min - 110.46).abs() < 0.01
            && (t.max - 219.41).abs() < 0.01
            && (t.mean - 161.1).abs() < 0.05,
        "{t:?}"
    );
    // The histogram the dataset page draws: 20 bins over [min, max] holding every sample.
    assert_eq!(t.histogram.len(), 20);
    assert_eq!(t.histogram.iter().sum::<usize>(), 10_000);
    assert!(
        t.histogram[0] > 0 && t.histogram[19] > 0,
        "{:?}",
        t.histogram
    );
    assert_eq!(s.bit_depth, 8);
    assert_eq!(s.splits.get("test"), Some(&1500));
}

#[test]
fn target_all_keeps_every_varying_column() {
    let (d, _) = mechanical(Some("all"));
    assert_eq!(d.task, Task::Regression);
    // The first two strain-energy steps are 0 for every sample (checked with numpy): dropped.
    let dropped: Vec<&String> = d
        .warnings
        .iter()
        .filter(|w| w.contains("constant"))
        .collect();
    assert_eq!(dropped.len(), 2, "{dropped:?}");
    assert!(dropped[0].contains("'0'") && dropped[1].contains("'1'"));
    assert_eq!(d.outputs(), 11);
    assert_eq!(d.names.first().map(String::as_str), Some("2"));
}

#[test]
fn same_data_in_another_format_has_the_same_hash_and_id() {
    // The headerless sklearn digits CSV, and the same rows written with a header.
    let plain = load(&common::sample()).unwrap();
    let dir = common::scratch("digits-header");
    std::fs::create_dir_all(&dir).unwrap();
    let images = Vec::<f32>::try_from(plain.images.flatten(0, -1)).unwrap();
    let labels = Vec::<i64>::try_from(&plain.targets).unwrap();
    let header: Vec<String> = (0..64)
        .map(|i| format!("p{i}"))
        .chain(["label".to_string()])
        .collect();
    let mut csv = header.join(",") + "\n";
    for (row, label) in images.chunks(64).zip(&labels) {
        csv += &row
            .iter()
            .map(|v| v.to_string())
            .chain([label.to_string()])
            .collect::<Vec<_>>()
            .join(",");
        csv += "\n";
    }
    let path = dir.join("digits_with_header.csv");
    std::fs::write(&path, csv).unwrap();
    let other = load(&path).unwrap();
    let opts = ImportOptions::default();
    assert_eq!(
        summarize(&plain, &opts).sha256,
        summarize(&other, &opts).sha256
    );
    // Preprocessing is part of the identity.
    let resized = load_with(
        &common::sample(),
        &ImportOptions {
            resize: Some((16, 16)),
            ..Default::default()
        },
    )
    .unwrap();
    assert_eq!(resized.image_shape(), (1, 16, 16));
    assert_ne!(
        summarize(&resized, &opts).sha256,
        summarize(&plain, &opts).sha256
    );
}

#[test]
fn import_stores_once_and_loads_back() {
    let data_dir = common::scratch("store");
    let d = load(&common::sample()).unwrap();
    let opts = ImportOptions::default();
    let (summary, new) = store::import(&data_dir, &d, &opts).unwrap();
    assert!(new);
    let id = store::id_of(&summary);
    assert!(store::is_id(&id));
    let (again, new_again) = store::import(&data_dir, &d, &opts).unwrap();
    assert!(!new_again);
    assert_eq!(again, summary);
    let (back, stored_summary) = store::load(&data_dir, &id).unwrap();
    assert_eq!(stored_summary, summary);
    assert_eq!(
        back.images.kind(),
        Kind::Uint8,
        "8-bit data is stored as uint8"
    );
    assert_eq!(
        (back.len(), back.image_shape(), back.names.clone()),
        (d.len(), d.image_shape(), d.names.clone())
    );
    assert_eq!(back.splits, d.splits);
    assert!(back.images.to_kind(Kind::Float).equal(&d.images));
    assert!(back.targets.equal(&d.targets));
    // No temporary folder is left behind.
    let entries: Vec<_> = std::fs::read_dir(data_dir.join("datasets"))
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(entries, vec![std::ffi::OsString::from(&id)]);
}

#[test]
fn summary_warns_about_imbalance_duplicates_and_tiny_data() {
    let dir = common::scratch("tiny-csv");
    std::fs::create_dir_all(&dir).unwrap();
    // Pixel rows (i%5, i%3, i%2, 1) repeat every 30 rows: 200 - 30 = 170 duplicates.
    let text = (0..200)
        .map(|i| format!("{},{},{},1,{}", i % 5, i % 3, i % 2, u8::from(i % 10 == 0)))
        .collect::<Vec<_>>()
        .join("\n");
    std::fs::write(dir.join("tiny.csv"), text).unwrap();
    let tiny = load(&dir.join("tiny.csv")).unwrap();
    let s = summarize(&tiny, &ImportOptions::default());
    assert!(
        s.warnings.iter().any(|w| w.contains("only 200 samples")),
        "{:?}",
        s.warnings
    );
    assert_eq!(s.duplicates, 170);
    // Labels: 20 ones and 180 zeros, 9x apart.
    assert!(
        s.warnings
            .iter()
            .any(|w| w.contains("imbalanced") && w.contains("balanced accuracy")),
        "{:?}",
        s.warnings
    );
}

#[test]
fn bad_targets_are_refused_with_their_row_or_column() {
    let dir = common::scratch("bad-targets");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("x.txt"), "1 2 3 4\n5 6 7 8\n9 1 2 3\n").unwrap();
    std::fs::write(dir.join("y_nan.txt"), "1.5\nnan\n2.5\n").unwrap();
    std::fs::write(dir.join("y_const.txt"), "a b\n1 7\n1 8\n1 9\n").unwrap();
    std::fs::write(dir.join("y_short.txt"), "1.5\n2.5\n").unwrap();
    let opts = |y: &str, target: Option<&str>| ImportOptions {
        y_file: Some(dir.join(y)),
        target: target.map(str::to_string),
        ..Default::default()
    };
    let err = |y: &str, t: Option<&str>| {
        load_with(&dir.join("x.txt"), &opts(y, t))
            .unwrap_err()
            .to_string()
    };
    assert!(
        err("y_nan.txt", None).contains("row 2"),
        "{}",
        err("y_nan.txt", None)
    );
    assert!(err("y_const.txt", Some("a")).contains("'a' is constant"));
    assert!(
        err("y_short.txt", None).contains("3 image rows but 2 target rows"),
        "{}",
        err("y_short.txt", None)
    );
    assert!(err("y_const.txt", Some("c")).contains("no target column 'c'"));
    let single = load_with(
        &dir.join("x.txt"),
        &ImportOptions {
            task: Some(Task::Classification),
            ..opts("y_const.txt", Some("a"))
        },
    );
    assert!(single.is_err());
}
