//! A sweep's runs folded into its map: per point, the mean and sd of the metric over the seeds
//! that succeeded, the runs that failed (divergence is a result: marked, not hidden), and for
//! searches the mean count of parameter-free ops in the final cells (collapse shows up as a
//! region); then the sweet spot: the share of points within the tolerance of the best, and
//! whether the best lies on the edge of the grid (the range was too narrow).
use super::spec::Spec;
use app::types::{SweepCell as Cell, SweepMember as Member, SweetSpot};
use serde_json::Value;

/// Ops without weights: a cell made of them has collapsed (../shared/DARTS.md, failure modes).
pub const PARAMETER_FREE: [&str; 4] = ["skip_connect", "max_pool_3x3", "avg_pool_3x3", "none"];

/// The parameter-free ops of a search result's cells.
pub fn parameter_free(result: &Value) -> Option<usize> {
    let g = &result["genotype"];
    let ops = g["normal"]
        .as_array()?
        .iter()
        .chain(g["reduce"].as_array()?);
    Some(
        ops.filter(|e| e[0].as_str().is_some_and(|op| PARAMETER_FREE.contains(&op)))
            .count(),
    )
}

fn mean_sd(v: &[f64]) -> (Option<f64>, Option<f64>) {
    crate::api::rows::mean_sd(v)
}

/// Every point of the spec with its runs folded.
pub fn cells(spec: &Spec, members: &[Member]) -> Vec<Cell> {
    spec.points()
        .into_iter()
        .enumerate()
        .map(|(i, point)| {
            let here: Vec<&Member> = members.iter().filter(|m| m.point == i).collect();
            let metrics: Vec<f64> = here
                .iter()
                .filter(|m| m.status == "succeeded")
                .filter_map(|m| m.metric.filter(|x| x.is_finite()))
                .collect();
            let free: Vec<f64> = here
                .iter()
                .filter_map(|m| m.parameter_free.map(|n| n as f64))
                .collect();
            let (mean, sd) = mean_sd(&metrics);
            Cell {
                label: spec.label(&point),
                point,
                mean,
                sd,
                n: metrics.len(),
                failed: here.iter().filter(|m| m.status == "failed").count(),
                pending: here
                    .iter()
                    .filter(|m| m.status == "queued" || m.status == "running")
                    .count(),
                parameter_free: mean_sd(&free).0,
                runs: here.iter().map(|m| m.run).collect(),
            }
        })
        .collect()
}

/// The sweet spot of the cells with a mean; None before any.
pub fn sweet_spot(spec: &Spec, cells: &[Cell], higher_is_better: bool) -> Option<SweetSpot> {
    let scored: Vec<&Cell> = cells.iter().filter(|c| c.mean.is_some()).collect();
    let key = |c: &&Cell| c.mean.unwrap_or(f64::NAN);
    let best = scored.iter().copied().max_by(|a, b| {
        let (x, y) = (key(a), key(b));
        if higher_is_better {
            x.total_cmp(&y)
        } else {
            y.total_cmp(&x)
        }
    })?;
    let best_mean = key(&best);
    let slack = spec.tolerance * best_mean.abs();
    let within = scored
        .iter()
        .filter(|c| (key(c) - best_mean).abs() <= slack + 1e-12)
        .count();
    let on_edge = spec
        .axes
        .iter()
        .zip(&best.point)
        .filter(|(a, &i)| a.values.len() > 2 && (i == 0 || i + 1 == a.values.len()))
        .map(|(a, _)| a.key.clone())
        .collect();
    Some(SweetSpot {
        best: best.label.clone(),
        best_mean,
        tolerance: spec.tolerance,
        within,
        scored: scored.len(),
        on_edge,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn member(run: i64, point: usize, status: &str, metric: Option<f64>) -> Member {
        Member {
            run,
            point,
            seed: run as u64,
            status: status.into(),
            metric,
            parameter_free: Some(run as usize % 3),
            message: None,
        }
    }

    #[test]
    fn cells_are_the_mean_of_their_seeds_and_failures_are_counted() {
        let spec = super::super::spec::parse(&json!({"axes": [
            {"key": "a", "values": [1, 2, 3]}, {"key": "b", "values": [1, 2]}], "seeds": 2}))
        .unwrap();
        let members = vec![
            member(1, 0, "succeeded", Some(0.8)),
            member(2, 0, "succeeded", Some(0.9)),
            member(3, 1, "failed", None),
            member(4, 1, "succeeded", Some(0.5)),
            member(5, 5, "running", None),
            member(6, 5, "succeeded", Some(0.86)),
        ];
        let c = cells(&spec, &members);
        assert_eq!(c.len(), 6);
        // numpy: np.mean([0.8, 0.9]) = 0.85, np.std([0.8, 0.9], ddof=1) = 0.0707107
        assert!((c[0].mean.unwrap() - 0.85).abs() < 1e-12);
        assert!((c[0].sd.unwrap() - 0.070_710_678).abs() < 1e-8);
        assert_eq!((c[1].n, c[1].failed, c[1].mean), (1, 1, Some(0.5)));
        assert_eq!((c[5].pending, c[5].n), (1, 1));
        assert_eq!(c[2].mean, None);
        assert_eq!(c[0].parameter_free, Some(1.5)); // runs 1 and 2: 1 and 2 parameter-free ops
                                                    // Best 0.86 at (a=3, b=2): 0.85 lies within 2% of it, 0.5 does not; a is at its edge
                                                    // (3 values), b has only two values and cannot say.
        let s = sweet_spot(&spec, &c, true).unwrap();
        assert_eq!((s.best.as_str(), s.within, s.scored), ("a=3, b=2", 2, 3));
        assert_eq!(s.on_edge, vec!["a".to_string()]);
        // For an error the lowest wins.
        assert_eq!(sweet_spot(&spec, &c, false).unwrap().best, "a=1, b=2");
    }

    #[test]
    fn parameter_free_ops_of_a_cell() {
        let r = json!({"genotype": {
            "normal": [["skip_connect", 0], ["sep_conv_3x3", 1], ["max_pool_3x3", 0]],
            "reduce": [["avg_pool_3x3", 0], ["dil_conv_5x5", 1]]}});
        assert_eq!(parameter_free(&r), Some(3));
        assert_eq!(parameter_free(&json!({})), None);
    }
}
