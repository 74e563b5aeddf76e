//! Files and configs sent to hurt the server (issue 13, findings 3, 4 and 7): uploads that
//! decode to gigabytes are refused before decoding, in a child process, with the bound in the
//! message; impossible shapes and non-finite pixels are 422, not 500; no answer carries the
//! server's paths; configs and genotypes out of range are 422 naming the key, and the estimate
//! answers within seconds for any config.
mod http;

use http::Server;
use serde_json::{json, Value};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = 0xffff_ffffu32;
    for &b in bytes {
        crc ^= b as u32;
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xedb8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

/// A PNG whose header says `side` x `side` pixels (its data is an 8x8 image's): what a zip of
/// huge blank PNGs looks like to a reader that trusts the header.
fn huge_png(side: u32) -> Vec<u8> {
    let mut small = vec![];
    image::GrayImage::new(8, 8)
        .write_to(
            &mut std::io::Cursor::new(&mut small),
            image::ImageFormat::Png,
        )
        .unwrap();
    // Signature (8 bytes), then the IHDR chunk: length, "IHDR", width, height, ..., CRC.
    small[16..20].copy_from_slice(&side.to_be_bytes());
    small[20..24].copy_from_slice(&side.to_be_bytes());
    let crc = crc32(&small[12..29]);
    small[29..33].copy_from_slice(&crc.to_be_bytes());
    small
}

fn zip_of(path: &Path, entries: &[(&str, Vec<u8>)]) -> PathBuf {
    let file = std::fs::File::create(path).unwrap();
    let mut zip = zip::ZipWriter::new(file);
    for (name, bytes) in entries {
        zip.start_file(*name, zip::write::SimpleFileOptions::default())
            .unwrap();
        zip.write_all(bytes).unwrap();
    }
    zip.finish().unwrap();
    path.to_path_buf()
}

/// An `.npy` whose header claims `shape` (followed by a few bytes of data).
fn npy(shape: &str) -> Vec<u8> {
    let header = format!("{{'descr': '<f4', 'fortran_order': False, 'shape': {shape}, }}");
    let pad = 64 - (10 + header.len() + 1) % 64;
    let header = format!("{header}{}\n", " ".repeat(pad % 64));
    let mut out = b"\x93NUMPY\x01\x00".to_vec();
    out.extend((header.len() as u16).to_le_bytes());
    out.extend(header.as_bytes());
    out.extend([0u8; 64]);
    out
}

#[tokio::test(flavor = "multi_thread")]
async fn uploads_that_decode_to_gigabytes_are_refused_and_the_server_goes_on() {
    let dir = http::scratch("hostile-uploads");
    let s = Server::start_in(
        &dir,
        "127.0.0.1:0",
        &["--max-dataset-bytes", "100000000"],
        &[],
    );
    let server_path = std::fs::canonicalize(&dir).unwrap().display().to_string();
    let pngs: Vec<(String, Vec<u8>)> = (0..4)
        .map(|i| (format!("blank/{i}.png"), huge_png(20000)))
        .collect();
    let entries: Vec<(&str, Vec<u8>)> = pngs.iter().map(|(n, b)| (n.as_str(), b.clone())).collect();
    let bomb = zip_of(&dir.join("bomb.zip"), &entries);
    let start = Instant::now();
    let (status, body) = s.upload(&[("file", &bomb)], &[]).await;
    let m = http::message(&body);
    assert_eq!(status, 422, "{body}");
    assert!(
        m.contains("20000") && m.contains("(dartboard serve --max-image-pixels)"),
        "{m}"
    );
    assert!(
        start.elapsed() < Duration::from_secs(30),
        "refused before decoding"
    );

    // A tiny CSV resized far past the dataset bound.
    let csv = dir.join("tiny.csv");
    let mut text = String::new();
    for row in 0..40 {
        let pixels: Vec<String> = (0..16).map(|i| ((row * 3 + i) % 255).to_string()).collect();
        text += &format!("{},{}\n", pixels.join(","), row % 2);
    }
    std::fs::write(&csv, &text).unwrap();
    for resize in ["3000", "100000"] {
        let (status, body) = s.upload(&[("file", &csv)], &[("resize", resize)]).await;
        let m = http::message(&body);
        assert_eq!(status, 422, "resize {resize}: {body}");
        assert!(m.contains("--max-dataset-bytes"), "{m}");
    }

    // Impossible array shapes: 422 naming the file, not 500.
    for shape in [
        "(4611686018427387904, 4611686018427387904, 28)",
        "(4294967296, 4294967296, 1, 1)",
        "(-2, -2, 1)",
    ] {
        let npz = zip_of(
            &dir.join("shapes.npz"),
            &[("x.npy", npy(shape)), ("y.npy", npy("(2,)"))],
        );
        let (status, body) = s.upload(&[("file", &npz)], &[]).await;
        assert_eq!(status, 422, "{shape}: {body}");
        assert!(http::message(&body).contains("shapes.npz"), "{body}");
    }

    // Non-finite pixels are refused at import, naming the row.
    let nan = dir.join("nan.csv");
    std::fs::write(&nan, text.replacen("0,", "nan,", 1)).unwrap();
    let (status, body) = s.upload(&[("file", &nan)], &[]).await;
    assert_eq!(status, 422, "{body}");
    assert!(
        http::message(&body).to_lowercase().contains("finite"),
        "{body}"
    );

    // None of the answers named the server's folders, nothing was stored, the server serves.
    for (_, body) in [s.upload(&[("file", &nan)], &[]).await] {
        assert!(!body.to_string().contains(&server_path), "{body}");
    }
    let (status, list) = s.get("/api/datasets").await;
    assert_eq!((status, list.as_array().map(Vec::len)), (200, Some(0)));
    let data = s.digits().await;
    let (status, _) = s.get(&format!("/api/datasets/{data}/samples.png")).await;
    assert_eq!(status, 200);
    let names: Vec<String> = std::fs::read_dir(dir.join("datasets"))
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names, vec![data.clone()], "only the digits are stored");
    assert!(
        dir.join("datasets")
            .join(&data)
            .join("samples.png")
            .is_file(),
        "the import's child drew the sample grid"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn configs_and_genotypes_out_of_range_are_refused_by_name() {
    let s = Server::start("hostile-configs");
    let data = s.digits().await;
    let huge = json!({"epochs": 1e18, "batch_size": 100_000_000, "layers": 64, "init_channels": 512, "nodes": 8});
    let (status, body) = s
        .post("/api/runs", &json!({"dataset_id": data, "config": huge}))
        .await;
    assert_eq!(status, 422, "{body}");
    let named = http::fields(&body);
    for key in ["epochs", "batch_size", "layers", "init_channels"] {
        assert!(named.contains(&key.to_string()), "{key}: {body}");
    }
    let (status, body) = s
        .post(
            "/api/runs",
            &json!({"dataset_id": data, "kind": "train", "genotype": "darts-v2",
                    "config": {"layers": 100000, "init_channels": 100000}}),
        )
        .await;
    assert_eq!(status, 422, "{body}");
    let named = http::fields(&body);
    assert!(
        named.contains(&"layers".to_string()) && named.contains(&"init_channels".to_string()),
        "{body}"
    );

    let none_cell = json!({"normal": [["none", 0], ["none", 1], ["none", 0], ["none", 1]],
                           "normal_concat": [2, 3],
                           "reduce": [["none", 0], ["none", 1], ["none", 0], ["none", 1]],
                           "reduce_concat": [2, 3]});
    let ops: Vec<Value> = (0..20_000).map(|_| json!(["sep_conv_3x3", 0])).collect();
    let wide = json!({"normal": ops, "normal_concat": [2], "reduce": ops, "reduce_concat": [2]});
    for genotype in [none_cell, wide] {
        let (status, body) = s
            .post(
                "/api/runs",
                &json!({"dataset_id": data, "kind": "train", "genotype": genotype, "config": {"preset": "tiny"}}),
            )
            .await;
        assert_eq!(status, 422, "{body}");
        assert!(
            http::fields(&body).contains(&"genotype".to_string()),
            "{body}"
        );
    }

    // The estimate answers within seconds for a config in range that cannot fit anywhere.
    let big = json!({"preset": "tiny", "batch_size": 4096, "layers": 30, "init_channels": 256, "nodes": 8});
    let start = Instant::now();
    let (status, body) = s
        .post("/api/estimate", &json!({"dataset_id": data, "config": big}))
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["fits"], false, "{body}");
    assert!(
        body["reason"].as_str().is_some_and(|r| r.contains("GB")),
        "{body}"
    );
    assert!(
        start.elapsed() < Duration::from_secs(20),
        "{:?}",
        start.elapsed()
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn an_import_killed_like_by_the_oom_killer_ends_the_import_not_the_server() {
    let dir = http::scratch("hostile-killed-import");
    let s = Server::start_in(
        &dir,
        "127.0.0.1:0",
        &[],
        &[("DARTBOARD_IMPORT_FAULT", "kill")],
    );
    let (status, body) = s.upload(&[("file", &http::sample())], &[]).await;
    assert_eq!(status, 422, "{body}");
    assert!(http::message(&body).contains("killed"), "{body}");
    let (status, system) = s.get("/api/system").await;
    assert_eq!(status, 200, "the server goes on: {system}");
    let (_, list) = s.get("/api/datasets").await;
    assert_eq!(list.as_array().map(Vec::len), Some(0));
    let uploads = std::fs::read_dir(dir.join("uploads")).map_or(0, |d| d.count());
    assert_eq!(uploads, 0, "the upload's scratch folder is gone");
}
