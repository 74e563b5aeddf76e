//! A sweep's map, written as SVG by hand (a grid of labelled cells is simpler to say directly
//! than through plotters): over two keys a heatmap (each cell the mean over seeds, its sd and
//! runs in the hover title, failed and pending cells marked); over one key a line with error
//! bars (± sd); over three keys parallel coordinates (one polyline a point, coloured by its
//! mean). With `collapse`, the value drawn is the mean count of parameter-free ops in the
//! final cells instead of the metric, so collapse shows up as a region.
mod heatmap;
mod line;
mod parallel;

use crate::types::{SweepCell, SweepDetail};
use std::fmt::Write;

/// The value a cell shows.
fn value(c: &SweepCell, collapse: bool) -> Option<f64> {
    if collapse {
        c.parameter_free
    } else {
        c.mean
    }
}

/// 0 (worst) to 1 (best) across the drawn cells; `better_high`: whether high values are good.
fn scale(cells: &[SweepCell], collapse: bool, better_high: bool) -> impl Fn(f64) -> f64 {
    let vals: Vec<f64> = cells
        .iter()
        .filter_map(|c| value(c, collapse))
        .filter(|v| v.is_finite())
        .collect();
    let lo = vals.iter().copied().fold(f64::INFINITY, f64::min);
    let hi = vals.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    move |v: f64| {
        let t = if hi > lo { (v - lo) / (hi - lo) } else { 1.0 };
        if better_high {
            t
        } else {
            1.0 - t
        }
    }
}

/// A perceptual ramp from dark purple (0) through teal to yellow (1), as viridis runs.
fn colour(t: f64) -> String {
    const STOPS: [(f64, f64, f64); 5] = [
        (68.0, 1.0, 84.0),
        (59.0, 82.0, 139.0),
        (33.0, 145.0, 140.0),
        (94.0, 201.0, 98.0),
        (253.0, 231.0, 37.0),
    ];
    let t = t.clamp(0.0, 1.0) * 4.0;
    let i = (t.floor() as usize).min(3);
    let f = t - i as f64;
    let (a, b) = (STOPS[i], STOPS[i + 1]);
    let mix = |x: f64, y: f64| (x + (y - x) * f).round() as u8;
    format!("rgb({},{},{})", mix(a.0, b.0), mix(a.1, b.1), mix(a.2, b.2))
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// The figure in a cell: 4 significant digits for a metric, one decimal for op counts.
fn figure(v: f64, collapse: bool) -> String {
    if collapse {
        format!("{v:.1}")
    } else if v.abs() >= 100.0 {
        format!("{v:.1}")
    } else {
        format!("{v:.4}")
    }
}

/// The hover text of a cell: its point, mean ± sd, seeds, failures, runs.
fn title(c: &SweepCell, metric: &str) -> String {
    let mut t = c.label.clone();
    match (c.mean, c.sd) {
        (Some(m), Some(sd)) => {
            let _ = write!(t, "\n{metric} {m:.4} ± {sd:.4} over {} seeds", c.n);
        }
        (Some(m), None) => {
            let _ = write!(t, "\n{metric} {m:.4} (1 seed)");
        }
        _ => {}
    }
    if let Some(p) = c.parameter_free {
        let _ = write!(t, "\nparameter-free ops in the final cells: {p:.1}");
    }
    if c.failed > 0 {
        let _ = write!(t, "\n{} failed", c.failed);
    }
    if c.pending > 0 {
        let _ = write!(t, "\n{} still running or queued", c.pending);
    }
    let runs: Vec<String> = c.runs.iter().map(|r| format!("#{r}")).collect();
    let _ = write!(t, "\nruns {}", runs.join(" "));
    escape(&t)
}

/// What a cell without a value says.
fn empty_text(c: &SweepCell) -> &'static str {
    if c.failed > 0 && c.pending == 0 {
        "failed"
    } else if c.pending > 0 {
        "running"
    } else {
        "-"
    }
}

