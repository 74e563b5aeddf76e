//! Folders and archives of image files: `<class>/<file>` or `<split>/<class>/<file>` (split:
//! train, val/validation, test), or any layout with a `labels.csv` whose first column names each
//! image relative to the folder holding it and whose other columns are targets. One top-level
//! folder holding everything is looked through. Non-image files are skipped and counted.
use super::archive::{self, Entry, DEFAULT_MAX_UNPACKED};
use super::decode::{self, is_image, Decoded, Pixels};
use super::labels::{self, Layout};
use super::limits::{product, Tally};
use super::pool::Pool;
use super::targets::RawTargets;
use super::{preprocess, DataError, ImportOptions, Origin, Raw, SplitName};
use std::collections::BTreeSet;
use std::path::Path;
use tch::Tensor;

const LABELS_FILE: &str = "labels.csv";

fn split_of(name: &str) -> Option<SplitName> {
    match name.to_ascii_lowercase().as_str() {
        "train" | "training" => Some(SplitName::Train),
        "val" | "valid" | "validation" => Some(SplitName::Val),
        "test" | "testing" => Some(SplitName::Test),
        _ => None,
    }
}

/// What the walk collected.
struct Collected {
    images: Vec<String>,
    labels_csv: Option<(String, Vec<u8>)>,
    /// IDX files (`*-idx3-ubyte`, `*-idx1-ubyte`, maybe `.gz`): an archive of MNIST's files.
    idx: Vec<(String, Vec<u8>)>,
    dirs: BTreeSet<String>,
    skipped: Vec<String>,
}

fn is_idx(file_name: &str) -> bool {
    let n = file_name.to_ascii_lowercase();
    let n = n.strip_suffix(".gz").unwrap_or(&n);
    n.ends_with("-idx3-ubyte") || n.ends_with("-idx1-ubyte")
}

/// Streams the source, decoding images in parallel as they arrive, each cropped and resized as
/// soon as it is decoded. Each image's size is read from its header first and refused over the
/// bounds (pixels per image; values the import keeps, after crop and resize) before it is handed
/// to a decoder, so memory is bounded by a few source images plus what is kept.
fn collect(
    source: &Path,
    opts: &ImportOptions,
) -> Result<(Collected, Vec<Result<Decoded, String>>), DataError> {
    let max_unpacked = opts.max_unpacked.unwrap_or(DEFAULT_MAX_UNPACKED);
    let mut tally = Tally::new(&opts.limits);
    let pool = Pool::new(opts);
    let mut c = Collected {
        images: vec![],
        labels_csv: None,
        idx: vec![],
        dirs: BTreeSet::new(),
        skipped: vec![],
    };
    let walked = archive::walk(source, max_unpacked, &mut |e: Entry| {
        let file_name = e.path.rsplit('/').next().unwrap_or("").to_string();
        if e.is_dir {
            c.dirs.insert(e.path);
        } else if file_name.eq_ignore_ascii_case(LABELS_FILE) {
            if c.labels_csv
                .as_ref()
                .is_none_or(|(p, _)| e.path.len() < p.len())
            {
                c.labels_csv = Some((e.path, e.bytes));
            }
        } else if is_idx(&file_name) {
            // Held until the walk ends: counted against the bound like decoded values.
            let held = e.bytes.len() as u64;
            tally.add(source, Some(held), || {
                format!("'{}' ({held} bytes)", e.path)
            })?;
            c.idx.push((file_name, e.bytes));
        } else if is_image(&e.path) {
            measure(source, &e, opts, &mut tally)?;
            pool.submit(c.images.len(), e.bytes);
            c.images.push(e.path);
        } else if !file_name.starts_with('.') {
            c.skipped.push(e.path);
        }
        Ok(())
    });
    let decoded = pool.finish();
    walked?;
    Ok((c, decoded))
}

/// Refuses an image whose header gives more pixels than one image may have, one smaller than
/// the crop, or one whose kept values (after crop and resize) pass what is left for the import.
fn measure(
    source: &Path,
    e: &Entry,
    opts: &ImportOptions,
    tally: &mut Tally,
) -> Result<(), DataError> {
    let limits = &opts.limits;
    let undecodable =
        |m: String| DataError::format(source, format!("'{}': cannot decode image: {m}", e.path));
    let (h, w) = decode::dimensions(&e.bytes, limits).map_err(undecodable)?;
    limits.check_image(source, &format!("'{}'", e.path), h.into(), w.into())?;
    let c = decode::channels(&e.bytes, limits).map_err(undecodable)?;
    if let Some((ch, cw)) = opts.crop {
        if ch > i64::from(h) || cw > i64::from(w) {
            return Err(DataError::format(
                source,
                format!("'{}' is {h}x{w}, smaller than --crop {ch},{cw}", e.path),
            ));
        }
    }
    let (kh, kw) = preprocess::output_size(source, (h.into(), w.into()), opts)?;
    let values = product(&[c.unsigned_abs(), kh.unsigned_abs(), kw.unsigned_abs()]);
    tally.add(source, values, || match (opts.crop, opts.resize) {
        (None, None) => format!("'{}' ({c}x{h}x{w})", e.path),
        _ => format!("'{}' ({c}x{h}x{w}, kept as {c}x{kh}x{kw})", e.path),
    })
}

