//! Image folders and archives, made by the tests: class and split folders, labels.csv targets,
//! 8/16-bit and float images, zip and tar.gz giving the same data as the folder, and every bad
//! input refused with a message naming the file, row or entry.
mod common;

use engine::data::summary::summarize;
use engine::data::{load, load_with, ImportOptions, Task};
use image::{GrayImage, ImageBuffer, Luma, Rgb, RgbImage};
use std::io::Write;
use std::path::{Path, PathBuf};

fn grey(v: u8, size: u32) -> GrayImage {
    ImageBuffer::from_fn(size, size, |x, y| Luma([v.wrapping_add((x * 3 + y) as u8)]))
}

fn write(path: &Path, img: &GrayImage) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    img.save(path).unwrap();
}

/// train/{cat,dog}/ and test/{cat,dog}/ with 3 + 2 PNGs of 6x6 per class, plus a README.
fn split_folders(name: &str) -> PathBuf {
    let root = common::scratch(name).join("pets");
    for (split, n) in [("train", 3u8), ("test", 2)] {
        for (k, class) in ["cat", "dog"].iter().enumerate() {
            for i in 0..n {
                write(
                    &root.join(format!("{split}/{class}/{i}.png")),
                    &grey(40 * k as u8 + 10 * i + n, 6),
                );
            }
        }
    }
    std::fs::write(root.join("README.txt"), "pets").unwrap();
    root
}

#[test]
fn split_and_class_folders() {
    let root = split_folders("img-folders");
    let d = load(&root).unwrap();
    assert_eq!(
        (d.task, d.len(), d.image_shape()),
        (Task::Classification, 10, (1, 6, 6))
    );
    assert_eq!(d.names, vec!["cat", "dog"]);
    assert_eq!((d.splits.train.len(), d.splits.test.len()), (6, 4));
    assert!(
        d.warnings.iter().any(|w| w.contains("skipped 1 non-image")),
        "{:?}",
        d.warnings
    );
}

fn tar_gz(dir: &Path, out: &Path) {
    let file = std::fs::File::create(out).unwrap();
    let mut b = tar::Builder::new(flate2::write::GzEncoder::new(
        file,
        flate2::Compression::fast(),
    ));
    b.append_dir_all(dir.file_name().unwrap(), dir).unwrap();
    b.into_inner().unwrap().finish().unwrap();
}

fn zip_dir(dir: &Path, out: &Path) {
    let mut z = zip::ZipWriter::new(std::fs::File::create(out).unwrap());
    let opts =
        zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    let mut files = vec![];
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p)
            } else {
                files.push(p)
            }
        }
    }
    files.sort();
    for f in files {
        z.start_file(f.strip_prefix(dir).unwrap().to_string_lossy(), opts)
            .unwrap();
        z.write_all(&std::fs::read(&f).unwrap()).unwrap();
    }
    z.finish().unwrap();
}

#[test]
fn zip_and_tar_gz_read_the_same_data_as_the_folder() {
    let root = split_folders("img-archives");
    let opts = ImportOptions::default();
    let folder = summarize(&load(&root).unwrap(), &opts);
    let tgz = root.with_file_name("pets.tar.gz");
    tar_gz(&root, &tgz);
    let zip = root.with_file_name("pets.zip");
    zip_dir(&root, &zip);
    for archive in [tgz, zip] {
        let s = summarize(&load(&archive).unwrap(), &opts);
        assert_eq!(
            (s.n, &s.splits, &s.sha256),
            (folder.n, &folder.splits, &folder.sha256),
            "{}",
            archive.display()
        );
    }
}

#[test]
fn labels_csv_with_16_bit_and_rgb_images() {
    let root = common::scratch("img-labels");
    for i in 0..4u16 {
        let img: ImageBuffer<Luma<u16>, Vec<u16>> =
            ImageBuffer::from_fn(5, 4, |x, _| Luma([1000 * i + 60000 * u16::from(x == 4)]));
        std::fs::create_dir_all(root.join("scans")).unwrap();
        img.save(root.join(format!("scans/s{i}.png"))).unwrap();
    }
    std::fs::write(
        root.join("labels.csv"),
        "file,strain,stress\nscans/s0.png,0.5,1\ns1.png,1.5,2\nscans/s2.png,2.5,3\ns3.png,3.5,5\n",
    )
    .unwrap();
    let d = load_with(
        &root,
        &ImportOptions {
            target: Some("all".into()),
            ..Default::default()
        },
    )
    .unwrap();
    assert_eq!(
        (d.task, d.image_shape(), d.names.clone()),
        (
            Task::Regression,
            (1, 4, 5),
            vec!["strain".to_string(), "stress".to_string()]
        )
    );
    assert_eq!(
        d.images.max().double_value(&[]),
        63000.0,
        "16-bit values are kept"
    );
    assert_eq!(summarize(&d, &ImportOptions::default()).bit_depth, 32);
    // RGB class folders with a string label column.
    let rgb = common::scratch("img-rgb");
    for (i, c) in ["red", "blue", "red"].iter().enumerate() {
        let img: RgbImage = ImageBuffer::from_fn(3, 3, |_, _| Rgb([200, 10 * i as u8, 0]));
        std::fs::create_dir_all(&rgb).unwrap();
        img.save(rgb.join(format!("{i}.jpg"))).unwrap();
        let _ = c;
    }
    std::fs::write(
        rgb.join("labels.csv"),
        "path,colour\n0.jpg,red\n1.jpg,blue\n2.jpg,red\n",
    )
    .unwrap();
    let d = load(&rgb).unwrap();
    assert_eq!(
        (d.task, d.image_shape(), d.names.clone()),
        (
            Task::Classification,
            (3, 3, 3),
            vec!["blue".to_string(), "red".to_string()]
        )
    );
}

