//! Walking the files of a folder, `.zip`, `.tar` or `.tar.gz` as (relative path, bytes), streamed
//! in order without unpacking to disk. Entries that escape the archive (`..`, absolute paths,
//! links) are refused, and so is an archive whose unpacked size passes the limit, checked while
//! streaming.
use super::DataError;
use flate2::read::GzDecoder;
use std::io::Read;
use std::path::{Component, Path, PathBuf};

/// Default bound on the bytes an archive may unpack to.
pub const DEFAULT_MAX_UNPACKED: u64 = 8 << 30;

/// One file or folder: its path inside the source (with `/` separators) and a file's bytes.
pub struct Entry {
    pub path: String,
    pub bytes: Vec<u8>,
    pub is_dir: bool,
}

/// Whether `path` is a folder or an archive this module walks.
pub fn is_container(path: &Path) -> bool {
    let name = path.to_string_lossy().to_ascii_lowercase();
    path.is_dir()
        || name.ends_with(".zip")
        || name.ends_with(".tar")
        || name.ends_with(".tar.gz")
        || name.ends_with(".tgz")
}

/// Checks that an entry name stays inside its archive and returns it with `/` separators.
fn safe_name(source: &Path, name: &Path) -> Result<String, DataError> {
    let mut parts = Vec::new();
    for c in name.components() {
        match c {
            Component::Normal(p) => parts.push(p.to_string_lossy().into_owned()),
            Component::CurDir => {}
            _ => {
                return Err(DataError::format(
                    source,
                    format!("entry '{}' escapes the archive", name.display()),
                ))
            }
        }
    }
    Ok(parts.join("/"))
}

struct Budget<'a> {
    source: &'a Path,
    used: u64,
    max: u64,
}

/// The refusal of a source that unpacks past `max` bytes, at `entry`.
fn over_unpacked(max: u64, entry: &str) -> String {
    format!("unpacks to more than {max} bytes (at '{entry}'); raise the limit with --max-unpacked if this is expected")
}

impl Budget<'_> {
    fn take(&mut self, bytes: u64, entry: &str) -> Result<(), DataError> {
        self.used = self.used.saturating_add(bytes);
        if self.used > self.max {
            return Err(DataError::format(
                self.source,
                over_unpacked(self.max, entry),
            ));
        }
        Ok(())
    }
}

/// A reader that fails once more than `max` bytes came through it: one compressed file or
/// archive member, bounded as `walk` bounds a whole archive.
pub(crate) struct Bounded<R> {
    inner: R,
    left: u64,
    max: u64,
    entry: String,
}

impl<R: Read> Bounded<R> {
    pub(crate) fn new(inner: R, max: u64, entry: &str) -> Self {
        Bounded {
            inner,
            left: max,
            max,
            entry: entry.to_string(),
        }
    }
}

impl<R: Read> Read for Bounded<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        match self.left.checked_sub(n as u64) {
            Some(left) => {
                self.left = left;
                Ok(n)
            }
            None => Err(std::io::Error::other(over_unpacked(self.max, &self.entry))),
        }
    }
}

/// Reads an entry's bytes, counting them against the budget as they stream.
fn read_counted(r: &mut dyn Read, budget: &mut Budget, entry: &str) -> Result<Vec<u8>, DataError> {
    let mut bytes = Vec::new();
    let mut buf = [0u8; 64 * 1024];
    loop {
        let n = r
            .read(&mut buf)
            .map_err(|e| DataError::format(budget.source, format!("'{entry}': {e}")))?;
        if n == 0 {
            return Ok(bytes);
        }
        budget.take(n as u64, entry)?;
        bytes.extend_from_slice(&buf[..n]);
    }
}

