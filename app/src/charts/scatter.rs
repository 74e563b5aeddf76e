//! Every trained network of a dataset as a point of batch-1 latency against test metric, with
//! the Pareto front (the networks no other is both faster and better than) highlighted and
//! joined: accuracy against cost, as a scientist who deploys next to an instrument weighs them.
use super::SERIES;
use plotters::prelude::*;

/// One trained network.
#[derive(Debug, Clone, PartialEq)]
pub struct Point {
    pub latency_ms: f64,
    pub metric: f64,
}

/// The indices of the points on the Pareto front, by latency: a point is on it unless another
/// is at least as fast and at least as good, and strictly one of the two. `higher_is_better`:
/// accuracy (true) or an error such as RMSE (false).
pub fn pareto(points: &[Point], higher_is_better: bool) -> Vec<usize> {
    let better = |a: f64, b: f64| if higher_is_better { a > b } else { a < b };
    let at_least = |a: f64, b: f64| a == b || better(a, b);
    let mut front: Vec<usize> = (0..points.len())
        .filter(|&i| {
            let p = &points[i];
            p.latency_ms.is_finite()
                && p.metric.is_finite()
                && !points.iter().any(|q| {
                    q.latency_ms <= p.latency_ms
                        && at_least(q.metric, p.metric)
                        && (q.latency_ms < p.latency_ms || better(q.metric, p.metric))
                })
        })
        .collect();
    front.sort_by(|&a, &b| points[a].latency_ms.total_cmp(&points[b].latency_ms));
    front
}

/// The scatter: every point, the front's points larger and joined; an empty string when there
/// is nothing to draw or plotters fails.
pub fn scatter(points: &[Point], higher_is_better: bool, y_label: &str) -> String {
    let shown: Vec<&Point> = points
        .iter()
        .filter(|p| p.latency_ms.is_finite() && p.metric.is_finite())
        .collect();
    if shown.is_empty() {
        return String::new();
    }
    let range = |f: fn(&Point) -> f64| {
        shown
            .iter()
            .map(|p| f(p))
            .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), v| {
                (a.min(v), b.max(v))
            })
    };
    let (x0, x1) = range(|p| p.latency_ms);
    let (y0, y1) = range(|p| p.metric);
    let xpad = ((x1 - x0) * 0.08).max(x1.abs() * 0.05).max(1e-3);
    let ypad = ((y1 - y0) * 0.08).max(1e-3);
    let front: Vec<(f64, f64)> = pareto(points, higher_is_better)
        .into_iter()
        .map(|i| (points[i].latency_ms, points[i].metric))
        .collect();
    let mut svg = String::new();
    let drawn = (|| -> Option<()> {
        let root = SVGBackend::with_string(&mut svg, (440, 280)).into_drawing_area();
        root.fill(&WHITE).ok()?;
        let mut chart = ChartBuilder::on(&root)
            .margin(10)
            .x_label_area_size(32)
            .y_label_area_size(56)
            .build_cartesian_2d((x0 - xpad).max(0.0)..x1 + xpad, y0 - ypad..y1 + ypad)
            .ok()?;
        chart
            .configure_mesh()
            .light_line_style(TRANSPARENT)
            .x_desc("batch-1 latency, ms")
            .y_desc(y_label)
            .draw()
            .ok()?;
        let (dot, edge) = (SERIES[0], SERIES[1]);
        chart
            .draw_series(
                shown
                    .iter()
                    .map(|p| Circle::new((p.latency_ms, p.metric), 3, dot.mix(0.7).filled())),
            )
            .ok()?
            .label("trained network")
            .legend(move |(x, y)| Circle::new((x + 8, y), 3, dot.filled()));
        chart
            .draw_series(LineSeries::new(front.clone(), edge.stroke_width(2)))
            .ok()?
            .label("Pareto front")
            .legend(move |(x, y)| {
                PathElement::new(vec![(x, y), (x + 16, y)], edge.stroke_width(2))
            });
        chart
            .draw_series(front.iter().map(|p| Circle::new(*p, 5, edge.filled())))
            .ok()?;
        chart
            .configure_series_labels()
            .background_style(WHITE.mix(0.85))
            .border_style(BLACK.mix(0.2))
            // Beyond the front (faster and better) no network lies: the legend hides none.
            .position(if higher_is_better {
                SeriesLabelPosition::UpperLeft
            } else {
                SeriesLabelPosition::LowerLeft
            })
            .draw()
            .ok()?;
        root.present().ok()
    })();
    match drawn {
        Some(()) => svg,
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(latency_ms: f64, metric: f64) -> Point {
        Point { latency_ms, metric }
    }

    #[test]
    fn the_front_keeps_what_nothing_beats_on_both() {
        // (ms, accuracy): 1 beats 3 on both; 2 is slower than 0 but better; 4 ties 0's time
        // and is worse; 5 is a duplicate of 2 (neither beats the other strictly).
        let pts = [
            p(1.0, 0.80),
            p(2.0, 0.90),
            p(3.0, 0.95),
            p(2.5, 0.85),
            p(1.0, 0.70),
            p(2.0, 0.90),
        ];
        assert_eq!(pareto(&pts, true), vec![0, 1, 5, 2]);
        // For an error (lower is better) the slow, low-error points lead instead.
        let rmse = [p(1.0, 5.0), p(2.0, 4.0), p(3.0, 4.5), p(0.5, 6.0)];
        assert_eq!(pareto(&rmse, false), vec![3, 0, 1]);
        assert!(pareto(&[p(f64::NAN, 1.0)], true).is_empty());
    }

    #[test]
    fn the_scatter_draws_every_point_and_rings_the_front() {
        let pts = [p(1.0, 0.8), p(2.0, 0.9), p(2.5, 0.85)];
        let svg = scatter(&pts, true, "test accuracy");
        assert!(svg.starts_with("<svg"), "{svg}");
        // 3 dots, 2 front rings, and the two legend marks' dot.
        assert_eq!(svg.matches("<circle").count(), 3 + 2 + 1, "{svg}");
        assert!(svg.contains("Pareto front") && svg.contains("batch-1 latency, ms"));
        assert_eq!(scatter(&[], true, "x"), "");
    }
}
