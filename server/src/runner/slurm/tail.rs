//! Reading a worker's `events.jsonl` as it grows: whole lines only (a line still being written
//! waits for the next read), each event with the file offset just after it.
use serde_json::Value;
use std::io::{Read, Seek, SeekFrom};
use std::path::Path;

/// Bytes read at most per call (a follower that fell behind catches up over several calls).
const CHUNK: u64 = 4 << 20;

/// The events on complete lines after byte `offset`, each with the offset after its line, and
/// the offset after the last complete line (past lines that are not JSON too).
pub fn read_events(path: &Path, offset: i64) -> std::io::Result<(Vec<(Value, i64)>, i64)> {
    let mut file = match std::fs::File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok((vec![], offset)),
        Err(e) => return Err(e),
    };
    file.seek(SeekFrom::Start(offset as u64))?;
    let mut bytes = vec![];
    file.take(CHUNK).read_to_end(&mut bytes)?;
    let mut events = vec![];
    let mut at = offset;
    let mut start = 0;
    while let Some(n) = bytes[start..].iter().position(|&b| b == b'\n') {
        let line = &bytes[start..start + n];
        start += n + 1;
        at = offset + start as i64;
        if let Ok(event) = serde_json::from_slice::<Value>(line) {
            events.push((event, at));
        }
    }
    Ok((events, at))
}

#[cfg(test)]
mod tests {
    use super::read_events;
    use std::io::Write;

    #[test]
    fn whole_lines_with_their_offsets() -> std::io::Result<()> {
        let dir = std::env::temp_dir().join(format!("dartboard-tail-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap_or_default();
        let path = dir.join("events.jsonl");
        assert_eq!(read_events(&path, 0).map(|r| r.1).ok(), Some(0));
        let mut f = std::fs::File::create(&path)?;
        write!(f, "{{\"a\":1}}\nnot json\n{{\"b\":2}}\n{{\"c\":")?;
        let (events, end) = read_events(&path, 0)?;
        assert_eq!(events.len(), 2);
        assert_eq!(events[0], (serde_json::json!({"a": 1}), 8));
        assert_eq!(events[1], (serde_json::json!({"b": 2}), 25));
        assert_eq!(end, 25);
        // The half-written line is read once it is whole, from where the last read stopped.
        writeln!(f, "3}}")?;
        let (events, end) = read_events(&path, 25)?;
        assert_eq!(events, vec![(serde_json::json!({"c": 3}), 33)]);
        assert_eq!(end, 33);
        let _ = std::fs::remove_dir_all(&dir);
        Ok(())
    }
}
