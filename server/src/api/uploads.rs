//! `POST /api/datasets`: a multipart upload (`file`, and `y_file` for two-file formats, with the
//! import options as text fields), streamed to disk under a size limit, imported by the engine in
//! a child process (`importer`), registered. Nothing is kept when the import fails.
use super::error::{ApiError, ApiResult};
use super::state::State;
use crate::importer::ImportError;
use axum::extract::Multipart;
use axum::http::StatusCode;
use axum::Json;
use engine::data::{parse_shape, parse_size, parse_symmetry, parse_task, ImportOptions};
use serde_json::Value;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use tokio::io::AsyncWriteExt;

const TEXT_FIELDS: [&str; 9] = [
    "name", "task", "x", "y", "target", "shape", "resize", "crop", "symmetry",
];

/// The most bytes a text field of the form may hold (a dataset's name, an array's name, a size):
/// read chunk by chunk and refused past it, never held whole.
pub const TEXT_FIELD_BYTES: usize = 4096;

/// A folder under `uploads/` removed when dropped.
struct Scratch(PathBuf);

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// The file name alone, with anything odd replaced.
fn safe_name(name: &str) -> String {
    let base = name.rsplit(['/', '\\']).next().unwrap_or("");
    let clean: String = base
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "._-".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect();
    match clean.trim_start_matches('.') {
        "" => "upload".into(),
        s => s.to_string(),
    }
}

fn too_large(limit: u64) -> ApiError {
    ApiError::new(
        StatusCode::PAYLOAD_TOO_LARGE,
        format!("the upload is larger than this server's limit of {limit} bytes (dartboard serve --upload-limit)"),
    )
}

fn bad(message: impl std::fmt::Display) -> ApiError {
    ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, message)
}

fn options(text: &HashMap<String, String>, y_file: Option<PathBuf>) -> ApiResult<ImportOptions> {
    fn opt<T>(
        text: &HashMap<String, String>,
        key: &str,
        f: fn(&str) -> Result<T, String>,
    ) -> ApiResult<Option<T>> {
        text.get(key)
            .filter(|v| !v.trim().is_empty())
            .map(|v| f(v.trim()).map_err(|m| bad(format!("{key}: {m}"))))
            .transpose()
    }
    let s = |k: &str| {
        text.get(k)
            .filter(|v| !v.trim().is_empty())
            .map(|v| v.trim().to_string())
    };
    Ok(ImportOptions {
        x: s("x"),
        y: s("y"),
        y_file,
        target: s("target"),
        shape: opt(text, "shape", parse_shape)?,
        task: opt(text, "task", parse_task)?,
        crop: opt(text, "crop", parse_size)?,
        resize: opt(text, "resize", parse_size)?,
        symmetry: opt(text, "symmetry", parse_symmetry)?.unwrap_or_default(),
        max_unpacked: None,
        limits: Default::default(),
    })
}

/// A text field's value, refused past `TEXT_FIELD_BYTES` or when it is not UTF-8.
async fn text_field(
    key: &str,
    field: &mut axum::extract::multipart::Field<'_>,
) -> ApiResult<String> {
    let mut bytes = Vec::new();
    while let Some(chunk) = field.chunk().await.map_err(|e| {
        if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
            ApiError::new(e.status(), e.body_text())
        } else {
            bad(e.body_text())
        }
    })? {
        if bytes.len() + chunk.len() > TEXT_FIELD_BYTES {
            return Err(bad(format!(
                "form field '{key}' is longer than {TEXT_FIELD_BYTES} bytes"
            )));
        }
        bytes.extend_from_slice(&chunk);
    }
    String::from_utf8(bytes).map_err(|_| bad(format!("form field '{key}' is not UTF-8 text")))
}