fn err(path: &Path, opts: &ImportOptions) -> String {
    load_with(path, opts).unwrap_err().to_string()
}

#[test]
fn bad_image_input_is_refused_naming_the_file_row_or_entry() {
    let none = ImportOptions::default();
    // A truncated PNG.
    let root = split_folders("bad-truncated");
    let png = std::fs::read(root.join("train/cat/0.png")).unwrap();
    std::fs::write(root.join("train/cat/0.png"), &png[..png.len() / 2]).unwrap();
    assert!(
        err(&root, &none).contains("train/cat/0.png"),
        "{}",
        err(&root, &none)
    );
    // An empty class folder.
    let root = split_folders("bad-empty-class");
    std::fs::create_dir_all(root.join("train/bird")).unwrap();
    assert!(
        err(&root, &none).contains("'train/bird' holds no images"),
        "{}",
        err(&root, &none)
    );
    // Mixed sizes: refused with the sizes, accepted with --resize.
    let root = split_folders("bad-sizes");
    write(&root.join("train/cat/big.png"), &grey(5, 9));
    let msg = err(&root, &none);
    assert!(
        msg.contains("6x6") && msg.contains("9x9") && msg.contains("--resize"),
        "{msg}"
    );
    let resized = load_with(
        &root,
        &ImportOptions {
            resize: Some((8, 8)),
            ..Default::default()
        },
    )
    .unwrap();
    assert_eq!(resized.image_shape(), (1, 8, 8));
    // Mixed channel counts.
    let root = split_folders("bad-channels");
    let rgb: RgbImage = ImageBuffer::from_fn(6, 6, |_, _| Rgb([1, 2, 3]));
    rgb.save(root.join("train/dog/rgb.png")).unwrap();
    assert!(err(&root, &none).contains("different channel counts"));
    // A single class.
    let root = common::scratch("bad-one-class");
    for i in 0..3 {
        write(&root.join(format!("data/only/{i}.png")), &grey(i, 4));
    }
    assert!(err(&root, &none).contains("only one class"));
    // labels.csv naming a missing image, and missing an image.
    let root = common::scratch("bad-labels");
    for i in 0..3 {
        write(&root.join(format!("{i}.png")), &grey(i, 4));
    }
    std::fs::write(
        root.join("labels.csv"),
        "file,y\n0.png,1\n1.png,2\n7.png,3\n",
    )
    .unwrap();
    assert!(
        err(&root, &none).contains("row 4: no image '7.png'"),
        "{}",
        err(&root, &none)
    );
    std::fs::write(root.join("labels.csv"), "file,y\n0.png,1\n1.png,2\n").unwrap();
    assert!(
        err(&root, &none).contains("misses image '2.png'"),
        "{}",
        err(&root, &none)
    );
    // Nothing but non-image files.
    let root = common::scratch("bad-no-images");
    std::fs::create_dir_all(&root).unwrap();
    std::fs::write(root.join("notes.txt"), "x").unwrap();
    assert!(err(&root, &none).contains("no image files"));
}

/// A tar whose entry climbs out with `..`, written header by header.
fn escaping_tar(out: &Path) {
    let mut b = tar::Builder::new(std::fs::File::create(out).unwrap());
    let data = b"not really a png";
    let mut h = tar::Header::new_gnu();
    h.set_size(data.len() as u64);
    h.set_mode(0o644);
    h.set_entry_type(tar::EntryType::Regular);
    let name = b"../evil/0.png";
    h.as_old_mut().name[..name.len()].copy_from_slice(name);
    h.set_cksum();
    b.append(&h, &data[..]).unwrap();
    b.finish().unwrap();
}

