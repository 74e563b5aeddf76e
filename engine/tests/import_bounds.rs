//! The import bounds (`ImportLimits`, `max_unpacked`) against the small uploads that once
//! exhausted memory, non-finite values, and parallel imports of the same data: each refusal is
//! asserted on the message a user sees (the file, the size found, the bound, the flag).
mod common;
use common::npy;
#[path = "common/alloc.rs"]
mod recording;

use engine::data::{load, load_with, store, summary, ImportLimits, ImportOptions};
use flate2::write::{GzEncoder, ZlibEncoder};
use flate2::Compression;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// No single allocation of these tests may pass this (the files they read are a few MB).
const MAX_ALLOC: usize = 64 << 20;

fn err(path: &Path, opts: &ImportOptions) -> String {
    load_with(path, opts).unwrap_err().to_string()
}

fn assert_has(msg: &str, parts: &[&str]) {
    for p in parts {
        assert!(msg.contains(p), "missing {p:?} in: {msg}");
    }
}

/// One PNG chunk: length, type, data, CRC of type and data.
fn png_chunk(out: &mut Vec<u8>, kind: &[u8; 4], data: &[u8]) {
    out.extend((data.len() as u32).to_be_bytes());
    let mut crc = flate2::Crc::new();
    crc.update(kind);
    crc.update(data);
    out.extend(kind);
    out.extend(data);
    out.extend(crc.sum().to_be_bytes());
}

/// A valid 8-bit greyscale PNG of `height` x `width` zeros, compressed row by row (never whole
/// in memory); `data` false stops after the IHDR header, as a cut-off upload would.
fn blank_png(height: u32, width: u32, data: bool) -> Vec<u8> {
    let mut out = b"\x89PNG\r\n\x1a\n".to_vec();
    let mut ihdr = Vec::new();
    ihdr.extend(width.to_be_bytes());
    ihdr.extend(height.to_be_bytes());
    ihdr.extend([8, 0, 0, 0, 0]); // 8-bit, greyscale, deflate, adaptive filter, no interlace
    png_chunk(&mut out, b"IHDR", &ihdr);
    if !data {
        return out;
    }
    let mut z = ZlibEncoder::new(Vec::new(), Compression::best());
    let row = vec![0u8; width as usize + 1]; // filter byte 0, then the pixels
    for _ in 0..height {
        z.write_all(&row).unwrap();
    }
    png_chunk(&mut out, b"IDAT", &z.finish().unwrap());
    png_chunk(&mut out, b"IEND", &[]);
    out
}

/// A zip of `(name, bytes)` entries, stored as they are.
fn zip_of(path: &Path, entries: &[(&str, &[u8])]) {
    let mut z = zip::ZipWriter::new(std::fs::File::create(path).unwrap());
    for (name, bytes) in entries {
        z.start_file(*name, zip::write::SimpleFileOptions::default())
            .unwrap();
        z.write_all(bytes).unwrap();
    }
    z.finish().unwrap();
}

