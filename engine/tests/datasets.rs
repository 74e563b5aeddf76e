//! The readers against the real datasets in ../shared/datasets (their SOURCE.md files give the
//! shapes and counts asserted here).
mod common;

use engine::data::{load, Task};
use tch::Kind;

fn class_counts(d: &engine::data::Dataset) -> Vec<i64> {
    Vec::<i64>::try_from(d.targets.bincount(None::<tch::Tensor>, d.outputs())).unwrap()
}

#[test]
fn sklearn_digits_csv() {
    let d = load(&common::sample()).unwrap();
    assert_eq!(
        (d.len(), d.image_shape(), d.task),
        (1797, (1, 8, 8), Task::Classification)
    );
    assert_eq!(d.names, (0..10).map(|i| i.to_string()).collect::<Vec<_>>());
    assert_eq!(d.images.max().double_value(&[]), 16.0);
    // No test split in the file: a stratified 15% is held out.
    // Per class round(0.15 n): class sizes 178,182,177,183,181,182,181,179,174,180 give 269.
    assert_eq!(d.splits.test.len(), 269);
    assert_eq!(d.splits.train.len() + d.splits.test.len(), 1797);
}

#[test]
fn mnist_idx_folder_lone_test_split_counts_as_unsplit() {
    let d = load(&common::datasets().join("mnist-test")).unwrap();
    assert_eq!((d.len(), d.image_shape()), (10_000, (1, 28, 28)));
    // Class counts of the official MNIST test set.
    assert_eq!(
        class_counts(&d),
        vec![980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]
    );
    assert_eq!(d.splits.test.len(), 1500);
    assert_eq!(d.images.max().double_value(&[]), 255.0);
}

#[test]
fn fashion_mnist_idx_keeps_its_train_and_test_splits() {
    let d = load(&common::datasets().join("fashion-mnist")).unwrap();
    assert_eq!(
        (
            d.splits.train.len(),
            d.splits.test.len(),
            d.splits.test_seed
        ),
        (60_000, 10_000, None)
    );
}

#[test]
fn mnist_npz_images_and_labels() {
    let d = load(&common::datasets().join("mnist-train-10k/mnist_train_10k.npz")).unwrap();
    assert_eq!((d.len(), d.image_shape()), (10_000, (1, 28, 28)));
    assert_eq!(
        class_counts(&d),
        vec![1001, 1127, 991, 1032, 980, 863, 1014, 1070, 944, 978]
    );
    assert_eq!(d.images.kind(), Kind::Float);
}

#[test]
fn npz_with_train_val_test_arrays_keeps_the_splits() {
    let d = load(&common::datasets().join("pneumoniamnist-subset/pneumoniamnist.npz")).unwrap();
    assert_eq!(
        (
            d.splits.train.len(),
            d.splits.val.len(),
            d.splits.test.len()
        ),
        (3882, 524, 624)
    );
    assert_eq!(d.outputs(), 2);
}

#[test]
fn bad_input_names_the_file_and_row() {
    let dir = common::scratch("bad-csv");
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("broken.csv");
    std::fs::write(&path, "1,2,3,4,0\n1,2,x,4,1\n").unwrap();
    let msg = load(&path).unwrap_err().to_string();
    assert!(
        msg.contains("broken.csv") && msg.contains("row 2") && msg.contains("'x'"),
        "{msg}"
    );
    let msg = load(&dir.join("missing.npz")).unwrap_err().to_string();
    assert!(msg.contains("missing.npz"), "{msg}");
    std::fs::write(dir.join("notes.md"), "hello").unwrap();
    assert!(load(&dir.join("notes.md"))
        .unwrap_err()
        .to_string()
        .contains("not a format"));
    std::fs::write(dir.join("matrix.txt"), "1 2 3 4").unwrap();
    assert!(load(&dir.join("matrix.txt"))
        .unwrap_err()
        .to_string()
        .contains("--y-file"));
}