#[test]
fn archives_that_escape_link_or_are_corrupt_are_refused() {
    let dir = common::scratch("bad-archives");
    std::fs::create_dir_all(&dir).unwrap();
    let tar = dir.join("escape.tar");
    escaping_tar(&tar);
    assert!(
        err(&tar, &ImportOptions::default()).contains("escapes the archive"),
        "{}",
        err(&tar, &ImportOptions::default())
    );
    let bad = dir.join("corrupt.tar.gz");
    std::fs::write(&bad, b"\x1f\x8b\x08\x00garbage").unwrap();
    assert!(err(&bad, &ImportOptions::default()).contains("corrupt.tar.gz"));
    let root = split_folders("bad-link");
    std::os::unix::fs::symlink("/etc/passwd", root.join("train/cat/link.png")).unwrap();
    assert!(err(&root, &ImportOptions::default()).contains("link"));
}

/// ../shared/datasets/cifar10-jpeg/SOURCE.md: 50,000 train and 10,000 test 32x32 RGB images,
/// 5,000 and 1,000 per class, mean pixel value 120.8.
#[test]
fn cifar10_jpeg_archive() {
    let d = load(&common::datasets().join("cifar10-jpeg/cifar10-jpeg.tar.gz")).unwrap();
    assert_eq!(
        (
            d.len(),
            d.image_shape(),
            d.splits.train.len(),
            d.splits.test.len()
        ),
        (60_000, (3, 32, 32), 50_000, 10_000)
    );
    let s = summarize(&d, &ImportOptions::default());
    assert!(s.classes.unwrap().iter().all(|c| c.count == 6000));
    let mean = d.images.mean(tch::Kind::Double).double_value(&[]);
    // Within 0.25: JPEG decoders differ by a grey level here and there (IDCT rounding, chroma
    // upsampling); SOURCE.md's 120.8 came from Pillow, ours decodes 120.96.
    assert!((mean - 120.8).abs() < 0.25, "{mean}");
}

/// An archive that unpacks far beyond its packed size is stopped while streaming.
#[test]
fn archive_over_the_unpacked_bound_is_refused() {
    let dir = common::scratch("bomb");
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("bomb.zip");
    let mut z = zip::ZipWriter::new(std::fs::File::create(&path).unwrap());
    let opts = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    z.start_file("zeros/a.png", opts).unwrap();
    z.write_all(&vec![0u8; 4 << 20]).unwrap();
    z.finish().unwrap();
    assert!(
        std::fs::metadata(&path).unwrap().len() < 64 << 10,
        "the test archive should be small when packed"
    );
    let limited = ImportOptions {
        max_unpacked: Some(1 << 20),
        ..Default::default()
    };
    let msg = err(&path, &limited);
    assert!(
        msg.contains("unpacks to more than 1048576 bytes") && msg.contains("zeros/a.png"),
        "{msg}"
    );
}

/// NumPy archives: mismatched counts and non-finite targets are refused by name.
#[test]
fn npz_mismatch_and_nan_are_refused() {
    let dir = common::scratch("bad-npz");
    std::fs::create_dir_all(&dir).unwrap();
    let write = |name: &str, arrays: &[(&str, Vec<u8>)]| {
        let path = dir.join(name);
        let mut z = zip::ZipWriter::new(std::fs::File::create(&path).unwrap());
        for (n, bytes) in arrays {
            z.start_file(format!("{n}.npy"), zip::write::SimpleFileOptions::default())
                .unwrap();
            z.write_all(bytes).unwrap();
        }
        z.finish().unwrap();
        path
    };
    let x = common::npy("|u1", "(3, 2, 2)", &[7u8; 12]);
    let short = write(
        "short.npz",
        &[
            ("x", x.clone()),
            ("y", common::npy("<i8", "(2,)", &[0u8; 16])),
        ],
    );
    assert!(err(&short, &ImportOptions::default()).contains("3 images but 2 targets"));
    let nan: Vec<u8> = [1.0f64, f64::NAN, 2.0]
        .iter()
        .flat_map(|v| v.to_le_bytes())
        .collect();
    let bad = write(
        "nan.npz",
        &[("x", x.clone()), ("y", common::npy("<f8", "(3,)", &nan))],
    );
    assert!(
        err(&bad, &ImportOptions::default()).contains("row 2"),
        "{}",
        err(&bad, &ImportOptions::default())
    );
    let junk = write(
        "junk.npz",
        &[
            ("x", b"not an array".to_vec()),
            ("y", common::npy("<i8", "(3,)", &[0u8; 24])),
        ],
    );
    assert!(err(&junk, &ImportOptions::default()).contains("x: not a .npy array"));
}