fn dir(name: &str) -> PathBuf {
    let d = common::scratch(name);
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// The entries of `data_dir/datasets`.
fn listing(data_dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(data_dir.join("datasets"))
        .map(|d| {
            d.map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    names
}

/// A zip of four 20000x20000 blank PNGs (400 million pixels each, under 2 MB packed in all) is
/// refused from the first PNG's header, at once and without decoding; so is a PNG whose data
/// was cut off after its header.
#[test]
fn zip_of_huge_blank_pngs_is_refused_from_the_header() {
    let d = dir("bounds-huge-png");
    let made = Instant::now();
    let png = blank_png(20_000, 20_000, true);
    eprintln!(
        "20000x20000 blank PNG: {} bytes, written in {:?}",
        png.len(),
        made.elapsed()
    );
    let path = d.join("blank.zip");
    let names = ["zeros/a.png", "zeros/b.png", "zeros/c.png", "zeros/d.png"];
    let entries: Vec<(&str, &[u8])> = names.iter().map(|n| (*n, png.as_slice())).collect();
    zip_of(&path, &entries);
    assert!(std::fs::metadata(&path).unwrap().len() < 2 << 20);
    let start = Instant::now();
    let msg = err(&path, &ImportOptions::default());
    assert!(
        start.elapsed() < Duration::from_secs(5),
        "{:?}",
        start.elapsed()
    );
    assert_has(
        &msg,
        &[
            "blank.zip",
            "'zeros/a.png' is 20000x20000 = 400000000 pixels, above the limit of 67108864 per image (dartboard data import --max-image-pixels)",
        ],
    );
    let cut = d.join("cut.zip");
    zip_of(
        &cut,
        &[("zeros/a.png", &blank_png(20_000, 20_000, false)[..])],
    );
    assert_has(
        &err(&cut, &ImportOptions::default()),
        &["'zeros/a.png' is 20000x20000 = 400000000 pixels"],
    );
    assert!(
        recording::largest() <= MAX_ALLOC,
        "{}",
        recording::largest()
    );
}

/// Two 16000x16000 PNGs: refused by the per-image bound by default; with that bound raised, the
/// running total of decoded values stops the second (here with smaller images and bound).
#[test]
fn images_over_the_value_bound_are_refused_while_streaming() {
    let d = dir("bounds-two-png");
    let path = d.join("two.zip");
    let png = blank_png(16_000, 16_000, true);
    zip_of(
        &path,
        &[("zeros/a.png", &png[..]), ("zeros/b.png", &png[..])],
    );
    assert_has(
        &err(&path, &ImportOptions::default()),
        &["'zeros/a.png' is 16000x16000 = 256000000 pixels, above the limit of 67108864 per image"],
    );
    let path = d.join("two-small.zip");
    let png = blank_png(3000, 3000, true);
    zip_of(
        &path,
        &[("zeros/a.png", &png[..]), ("ones/b.png", &png[..])],
    );
    let opts = ImportOptions {
        limits: ImportLimits {
            max_decoded_values: 10_000_000,
            ..ImportLimits::default()
        },
        ..Default::default()
    };
    assert_has(
        &err(&path, &opts),
        &["'ones/b.png' (1x3000x3000): 9000000 more values make 18000000, above the limit of 10000000 values per import (dartboard data import --max-decoded-values)"],
    );
    assert!(
        recording::largest() <= MAX_ALLOC,
        "{}",
        recording::largest()
    );
}

/// `.npy` headers claiming 2^62 x 2^62 x 28 or 2^32 x 2^32 values overflow 64 bits, and negative
/// dimensions mean nothing: each is refused by message before anything is allocated.
#[test]
fn npy_shapes_that_overflow_or_are_negative_are_refused() {
    let d = dir("bounds-npy");
    let y = npy("<i8", "(2,)", &[0u8; 16]);
    for (shape, wanted) in [
        (
            "(4611686018427387904, 4611686018427387904, 28)",
            "array 'x' of shape (4611686018427387904, 4611686018427387904, 28): more than 18446744073709551615 values, above the limit of 1073741824 values per import (dartboard data import --max-decoded-values)",
        ),
        (
            "(4294967296, 4294967296, 1, 1)",
            "array 'x' of shape (4294967296, 4294967296, 1, 1): more than 18446744073709551615 values",
        ),
        (
            "(-2, -2, 1)",
            "x: array 'x' of shape (-2, -2, 1) has a negative dimension (-2)",
        ),
        (
            "(100000, 100000, 28)",
            "280000000000 values, above the limit of 1073741824",
        ),
    ] {
        let path = d.join("bad.npz");
        zip_of(&path, &[("x.npy", &npy("<f4", shape, &[0; 64])[..]), ("y.npy", &y[..])]);
        assert_has(&err(&path, &ImportOptions::default()), &["bad.npz", wanted]);
    }
    assert!(
        recording::largest() <= MAX_ALLOC,
        "{}",
        recording::largest()
    );
}

/// IDX headers are checked before the data is read: per image and in all.
#[test]
fn idx_headers_over_the_bounds_are_refused() {
    let d = dir("bounds-idx");
    let write = |dims: [u32; 3]| {
        let mut img = vec![0, 0, 8, 3];
        for v in dims {
            img.extend(v.to_be_bytes());
        }
        std::fs::write(d.join("train-images-idx3-ubyte"), img).unwrap();
        let mut lbl = vec![0, 0, 8, 1];
        lbl.extend(dims[0].to_be_bytes());
        std::fs::write(d.join("train-labels-idx1-ubyte"), lbl).unwrap();
    };
    write([10, 30_000, 30_000]);
    assert_has(
        &err(&d, &ImportOptions::default()),
        &["train-images-idx3-ubyte: each image is 30000x30000 = 900000000 pixels, above the limit of 67108864 per image"],
    );
    write([u32::MAX, 28, 28]);
    assert_has(
        &err(&d, &ImportOptions::default()),
        &["the header's 4294967295x28x28: 3367254359280 values, above the limit of 1073741824 values per import"],
    );
}

/// HDF5: a dataset declared (100000, 1000, 1000) and never written (a few KB on disk) is refused
/// from its shape. The file is written by h5py.
#[test]
fn hdf5_dataset_shape_over_the_bound_is_refused() {
    let d = dir("bounds-h5");
    let file = d.join("empty.h5");
    common::python(&format!(
        "
import h5py, numpy as np
with h5py.File('{}', 'w') as f:
    f.create_dataset('images', shape=(100000, 1000, 1000), dtype='uint8', chunks=(1, 100, 100))
    f['labels'] = np.zeros(100000, dtype='int64')
",
        file.display()
    ));
    assert!(std::fs::metadata(&file).unwrap().len() < 1 << 20);
    assert_has(
        &err(&file, &ImportOptions::default()),
        &["empty.h5: dataset 'images' of shape [100000, 1000, 1000]: 100000000000 values, above the limit of 1073741824 values per import"],
    );
}

/// `--resize 100000` once asked for a 2.4 TB tensor, and `--resize 3000` on a 9 KB CSV for
/// 11 GB: the size after resizing is checked (in 64 bits, without overflow) first.
#[test]
fn resize_past_the_dataset_bound_is_refused_before_resizing() {
    let sample = common::sample();
    let resize = |h: i64| ImportOptions {
        resize: Some((h, h)),
        ..Default::default()
    };
    assert_has(
        &err(&sample, &resize(100_000)),
        &["digits.csv.gz: --resize 100000,100000 makes 1797 images of 1x100000x100000: 71880000000000 bytes as float32, above the limit of 4294967296 bytes per dataset (dartboard data import --max-dataset-bytes)"],
    );
    assert_has(
        &err(&sample, &resize(3000)),
        &["1797 images of 1x3000x3000: 64692000000 bytes"],
    );
    assert_has(
        &err(&sample, &resize(3_037_000_500)),
        &["more than 18446744073709551615 bytes as float32"],
    );
    // Folders of images are resized one by one as they are decoded: what each keeps is
    // counted from its header before it is decoded.
    let d = dir("bounds-resize-images");
    let png = blank_png(4, 4, true);
    for f in ["a/0.png", "a/1.png", "b/2.png", "b/3.png"] {
        std::fs::create_dir_all(d.join(f).parent().unwrap()).unwrap();
        std::fs::write(d.join(f), &png).unwrap();
    }
    assert_has(
        &err(&d, &resize(100_000)),
        &["'a/0.png' (1x4x4, kept as 1x100000x100000): 10000000000 values, above the limit of 1073741824 values per import (dartboard data import --max-decoded-values)"],
    );
    // Without a resize the dataset as read is held to the bound too.
    let small = ImportOptions {
        limits: ImportLimits {
            max_dataset_bytes: 1000,
            ..ImportLimits::default()
        },
        ..Default::default()
    };
    assert_has(
        &err(&sample, &small),
        &["the source holds 1797 images of 1x8x8: 460032 bytes as float32, above the limit of 1000 bytes per dataset"],
    );
    assert_eq!(
        load_with(&d, &resize(16)).unwrap().image_shape(),
        (1, 16, 16)
    );
}

/// CSV rows are counted while streaming: the row that passes the value bound is named.
#[test]
fn csv_past_the_value_bound_is_refused_at_its_row() {
    let opts = ImportOptions {
        limits: ImportLimits {
            max_decoded_values: 1000,
            ..ImportLimits::default()
        },
        ..Default::default()
    };
    // The digits have 65 columns: 15 rows are 975 values, the 16th makes 1040.
    assert_has(
        &err(&common::sample(), &opts),
        &["row 16 (65 columns): 65 more values make 1040, above the limit of 1000 values per import"],
    );
    // One line of a million commas, 2 KB gzipped.
    let d = dir("bounds-csv-wide");
    let path = d.join("wide.csv.gz");
    let mut gz = GzEncoder::new(std::fs::File::create(&path).unwrap(), Compression::best());
    gz.write_all(&vec![b','; 1_000_000]).unwrap();
    gz.finish().unwrap();
    assert_has(
        &err(&path, &opts),
        &["row 1 (1001 columns so far): 1001 values, above the limit of 1000"],
    );
}

/// NaN pixels (stored before with a channel mean of null, failing every run) are refused, naming
/// the row or sample; so are non-finite regression targets.
#[test]
fn non_finite_pixels_and_targets_are_refused() {
    let d = dir("bounds-nan");
    let csv = d.join("nan.csv");
    std::fs::write(
        &csv,
        "p0,p1,p2,p3,label\n1,2,3,4,0\n5,nan,7,8,1\n1,2,3,4,1\n",
    )
    .unwrap();
    assert_has(
        &err(&csv, &ImportOptions::default()),
        &["nan.csv: row 3: pixel value NaN (channel 0, y 0, x 1) is not a finite number"],
    );
    let csv = d.join("inf.csv");
    std::fs::write(&csv, "1,2,3,4,0\n5,6,7,8,1\n1,2,3,-inf,1\n").unwrap();
    assert_has(
        &err(&csv, &ImportOptions::default()),
        &["row 3: pixel value -inf (channel 0, y 1, x 1)"],
    );
    let mut x = Vec::new();
    for v in [0.0f32, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, f32::INFINITY] {
        x.extend(v.to_le_bytes());
    }
    let npz = d.join("inf.npz");
    zip_of(
        &npz,
        &[
            ("x.npy", &npy("<f4", "(2, 2, 2)", &x)[..]),
            ("y.npy", &npy("<i8", "(2,)", &[0u8; 16])[..]),
        ],
    );
    assert_has(
        &err(&npz, &ImportOptions::default()),
        &["image 1 (counting from 0 in file order): pixel value inf (channel 0, y 1, x 1)"],
    );
    // A float TIFF with a NaN among images in class folders: named by its file (tifffile).
    let tifs = d.join("tifs");
    common::python(&format!(
        "
import os, tifffile, numpy as np
for i, c in enumerate('aabb'):
    os.makedirs('{0}/' + c, exist_ok=True)
    a = np.full((3, 4), i, dtype='float32')
    if i == 2:
        a[1, 2] = np.nan
    tifffile.imwrite('{0}/%s/%d.tif' % (c, i), a)
",
        tifs.display()
    ));
    assert_has(
        &err(&tifs, &ImportOptions::default()),
        &["tifs: 'b/2.tif': pixel value NaN (channel 0, y 1, x 2) is not a finite number"],
    );
    let csv = d.join("target.csv");
    std::fs::write(&csv, "1,2,3,4,0.5\n5,6,7,8,nan\n1,2,3,4,1.5\n").unwrap();
    assert_has(
        &err(&csv, &ImportOptions::default()),
        &["row 2, target 'label': NaN is not a finite number"],
    );
}

/// A zipped or gzipped text matrix stops at `max_unpacked` while reading (it once read 2 GB
/// before failing).
#[test]
fn compressed_text_matrix_stops_at_the_unpacked_bound() {
    let d = dir("bounds-text");
    std::fs::write(d.join("y.txt"), "1.5\n2.5\n").unwrap();
    let text = "0 ".repeat(1 << 20); // 2 MB of zeros
    let zipped = d.join("x.txt.zip");
    let mut z = zip::ZipWriter::new(std::fs::File::create(&zipped).unwrap());
    let deflated = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    z.start_file("x.txt", deflated).unwrap();
    z.write_all(text.as_bytes()).unwrap();
    z.finish().unwrap();
    let gz = d.join("x.txt.gz");
    let mut g = GzEncoder::new(std::fs::File::create(&gz).unwrap(), Compression::best());
    g.write_all(text.as_bytes()).unwrap();
    g.finish().unwrap();
    let opts = ImportOptions {
        y_file: Some(d.join("y.txt")),
        max_unpacked: Some(1 << 20),
        ..Default::default()
    };
    assert_has(
        &err(&zipped, &opts),
        &[
            "x.txt.zip",
            "unpacks to more than 1048576 bytes (at 'x.txt')",
        ],
    );
    assert_has(
        &err(&gz, &opts),
        &[
            "x.txt.gz",
            "unpacks to more than 1048576 bytes (at 'x.txt.gz')",
        ],
    );
    // Within the bound it reads; its values are held to the value bound as well.
    let opts = ImportOptions {
        max_unpacked: Some(4 << 20),
        limits: ImportLimits {
            max_decoded_values: 1000,
            ..ImportLimits::default()
        },
        ..opts
    };
    assert_has(
        &err(&gz, &opts),
        &["row 1: 999 more values make 1001, above the limit of 1000 values per import"],
    );
}

/// Twenty imports of the same data at once (the server runs each in its own process; threads
/// here): each writes its own temporary folder, one renames it into place, all return its id,
/// and no temporary folder is left.
#[test]
fn parallel_imports_of_the_same_data_share_one_dataset() {
    let data_dir = dir("bounds-parallel");
    let results: Vec<(String, bool)> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..20)
            .map(|_| {
                let data_dir = &data_dir;
                s.spawn(move || {
                    let d = load(&common::sample()).unwrap();
                    let (summary, new) =
                        store::import(data_dir, &d, &ImportOptions::default()).unwrap();
                    (store::id_of(&summary), new)
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let id = &results[0].0;
    assert!(results.iter().all(|(i, _)| i == id), "{results:?}");
    assert_eq!(results.iter().filter(|(_, new)| *new).count(), 1);
    assert_eq!(listing(&data_dir), vec![id.clone()]);
    let (loaded, _) = store::load(&data_dir, id).unwrap();
    assert_eq!(loaded.len(), 1797);
}

/// An import whose final rename fails removes its temporary folder and leaves nothing behind.
#[test]
fn failed_import_leaves_no_temporary_folder() {
    let data_dir = dir("bounds-failed-import");
    let opts = ImportOptions::default();
    let d = load(&common::sample()).unwrap();
    let id = store::id_of(&summary::summarize(&d, &opts));
    // A file where the dataset's folder would go: the rename cannot replace it.
    std::fs::create_dir_all(data_dir.join("datasets")).unwrap();
    std::fs::write(store::dataset_dir(&data_dir, &id), "in the way").unwrap();
    assert!(store::import(&data_dir, &d, &opts).is_err());
    assert_eq!(listing(&data_dir), vec![id]);
}
