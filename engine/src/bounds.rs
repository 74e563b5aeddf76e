//! Ranges of the numeric config keys, each with the reason for its bound, and the checks that turn
//! a value outside one into a `FieldError` naming the key. The search config (`config.rs`) and the
//! training config (`retrain/config.rs`) declare their ranges with these types, so one place
//! defines each number and both configs word their refusals alike.
use crate::config::FieldError;
use serde_json::Value;

/// The most intermediate nodes a cell may have, in a search space (`nodes`) and in a genotype
/// (16 ops): a cell of n nodes has n(n+3)/2 supernet edges, 44 at 8, and the DARTS paper uses 4.
pub const MAX_NODES: usize = 8;

/// The largest seed: 2^53, the largest integer a JSON number keeps exactly in a browser, so a
/// seed survives the round trip through the API and the form.
pub const MAX_SEED: u64 = 1 << 53;

/// Why seeds stop at 2^53 (shared by both configs).
pub const SEED_WHY: &str =
    "larger integers lose digits in JavaScript numbers, so the seed would not survive the API";

/// The range of an integer key, both ends included.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IntRange {
    pub key: &'static str,
    pub min: u64,
    pub max: u64,
    /// Why values below `min` are refused; empty when the minimum needs no reason.
    pub below: &'static str,
    /// Why values above `max` are refused.
    pub above: &'static str,
}

impl IntRange {
    /// The error for `v`, if it lies outside the range.
    pub fn check(&self, v: i128) -> Option<FieldError> {
        if v < i128::from(self.min) {
            Some(self.too_small(&v.to_string()))
        } else if v > i128::from(self.max) {
            Some(self.too_large(&v.to_string()))
        } else {
            None
        }
    }

    /// The error for a JSON value given to the key, checked before serde sees it: serde would
    /// refuse a float such as `1e18` or a negative number with a message about Rust types, and
    /// must never cast one. Non-numbers (and null) are left to serde and the config's own checks.
    pub fn check_json(&self, v: &Value) -> Option<FieldError> {
        let Value::Number(n) = v else {
            return None;
        };
        if let Some(u) = n.as_u64() {
            return self.check(i128::from(u));
        }
        if let Some(i) = n.as_i64() {
            return self.check(i128::from(i));
        }
        // A number serde_json holds as a float: written with a fraction or an exponent, or too
        // large for 64 bits.
        let f = n.as_f64().unwrap_or(f64::NAN);
        if f > self.max as f64 {
            Some(self.too_large(&n.to_string()))
        } else if f < self.min as f64 {
            Some(self.too_small(&n.to_string()))
        } else {
            Some(FieldError::new(
                self.key,
                format!(
                    "{n} is not a whole number: give an integer from {} to {}",
                    self.min, self.max
                ),
            ))
        }
    }

    fn too_small(&self, v: &str) -> FieldError {
        let why = if self.below.is_empty() {
            String::new()
        } else {
            format!(": {}", self.below)
        };
        FieldError::new(
            self.key,
            format!("{v} is below the minimum of {}{why}", self.min),
        )
    }

    fn too_large(&self, v: &str) -> FieldError {
        FieldError::new(
            self.key,
            format!("{v} is above the limit of {}: {}", self.max, self.above),
        )
    }
}

/// One end of a float range.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum End {
    /// The value itself is allowed.
    Incl(f64),
    /// Only values strictly inside are allowed.
    Excl(f64),
}

/// The range of a float key. NaN and infinities are always refused.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FloatRange {
    pub key: &'static str,
    pub min: End,
    pub max: End,
    /// Why values beyond `min` are refused; empty when the minimum needs no reason.
    pub below: &'static str,
    /// Why values beyond `max` are refused.
    pub above: &'static str,
}

