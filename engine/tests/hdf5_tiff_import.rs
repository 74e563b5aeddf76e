//! HDF5 files and float / multi-band TIFFs, written by the reference libraries scientists use
//! (h5py on libhdf5, tifffile), read back by the engine with the values the writer stored.
mod common;

use engine::data::{load, load_with, ImportOptions, Task};
use std::path::Path;

fn err(path: &Path, opts: &ImportOptions) -> String {
    load_with(path, opts).unwrap_err().to_string()
}

/// Pixel value written for sample i, channel c, row y, column x (the scripts use the same rule).
fn value(i: i64, c: i64, y: i64, x: i64) -> f64 {
    ((i * 7 + c * 5 + y * 3 + x) % 251) as f64
}

const VALUE_PY: &str = "
import numpy as np
def grid(n, c, h, w):
    i, cc, y, x = np.meshgrid(np.arange(n), np.arange(c), np.arange(h), np.arange(w), indexing='ij')
    return (i * 7 + cc * 5 + y * 3 + x) % 251
";

#[test]
fn hdf5_channels_last_uint8_chunked_and_compressed() {
    let dir = common::scratch("h5-nhwc");
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("cells.h5");
    common::python(&format!(
        "{VALUE_PY}
import h5py
x = grid(30, 3, 8, 6).transpose(0, 2, 3, 1).astype('uint8')   # (N, H, W, C)
with h5py.File('{}', 'w') as f:
    f.create_dataset('images', data=x, chunks=(4, 8, 6, 3), compression='gzip', shuffle=True)
    f.create_dataset('labels', data=np.arange(30) % 3)
    f.attrs['note'] = 'synthetic'
",
        file.display()
    ));
    let d = load(&file).unwrap();
    assert_eq!(
        (d.task, d.images.size()),
        (Task::Classification, vec![30, 3, 8, 6])
    );
    assert_eq!(d.names, vec!["0", "1", "2"]);
    for (i, c, y, x) in [(0, 0, 0, 0), (29, 2, 7, 5), (13, 1, 4, 2)] {
        assert_eq!(d.images.double_value(&[i, c, y, x]), value(i, c, y, x));
    }
    // No test split in the file: 15% held out with the recorded seed (stratified: 2 per class).
    assert_eq!(d.splits.test.len(), 6);
    assert!(d.splits.test_seed.is_some());
}

#[test]
fn hdf5_float_multichannel_with_given_splits() {
    let dir = common::scratch("h5-splits");
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("sim.hdf5");
    common::python(&format!(
        "{VALUE_PY}
import h5py
with h5py.File('{}', 'w') as f:
    f['x_train'] = (grid(20, 6, 4, 4) / 10.0).astype('>f4')   # (N, C, H, W), big-endian
    f['y_train'] = np.linspace(0, 1, 20 * 2).reshape(20, 2)
    f['x_test'] = (grid(5, 6, 4, 4) / 10.0).astype('float64')
    f['y_test'] = np.linspace(2, 3, 5 * 2).reshape(5, 2)
",
        file.display()
    ));
    let d = load(&file).unwrap();
    assert_eq!(d.task, Task::Regression);
    assert_eq!(d.images.size(), vec![25, 6, 4, 4]);
    assert_eq!((d.splits.train.len(), d.splits.test.len()), (20, 5));
    assert_eq!(d.splits.test_seed, None, "the file's test split is kept");
    let got = d.images.double_value(&[3, 5, 2, 1]);
    assert!((got - value(3, 5, 2, 1) / 10.0).abs() < 1e-5, "{got}");
    // Test sample 0 is sample 20 overall; its values restart at i = 0.
    assert!((d.images.double_value(&[20, 5, 2, 1]) - value(0, 5, 2, 1) / 10.0).abs() < 1e-5);
    // Two target columns, named "0" and "1"; the last is the default target.
    assert_eq!(
        (d.targets.size(), d.names.clone()),
        (vec![25, 1], vec!["1".to_string()])
    );
    let t = d.targets.double_value(&[24, 0]);
    assert!((t - 3.0).abs() < 1e-6, "{t}");
}

#[test]
fn hdf5_datasets_in_groups_named_with_x_and_y() {
    let dir = common::scratch("h5-named");
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("galaxies.h5");
    common::python(&format!(
        "{VALUE_PY}
import h5py
with h5py.File('{}', 'w') as f:
    g = f.create_group('survey')
    g['cutouts'] = grid(12, 1, 5, 5)[:, 0].astype('uint16') * 200   # (N, H, W)
    g['ans'] = np.array([0, 1] * 6, dtype='int64')
    f['ra'] = np.zeros(12)
",
        file.display()
    ));
    let msg = err(&file, &ImportOptions::default());
    assert!(
        msg.contains("galaxies.h5") && msg.contains("survey/cutouts") && msg.contains("--x"),
        "{msg}"
    );
    let opts = ImportOptions {
        x: Some("survey/cutouts".into()),
        y: Some("survey/ans".into()),
        ..Default::default()
    };
    let d = load_with(&file, &opts).unwrap();
    assert_eq!(d.images.size(), vec![12, 1, 5, 5]);
    assert_eq!(
        d.images.double_value(&[11, 0, 4, 4]),
        value(11, 0, 4, 4) * 200.0
    );
    let wrong = ImportOptions {
        y: Some("survey/labels".into()),
        ..opts
    };
    let msg = err(&file, &wrong);
    assert!(msg.contains("no array named 'survey/labels'"), "{msg}");
}