pub async fn upload(state: State, mut form: Multipart) -> ApiResult<(StatusCode, Json<Value>)> {
    let limit = state.limits.upload_bytes;
    // Refused before the body is read: the answer may reach a browser as a broken connection
    // when the body is large (a failed write later reads the body to its end first).
    super::runs::writable(&state).await?;
    let mut token = [0u8; 8];
    getrandom::fill(&mut token).map_err(ApiError::internal)?;
    let hex: String = token.iter().map(|b| format!("{b:02x}")).collect();
    let scratch = Scratch(state.data_dir.join("uploads").join(hex));
    tokio::fs::create_dir_all(&scratch.0)
        .await
        .map_err(ApiError::io)?;
    let (mut files, mut text) = (HashMap::new(), HashMap::new());
    let mut total = 0u64;
    // A write that failed (a full or read-only disk): the rest of the body is still read (and
    // dropped), so that the browser gets the answer rather than a broken connection.
    let mut failed: Option<ApiError> = None;
    while let Some(mut field) = form.next_field().await.map_err(|e| {
        if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
            too_large(limit)
        } else {
            bad(e.body_text())
        }
    })? {
        let key = field.name().unwrap_or("").to_string();
        if (key == "file" || key == "y_file") && field.file_name().is_some_and(str::is_empty) {
            // A browser form's file input left empty.
            continue;
        } else if key == "file" || key == "y_file" {
            let name = safe_name(field.file_name().unwrap_or(&key));
            // Two files of one name (x.txt and its targets) stay apart.
            let path = scratch.0.join(&key).join(&name);
            let opened = match tokio::fs::create_dir_all(scratch.0.join(&key)).await {
                Ok(()) => tokio::fs::File::create(&path).await,
                Err(e) => Err(e),
            };
            let mut out = match opened {
                Ok(file) => Some(file),
                Err(e) => {
                    failed.get_or_insert(ApiError::io(e));
                    None
                }
            };
            loop {
                let chunk = field.chunk().await.map_err(|e| {
                    if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
                        too_large(limit)
                    } else {
                        bad(e.body_text())
                    }
                })?;
                let Some(chunk) = chunk else { break };
                total += chunk.len() as u64;
                if total > limit {
                    return Err(too_large(limit));
                }
                if let Some(file) = out.as_mut() {
                    if let Err(e) = file.write_all(&chunk).await {
                        failed.get_or_insert(ApiError::io(e));
                        out = None;
                        let _ = tokio::fs::remove_file(&path).await;
                    }
                }
            }
            if let Some(mut file) = out {
                if let Err(e) = file.flush().await {
                    failed.get_or_insert(ApiError::io(e));
                }
            }
            files.insert(key, (path, name));
        } else if TEXT_FIELDS.contains(&key.as_str()) {
            let value = text_field(&key, &mut field).await?;
            text.insert(key, value);
        } else {
            return Err(bad(format!(
                "unknown form field '{key}'; expected file, y_file or one of {TEXT_FIELDS:?}"
            )));
        }
    }
    if let Some(e) = failed {
        return Err(e);
    }
    let Some((path, file_name)) = files.remove("file") else {
        return Err(bad("the form has no 'file' field"));
    };
    let opts = options(&text, files.remove("y_file").map(|(p, _)| p))?;
    let name = text
        .get("name")
        .filter(|n| !n.trim().is_empty())
        .cloned()
        .unwrap_or(file_name);
    let imported = state.importer.import(&path, &opts, &name).await;
    let mut summary = imported.map_err(|e| match e {
        // Errors name the uploaded file as the user called it, never our folders.
        ImportError::Refused(m) => match crate::faults::Fault::of_text(&m) {
            // The disk filled or turned read-only under the import: ours, not the data's.
            Some(f) => ApiError::fault(f, m),
            None => bad(without_paths(&m, &scratch.0, &state.data_dir)),
        },
        ImportError::Internal(m) => ApiError::internal(m),
    })?;
    let id = summary["id"].as_str().unwrap_or_default().to_string();
    if let Value::Object(m) = &mut summary {
        m.remove("id");
        m.remove("stored");
    }
    let name = summary["name"].as_str().map_or(name, str::to_string);
    let created = state.store.insert_dataset(&id, &name, &summary).await?;
    if !created {
        // The same data again: a symmetry named with it holds from now on.
        state.store.update_dataset_summary(&id, &summary).await?;
    }
    let row = state
        .store
        .dataset(&id)
        .await?
        .ok_or_else(ApiError::not_found)?;
    let mut body = row.summary.clone();
    body["id"] = id.into();
    body["name"] = row.name.into();
    body["created_at"] = row.created_at.into();
    let status = if created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((status, Json(body)))
}

/// A message with the server's folders taken out: the upload's scratch folder (leaving the file
/// name the user gave) and the data directory.
pub fn without_paths(message: &str, scratch: &Path, data_dir: &Path) -> String {
    let scratch = scratch.display().to_string();
    let mut m = message.to_string();
    for prefix in [
        format!("{scratch}/file/"),
        format!("{scratch}/y_file/"),
        format!("{scratch}/"),
        scratch,
        format!("{}/", data_dir.display()),
        data_dir.display().to_string(),
    ] {
        m = m.replace(&prefix, "");
    }
    m
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_lose_server_paths() {
        let scratch = Path::new("/srv/data/uploads/0a1b");
        let data = Path::new("/srv/data");
        let m = "/srv/data/uploads/0a1b/file/x.npz: shape (-2, -2, 1) is not an image array; \
                 /srv/data/uploads/0a1b/y_file/y.txt; stored in /srv/data/datasets";
        let out = without_paths(m, scratch, data);
        assert_eq!(
            out,
            "x.npz: shape (-2, -2, 1) is not an image array; y.txt; stored in datasets"
        );
        assert!(!out.contains("/srv"));
    }
}
