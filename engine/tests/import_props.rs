//! Property tests of every importer: small valid files with bytes flipped, set, inserted,
//! removed or cut off (and wholly random files) never panic, never allocate past a stated bound,
//! and never leave a partial dataset. Each case either imports a dataset within the bounds set
//! here (then stored, with finite statistics) or is refused with an error, after which the data
//! directory holds no new entry and no temporary folder. A panic fails the test (proptest shrinks
//! it to a minimal input first).
//!
//! 256 cases per importer by default (about a second in all); `PROPTEST_CASES=N` runs more
//! (`make fuzz`).
mod common;
use common::npy;
#[path = "common/alloc.rs"]
mod recording;

use engine::data::{load_with, store, summary, ImportLimits, ImportOptions};
use image::{ImageBuffer, ImageFormat, Luma, Rgb};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError, TestRunner};
use std::io::{Cursor, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

/// The bounds every case imports under.
const LIMITS: ImportLimits = ImportLimits {
    max_image_pixels: 1 << 16,
    max_decoded_values: 1 << 20,
    max_dataset_bytes: 1 << 24,
    command: "dartboard data import",
};
const MAX_UNPACKED: u64 = 4 << 20;

/// Serialises the cases of all tests (see `Bench::check`).
static ONE_CASE: Mutex<()> = Mutex::new(());

/// The stated bound on any single allocation while importing under `LIMITS` (the values as
/// float32 are 4 MiB, archives unpack to at most 4 MiB; readers' own buffers stay below this).
const MAX_ALLOC: usize = 32 << 20;

fn config() -> Config {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(256);
    Config {
        cases,
        failure_persistence: None,
        ..Config::default()
    }
}

/// Runs `check` on `cases()` inputs from `strategy`; a failure (or panic) fails the test with the
/// shrunk input.
fn run<S: Strategy>(strategy: S, check: impl Fn(S::Value) -> Result<(), TestCaseError>) {
    let mut runner = TestRunner::new(config());
    if let Err(e) = runner.run(&strategy, check) {
        panic!("{e}");
    }
}

/// One change to a seed file; positions wrap around its length.
#[derive(Debug, Clone)]
enum Edit {
    Flip {
        at: usize,
        bit: u8,
    },
    Set {
        at: usize,
        byte: u8,
    },
    Insert {
        at: usize,
        bytes: Vec<u8>,
    },
    Remove {
        at: usize,
        len: usize,
    },
    Truncate {
        at: usize,
    },
    /// A 32-bit number written over four bytes: lengths, dimensions and offsets in headers.
    Word {
        at: usize,
        value: u32,
        big: bool,
    },
    /// The digit at or after a position changed (text files: a different value, same shape).
    Digit {
        at: usize,
        digit: u8,
    },
}

/// Text that makes numeric files interesting: non-finite and huge numbers, separators, names.
const TOKENS: &[&str] = &[
    "nan",
    "inf",
    "-inf",
    "1e39",
    "-1",
    "0",
    "255",
    "99999999999999999999",
    ",",
    "\n",
    "\r\n",
    " ",
    "label",
    "x",
    "",
    "\"",
    ",,,",
    "1.5",
];

fn edit() -> impl Strategy<Value = Edit> {
    let word = prop_oneof![
        any::<u32>(),
        Just(0u32),
        Just(1),
        Just(u32::MAX),
        Just(0x7fff_ffff),
        Just(0x8000_0000),
        Just(1 << 16),
        Just(30_000),
    ];
    let inserted = prop_oneof![
        prop::collection::vec(any::<u8>(), 1..8),
        prop::sample::select(TOKENS).prop_map(|t| t.as_bytes().to_vec()),
    ];
    prop_oneof![
        (any::<usize>(), 0u8..8).prop_map(|(at, bit)| Edit::Flip { at, bit }),
        (any::<usize>(), any::<u8>()).prop_map(|(at, byte)| Edit::Set { at, byte }),
        (any::<usize>(), inserted).prop_map(|(at, bytes)| Edit::Insert { at, bytes }),
        (any::<usize>(), 1usize..16).prop_map(|(at, len)| Edit::Remove { at, len }),
        any::<usize>().prop_map(|at| Edit::Truncate { at }),
        (any::<usize>(), word, any::<bool>()).prop_map(|(at, value, big)| Edit::Word {
            at,
            value,
            big
        }),
    ]
}

fn edits() -> impl Strategy<Value = Vec<Edit>> {
    prop::collection::vec(edit(), 1..5)
}

/// Edits of numeric text: mostly other digits (files that still import, with other values),
/// the rest any edit.
fn text_edits() -> impl Strategy<Value = Vec<Edit>> {
    let digit = (any::<usize>(), 0u8..10).prop_map(|(at, digit)| Edit::Digit { at, digit });
    prop::collection::vec(prop_oneof![3 => digit, 1 => edit()], 1..4)
}

fn mutate(seed: &[u8], edits: &[Edit]) -> Vec<u8> {
    let mut b = seed.to_vec();
    for e in edits {
        let len = b.len();
        match e {
            Edit::Flip { at, bit } if len > 0 => b[at % len] ^= 1 << bit,
            Edit::Set { at, byte } if len > 0 => b[at % len] = *byte,
            Edit::Insert { at, bytes } => {
                let at = at % (len + 1);
                b.splice(at..at, bytes.iter().copied());
            }
            Edit::Remove { at, len: n } if len > 0 => {
                let at = at % len;
                b.drain(at..(at + n).min(len));
            }
            Edit::Truncate { at } => b.truncate(at % (len + 1)),
            Edit::Word { at, value, big } if len >= 4 => {
                let at = at % (len - 3);
                let bytes = if *big {
                    value.to_be_bytes()
                } else {
                    value.to_le_bytes()
                };
                b[at..at + 4].copy_from_slice(&bytes);
            }
            Edit::Digit { at, digit } if len > 0 => {
                let start = at % len;
                if let Some(i) = (start..len).find(|&i| b[i].is_ascii_digit()) {
                    b[i] = b'0' + digit;
                }
            }
            _ => {}
        }
    }
    b
}

fn opts() -> ImportOptions {
    ImportOptions {
        limits: LIMITS,
        max_unpacked: Some(MAX_UNPACKED),
        ..Default::default()
    }
}

/// Where one property test writes its cases and stores what imports, and how many cases
/// imported and were refused.
struct Bench {
    cases: PathBuf,
    data_dir: PathBuf,
    imported: AtomicUsize,
    refused: AtomicUsize,
}

impl Bench {
    fn new(name: &str) -> Bench {
        let root = common::scratch(&format!("props-{name}"));
        let b = Bench {
            cases: root.join("case"),
            data_dir: root.join("data"),
            imported: AtomicUsize::new(0),
            refused: AtomicUsize::new(0),
        };
        std::fs::create_dir_all(&b.cases).unwrap();
        std::fs::create_dir_all(b.data_dir.join("datasets")).unwrap();
        b
    }

    /// Asserts that the unmutated seed files import, so the cases start from valid data.
    fn seed(&self, path: &Path, opts: &ImportOptions) {
        if let Err(e) = load_with(path, opts) {
            panic!("the seed does not import: {e}");
        }
    }

    /// Reports how many cases imported and how many were refused.
    fn outcomes(&self, name: &str) {
        eprintln!(
            "{name}: {} cases imported, {} refused",
            self.imported.load(Ordering::Relaxed),
            self.refused.load(Ordering::Relaxed)
        );
    }

    /// An empty folder for the next case.
    fn fresh(&self) -> &Path {
        let _ = std::fs::remove_dir_all(&self.cases);
        std::fs::create_dir_all(&self.cases).unwrap();
        &self.cases
    }

    fn write(&self, name: &str, bytes: &[u8]) -> PathBuf {
        let path = self.cases.join(name);
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).unwrap();
        }
        std::fs::write(&path, bytes).unwrap();
        path
    }

    /// The entries of datasets/, each checked to be a whole dataset (no temporary folder, no
    /// folder without both files).
    fn datasets(&self) -> Result<Vec<String>, TestCaseError> {
        let mut names = vec![];
        for e in std::fs::read_dir(self.data_dir.join("datasets")).unwrap() {
            let e = e.unwrap();
            let name = e.file_name().to_string_lossy().into_owned();
            prop_assert!(!name.ends_with(".tmp"), "temporary folder left: {name}");
            for file in ["summary.json", "data.safetensors"] {
                prop_assert!(e.path().join(file).is_file(), "{name} lacks {file}");
            }
            names.push(name);
        }
        names.sort();
        Ok(names)
    }

    /// Imports `path` under `opts`, asserting the properties. Cases of all tests run one at a
    /// time here, so the allocations recorded are this case's.
    fn check(&self, path: &Path, opts: &ImportOptions) -> Result<(), TestCaseError> {
        let _one_at_a_time = ONE_CASE.lock().unwrap_or_else(|e| e.into_inner());
        recording::reset();
        let before = self.datasets()?;
        if let Ok(d) = load_with(path, opts) {
            self.imported.fetch_add(1, Ordering::Relaxed);
            let values = d.images.numel() as u64;
            prop_assert!((1..=LIMITS.max_decoded_values).contains(&values));
            prop_assert!(values * 4 <= LIMITS.max_dataset_bytes);
            let s = summary::summarize(&d, opts);
            prop_assert!(
                s.channel_mean
                    .iter()
                    .chain(&s.channel_sd)
                    .all(|v| v.is_finite()),
                "statistics not finite: {:?} {:?}",
                s.channel_mean,
                s.channel_sd
            );
            match store::import(&self.data_dir, &d, opts) {
                Ok((summary, _)) => {
                    let id = store::id_of(&summary);
                    prop_assert!(self.datasets()?.contains(&id));
                }
                Err(_) => prop_assert_eq!(self.datasets()?, before),
            }
        } else {
            self.refused.fetch_add(1, Ordering::Relaxed);
            prop_assert_eq!(self.datasets()?, before);
        }
        prop_assert!(
            recording::largest() <= MAX_ALLOC,
            "an allocation of {} bytes",
            recording::largest()
        );
        Ok(())
    }
}

