//! NumPy `.npy` arrays inside `.npz` archives (stored or deflated, as `savez_compressed` writes):
//! any integer, float or bool dtype, read into float32 tensors.
use super::arrays::{self, Array};
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

fn parse_npy(name: &str, bytes: &[u8]) -> Result<Array, String> {
    if bytes.len() < 10 || &bytes[..6] != b"\x93NUMPY" {
        return Err(format!("{name}: not a .npy array"));
    }
    let (hlen, start) = match bytes[6] {
        1 => (u16::from_le_bytes([bytes[8], bytes[9]]) as usize, 10),
        _ if bytes.len() >= 12 => (
            u32::from_le_bytes([bytes[8], bytes[9], bytes[10], bytes[11]]) as usize,
            12,
        ),
        _ => return Err(format!("{name}: truncated header")),
    };
    let header = std::str::from_utf8(
        bytes
            .get(start..start + hlen)
            .ok_or(format!("{name}: truncated header"))?,
    )
    .map_err(|_| format!("{name}: header is not text"))?;
    let descr = header_value(header, "descr")
        .ok_or(format!("{name}: header has no descr"))?
        .trim_matches(['\'', '"']);
    if header_value(header, "fortran_order") == Some("True") {
        return Err(format!(
            "{name}: Fortran-ordered arrays are not supported; save with np.ascontiguousarray"
        ));
    }
    let shape_txt = header_value(header, "shape").ok_or(format!("{name}: header has no shape"))?;
    let shape: Vec<i64> = shape_txt
        .trim_matches(['(', ')'])
        .split(',')
        .filter(|s| !s.trim().is_empty())
        .map(|s| {
            s.trim()
                .parse::<i64>()
                .map_err(|_| format!("{name}: bad shape {shape_txt}"))
        })
        .collect::<Result<_, _>>()?;
    let data = &bytes[start + hlen..];
    let numel: i64 = shape.iter().product();
    let (big, code) = match descr.chars().next() {
        Some('>') => (true, &descr[1..]),
        Some('<' | '|' | '=') => (false, &descr[1..]),
        _ => (false, descr),
    };
    let size: usize = code[1..]
        .parse()
        .map_err(|_| format!("{name}: unsupported dtype {descr}"))?;
    if data.len() < numel as usize * size {
        return Err(format!(
            "{name}: holds {} bytes, shape {shape:?} of {descr} needs {}",
            data.len(),
            numel as usize * size
        ));
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
    let convert: fn([u8; 8]) -> f32 = match (code.as_bytes()[0], size) {
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
        _ => return Err(format!("{name}: unsupported dtype {descr}")),
    };
    let values = data
        .chunks_exact(size)
        .take(numel as usize)
        .map(|c| convert(word(c)))
        .collect();
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
        let mut bytes = Vec::new();
        entry
            .read_to_end(&mut bytes)
            .map_err(|e| DataError::io(path, e))?;
        parse_npy(name, &bytes).map_err(|m| DataError::format(path, m))
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
            .contains("needs 4"));
        Ok(())
    }
}
