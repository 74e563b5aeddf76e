//! Checks of `ImportLimits`, made from sizes a header declares before anything that large is
//! allocated. Sizes are counted in u64 with checked arithmetic: a product that overflows is
//! over every bound. Each refusal names what was too large, the size, the bound and the flag
//! that raises it.
use super::{DataError, ImportLimits};
use std::path::Path;

/// The flags that raise each bound, named in refusals after the command that was run.
const PIXELS_FLAG: &str = "--max-image-pixels";
const VALUES_FLAG: &str = "--max-decoded-values";
const BYTES_FLAG: &str = "--max-dataset-bytes";

/// A count that may have overflowed u64, as messages print it.
fn show(count: Option<u64>) -> String {
    count.map_or_else(|| format!("more than {}", u64::MAX), |v| v.to_string())
}

/// The product of `dims`, or None when it overflows u64.
pub(crate) fn product(dims: &[u64]) -> Option<u64> {
    dims.iter().try_fold(1u64, |acc, &d| acc.checked_mul(d))
}

/// `dims` as u64, refusing negative dimensions (`what` names the array for the message).
pub(crate) fn dims_of(what: &str, dims: &[i64]) -> Result<Vec<u64>, String> {
    dims.iter()
        .map(|&d| u64::try_from(d).map_err(|_| format!("{what} has a negative dimension ({d})")))
        .collect()
}

impl ImportLimits {
    /// Refuses one image of `height` x `width` pixels over `max_image_pixels`; `what` names it
    /// (an archive entry, a file).
    pub(crate) fn check_image(
        &self,
        path: &Path,
        what: &str,
        height: u64,
        width: u64,
    ) -> Result<(), DataError> {
        let pixels = height.checked_mul(width);
        if pixels.is_some_and(|p| p <= self.max_image_pixels) {
            return Ok(());
        }
        Err(DataError::format(
            path,
            format!(
                "{what} is {height}x{width} = {} pixels, above the limit of {} per image ({} {PIXELS_FLAG})",
                show(pixels),
                self.max_image_pixels,
                self.command
            ),
        ))
    }

    /// Refuses a dataset of `n` images of `c` x `h` x `w` whose float32 size passes
    /// `max_dataset_bytes`; `what` says what made it ("--resize 64,64 makes").
    pub(crate) fn check_dataset(
        &self,
        path: &Path,
        what: &str,
        [n, c, h, w]: [i64; 4],
    ) -> Result<(), DataError> {
        let dims = dims_of("the dataset", &[n, c, h, w]).map_err(|m| DataError::format(path, m))?;
        let bytes = product(&dims).and_then(|v| v.checked_mul(4));
        if bytes.is_some_and(|b| b <= self.max_dataset_bytes) {
            return Ok(());
        }
        Err(DataError::format(
            path,
            format!(
                "{what} {n} images of {c}x{h}x{w}: {} bytes as float32, above the limit of {} bytes per dataset ({} {BYTES_FLAG})",
                show(bytes),
                self.max_dataset_bytes,
                self.command
            ),
        ))
    }
}

/// The values one import holds so far, against `max_decoded_values`.
#[derive(Debug)]
pub(crate) struct Tally {
    used: u64,
    max: u64,
    command: &'static str,
}

impl Tally {
    pub(crate) fn new(limits: &ImportLimits) -> Tally {
        Tally {
            used: 0,
            max: limits.max_decoded_values,
            command: limits.command,
        }
    }

    /// Counts `values` more (None: a product that overflowed), refusing when the total passes
    /// the bound; `what` names them for the message and is only built then.
    pub(crate) fn add(
        &mut self,
        path: &Path,
        values: Option<u64>,
        what: impl FnOnce() -> String,
    ) -> Result<(), DataError> {
        let total = values.and_then(|v| v.checked_add(self.used));
        match total {
            Some(t) if t <= self.max => {
                self.used = t;
                Ok(())
            }
            _ => {
                let size = if self.used > 0 {
                    format!("{} more values make {}", show(values), show(total))
                } else {
                    format!("{} values", show(values))
                };
                Err(DataError::format(
                    path,
                    format!(
                        "{}: {size}, above the limit of {} values per import ({} {VALUES_FLAG})",
                        what(),
                        self.max,
                        self.command
                    ),
                ))
            }
        }
    }

    /// Whether `more` values would still fit, without counting them (for hot loops that count
    /// one value at a time and call `add` only to refuse).
    pub(crate) fn fits(&self, more: u64) -> bool {
        self.used.checked_add(more).is_some_and(|t| t <= self.max)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn overflowing_and_negative_sizes_are_refused_not_wrapped() {
        let limits = ImportLimits::default();
        let path = Path::new("x.npz");
        assert_eq!(product(&[1 << 62, 1 << 62, 28]), None);
        assert!(dims_of("array 'x'", &[-2, -2, 1])
            .unwrap_err()
            .contains("negative dimension (-2)"));
        let mut tally = Tally::new(&limits);
        let msg = tally
            .add(path, product(&[1 << 32, 1 << 32, 1, 1]), || {
                "array 'x'".into()
            })
            .unwrap_err()
            .to_string();
        assert!(
            msg.contains("more than 18446744073709551615 values"),
            "{msg}"
        );
        tally.add(path, Some(1 << 29), || "a".into()).unwrap();
        let msg = tally
            .add(path, Some(1 << 29 | 1), || "b".into())
            .unwrap_err()
            .to_string();
        assert!(
            msg.contains("b: 536870913 more values make 1073741825, above the limit of 1073741824")
                && msg.contains("--max-decoded-values"),
            "{msg}"
        );
        let msg = limits
            .check_dataset(
                path,
                "--resize 100000,100000 makes",
                [1797, 1, 100_000, 100_000],
            )
            .unwrap_err()
            .to_string();
        assert!(
            msg.contains("71880000000000 bytes") && msg.contains("4294967296 bytes per dataset"),
            "{msg}"
        );
        assert!(limits
            .check_dataset(path, "x", [i64::MAX, i64::MAX, 2, 2])
            .is_err());
        assert!(limits.check_image(path, "'a.png'", 8192, 8192).is_ok());
        assert!(limits.check_image(path, "'a.png'", 8192, 8193).is_err());
    }
}
