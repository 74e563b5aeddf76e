//! The files a run writes as it goes: the event log (`events.jsonl`) and JSON files replaced
//! atomically (written to a temporary name, then renamed).
use crate::events::Event;
use crate::search::error::SearchError;
use serde::Serialize;
use std::fs::OpenOptions;
use std::io::Write;
use std::path::{Path, PathBuf};

/// Appends events to `events.jsonl` with increasing `seq`, and passes each to a listener.
pub struct EventLog<'a> {
    file: std::fs::File,
    path: PathBuf,
    seq: u64,
    listener: &'a mut dyn FnMut(u64, &Event),
}

impl<'a> EventLog<'a> {
    pub fn open(out: &Path, listener: &'a mut dyn FnMut(u64, &Event)) -> Result<Self, SearchError> {
        let path = out.join("events.jsonl");
        let seq = std::fs::read_to_string(&path)
            .map(|s| s.lines().count() as u64)
            .unwrap_or(0);
        let file = OpenOptions::new()
            .create(true)
            .append(true)
            .open(&path)
            .map_err(|source| SearchError::Io {
                path: path.clone(),
                source,
            })?;
        Ok(EventLog {
            file,
            path,
            seq,
            listener,
        })
    }

    pub fn emit(&mut self, event: Event) -> Result<(), SearchError> {
        self.seq += 1;
        let line = event.to_json_with_seq(self.seq).to_string();
        writeln!(self.file, "{line}").map_err(|source| SearchError::Io {
            path: self.path.clone(),
            source,
        })?;
        (self.listener)(self.seq, &event);
        Ok(())
    }
}

/// The end of a run that worked: `result.json` written, then the `succeeded` status.
pub fn succeed<T: Serialize>(
    log: &mut EventLog,
    out: &Path,
    result: &T,
) -> Result<(), SearchError> {
    write_json(&out.join("result.json"), result)?;
    log.emit(Event::Status {
        status: crate::events::RunStatus::Succeeded,
        message: None,
    })
}

pub fn write_json<T: Serialize>(path: &Path, value: &T) -> Result<(), SearchError> {
    let tmp = path.with_extension("json.tmp");
    let text = serde_json::to_string_pretty(value).unwrap_or_default();
    std::fs::write(&tmp, text + "\n").map_err(|source| SearchError::Io {
        path: tmp.clone(),
        source,
    })?;
    std::fs::rename(&tmp, path).map_err(|source| SearchError::Io {
        path: path.to_path_buf(),
        source,
    })
}