fn zip_bytes(entries: &[(&str, Vec<u8>)], deflate: bool) -> Vec<u8> {
    let mut z = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let method = if deflate {
        zip::CompressionMethod::Deflated
    } else {
        zip::CompressionMethod::Stored
    };
    for (name, bytes) in entries {
        z.start_file(
            *name,
            zip::write::SimpleFileOptions::default().compression_method(method),
        )
        .unwrap();
        z.write_all(bytes).unwrap();
    }
    z.finish().unwrap().into_inner()
}

/// Six 4x4 images of bytes and two classes: the pixel and label values every seed holds.
fn pixels() -> Vec<u8> {
    (0..96u32).map(|i| (i * 37 % 256) as u8).collect()
}
const LABELS: [u8; 6] = [0, 1, 0, 1, 0, 1];

#[test]
fn idx_files() {
    let bench = Bench::new("idx");
    let mut images = vec![0, 0, 8, 3, 0, 0, 0, 6, 0, 0, 0, 4, 0, 0, 0, 4];
    images.extend(pixels());
    let mut labels = vec![0, 0, 8, 1, 0, 0, 0, 6];
    labels.extend(LABELS);
    let case = |e: &[Edit], on_labels: bool| {
        let dir = bench.fresh().to_path_buf();
        let (img, lbl) = if on_labels {
            (images.clone(), mutate(&labels, e))
        } else {
            (mutate(&images, e), labels.clone())
        };
        bench.write("train-images-idx3-ubyte", &img);
        bench.write("train-labels-idx1-ubyte", &lbl);
        dir
    };
    bench.seed(&case(&[], false), &opts());
    run((edits(), any::<bool>()), |(e, on_labels)| {
        bench.check(&case(&e, on_labels), &opts())
    });
    bench.outcomes("idx");
}

