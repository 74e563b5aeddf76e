//! Charts as SVG strings, drawn with plotters the same way on the server and in the browser, and
//! put inline into the page (they print and need no scripts).
use plotters::prelude::*;

const BAR: RGBColor = RGBColor(47, 95, 208);

/// A bar chart of `values` labelled by `labels`; an empty string when plotters fails.
pub fn bars(labels: &[String], values: &[f64], y_label: &str) -> String {
    let mut svg = String::new();
    let n = labels.len().max(1) as i32;
    let top = values.iter().copied().fold(0.0, f64::max).max(1.0) * 1.1;
    let width = (80 + 44 * n).clamp(320, 900) as u32;
    let drawn = (|| -> Option<()> {
        let root = SVGBackend::with_string(&mut svg, (width, 240)).into_drawing_area();
        root.fill(&WHITE).ok()?;
        let mut chart = ChartBuilder::on(&root)
            .margin(10)
            .x_label_area_size(34)
            .y_label_area_size(52)
            .build_cartesian_2d((0..n).into_segmented(), 0f64..top)
            .ok()?;
        // Each label sits at the centre of its bar.
        let label = |x: &SegmentValue<i32>| match x {
            SegmentValue::CenterOf(i) => labels.get(*i as usize).cloned().unwrap_or_default(),
            _ => String::new(),
        };
        chart
            .configure_mesh()
            .disable_x_mesh()
            .max_light_lines(0)
            .x_labels(labels.len().min(30))
            .x_label_formatter(&label)
            .y_desc(y_label)
            .draw()
            .ok()?;
        chart
            .draw_series(values.iter().enumerate().map(|(i, v)| {
                let i = i as i32;
                let (left, right) = (SegmentValue::Exact(i), SegmentValue::Exact(i + 1));
                Rectangle::new([(left, 0.0), (right, *v)], BAR.mix(0.85).filled())
            }))
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
    fn bar_chart_has_one_bar_per_value_and_the_labels() {
        let svg = bars(&["cat".into(), "dog".into()], &[3.0, 5.0], "images");
        assert!(svg.starts_with("<svg"), "{svg}");
        // plotters writes each label on its own line inside <text>.
        assert!(
            svg.contains(">\ncat\n<") && svg.contains(">\ndog\n<"),
            "{svg}"
        );
        // The background plus one filled rectangle per bar.
        let filled = svg.matches("<rect").count();
        assert!(filled >= 3, "{filled} rects");
    }
}
