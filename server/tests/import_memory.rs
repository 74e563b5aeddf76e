//! The import bound counts what an import keeps (issue 29, finding 0): 2,000 photographs of
//! 424x424 RGB pixels (the probe's galaxy set: 1.08 G values decoded, above the default bound of
//! 1 Gi) cropped to 212 and resized to 64 keep 24.6 M values. Each image is decoded, cropped and
//! resized before the next is held, so what the import adds to the process's memory stays far
//! below what the decoded set would take (1.08 GB as bytes, 4.3 GB as float32), through the CLI
//! and through an upload.
mod http;

use http::Server;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;

/// Peak resident memory the children waited for so far reached, bytes (getrusage(2)).
fn children_peak_bytes() -> u64 {
    // SAFETY: getrusage fills the struct we pass.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    unsafe { libc::getrusage(libc::RUSAGE_CHILDREN, &mut usage) };
    // Linux reports ru_maxrss in kilobytes.
    u64::try_from(usage.ru_maxrss).unwrap_or(0) * 1024
}

/// 2,000 smooth 424x424 RGB JPEGs in two class folders, each image its own gradient.
fn galaxies(dir: &Path) -> Vec<PathBuf> {
    let mut files = vec![];
    for i in 0..2000u32 {
        let class = if i % 2 == 0 { "spiral" } else { "elliptical" };
        std::fs::create_dir_all(dir.join(class)).unwrap();
        let img = image::RgbImage::from_fn(424, 424, |x, y| {
            let r = ((x + i) % 256) as u8;
            let g = ((y + 3 * i) % 256) as u8;
            let b = (((x + y) / 2 + 7 * i) % 256) as u8;
            image::Rgb([r, g, b])
        });
        let path = dir.join(class).join(format!("{i:06}.jpg"));
        img.save(&path).unwrap();
        files.push(path);
    }
    files
}

#[tokio::test(flavor = "multi_thread")]
async fn photographs_cropped_and_resized_import_with_the_default_bounds() {
    let dir = http::scratch("import-memory");
    let photos = dir.join("galaxies");
    let files = galaxies(&photos);

    // The process alone (libtorch loaded): importing the 8x8 digits.
    let base = Command::new(env!("CARGO_BIN_EXE_dartboard"))
        .args(["data", "inspect"])
        .arg(http::sample())
        .env("DARTBOARD_THREADS", "1")
        .output()
        .unwrap();
    assert!(base.status.success());
    let base_peak = children_peak_bytes();

    // Through the CLI, with the default bounds.
    let out = Command::new(env!("CARGO_BIN_EXE_dartboard"))
        .args(["data", "import"])
        .arg(&photos)
        .args(["--crop", "212", "--resize", "64", "--data-dir"])
        .arg(dir.join("data"))
        .env("DARTBOARD_THREADS", "1")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    let summary: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        (
            &summary["n"],
            &summary["channels"],
            &summary["height"],
            &summary["width"]
        ),
        (&2000.into(), &3.into(), &64.into(), &64.into()),
        "{summary}"
    );
    let peak = children_peak_bytes();
    println!(
        "import of 2,000 424x424 JPEGs, crop 212, resize 64: peak {} MB (the digits' import: {} MB)",
        peak >> 20,
        base_peak >> 20
    );
    // What the import adds to the process stays under 400 MB: the decoded source alone would be
    // 1,079 MB as bytes (4.3 GB as float32).
    assert!(
        peak < base_peak + (400 << 20),
        "the import peaked at {} MB, the digits' at {} MB",
        peak >> 20,
        base_peak >> 20
    );

    // Bounded by what is kept: 2,000 images that keep 3x64x64 pass a bound of 25 M values, and
    // the refusal of a smaller bound names the flag of the command that was run.
    let refused = Command::new(env!("CARGO_BIN_EXE_dartboard"))
        .args(["data", "inspect"])
        .arg(&photos)
        .args([
            "--crop",
            "212",
            "--resize",
            "64",
            "--max-decoded-values",
            "20000000",
        ])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&refused.stderr);
    assert!(!refused.status.success());
    assert!(
        err.contains("kept as 3x64x64")
            && err.contains("(dartboard data inspect --max-decoded-values)"),
        "{err}"
    );

    // Through an upload: a zip of the same photographs.
    let zip_path = dir.join("galaxies.zip");
    let mut zip = zip::ZipWriter::new(std::fs::File::create(&zip_path).unwrap());
    for f in &files {
        let rel = f
            .strip_prefix(&photos)
            .unwrap()
            .to_string_lossy()
            .to_string();
        zip.start_file(rel, zip::write::SimpleFileOptions::default())
            .unwrap();
        zip.write_all(&std::fs::read(f).unwrap()).unwrap();
    }
    zip.finish().unwrap();
    let s = Server::start_in(&dir.join("server"), "127.0.0.1:0", &[], &[]);
    let (status, body) = s
        .upload(&[("file", &zip_path)], &[("crop", "212"), ("resize", "64")])
        .await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(body["n"], 2000, "{body}");
    assert_eq!(body["height"], 64, "{body}");
}
