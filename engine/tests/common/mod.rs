//! Helpers shared by the engine's integration tests.
#![allow(dead_code)]
use std::path::PathBuf;

pub mod exported;

/// The shared datasets folder, from `DARTBOARD_DATASETS` (the Makefile sets it to the absolute
/// path of ../shared/datasets). A test that needs it fails with this message rather than skipping.
pub fn datasets() -> PathBuf {
    let dir = std::env::var_os("DARTBOARD_DATASETS").map(PathBuf::from).unwrap_or_else(|| {
        panic!("DARTBOARD_DATASETS is not set: run the tests with `make test`, or set it to the shared datasets folder")
    });
    assert!(
        dir.is_dir(),
        "DARTBOARD_DATASETS={} is not a folder",
        dir.display()
    );
    dir
}

/// The sample dataset the repository carries (the sklearn digits).
pub fn sample() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../data/sample/digits.csv.gz")
}

/// A fresh, empty folder under the target directory.
pub fn scratch(name: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(name);
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

/// Runs a Python script with the project venv's interpreter (numpy, h5py and tifffile, installed
/// by `make venv`): the reference writers of the HDF5 and TIFF files the import tests read.
pub fn python(script: &str) {
    let py = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../.venv/bin/python");
    assert!(
        py.exists(),
        "{} is missing: run the tests with `make test`, which installs the venv",
        py.display()
    );
    let out = std::process::Command::new(&py)
        .arg("-c")
        .arg(script)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "python failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// An `.npy` file (format 1.0) of `data` with the given dtype and shape, as numpy writes it.
pub fn npy(descr: &str, shape: &str, data: &[u8]) -> Vec<u8> {
    let header = format!("{{'descr': '{descr}', 'fortran_order': False, 'shape': {shape}, }}");
    let mut out = b"\x93NUMPY\x01\x00".to_vec();
    out.extend_from_slice(&(header.len() as u16).to_le_bytes());
    out.extend_from_slice(header.as_bytes());
    out.extend_from_slice(data);
    out
}
