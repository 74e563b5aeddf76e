//! Line charts over epochs.
use super::SERIES;
use plotters::prelude::*;

/// A line chart of (name, points) series against the epoch, with a legend; an empty string when
/// there is nothing to draw or plotters fails.
pub fn lines(y_label: &str, series: &[(String, Vec<(f64, f64)>)]) -> String {
    lines_marked(y_label, series, None)
}

/// The same with a vertical line at an epoch and its label (the epoch a training kept).
pub fn lines_marked(
    y_label: &str,
    series: &[(String, Vec<(f64, f64)>)],
    mark: Option<(f64, &str)>,
) -> String {
    let points = || {
        series
            .iter()
            .flat_map(|(_, p)| p.iter())
            .filter(|(x, y)| x.is_finite() && y.is_finite())
    };
    if points().next().is_none() {
        return String::new();
    }
    let (x0, x1) = points().fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), (x, _)| {
        (a.min(*x), b.max(*x))
    });
    let (y0, y1) = points().fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), (_, y)| {
        (a.min(*y), b.max(*y))
    });
    let pad = ((y1 - y0) * 0.08).max(1e-3);
    let (x1, y0, y1) = (x1.max(x0 + 1.0), y0 - pad, y1 + pad);
    let mut svg = String::new();
    let drawn = (|| -> Option<()> {
        let root = SVGBackend::with_string(&mut svg, (440, 260)).into_drawing_area();
        root.fill(&WHITE).ok()?;
        let mut chart = ChartBuilder::on(&root)
            .margin(10)
            .x_label_area_size(32)
            .y_label_area_size(56)
            .build_cartesian_2d(x0..x1, y0..y1)
            .ok()?;
        chart
            .configure_mesh()
            // No light grid lines (max_light_lines(0) overflows plotters' integer key points).
            .light_line_style(TRANSPARENT)
            .x_desc("epoch")
            .y_desc(y_label)
            // Epochs are whole: at most one label per epoch, and none between two.
            .x_labels(((x1 - x0).round() as usize + 1).min(8))
            .x_label_formatter(&|x| {
                if (x - x.round()).abs() < 1e-6 {
                    format!("{x:.0}")
                } else {
                    String::new()
                }
            })
            .draw()
            .ok()?;
        for (i, (name, pts)) in series.iter().enumerate() {
            let colour = SERIES[i % SERIES.len()];
            let pts: Vec<(f64, f64)> = pts
                .iter()
                .copied()
                .filter(|(x, y)| x.is_finite() && y.is_finite())
                .collect();
            chart
                .draw_series(LineSeries::new(pts.clone(), colour.stroke_width(2)))
                .ok()?
                .label(name.as_str())
                .legend(move |(x, y)| {
                    PathElement::new(vec![(x, y), (x + 16, y)], colour.stroke_width(2))
                });
            // A dot per epoch, so a single epoch is visible too.
            chart
                .draw_series(pts.iter().map(|p| Circle::new(*p, 2, colour.filled())))
                .ok()?;
        }
        if let Some((x, label)) = mark {
            let grey = BLACK.mix(0.45);
            chart
                .draw_series(std::iter::once(PathElement::new(
                    vec![(x, y0), (x, y1)],
                    grey.stroke_width(1),
                )))
                .ok()?;
            chart
                .draw_series(std::iter::once(Text::new(
                    label.to_string(),
                    (x, y1),
                    ("sans-serif", 12).into_font().color(&grey),
                )))
                .ok()?;
        }
        chart
            .configure_series_labels()
            .background_style(WHITE.mix(0.85))
            .border_style(BLACK.mix(0.2))
            .position(SeriesLabelPosition::UpperRight)
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

    #[test]
    fn line_chart_has_a_line_per_series_and_the_legend() {
        let series = vec![
            (
                "train".to_string(),
                vec![(1.0, 2.0), (2.0, 1.5), (3.0, 1.2)],
            ),
            (
                "validation".to_string(),
                vec![(1.0, 2.1), (2.0, 1.7), (3.0, f64::NAN)],
            ),
        ];
        let svg = lines("loss", &series);
        assert!(svg.starts_with("<svg"), "{svg}");
        // Each series' line and its legend mark, in the series' colour.
        assert_eq!(
            svg.matches(r##"stroke="#2F5FD0" stroke-width="2""##)
                .count(),
            2
        );
        assert_eq!(
            svg.matches(r##"stroke="#E8590C" stroke-width="2""##)
                .count(),
            2
        );
        assert!(svg.contains("\ntrain\n") && svg.contains("\nvalidation\n"));
        // 3 + 2 dots (the NaN is left out).
        assert_eq!(svg.matches("<circle").count(), 5);
        assert_eq!(lines("loss", &[("x".into(), vec![])]), "");
    }

    /// The kept epoch is a vertical line with its label; without a mark there is none.
    #[test]
    fn a_mark_draws_its_line_and_label() {
        let series = vec![(
            "validation".to_string(),
            vec![(1.0, 0.5), (2.0, 0.7), (3.0, 0.6)],
        )];
        let marked = lines_marked("accuracy", &series, Some((2.0, "kept epoch 2")));
        assert!(marked.contains("kept epoch 2"), "{marked}");
        assert!(!lines("accuracy", &series).contains("kept epoch"));
    }

    /// The epoch axis of a young run (epochs 1 and 2) labels each whole epoch once.
    #[test]
    fn epoch_axis_labels_whole_epochs_once() {
        let svg = lines("loss", &[("train".into(), vec![(1.0, 2.0), (2.0, 1.5)])]);
        // plotters writes each tick label alone on its line inside <text>.
        let labels: Vec<&str> = svg
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty() && l.chars().all(|c| c.is_ascii_digit()))
            .collect();
        let ones = labels.iter().filter(|l| **l == "1").count();
        let twos = labels.iter().filter(|l| **l == "2").count();
        assert_eq!((ones, twos), (1, 1), "{labels:?}");
    }
}