/// The common top-level folder of every path, if there is exactly one.
fn common_root(paths: &[String]) -> Option<String> {
    let first = paths.first()?.split_once('/')?.0.to_string();
    paths
        .iter()
        .all(|p| p.split_once('/').is_some_and(|(head, _)| head == first))
        .then_some(first)
}

fn strip<'a>(path: &'a str, root: &Option<String>) -> &'a str {
    match root {
        Some(r) if path == r => "",
        Some(r) => path
            .strip_prefix(r.as_str())
            .and_then(|p| p.strip_prefix('/'))
            .unwrap_or(path),
        None => path,
    }
}

/// (split, class) from `<class>/<file>` or `<split>/<class>/<file>`.
fn class_layout(source: &Path, rel: &str) -> Result<(Option<SplitName>, String), DataError> {
    let parts: Vec<&str> = rel.split('/').collect();
    match parts.as_slice() {
        [class, _] => Ok((None, class.to_string())),
        [split, class, _] if split_of(split).is_some() => Ok((split_of(split), class.to_string())),
        _ => Err(DataError::format(
            source,
            format!("'{rel}' is not <class>/<file> or <split>/<class>/<file>; or add a labels.csv naming each image"),
        )),
    }
}

pub(crate) fn read(source: &Path, opts: &ImportOptions) -> Result<Raw, DataError> {
    let (c, decoded) = collect(source, opts)?;
    if c.images.is_empty() && !c.idx.is_empty() {
        return idx_files(source, &c.idx, opts);
    }
    if c.images.is_empty() {
        return Err(DataError::format(
            source,
            format!(
                "no image files (JPEG, PNG or TIFF) found; {} other files skipped",
                c.skipped.len()
            ),
        ));
    }
    let mut all: Vec<String> = c.images.clone();
    all.extend(c.labels_csv.iter().map(|(p, _)| p.clone()));
    let root = common_root(&all);
    let mut images = Vec::with_capacity(c.images.len());
    for (path, d) in c.images.iter().zip(decoded) {
        images.push(d.map_err(|e| {
            DataError::format(source, format!("'{path}': cannot decode image: {e}"))
        })?);
    }
    // Sample order: split, then path; targets and parts follow it.
    let (order, targets, parts) = match &c.labels_csv {
        Some((csv_path, bytes)) => labels::layout(source, csv_path, bytes, &c.images, opts)?,
        None => folder_layout(source, &c.images, &root, &c.dirs)?,
    };
    // The one size every source image had, for a model that crops and resizes as the import did.
    let sizes: BTreeSet<(i64, i64)> = images.iter().map(|d| d.source).collect();
    let source_size = match (sizes.len(), sizes.first()) {
        (1, Some(s)) => Some(*s),
        _ => None,
    };
    let tensor = stack(source, &c.images, images, &order, opts)?;
    let entries = order.iter().map(|&i| c.images[i].clone()).collect();
    let mut raw = Raw {
        images: tensor,
        targets,
        parts,
        path: source.to_path_buf(),
        preprocessed: (opts.resize.is_some() || opts.crop.is_some()).then_some(source_size),
        origin: Origin::Entries(entries),
        warnings: vec![],
    };
    if !c.skipped.is_empty() {
        raw.warnings.push(format!(
            "skipped {} non-image files (e.g. '{}')",
            c.skipped.len(),
            c.skipped[0]
        ));
    }
    Ok(raw)
}