#[test]
fn npz_archives() {
    let bench = Bench::new("npz");
    let x = npy("|u1", "(6, 4, 4)", &pixels());
    let y = npy(
        "<i8",
        "(6,)",
        &LABELS.map(i64::from).map(i64::to_le_bytes).concat(),
    );
    // 0: x.npy mutated, 1: y.npy mutated, 2: the (deflated) archive mutated.
    let case = |e: &[Edit], part: u8| {
        bench.fresh();
        let bytes = match part {
            0 => zip_bytes(&[("x.npy", mutate(&x, e)), ("y.npy", y.clone())], false),
            1 => zip_bytes(&[("x.npy", x.clone()), ("y.npy", mutate(&y, e))], false),
            _ => mutate(
                &zip_bytes(&[("x.npy", x.clone()), ("y.npy", y.clone())], true),
                e,
            ),
        };
        bench.write("data.npz", &bytes)
    };
    bench.seed(&case(&[], 2), &opts());
    run((edits(), 0..3u8), |(e, part)| {
        bench.check(&case(&e, part), &opts())
    });
    bench.outcomes("npz");
}

#[test]
fn hdf5_files() {
    let bench = Bench::new("hdf5");
    let seeds = bench.cases.join("seeds");
    std::fs::create_dir_all(&seeds).unwrap();
    common::python(&format!(
        "
import h5py, numpy as np
x = (np.arange(96) * 37 % 256).astype('uint8').reshape(6, 4, 4)
y = np.array([0, 1, 0, 1, 0, 1])
with h5py.File('{0}/plain.h5', 'w') as f:
    f['images'] = x
    f['labels'] = y
with h5py.File('{0}/chunked.h5', 'w') as f:
    f.create_dataset('x_train', data=x.astype('float32'), chunks=(2, 4, 4), compression='gzip', shuffle=True)
    f.create_dataset('y_train', data=y)
",
        seeds.display()
    ));
    let plain = std::fs::read(seeds.join("plain.h5")).unwrap();
    let chunked = std::fs::read(seeds.join("chunked.h5")).unwrap();
    let case = |e: &[Edit], use_chunked: bool| {
        bench.fresh();
        let seed = if use_chunked { &chunked } else { &plain };
        bench.write("data.h5", &mutate(seed, e))
    };
    bench.seed(&case(&[], false), &opts());
    bench.seed(&case(&[], true), &opts());
    run((edits(), any::<bool>()), |(e, use_chunked)| {
        bench.check(&case(&e, use_chunked), &opts())
    });
    bench.outcomes("hdf5");
}

