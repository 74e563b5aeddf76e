//! Imports run in a child process (`dartboard data import`), as runs do: a file that decodes to
//! more than memory holds, a decoder crash or the out-of-memory killer ends the child, never the
//! server. The child also draws the dataset's sample grid, so the server never loads a dataset.
//! At most `IMPORTS` run at once; a request beyond waits its turn.
use engine::data::{ImportLimits, ImportOptions};
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use tokio::sync::Semaphore;

/// Imports at once (each may take up to its limits' memory).
pub const IMPORTS: usize = 2;

pub struct Importer {
    exe: PathBuf,
    data_dir: PathBuf,
    pub limits: ImportLimits,
    slots: Semaphore,
}

/// Why an import did not happen: the data's fault (422, message for the client), or ours.
#[derive(Debug)]
pub enum ImportError {
    Refused(String),
    Internal(String),
}

impl Importer {
    pub fn new(exe: PathBuf, data_dir: PathBuf, limits: ImportLimits) -> Importer {
        Importer {
            exe,
            data_dir,
            limits,
            slots: Semaphore::new(IMPORTS),
        }
    }

    /// The child's arguments for `path` with `opts`: each option as one `--key=VALUE`, so that
    /// no value (a dataset named `--`, a target `-1`) can be read as an option of its own.
    fn args(&self, path: &Path, opts: &ImportOptions, name: &str) -> Vec<std::ffi::OsString> {
        let mut a: Vec<std::ffi::OsString> = vec!["data".into(), "import".into(), path.into()];
        let mut put = |k: &str, v: std::ffi::OsString| {
            let mut arg = std::ffi::OsString::from(format!("--{k}="));
            arg.push(v);
            a.push(arg);
        };
        put("data-dir", self.data_dir.clone().into());
        put("name", name.into());
        let pair = |(h, w): (i64, i64)| format!("{h},{w}").into();
        let text = [("x", &opts.x), ("y", &opts.y), ("target", &opts.target)];
        for (k, v) in text {
            if let Some(v) = v {
                put(k, v.into());
            }
        }
        if let Some(y) = &opts.y_file {
            put("y-file", y.into());
        }
        if let Some((c, h, w)) = opts.shape {
            put("shape", format!("{c},{h},{w}").into());
        }
        if let Some(t) = opts.task {
            let t = serde_json::to_value(t).ok();
            put(
                "task",
                t.as_ref().and_then(Value::as_str).unwrap_or("").into(),
            );
        }
        if let Some(c) = opts.crop {
            put("crop", pair(c));
        }
        if let Some(r) = opts.resize {
            put("resize", pair(r));
        }
        if opts.symmetry != engine::data::Symmetry::None {
            put("symmetry", opts.symmetry.name().into());
        }
        if let Some(m) = opts.max_unpacked {
            put("max-unpacked", m.to_string().into());
        }
        let l = self.limits;
        put(crate::data_cmd::LIMITS_OF, "serve".into());
        put("max-image-pixels", l.max_image_pixels.to_string().into());
        put(
            "max-decoded-values",
            l.max_decoded_values.to_string().into(),
        );
        put("max-dataset-bytes", l.max_dataset_bytes.to_string().into());
        a.push("--samples".into());
        a
    }

    /// Imports `path` (named `name`) in a child; the stored summary with `id` and `stored`.
    pub async fn import(
        &self,
        path: &Path,
        opts: &ImportOptions,
        name: &str,
    ) -> Result<Value, ImportError> {
        let _slot = self
            .slots
            .acquire()
            .await
            .map_err(|e| ImportError::Internal(e.to_string()))?;
        let out = tokio::process::Command::new(&self.exe)
            .args(self.args(path, opts, name))
            // One thread: imports are I/O and decoding, and runs have the cores.
            .env(crate::worker::THREADS_VAR, "1")
            .stdin(Stdio::null())
            .kill_on_drop(true)
            .output()
            .await
            .map_err(|e| ImportError::Internal(format!("{}: {e}", self.exe.display())))?;
        if out.status.success() {
            return serde_json::from_slice(&out.stdout)
                .map_err(|e| ImportError::Internal(format!("the import's answer: {e}")));
        }
        let err = String::from_utf8_lossy(&out.stderr);
        let message = err
            .lines()
            .rev()
            .find_map(|l| l.strip_prefix("error: "))
            .map(str::to_string);
        match message {
            Some(m) => Err(ImportError::Refused(m)),
            None => Err(ImportError::Refused(crashed(&out.status))),
        }
    }

    /// Draws the sample grid of a dataset imported before the child drew it.
    pub async fn draw_samples(&self, id: &str) -> Result<(), ImportError> {
        let _slot = self
            .slots
            .acquire()
            .await
            .map_err(|e| ImportError::Internal(e.to_string()))?;
        let out = tokio::process::Command::new(&self.exe)
            .args(["data", "samples", id, "--data-dir"])
            .arg(&self.data_dir)
            .env(crate::worker::THREADS_VAR, "1")
            .stdin(Stdio::null())
            .kill_on_drop(true)
            .output()
            .await
            .map_err(|e| ImportError::Internal(format!("{}: {e}", self.exe.display())))?;
        if out.status.success() {
            Ok(())
        } else {
            let err = String::from_utf8_lossy(&out.stderr).trim().to_string();
            Err(ImportError::Internal(format!(
                "{}; {err}",
                crashed(&out.status)
            )))
        }
    }
}

/// How a child that printed no error ended.
fn crashed(status: &std::process::ExitStatus) -> String {
    use std::os::unix::process::ExitStatusExt;
    match status.signal() {
        Some(libc::SIGKILL) => "the import was killed (out of memory?): the data decodes to more than this machine holds; lower resize or split the data".into(),
        Some(s) => format!("the import crashed (signal {s})"),
        None => format!("the import failed (exit status {})", status.code().unwrap_or(-1)),
    }
}