/// An archive of IDX files, read as the IDX folder it was made from: its files are written to
/// a scratch folder (removed after) and read there.
fn idx_files(
    source: &Path,
    files: &[(String, Vec<u8>)],
    opts: &ImportOptions,
) -> Result<Raw, DataError> {
    struct Scratch(std::path::PathBuf);
    impl Drop for Scratch {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    let name = format!("dartboard-idx-{}-{nanos}", std::process::id());
    let dir = Scratch(std::env::temp_dir().join(name));
    std::fs::create_dir_all(&dir.0).map_err(|e| DataError::io(&dir.0, e))?;
    for (name, bytes) in files {
        let path = dir.0.join(name);
        std::fs::write(&path, bytes).map_err(|e| DataError::io(&path, e))?;
    }
    let mut raw = super::idx::read_dir(&dir.0, &opts.limits).map_err(|e| {
        let message = e.to_string().replace(&format!("{}/", dir.0.display()), "");
        DataError::format(source, message)
    })?;
    raw.path = source.to_path_buf();
    Ok(raw)
}

fn folder_layout(
    source: &Path,
    paths: &[String],
    root: &Option<String>,
    dirs: &BTreeSet<String>,
) -> Result<Layout, DataError> {
    let mut keyed = Vec::with_capacity(paths.len());
    let mut used_dirs = BTreeSet::new();
    for (i, p) in paths.iter().enumerate() {
        let rel = strip(p, root);
        let (split, class) = class_layout(source, rel)?;
        if let Some((dir, _)) = p.rsplit_once('/') {
            used_dirs.insert(dir.to_string());
        }
        keyed.push((
            split.map_or(0, |s| s as u8),
            rel.to_string(),
            i,
            split,
            class,
        ));
    }
    // An empty class folder: a folder at class depth that holds no image.
    for d in dirs {
        let rel = strip(d, root);
        let depth = rel.split('/').count();
        let at_class_depth = depth == 1 && split_of(rel).is_none()
            || depth == 2 && rel.split('/').next().and_then(split_of).is_some();
        if at_class_depth && !used_dirs.iter().any(|u| u == d) && !rel.is_empty() {
            return Err(DataError::format(
                source,
                format!("class folder '{rel}' holds no images"),
            ));
        }
    }
    keyed.sort_by(|a, b| (a.0, &a.1).cmp(&(b.0, &b.1)));
    let splits: Vec<Option<SplitName>> = keyed.iter().map(|k| k.3).collect();
    let parts = if splits.iter().all(Option::is_none) {
        vec![]
    } else {
        runs(&splits)?
    };
    let order = keyed.iter().map(|k| k.2).collect();
    let labels = keyed.into_iter().map(|k| k.4).collect();
    Ok((order, RawTargets::Text(labels), parts))
}

/// Consecutive runs of splits (images outside a split folder are refused when others are in one).
fn runs(splits: &[Option<SplitName>]) -> Result<Vec<(SplitName, usize)>, DataError> {
    let mut parts: Vec<(SplitName, usize)> = Vec::new();
    for s in splits {
        let s = s.unwrap_or(SplitName::Train);
        match parts.last_mut() {
            Some((last, n)) if *last == s => *n += 1,
            _ => parts.push((s, 1)),
        }
    }
    Ok(parts)
}

/// Stacks the images in `order` (each already cropped and resized) into [N, C, H, W]; mixed
/// channel counts are refused, mixed sizes too (a resize makes them one).
fn stack(
    source: &Path,
    paths: &[String],
    images: Vec<Decoded>,
    order: &[usize],
    opts: &ImportOptions,
) -> Result<Tensor, DataError> {
    let channels: BTreeSet<i64> = images.iter().map(|d| d.channels).collect();
    if channels.len() > 1 {
        let example = |c: i64| {
            images
                .iter()
                .position(|d| d.channels == c)
                .map_or("", |i| paths[i].as_str())
        };
        let list: Vec<String> = channels
            .iter()
            .map(|&c| format!("{c} ('{}')", example(c)))
            .collect();
        return Err(DataError::format(
            source,
            format!("images have different channel counts: {}", list.join(", ")),
        ));
    }
    let sizes: BTreeSet<(i64, i64)> = images.iter().map(|d| (d.height, d.width)).collect();
    let (Some(&c), Some(&size)) = (channels.first(), sizes.first()) else {
        return Err(DataError::format(source, "no images"));
    };
    if sizes.len() > 1 {
        let list: Vec<String> = sizes
            .iter()
            .take(10)
            .map(|(h, w)| format!("{h}x{w}"))
            .collect();
        return Err(DataError::format(
            source,
            format!(
                "images differ in size ({}); give --resize H[,W]",
                list.join(", ")
            ),
        ));
    }
    preprocess::check_kept(source, order.len(), c, size, opts)?;
    if !images.iter().all(|d| matches!(d.pixels, Pixels::U8(_))) {
        let each: Vec<Tensor> = order.iter().map(|&i| images[i].tensor()).collect();
        return Ok(Tensor::stack(&each, 0));
    }
    // All 8-bit: copied straight into one uint8 tensor, each image freed as soon as it is in,
    // so the peak stays near twice what is kept.
    let out = Tensor::zeros(
        [order.len() as i64, c, size.0, size.1],
        (tch::Kind::Uint8, tch::Device::Cpu),
    );
    let mut slots: Vec<Option<Decoded>> = images.into_iter().map(Some).collect();
    for (k, &i) in order.iter().enumerate() {
        if let Some(Decoded {
            pixels: Pixels::U8(v),
            ..
        }) = slots[i].take()
        {
            out.get(k as i64)
                .copy_(&Tensor::from_slice(&v).view_as(&out.get(k as i64)));
        }
    }
    Ok(out)
}
