//! Helpers shared by the CLI tests: run the binary, read its one-line JSON, find the sample.
#![allow(dead_code)]
use std::path::PathBuf;
use std::process::{Command, Output};

pub fn dartboard(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_dartboard"))
        .args(args)
        // Tests run side by side on few cores: one libtorch thread each.
        .env("DARTBOARD_THREADS", "1")
        .output()
        .expect("run dartboard")
}

/// The single line of JSON a successful command prints.
pub fn json_line(out: &Output) -> serde_json::Value {
    assert!(
        out.status.success(),
        "failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        text.trim_end().lines().count(),
        1,
        "JSON must be one line: {text}"
    );
    serde_json::from_str(text.trim()).expect("stdout is JSON")
}

/// The sample dataset the repository carries.
pub fn sample() -> String {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../data/sample/digits.csv.gz")
        .display()
        .to_string()
}

/// A fresh, empty path under the target directory.
pub fn scratch(name: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(name);
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

/// A small regression CSV as the sklearn digits' CSV is laid out (64 pixels, then the target):
/// 40 images with targets 0.5 to 20.5.
pub fn ramp_csv(dir: &std::path::Path) -> std::path::PathBuf {
    std::fs::create_dir_all(dir).unwrap();
    let rows: Vec<String> = (0..40)
        .map(|i| {
            let mut v: Vec<String> = (0..64)
                .map(|p| ((i * 7 + p * 3) % 17).to_string())
                .collect();
            v.push(format!("{}", 0.5 + f64::from(i) * 20.0 / 39.0));
            v.join(",")
        })
        .collect();
    let path = dir.join("ramp.csv");
    std::fs::write(&path, rows.join("\n") + "\n").unwrap();
    path
}