#[test]
fn bad_hdf5_files_are_refused_naming_the_file() {
    let dir = common::scratch("h5-bad");
    std::fs::create_dir_all(&dir).unwrap();
    let (short, strings, good) = (
        dir.join("short.h5"),
        dir.join("strings.h5"),
        dir.join("good.h5"),
    );
    common::python(&format!(
        "
import numpy as np, h5py
with h5py.File('{}', 'w') as f:
    f['x'] = np.zeros((10, 4, 4), 'uint8'); f['y'] = np.arange(9) % 2
with h5py.File('{}', 'w') as f:
    f['x'] = np.zeros((4, 4, 4), 'uint8'); f['y'] = np.array([b'a', b'b', b'a', b'b'])
with h5py.File('{}', 'w') as f:
    f['x'] = np.arange(4 * 16, dtype='uint8').reshape(4, 4, 4); f['y'] = np.arange(4) % 2
",
        short.display(),
        strings.display(),
        good.display()
    ));
    let none = ImportOptions::default();
    let msg = err(&short, &none);
    assert!(
        msg.contains("short.h5") && msg.contains("10 images but 9 targets"),
        "{msg}"
    );
    let msg = err(&strings, &none);
    assert!(
        msg.contains("strings.h5") && msg.contains("dataset 'y'"),
        "{msg}"
    );
    let bytes = std::fs::read(&good).unwrap();
    let cut = dir.join("truncated.h5");
    std::fs::write(&cut, &bytes[..bytes.len() / 2]).unwrap();
    let msg = err(&cut, &none);
    assert!(msg.contains("truncated.h5"), "{msg}");
    std::fs::write(dir.join("text.h5"), "not hdf5").unwrap();
    let msg = err(&dir.join("text.h5"), &none);
    assert!(
        msg.contains("text.h5") && msg.contains("not a readable HDF5 file"),
        "{msg}"
    );
}

#[test]
fn float_and_multiband_tiffs_in_class_folders() {
    let root = common::scratch("tiff-bands").join("scans");
    common::python(&format!(
        "{VALUE_PY}
import os, tifffile
root = '{}'
for k, cls in enumerate(['wt', 'mutant']):
    os.makedirs(os.path.join(root, cls))
    for j in range(3):
        i = 3 * k + j
        px = (grid(i + 1, 7, 6, 5)[i] / 4.0).astype('float32')          # (C, H, W), 7 bands
        planar = j % 2 == 1
        tifffile.imwrite(os.path.join(root, cls, f'{{j}}.tif'),
                         px if planar else px.transpose(1, 2, 0),
                         planarconfig='separate' if planar else 'contig',
                         photometric='minisblack')
",
        root.display()
    ));
    let d = load(&root).unwrap();
    assert_eq!(d.images.size(), vec![6, 7, 6, 5]);
    assert_eq!(d.names, vec!["mutant", "wt"]);
    // Find the image of sample i by its first pixel (folder order is not write order).
    for i in 0..6 {
        let first = value(i, 0, 0, 0) / 4.0;
        let n = (0..6)
            .find(|&n| d.images.double_value(&[n, 0, 0, 0]) == first)
            .unwrap_or_else(|| panic!("no image starts with {first}"));
        for (c, y, x) in [(6, 5, 4), (3, 2, 1), (1, 0, 4)] {
            assert_eq!(
                d.images.double_value(&[n, c, y, x]),
                value(i, c, y, x) / 4.0
            );
        }
    }
}

#[test]
fn float_grey_tiff_keeps_its_values_and_one_channel() {
    let root = common::scratch("tiff-grey");
    common::python(&format!(
        "
import os, numpy as np, tifffile
root = '{}'
os.makedirs(root)
rows = ['file,strain']
for i in range(4):
    tifffile.imwrite(os.path.join(root, f'f{{i}}.tiff'), np.full((3, 4), -1.5 + i, 'float64'))
    tifffile.imwrite(os.path.join(root, f'h{{i}}.tif'), np.full((3, 4), 0.25 * i, 'float16'))
    rows += [f'f{{i}}.tiff,{{i}}', f'h{{i}}.tif,{{i + 0.5}}']
open(os.path.join(root, 'labels.csv'), 'w').write('\\n'.join(rows) + '\\n')
",
        root.display()
    ));
    let d = load(&root).unwrap();
    assert_eq!(
        (d.task, d.images.size()),
        (Task::Regression, vec![8, 1, 3, 4])
    );
    let mut firsts: Vec<f64> = (0..8)
        .map(|n| d.images.double_value(&[n, 0, 2, 3]))
        .collect();
    firsts.sort_by(f64::total_cmp);
    assert_eq!(firsts, vec![-1.5, -0.5, 0.0, 0.25, 0.5, 0.5, 0.75, 1.5]);
}
