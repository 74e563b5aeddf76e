//! Imported datasets under a data directory: `datasets/<id>/data.safetensors` (images as uint8
//! when 8-bit, targets, split indices) and `summary.json`, written to a temporary folder and
//! renamed, so a crash never leaves a half dataset that looks whole (temporary folders start
//! with `.` and end with `.tmp`; the server removes any a killed process left when it starts).
//! The id is the first 16 hex digits of the content hash: importing the same data again finds it.
use super::summary::{storage_kind, summarize, Summary};
use super::{DataError, Dataset, ImportOptions, Splits, Task};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use tch::{Kind, Tensor};

const DATA_FILE: &str = "data.safetensors";
const SUMMARY_FILE: &str = "summary.json";

/// Where a dataset with this id lives.
pub fn dataset_dir(data_dir: &Path, id: &str) -> PathBuf {
    data_dir.join("datasets").join(id)
}

/// Whether `text` looks like a dataset id (16 hex digits).
pub fn is_id(text: &str) -> bool {
    text.len() == 16 && text.chars().all(|c| c.is_ascii_hexdigit())
}

/// The summary with its id.
pub fn id_of(summary: &Summary) -> String {
    summary.sha256.chars().take(16).collect()
}

fn tensor_err(path: &Path) -> impl FnOnce(tch::TchError) -> DataError + '_ {
    move |e| DataError::format(path, e.to_string())
}

/// Numbers the temporary folders of this process's imports, so parallel imports of the same data
/// never share one.
static NEXT_TEMP: AtomicU64 = AtomicU64::new(0);

/// An import's temporary folder, `datasets/.<id>.<pid>-<n>.tmp`: removed when dropped, so no
/// error path (nor a panic) leaves it behind; once renamed into place there is nothing to remove.
struct TempDir(PathBuf);

impl TempDir {
    fn create(data_dir: &Path, id: &str) -> Result<TempDir, DataError> {
        let n = NEXT_TEMP.fetch_add(1, Ordering::Relaxed);
        let path = data_dir
            .join("datasets")
            .join(format!(".{id}.{}-{n}.tmp", std::process::id()));
        // A leftover of an earlier process that had this pid.
        let _ = std::fs::remove_dir_all(&path);
        std::fs::create_dir_all(&path).map_err(|e| DataError::io(&path, e))?;
        Ok(TempDir(path))
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Stores `d` unless the same data is already there; returns its summary and whether it was new.
/// Imports of the same data at once each write their own temporary folder; the first to rename
/// it into place wins and the others return its summary.
pub fn import(
    data_dir: &Path,
    d: &Dataset,
    opts: &ImportOptions,
) -> Result<(Summary, bool), DataError> {
    let summary = summarize(d, opts);
    let id = id_of(&summary);
    let dir = dataset_dir(data_dir, &id);
    if dir.join(SUMMARY_FILE).exists() {
        let existing = read_summary(&dir)?;
        // The same data imported again with a symmetry named: the newer word holds.
        if opts.symmetry != super::Symmetry::None && opts.symmetry != existing.symmetry {
            return Ok((set_symmetry(data_dir, &id, opts.symmetry)?, false));
        }
        return Ok((existing, false));
    }
    let tmp = TempDir::create(data_dir, &id)?;
    let index = |v: &[i64]| Tensor::from_slice(v);
    let target_kind = if d.task == Task::Classification {
        Kind::Int64
    } else {
        Kind::Float
    };
    let tensors = [
        ("images", d.images.to_kind(storage_kind(&d.images))),
        ("targets", d.targets.to_kind(target_kind)),
        ("train", index(&d.splits.train)),
        ("val", index(&d.splits.val)),
        ("test", index(&d.splits.test)),
    ];
    let data_path = tmp.0.join(DATA_FILE);
    Tensor::write_safetensors(&tensors, &data_path).map_err(tensor_err(&data_path))?;
    let json = serde_json::to_string_pretty(&summary).unwrap_or_default();
    std::fs::write(tmp.0.join(SUMMARY_FILE), json + "\n").map_err(|e| DataError::io(&tmp.0, e))?;
    match std::fs::rename(&tmp.0, &dir) {
        Ok(()) => Ok((summary, true)),
        // Another import of the same data renamed its folder into place first.
        Err(_) if dir.join(SUMMARY_FILE).exists() => Ok((read_summary(&dir)?, false)),
        Err(e) => Err(DataError::io(&dir, e)),
    }
}

/// Changes what training may flip and turn a stored dataset's images by (it is not part of the
/// dataset's identity): `summary.json` is rewritten through a temporary file and a rename.
pub fn set_symmetry(
    data_dir: &Path,
    id: &str,
    symmetry: super::Symmetry,
) -> Result<Summary, DataError> {
    let dir = dataset_dir(data_dir, id);
    let mut summary = read_summary(&dir)?;
    summary.symmetry = symmetry;
    let path = dir.join(SUMMARY_FILE);
    let tmp = dir.join(format!(".{SUMMARY_FILE}.{}.tmp", std::process::id()));
    let text = serde_json::to_string_pretty(&summary)
        .map_err(|e| DataError::format(&path, e.to_string()))?;
    std::fs::write(&tmp, text).map_err(|e| DataError::io(&tmp, e))?;
    std::fs::rename(&tmp, &path).map_err(|e| DataError::io(&path, e))?;
    Ok(summary)
}

fn read_summary(dir: &Path) -> Result<Summary, DataError> {
    let path = dir.join(SUMMARY_FILE);
    let text = std::fs::read_to_string(&path).map_err(|e| DataError::io(&path, e))?;
    serde_json::from_str(&text).map_err(|e| DataError::format(&path, e.to_string()))
}

/// Loads a stored dataset by id.
pub fn load(data_dir: &Path, id: &str) -> Result<(Dataset, Summary), DataError> {
    let dir = dataset_dir(data_dir, id);
    if !dir.join(SUMMARY_FILE).exists() {
        return Err(DataError::format(
            &dir,
            format!("no dataset {id} in {}", data_dir.display()),
        ));
    }
    let summary = read_summary(&dir)?;
    let path = dir.join(DATA_FILE);
    let named = Tensor::read_safetensors(&path).map_err(tensor_err(&path))?;
    let get = |name: &str| {
        named
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, t)| t.shallow_clone())
            .ok_or_else(|| DataError::format(&path, format!("no tensor '{name}'")))
    };
    let indices = |name: &str| -> Result<Vec<i64>, DataError> {
        Ok(Vec::<i64>::try_from(get(name)?).unwrap_or_default())
    };
    let names = match (&summary.classes, &summary.targets) {
        (Some(c), _) => c.iter().map(|c| c.name.clone()).collect(),
        (_, Some(t)) => t.iter().map(|t| t.name.clone()).collect(),
        _ => vec![],
    };
    let splits = Splits {
        train: indices("train")?,
        val: indices("val")?,
        test: indices("test")?,
        test_seed: summary.test_seed,
    };
    let d = Dataset {
        name: summary.name.clone(),
        task: summary.task,
        images: get("images")?,
        targets: get("targets")?,
        names,
        splits,
        warnings: summary.warnings.clone(),
        preprocessing: summary.preprocessing.clone(),
        symmetry: summary.symmetry,
    };
    Ok((d, summary))
}