/// Calls `f` on every file, in the source's order. Folders are walked in sorted order.
pub fn walk(
    source: &Path,
    max_unpacked: u64,
    f: &mut dyn FnMut(Entry) -> Result<(), DataError>,
) -> Result<(), DataError> {
    let mut budget = Budget {
        source,
        used: 0,
        max: max_unpacked,
    };
    let name = source.to_string_lossy().to_ascii_lowercase();
    if source.is_dir() {
        walk_dir(source, source, &mut budget, f)
    } else if name.ends_with(".zip") {
        let file = std::fs::File::open(source).map_err(|e| DataError::io(source, e))?;
        let mut zip = zip::ZipArchive::new(file)
            .map_err(|e| DataError::format(source, format!("not a valid zip archive: {e}")))?;
        for i in 0..zip.len() {
            let mut entry = zip
                .by_index(i)
                .map_err(|e| DataError::format(source, format!("entry {i}: {e}")))?;
            let path = safe_name(source, Path::new(entry.name()))?;
            let kind = if entry.is_symlink() {
                Kind::Link
            } else if entry.is_dir() {
                Kind::Dir
            } else {
                Kind::File
            };
            visit(source, path, kind, &mut entry, &mut budget, f)?;
        }
        Ok(())
    } else {
        let file = std::fs::File::open(source).map_err(|e| DataError::io(source, e))?;
        let reader: Box<dyn Read> = if name.ends_with(".tar") {
            Box::new(file)
        } else {
            Box::new(GzDecoder::new(file))
        };
        let mut archive = tar::Archive::new(reader);
        let entries = archive
            .entries()
            .map_err(|e| DataError::format(source, format!("not a valid tar archive: {e}")))?;
        for entry in entries {
            let mut entry = entry
                .map_err(|e| DataError::format(source, format!("corrupt tar archive: {e}")))?;
            let raw = entry
                .path()
                .map_err(|e| DataError::format(source, e.to_string()))?
                .into_owned();
            let path = safe_name(source, &raw)?;
            let kind = match entry.header().entry_type() {
                t if t.is_symlink() || t.is_hard_link() => Kind::Link,
                t if t.is_dir() => Kind::Dir,
                t if t.is_file() => Kind::File,
                _ => Kind::Other,
            };
            visit(source, path, kind, &mut entry, &mut budget, f)?;
        }
        Ok(())
    }
}

/// What an archive entry is.
enum Kind {
    File,
    Dir,
    Link,
    Other,
}

/// Hands one archive entry to `f`: links are refused, files are read against the budget.
fn visit(
    source: &Path,
    path: String,
    kind: Kind,
    reader: &mut dyn Read,
    budget: &mut Budget,
    f: &mut dyn FnMut(Entry) -> Result<(), DataError>,
) -> Result<(), DataError> {
    match kind {
        Kind::Link => Err(DataError::format(
            source,
            format!("entry '{path}' is a link; archives of links are refused"),
        )),
        Kind::Dir => f(Entry {
            path,
            bytes: vec![],
            is_dir: true,
        }),
        Kind::File => {
            let bytes = read_counted(reader, budget, &path)?;
            f(Entry {
                path,
                bytes,
                is_dir: false,
            })
        }
        Kind::Other => Ok(()),
    }
}

fn walk_dir(
    root: &Path,
    dir: &Path,
    budget: &mut Budget,
    f: &mut dyn FnMut(Entry) -> Result<(), DataError>,
) -> Result<(), DataError> {
    let mut children: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(|e| DataError::io(dir, e))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .collect();
    children.sort();
    for child in children {
        let meta = std::fs::symlink_metadata(&child).map_err(|e| DataError::io(&child, e))?;
        let rel = child
            .strip_prefix(root)
            .unwrap_or(&child)
            .to_string_lossy()
            .replace('\\', "/");
        if meta.file_type().is_symlink() {
            return Err(DataError::format(
                root,
                format!("'{rel}' is a link; links are refused"),
            ));
        }
        if meta.is_dir() {
            f(Entry {
                path: rel,
                bytes: vec![],
                is_dir: true,
            })?;
            walk_dir(root, &child, budget, f)?;
        } else {
            let mut file = std::fs::File::open(&child).map_err(|e| DataError::io(&child, e))?;
            let bytes = read_counted(&mut file, budget, &rel)?;
            f(Entry {
                path: rel,
                bytes,
                is_dir: false,
            })?;
        }
    }
    Ok(())
}
