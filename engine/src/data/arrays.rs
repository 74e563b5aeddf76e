//! Named arrays (`.npz` members, HDF5 datasets) paired into images and targets per split.
use super::{targets, DataError, ImportOptions, Raw, SplitName};
use std::path::Path;
use tch::{Kind, Tensor};

/// A decoded array: its shape and values as f32.
#[derive(Debug)]
pub(crate) struct Array {
    pub shape: Vec<i64>,
    pub values: Vec<f32>,
}

/// Image/target array names recognised without being told, per split.
const NAME_PAIRS: [(&str, &str, SplitName); 9] = [
    ("x", "y", SplitName::Train),
    ("images", "labels", SplitName::Train),
    ("x_train", "y_train", SplitName::Train),
    ("train_images", "train_labels", SplitName::Train),
    ("x_val", "y_val", SplitName::Val),
    ("val_images", "val_labels", SplitName::Val),
    ("x_test", "y_test", SplitName::Test),
    ("test_images", "test_labels", SplitName::Test),
    ("data", "target", SplitName::Train),
];

/// Images as [N, C, H, W] from (N,H,W) or a 4-D array, channels first or last. `--shape C,H,W`
/// decides when given; otherwise the reading whose height equals its width wins ((N,28,28,1),
/// (N,64,64,13), (N,3,32,32)), else the one with fewer channels.
fn to_nchw(
    path: &Path,
    name: &str,
    a: Array,
    shape: Option<(i64, i64, i64)>,
) -> Result<Tensor, DataError> {
    let t = Tensor::from_slice(&a.values).to_kind(Kind::Float);
    match (a.shape.as_slice(), shape) {
        ([n, h, w], None | Some((1, _, _))) => Ok(t.view([*n, 1, *h, *w])),
        ([n, a1, a2, a3], given) => {
            let last = match given {
                Some(s) if s == (*a3, *a1, *a2) => true,
                Some(s) if s == (*a1, *a2, *a3) => false,
                Some((c, h, w)) => {
                    return Err(DataError::format(
                        path,
                        format!("array '{name}' has shape {:?}, which is not --shape {c},{h},{w} channels first or last", a.shape),
                    ))
                }
                None if a1 == a2 && a2 != a3 => true,
                None if a2 == a3 && a1 != a2 => false,
                None => a3 < a1,
            };
            Ok(if last {
                t.view([*n, *a1, *a2, *a3])
                    .permute([0, 3, 1, 2])
                    .contiguous()
            } else {
                t.view([*n, *a1, *a2, *a3])
            })
        }
        (s, _) => Err(DataError::format(
            path,
            format!("array '{name}' has shape {s:?}; images need (N,H,W), (N,H,W,C) or (N,C,H,W)"),
        )),
    }
}

/// Picks the image/target pairs among `names` (given by `--x`/`--y`, else `NAME_PAIRS`), reads
/// only those arrays through `read`, and joins them into one `Raw` with their splits.
pub(crate) fn pair(
    path: &Path,
    names: &[String],
    opts: &ImportOptions,
    mut read: impl FnMut(&str) -> Result<Array, DataError>,
) -> Result<Raw, DataError> {
    let wanted: Vec<(String, String, SplitName)> = match (&opts.x, &opts.y) {
        (Some(x), Some(y)) => {
            for n in [x, y] {
                if !names.contains(n) {
                    return Err(DataError::format(
                        path,
                        format!("no array named '{n}'; the file holds {names:?}"),
                    ));
                }
            }
            vec![(x.clone(), y.clone(), SplitName::Train)]
        }
        (None, None) => NAME_PAIRS
            .iter()
            .map(|(x, y, s)| (x.to_string(), y.to_string(), *s))
            .collect(),
        _ => {
            return Err(DataError::format(
                path,
                "name both arrays: --x NAME and --y NAME",
            ))
        }
    };
    let (mut images, mut labels, mut parts) = (Vec::new(), Vec::new(), Vec::new());
    let mut columns = vec![];
    for (x, y, split) in wanted {
        if !names.contains(&x) || !names.contains(&y) || parts.iter().any(|(s, _)| *s == split) {
            continue;
        }
        let img = to_nchw(path, &x, read(&x)?, opts.shape)?;
        let ya = read(&y)?;
        let (n, r) = match ya.shape[..] {
            [n] => (n, 1),
            [n, r] if r > 0 => (n, r),
            _ => {
                return Err(DataError::format(
                    path,
                    format!(
                        "array '{y}' has shape {:?}; targets need (N,) or (N, R)",
                        ya.shape
                    ),
                ))
            }
        };
        targets::check_columns(
            path,
            &format!("array '{y}'"),
            usize::try_from(r).unwrap_or(usize::MAX),
        )?;
        columns = if r == 1 {
            vec![y.clone()]
        } else {
            (0..r).map(|j| j.to_string()).collect()
        };
        parts.push((split, img.size()[0] as usize));
        images.push(img);
        labels.push(
            Tensor::from_slice(&ya.values)
                .to_kind(Kind::Double)
                .view([n, r]),
        );
    }
    if images.is_empty() {
        return Err(DataError::format(path, format!("no image/target arrays found among {names:?} (expected x/y, images/labels, x_train/y_train, ...; or name them with --x and --y)")));
    }
    Raw::join(path, &images, &labels, columns, parts)
}