/// Two-band 16-bit TIFFs (as tifffile writes them) in class folders.
#[test]
fn tiff_folders() {
    let bench = Bench::new("tiff");
    let seeds = bench.cases.join("seeds");
    std::fs::create_dir_all(&seeds).unwrap();
    common::python(&format!(
        "
import tifffile, numpy as np
for i in range(4):
    a = ((np.arange(2 * 5 * 4) * (i + 3)) % 4000).astype('uint16').reshape(5, 4, 2)
    tifffile.imwrite('{0}/%d.tif' % i, a, photometric='minisblack', planarconfig='contig')
",
        seeds.display()
    ));
    let files: Vec<Vec<u8>> = (0..4)
        .map(|i| std::fs::read(seeds.join(format!("{i}.tif"))).unwrap())
        .collect();
    let case = |e: &[Edit], which: usize| {
        bench.fresh();
        for (i, f) in files.iter().enumerate() {
            let class = if i % 2 == 0 { "a" } else { "b" };
            let bytes = if i == which { mutate(f, e) } else { f.clone() };
            bench.write(&format!("images/{class}/{i}.tif"), &bytes);
        }
        bench.cases.join("images")
    };
    bench.seed(&case(&[], 0), &opts());
    run((edits(), 0..4usize), |(e, which)| {
        bench.check(&case(&e, which), &opts())
    });
    bench.outcomes("tiff");
}

/// PNG (greyscale) and JPEG (RGB) files in class folders of a zip.
#[test]
fn png_and_jpeg_zip_archives() {
    let bench = Bench::new("png-jpeg");
    let encode = |img: image::DynamicImage, format: ImageFormat| {
        let mut out = Cursor::new(Vec::new());
        img.write_to(&mut out, format).unwrap();
        out.into_inner()
    };
    let pngs: Vec<Vec<u8>> = (0..4u8)
        .map(|i| {
            let img = ImageBuffer::from_fn(6, 6, |x, y| Luma([(x * 40 + y * 7) as u8 ^ i]));
            encode(image::DynamicImage::ImageLuma8(img), ImageFormat::Png)
        })
        .collect();
    let jpegs: Vec<Vec<u8>> = (0..4u8)
        .map(|i| {
            let img =
                ImageBuffer::from_fn(8, 8, |x, y| Rgb([(x * 30) as u8, (y * 30) as u8, i * 60]));
            encode(image::DynamicImage::ImageRgb8(img), ImageFormat::Jpeg)
        })
        .collect();
    // which: 0-3 one file mutated, 4 the whole archive mutated.
    let case = |e: &[Edit], jpeg: bool, which: usize| {
        bench.fresh();
        let (files, ext) = if jpeg {
            (&jpegs, "jpg")
        } else {
            (&pngs, "png")
        };
        let entries: Vec<(String, Vec<u8>)> = files
            .iter()
            .enumerate()
            .map(|(i, f)| {
                let class = if i % 2 == 0 { "cat" } else { "dog" };
                let bytes = if i == which { mutate(f, e) } else { f.clone() };
                (format!("pets/{class}/{i}.{ext}"), bytes)
            })
            .collect();
        let refs: Vec<(&str, Vec<u8>)> = entries
            .iter()
            .map(|(n, b)| (n.as_str(), b.clone()))
            .collect();
        let mut zip = zip_bytes(&refs, true);
        if which == 4 {
            zip = mutate(&zip, e);
        }
        bench.write("pets.zip", &zip)
    };
    bench.seed(&case(&[], false, 4), &opts());
    bench.seed(&case(&[], true, 4), &opts());
    run((edits(), any::<bool>(), 0..5usize), |(e, jpeg, which)| {
        bench.check(&case(&e, jpeg, which), &opts())
    });
    bench.outcomes("png/jpeg");
}

