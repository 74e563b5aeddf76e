//! NumPy `.npy` arrays inside `.npz` archives (stored or deflated, as `savez_compressed` writes):
//! any integer, float or bool dtype, read into float32 tensors. A header's shape is checked
//! (no negative dimensions, no overflow, within the value bound) before anything is allocated.
use super::arrays::{self, Array};
use super::limits::{dims_of, product, Tally};
use super::{DataError, ImportOptions, Raw};
use std::io::Read;
use std::path::Path;

fn header_value<'a>(header: &'a str, key: &str) -> Option<&'a str> {
    let at = header.find(&format!("'{key}'"))? + key.len() + 2;
    let rest = header[at..].trim_start().strip_prefix(':')?.trim_start();
    let end = if rest.starts_with('(') {
        rest.find(')')? + 1
    } else {
        rest.find([',', '}'])?
    };
    Some(rest[..end].trim())
}

/// Longest header read: NumPy writes a few hundred bytes.
const MAX_HEADER: usize = 1 << 16;

/// Values converted at a time.
const CHUNK_VALUES: usize = 1 << 14;

/// Reads into `buf` until it is full or the stream ends; returns the bytes read.
fn read_full(r: &mut dyn Read, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut got = 0;
    while got < buf.len() {
        match r.read(&mut buf[got..]) {
            Ok(0) => break,
            Ok(n) => got += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(got)
}

/// The value converter for a dtype kind (`u`, `i`, `f`, `b`) and size in bytes.
fn converter(kind: u8, size: usize) -> Option<fn([u8; 8]) -> f32> {
    Some(match (kind, size) {
        (b'u', 1) | (b'b', 1) => |w| w[0] as f32,
        (b'i', 1) => |w| w[0] as i8 as f32,
        (b'u', 2) => |w| u16::from_le_bytes([w[0], w[1]]) as f32,
        (b'i', 2) => |w| i16::from_le_bytes([w[0], w[1]]) as f32,
        (b'u', 4) => |w| u32::from_le_bytes([w[0], w[1], w[2], w[3]]) as f32,
        (b'i', 4) => |w| i32::from_le_bytes([w[0], w[1], w[2], w[3]]) as f32,
        (b'u', 8) => |w| u64::from_le_bytes(w) as f32,
        (b'i', 8) => |w| i64::from_le_bytes(w) as f32,
        (b'f', 2) => |w| half_to_f32(u16::from_le_bytes([w[0], w[1]])),
        (b'f', 4) => |w| f32::from_le_bytes([w[0], w[1], w[2], w[3]]),
        (b'f', 8) => |w| f64::from_le_bytes(w) as f32,
        _ => return None,
    })
}

/// Reads one `.npy` array from a stream: the header first, then (once its shape has passed the
/// value bound, counted in `tally`) exactly the bytes the shape needs, converted chunk by chunk.
/// `declared`: the stream's length when known, to refuse a short array before allocating.
fn read_npy(
    path: &Path,
    name: &str,
    r: &mut dyn Read,
    declared: Option<u64>,
    tally: &mut Tally,
) -> Result<Array, DataError> {
    let fail = |m: String| DataError::format(path, m);
    let io = |e: std::io::Error| DataError::format(path, format!("{name}: {e}"));
    let mut lead = [0u8; 10];
    if read_full(r, &mut lead).map_err(io)? < 10 || &lead[..6] != b"\x93NUMPY" {
        return Err(fail(format!("{name}: not a .npy array")));
    }
    let (hlen, start) = if lead[6] == 1 {
        (usize::from(u16::from_le_bytes([lead[8], lead[9]])), 10)
    } else {
        let mut rest = [0u8; 2];
        if read_full(r, &mut rest).map_err(io)? < 2 {
            return Err(fail(format!("{name}: truncated header")));
        }
        let n = u32::from_le_bytes([lead[8], lead[9], rest[0], rest[1]]);
        (usize::try_from(n).unwrap_or(usize::MAX), 12)
    };
    if hlen > MAX_HEADER {
        return Err(fail(format!(
            "{name}: a header of {hlen} bytes, longer than .npy headers are ({MAX_HEADER})"
        )));
    }
    let mut header = vec![0u8; hlen];
    if read_full(r, &mut header).map_err(io)? < hlen {
        return Err(fail(format!("{name}: truncated header")));
    }
    let header =
        std::str::from_utf8(&header).map_err(|_| fail(format!("{name}: header is not text")))?;
    let descr = header_value(header, "descr")
        .ok_or_else(|| fail(format!("{name}: header has no descr")))?
        .trim_matches(['\'', '"']);
    if header_value(header, "fortran_order") == Some("True") {
        return Err(fail(format!(
            "{name}: Fortran-ordered arrays are not supported; save with np.ascontiguousarray"
        )));
    }
    let shape_txt = header_value(header, "shape")
        .ok_or_else(|| fail(format!("{name}: header has no shape")))?;
    let shape: Vec<i64> = shape_txt
        .trim_matches(['(', ')'])
        .split(',')
        .filter(|s| !s.trim().is_empty())
        .map(|s| {
            s.trim()
                .parse::<i64>()
                .map_err(|_| fail(format!("{name}: bad shape {shape_txt}")))
        })
        .collect::<Result<_, _>>()?;
    let (big, code) = match descr.as_bytes().first() {
        Some(b'>') => (true, &descr[1..]),
        Some(b'<' | b'|' | b'=') => (false, &descr[1..]),
        _ => (false, descr),
    };
    let unsupported = || fail(format!("{name}: unsupported dtype {descr}"));
    let kind = *code.as_bytes().first().ok_or_else(unsupported)?;
    let size: usize = code
        .get(1..)
        .and_then(|s| s.parse().ok())
        .ok_or_else(unsupported)?;
    let convert = converter(kind, size).ok_or_else(unsupported)?;
    let what = format!("array '{name}' of shape {shape_txt}");
    let dims = dims_of(&what, &shape).map_err(|m| fail(format!("{name}: {m}")))?;
    let numel = product(&dims);
    tally.add(path, numel, || what.clone())?;
    let numel = numel.and_then(|n| usize::try_from(n).ok());
    let needed = numel.and_then(|n| n.checked_mul(size));
    let (Some(numel), Some(needed)) = (numel, needed) else {
        return Err(fail(format!(
            "{what}: more bytes than this machine addresses"
        )));
    };
    let short = |held: u64| {
        fail(format!(
            "{name}: holds {held} bytes, shape {shape:?} of {descr} needs {needed}"
        ))
    };
    if let Some(total) = declared {
        let held = total.saturating_sub((start + hlen) as u64);
        if held < needed as u64 {
            return Err(short(held));
        }
    }
    let word = |c: &[u8]| -> [u8; 8] {
        let mut w = [0u8; 8];
        if big {
            c.iter().rev().enumerate().for_each(|(i, b)| w[i] = *b);
        } else {
            w[..c.len()].copy_from_slice(c);
        }
        w
    };
    let mut values = Vec::with_capacity(numel);
    let mut buf = vec![0u8; CHUNK_VALUES * size];
    let mut got = 0usize;
    while got < needed {
        let want = (needed - got).min(buf.len());
        let n = read_full(r, &mut buf[..want]).map_err(io)?;
        values.extend(
            buf[..n - n % size]
                .chunks_exact(size)
                .map(|c| convert(word(c))),
        );
        got += n;
        if n < want {
            return Err(short(got as u64));
        }
    }
    Ok(Array { shape, values })
}

fn half_to_f32(h: u16) -> f32 {
    let sign = if h & 0x8000 != 0 { -1.0 } else { 1.0 };
    let exp = i32::from((h >> 10) & 0x1f);
    let frac = f32::from(h & 0x3ff);
    sign * match exp {
        0 => frac * 2f32.powi(-24),
        31 => f32::INFINITY,
        _ => (1.0 + frac / 1024.0) * 2f32.powi(exp - 15),
    }
}

pub(crate) fn read_npz(path: &Path, opts: &ImportOptions) -> Result<Raw, DataError> {
    let file = std::fs::File::open(path).map_err(|e| DataError::io(path, e))?;
    let mut zip = zip::ZipArchive::new(file)
        .map_err(|e| DataError::format(path, format!("not a valid .npz (zip) archive: {e}")))?;
    let names: Vec<String> = zip
        .file_names()
        .map(|n| n.trim_end_matches(".npy").to_string())
        .collect();
    let mut tally = Tally::new(&opts.limits);
    arrays::pair(path, &names, opts, |name| {
        let entry_name = format!("{name}.npy");
        let entry_name = if zip.index_for_name(&entry_name).is_some() {
            entry_name
        } else {
            name.to_string()
        };
        let mut entry = zip
            .by_name(&entry_name)
            .map_err(|e| DataError::format(path, format!("{name}: {e}")))?;
        let declared = entry.size();
        read_npy(path, name, &mut entry, Some(declared), &mut tally)
    })
}

/// A lone `.npy` of images with its targets in `--y-file` (another `.npy`, or a text file of
/// rows as a text matrix's targets are read).
pub(crate) fn read_with_targets(path: &Path, opts: &ImportOptions) -> Result<Raw, DataError> {
    let y_file = opts.y_file.as_deref().ok_or_else(|| {
        DataError::format(
            path,
            "a lone .npy of images needs its targets: --y-file FILE (a .npy or a text file)",
        )
    })?;
    let mut tally = Tally::new(&opts.limits);
    let read_file = |p: &Path, name: &str, tally: &mut Tally| -> Result<Array, DataError> {
        let file = std::fs::File::open(p).map_err(|e| DataError::io(p, e))?;
        let declared = file.metadata().ok().map(|m| m.len());
        read_npy(p, name, &mut std::io::BufReader::new(file), declared, tally)
    };
    let images = read_file(path, "x", &mut tally)?;
    let is_npy = y_file
        .to_string_lossy()
        .to_ascii_lowercase()
        .ends_with(".npy");
    let targets = if is_npy {
        read_file(y_file, "y", &mut tally)?
    } else {
        let (values, names, rows) = super::text::read_targets(y_file, opts, &mut tally)?;
        Array {
            shape: vec![rows as i64, names.len() as i64],
            values: values.into_iter().map(|v| v as f32).collect(),
        }
    };
    let mut arrays = [Some(images), Some(targets)];
    let pair_opts = ImportOptions {
        x: Some("x".into()),
        y: Some("y".into()),
        ..opts.clone()
    };
    super::arrays::pair(path, &["x".into(), "y".into()], &pair_opts, |name| {
        let slot = usize::from(name == "y");
        arrays[slot]
            .take()
            .ok_or_else(|| DataError::format(path, format!("array '{name}' read twice")))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn npy(descr: &str, shape: &str, data: &[u8]) -> Vec<u8> {
        let header = format!("{{'descr': '{descr}', 'fortran_order': False, 'shape': {shape}, }}");
        let mut out = b"\x93NUMPY\x01\x00".to_vec();
        out.extend_from_slice(&(header.len() as u16).to_le_bytes());
        out.extend_from_slice(header.as_bytes());
        out.extend_from_slice(data);
        out
    }

    fn parse_npy(name: &str, bytes: &[u8]) -> Result<Array, String> {
        let mut tally = Tally::new(&crate::data::ImportLimits::default());
        read_npy(Path::new("a.npz"), name, &mut &bytes[..], None, &mut tally)
            .map_err(|e| e.to_string())
    }

    #[test]
    fn parses_dtypes_and_shapes() -> Result<(), Box<dyn std::error::Error>> {
        let a = parse_npy("a", &npy("|u1", "(2, 2)", &[0, 1, 2, 255]))?;
        assert_eq!(a.shape, vec![2, 2]);
        assert_eq!(a.values, vec![0.0, 1.0, 2.0, 255.0]);
        let b = parse_npy("b", &npy("<f8", "(1,)", &1.5f64.to_le_bytes()))?;
        assert_eq!(b.values, vec![1.5]);
        let c = parse_npy("c", &npy(">i2", "(1,)", &(-300i16).to_be_bytes()))?;
        assert_eq!(c.values, vec![-300.0]);
        let d = parse_npy("d", &npy("<f2", "(1,)", &0x3c00u16.to_le_bytes()))?;
        assert_eq!(d.values, vec![1.0]);
        assert!(parse_npy("e", &npy("<c8", "(1,)", &[0; 8]))
            .unwrap_err()
            .contains("unsupported dtype"));
        assert!(parse_npy("f", &npy("|u1", "(4,)", &[1]))
            .unwrap_err()
            .contains("holds 1 bytes, shape [4] of |u1 needs 4"));
        Ok(())
    }

    /// Headers that once panicked (an empty dtype code, a multi-byte character after the byte
    /// order) or claim more values than memory holds are refused by message.
    #[test]
    fn hostile_headers_are_refused() {
        for (descr, shape, wanted) in [
            ("<", "(1,)", "unsupported dtype"),
            (">\u{e9}4", "(1,)", "unsupported dtype"),
            ("<f0", "(1,)", "unsupported dtype"),
            (
                "<f4",
                "(4611686018427387904, 4611686018427387904, 28)",
                "more than 18446744073709551615 values",
            ),
            (
                "<f4",
                "(4294967296, 4294967296, 1, 1)",
                "more than 18446744073709551615 values",
            ),
            ("<f4", "(-2, -2, 1)", "negative dimension (-2)"),
            (
                "<f4",
                "(1073741824, 2)",
                "2147483648 values, above the limit of 1073741824",
            ),
        ] {
            let msg = parse_npy("x", &npy(descr, shape, &[0; 8])).unwrap_err();
            assert!(msg.contains(wanted), "{descr} {shape}: {msg}");
        }
    }
}