impl FloatRange {
    /// The error for `v`, if it is not finite or lies outside the range.
    pub fn check(&self, v: f64) -> Option<FieldError> {
        let err = |m: String| Some(FieldError::new(self.key, m));
        let reason = |why: &str| {
            if why.is_empty() {
                String::new()
            } else {
                format!(": {why}")
            }
        };
        if !v.is_finite() {
            return err(format!("{v} is not a finite number"));
        }
        let shown = short(v);
        match self.min {
            End::Incl(m) if v < m => {
                return err(format!(
                    "{shown} is below the minimum of {}{}",
                    short(m),
                    reason(self.below)
                ))
            }
            End::Excl(m) if v <= m => {
                return err(format!(
                    "{shown} must be above {}{}",
                    short(m),
                    reason(self.below)
                ))
            }
            _ => {}
        }
        match self.max {
            End::Incl(m) if v > m => err(format!(
                "{shown} is above the limit of {}{}",
                short(m),
                reason(self.above)
            )),
            End::Excl(m) if v >= m => err(format!(
                "{shown} must be below {}{}",
                short(m),
                reason(self.above)
            )),
            _ => None,
        }
    }
}

/// A number as a message shows it: in scientific notation when very large or very small (a
/// `1e308` is not echoed with 309 digits), else as written.
pub fn short(v: f64) -> String {
    let a = v.abs();
    if a != 0.0 && !(1e-4..1e7).contains(&a) {
        format!("{v:e}")
    } else {
        format!("{v}")
    }
}

/// The JSON check of `key` against the first range in `ranges` that names it.
pub fn check_json(ranges: &[IntRange], key: &str, v: &Value) -> Option<FieldError> {
    ranges
        .iter()
        .find(|r| r.key == key)
        .and_then(|r| r.check_json(v))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const R: IntRange = IntRange {
        key: "epochs",
        min: 1,
        max: 1000,
        below: "",
        above: "too long",
    };

    #[test]
    fn integers_outside_the_range_are_refused_with_the_reason() {
        assert_eq!(R.check(1), None);
        assert_eq!(R.check(1000), None);
        let e = R.check(1001).map(|e| e.to_string());
        assert_eq!(
            e.as_deref(),
            Some("epochs: 1001 is above the limit of 1000: too long")
        );
        let e = R.check(0).map(|e| e.to_string());
        assert_eq!(e.as_deref(), Some("epochs: 0 is below the minimum of 1"));
    }

    #[test]
    fn json_floats_are_never_cast() {
        let msg = |v: Value| R.check_json(&v).map(|e| e.message);
        assert_eq!(
            msg(json!(1e18)).as_deref(),
            Some("1e+18 is above the limit of 1000: too long")
        );
        assert_eq!(
            msg(json!(2.5)).as_deref(),
            Some("2.5 is not a whole number: give an integer from 1 to 1000")
        );
        assert!(msg(json!(50.0)).is_some_and(|m| m.contains("not a whole number")));
        assert!(msg(json!(-3)).is_some_and(|m| m.starts_with("-3 is below the minimum")));
        assert_eq!(msg(json!(50)), None);
        assert_eq!(msg(json!("many")), None);
        assert_eq!(msg(json!(null)), None);
    }

    #[test]
    fn floats_must_be_finite_and_inside() {
        let lr = FloatRange {
            key: "w_lr",
            min: End::Excl(0.0),
            max: End::Incl(10.0),
            below: "",
            above: "diverges",
        };
        assert_eq!(lr.check(10.0), None);
        assert_eq!(lr.check(1e-9), None);
        for bad in [0.0, -1.0, 10.5, f64::NAN, f64::INFINITY, f64::NEG_INFINITY] {
            let e = lr.check(bad);
            assert!(
                e.as_ref().is_some_and(|e| e.field == "w_lr"),
                "{bad} accepted"
            );
        }
        assert_eq!(
            lr.check(f64::NAN).map(|e| e.message).as_deref(),
            Some("NaN is not a finite number")
        );
    }
}