const FONT: &str = "font-family=\"sans-serif\" font-size=\"12\"";

/// The map of `d` (the metric, or with `collapse` the parameter-free op count); an empty string
/// for a sweep without axes.
pub fn sweep_map(d: &SweepDetail, collapse: bool) -> String {
    let label = if collapse {
        "parameter-free ops in the final cells (mean)".to_string()
    } else {
        d.measure.clone()
    };
    // Fewer parameter-free ops is healthier; for the metric, as the metric says.
    let better_high = !collapse && d.higher_is_better;
    match d.axes.len() {
        1 => line::line(d, collapse, &label, better_high),
        2 => heatmap::heatmap(d, collapse, &label, better_high),
        3 => parallel::parallel(d, collapse, &label, better_high),
        _ => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::{SweepAxis, SweepRow};

    fn cell(point: Vec<usize>, mean: Option<f64>, failed: usize) -> SweepCell {
        SweepCell {
            label: format!("{point:?}"),
            point,
            mean,
            sd: mean.map(|_| 0.01),
            n: usize::from(mean.is_some()) * 2,
            failed,
            pending: 0,
            parameter_free: Some(2.0),
            runs: vec![1, 2],
        }
    }

    fn detail(axes: usize) -> SweepDetail {
        let axis = |k: &str| SweepAxis {
            key: k.into(),
            values: vec!["0.001".into(), "0.01".into()],
        };
        let keys = ["alpha_lr", "w_lr", "epochs"];
        let mut cells = vec![];
        for i in 0..(1 << axes) {
            let point: Vec<usize> = (0..axes).map(|k| (i >> (axes - 1 - k)) & 1).collect();
            let failed = usize::from(i == 1);
            cells.push(cell(
                point,
                (i != 1).then_some(0.5 + i as f64 / 10.0),
                failed,
            ));
        }
        SweepDetail {
            row: SweepRow {
                id: 1,
                kind: "search".into(),
                dataset_name: "d".into(),
                keys: String::new(),
                status: "finished".into(),
                runs: 0,
                done: 0,
                created_at: 0.0,
            },
            dataset_id: "d".into(),
            axes: keys[..axes].iter().map(|k| axis(k)).collect(),
            seeds: 2,
            mode: "grid".into(),
            measure: "best validation accuracy of the search".into(),
            metric: "accuracy".into(),
            higher_is_better: true,
            cells,
            members: vec![],
            sweet_spot: None,
            searches: true,
            base: vec![],
            share_token: None,
            read_only: false,
            csv_url: String::new(),
        }
    }

    #[test]
    fn the_heatmap_has_a_cell_a_point_with_its_mean_and_marks_failures() {
        let svg = sweep_map(&detail(2), false);
        assert_eq!(svg.matches("<g class=\"cell\"").count(), 4);
        // Cells 0, 2, 3 show their means; cell 1 failed and says so.
        for m in ["0.5000", "0.7000", "0.8000", ">failed<", "1 failed"] {
            assert!(svg.contains(m), "{m} in {svg}");
        }
        assert!(svg.contains("accuracy 0.7000 ± 0.0100 over 2 seeds"));
        assert!(svg.contains(">alpha_lr<") && svg.contains(">w_lr<"));
        let collapse = sweep_map(&detail(2), true);
        assert!(collapse.contains("parameter-free ops") && collapse.contains(">2.0<"));
    }

    #[test]
    fn one_key_draws_error_bars_and_three_draw_parallel_coordinates() {
        let one = sweep_map(&detail(1), false);
        assert_eq!(one.matches("<circle").count(), 1, "{one}"); // point 1 failed
        assert!(one.contains(">failed<"));
        let three = sweep_map(&detail(3), false);
        assert_eq!(three.matches("<polyline").count(), 8);
        assert!(
            three.contains("stroke-dasharray"),
            "the failed point is dashed"
        );
        assert_eq!(colour(0.0), "rgb(68,1,84)");
        assert_eq!(colour(1.0), "rgb(253,231,37)");
    }
}
