//! Turning the target columns a reader found into what training needs: the task (inferred or
//! given), class indices with names, or regression columns, with warnings.
use super::{DataError, ImportOptions, Task};
use std::path::Path;
use tch::{Kind, Tensor};

/// Targets as a reader found them.
#[derive(Debug)]
pub(crate) enum RawTargets {
    /// Numeric columns: float64 [N, R] and their names.
    Numeric {
        values: Tensor,
        columns: Vec<String>,
    },
    /// One text label per sample (class folders, string CSV columns).
    Text(Vec<String>),
}

/// Most target columns a dataset may have: each gets a name and statistics, so a targets file
/// of one row of a billion values is refused rather than named column by column.
pub(crate) const MAX_TARGET_COLUMNS: usize = 1 << 16;

/// Refuses more than `MAX_TARGET_COLUMNS` target columns; `what` names where they are.
pub(crate) fn check_columns(path: &Path, what: &str, columns: usize) -> Result<(), DataError> {
    if columns <= MAX_TARGET_COLUMNS {
        return Ok(());
    }
    Err(DataError::format(
        path,
        format!("{what} has {columns} target columns; at most {MAX_TARGET_COLUMNS} are taken"),
    ))
}

/// Integer targets with at most this many distinct values are classes.
const MAX_INTEGER_CLASSES: usize = 100;

pub(crate) struct Resolved {
    pub task: Task,
    /// int64 [N] class indices or float32 [N, R].
    pub targets: Tensor,
    /// Class names or target names.
    pub names: Vec<String>,
    pub warnings: Vec<String>,
}

fn pick_columns(
    path: &Path,
    columns: &[String],
    target: Option<&str>,
) -> Result<(Vec<usize>, bool), DataError> {
    let last = columns.len().saturating_sub(1);
    match target {
        None => Ok((vec![last], false)),
        Some("all") => Ok(((0..columns.len()).collect(), true)),
        Some(t) => {
            if let Some(i) = columns.iter().position(|c| c == t) {
                return Ok((vec![i], false));
            }
            match t.parse::<usize>() {
                Ok(i) if i < columns.len() => Ok((vec![i], false)),
                _ => Err(DataError::format(
                    path,
                    format!("no target column '{t}' (columns: {})", columns.join(", ")),
                )),
            }
        }
    }
}

fn classes_from_text(labels: &[String]) -> (Tensor, Vec<String>) {
    let mut names: Vec<String> = labels.to_vec();
    // Numeric names sort as numbers ("2" before "10"), others as text.
    names.sort_by(|a, b| match (a.parse::<f64>(), b.parse::<f64>()) {
        (Ok(x), Ok(y)) => x.total_cmp(&y),
        _ => a.cmp(b),
    });
    names.dedup();
    let codes: Vec<i64> = labels
        .iter()
        .map(|l| names.iter().position(|n| n == l).unwrap_or(0) as i64)
        .collect();
    (Tensor::from_slice(&codes), names)
}

fn integer_name(v: f64) -> String {
    format!("{}", v as i64)
}

pub(crate) fn resolve(
    path: &Path,
    raw: RawTargets,
    opts: &ImportOptions,
) -> Result<Resolved, DataError> {
    let mut warnings = Vec::new();
    let (task, targets, names) = match raw {
        RawTargets::Text(labels) => {
            if opts.task == Some(Task::Regression) {
                let values: Result<Vec<f32>, usize> = labels
                    .iter()
                    .enumerate()
                    .map(|(i, l)| match l.trim().parse::<f32>() {
                        Ok(v) if v.is_finite() => Ok(v),
                        _ => Err(i),
                    })
                    .collect();
                let values = values.map_err(|i| {
                    DataError::format(
                        path,
                        format!(
                            "row {}: target '{}' is not a finite number",
                            i + 1,
                            labels[i]
                        ),
                    )
                })?;
                let n = values.len() as i64;
                (
                    Task::Regression,
                    Tensor::from_slice(&values).view([n, 1]),
                    vec!["target".to_string()],
                )
            } else {
                let (codes, names) = classes_from_text(&labels);
                (Task::Classification, codes, names)
            }
        }
        RawTargets::Numeric { values, columns } => {
            if columns.is_empty() {
                return Err(DataError::format(path, "no target columns"));
            }
            let (picked, all) = pick_columns(path, &columns, opts.target.as_deref())?;
            let n = values.size()[0];
            let data = Vec::<f64>::try_from(values.to_kind(Kind::Double).flatten(0, -1))
                .unwrap_or_default();
            let r = columns.len();
            if let Some(bad) = data.iter().position(|v| !v.is_finite()) {
                return Err(DataError::format(
                    path,
                    format!(
                        "row {}, target '{}': {} is not a finite number",
                        bad / r + 1,
                        columns[bad % r],
                        data[bad]
                    ),
                ));
            }
            let col = |j: usize| -> Vec<f64> { (0..n as usize).map(|i| data[i * r + j]).collect() };
            let mut kept = Vec::new();
            for &j in &picked {
                let c = col(j);
                let constant = c.iter().all(|v| *v == c[0]);
                if constant && all {
                    warnings.push(format!(
                        "target column '{}' is constant ({}) and was dropped",
                        columns[j], c[0]
                    ));
                } else if constant {
                    return Err(DataError::format(
                        path,
                        format!(
                            "target column '{}' is constant ({}): nothing to learn",
                            columns[j], c[0]
                        ),
                    ));
                } else {
                    kept.push(j);
                }
            }
            if kept.is_empty() {
                return Err(DataError::format(path, "every target column is constant"));
            }
            let single = col(kept[0]);
            let integers = single.iter().all(|v| v.fract() == 0.0);
            let mut distinct: Vec<i64> = single.iter().map(|v| *v as i64).collect();
            distinct.sort_unstable();
            distinct.dedup();
            let classification = match opts.task {
                Some(t) => t == Task::Classification,
                None => kept.len() == 1 && integers && distinct.len() <= MAX_INTEGER_CLASSES,
            };
            if classification {
                if kept.len() != 1 {
                    return Err(DataError::format(
                        path,
                        "classification needs one target column; pick it with --target",
                    ));
                }
                if !integers {
                    return Err(DataError::format(
                        path,
                        format!(
                            "target '{}' has non-integer values; classification needs class labels",
                            columns[kept[0]]
                        ),
                    ));
                }
                let labels: Vec<String> = single.iter().map(|v| integer_name(*v)).collect();
                let (codes, names) = classes_from_text(&labels);
                (Task::Classification, codes, names)
            } else {
                let rows: Vec<f32> = (0..n as usize)
                    .flat_map(|i| kept.iter().map(move |&j| (i, j)))
                    .map(|(i, j)| data[i * r + j] as f32)
                    .collect();
                let names = kept.iter().map(|&j| columns[j].clone()).collect::<Vec<_>>();
                (
                    Task::Regression,
                    Tensor::from_slice(&rows).view([n, kept.len() as i64]),
                    names,
                )
            }
        }
    };
    if task == Task::Classification && names.len() < 2 {
        return Err(DataError::format(
            path,
            format!(
                "only one class ({}): classification needs at least two",
                names.first().map_or("", String::as_str)
            ),
        ));
    }
    Ok(Resolved {
        task,
        targets,
        names,
        warnings,
    })
}