#[test]
fn csv_files() {
    let bench = Bench::new("csv");
    let mut csv = "p0,p1,p2,p3,label\n".to_string();
    for (i, row) in pixels().chunks(4).enumerate() {
        let cells: Vec<String> = row.iter().map(u8::to_string).collect();
        csv += &format!("{},{}\n", cells.join(","), LABELS[i % 6]);
    }
    let case = |e: &[Edit], regression: bool| {
        bench.fresh();
        let opts = ImportOptions {
            task: regression.then_some(engine::data::Task::Regression),
            ..opts()
        };
        (bench.write("data.csv", &mutate(csv.as_bytes(), e)), opts)
    };
    let (path, o) = case(&[], false);
    bench.seed(&path, &o);
    run((text_edits(), any::<bool>()), |(e, regression)| {
        let (path, o) = case(&e, regression);
        bench.check(&path, &o)
    });
    bench.outcomes("csv");
}

#[test]
fn text_matrices() {
    let bench = Bench::new("text");
    let x: String = pixels()
        .chunks(16)
        .map(|row| {
            let cells: Vec<String> = row.iter().map(u8::to_string).collect();
            cells.join(" ") + "\n"
        })
        .collect();
    let y = "strain stress\n0.1 1\n0.2 4\n0.3 9\n0.4 16\n0.5 25\n0.6 36\n";
    // 0: x mutated, 1: y mutated, 2: x zipped then the zip mutated.
    let case = |e: &[Edit], part: u8| {
        bench.fresh();
        let (x_bytes, y_bytes) = match part {
            0 => (mutate(x.as_bytes(), e), y.as_bytes().to_vec()),
            1 => (x.as_bytes().to_vec(), mutate(y.as_bytes(), e)),
            _ => (
                mutate(&zip_bytes(&[("x.txt", x.clone().into_bytes())], true), e),
                y.as_bytes().to_vec(),
            ),
        };
        let name = if part == 2 { "x.txt.zip" } else { "x.txt" };
        let path = bench.write(name, &x_bytes);
        let opts = ImportOptions {
            y_file: Some(bench.write("y.txt", &y_bytes)),
            ..opts()
        };
        (path, opts)
    };
    let (path, o) = case(&[], 2);
    bench.seed(&path, &o);
    run((text_edits(), 0..3u8), |(e, part)| {
        let (path, o) = case(&e, part);
        bench.check(&path, &o)
    });
    bench.outcomes("text");
}

/// Random bytes under every name an importer answers to.
#[test]
fn random_bytes() {
    let bench = Bench::new("random");
    const NAMES: &[&str] = &[
        "train-images-idx3-ubyte",
        "data.npz",
        "data.h5",
        "data.csv",
        "data.csv.gz",
        "data.zip",
        "data.tar",
        "data.tar.gz",
        "x.txt",
        "x.txt.zip",
        "x.txt.gz",
    ];
    let bytes = prop::collection::vec(any::<u8>(), 0..4096);
    run(
        (prop::sample::select(NAMES), bytes.clone(), bytes),
        |(name, data, other)| {
            bench.fresh();
            let path = bench.write(name, &data);
            let opts = ImportOptions {
                y_file: name
                    .starts_with("x.txt")
                    .then(|| bench.write("y.txt", &other)),
                ..opts()
            };
            if name.contains("idx") {
                bench.write("train-labels-idx1-ubyte", &other);
            }
            bench.check(&path, &opts)
        },
    );
    bench.outcomes("random");
}
