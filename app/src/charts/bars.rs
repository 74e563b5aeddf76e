//! A bar chart of values by label.
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

const BAR: RGBColor = RGBColor(47, 95, 208);

/// A bar chart of `values` labelled by `labels`; an empty string when plotters fails.
pub fn bars(labels: &[String], values: &[f64], y_label: &str) -> String {
    bars_noted(labels, values, &[], y_label)
}

/// A bar chart with a note written above each bar (the comparison writes each network's batch-1
/// latency there: accuracy against cost at a glance); `notes` may be shorter than `values`.
pub fn bars_noted(labels: &[String], values: &[f64], notes: &[String], y_label: &str) -> String {
    let mut svg = String::new();
    let n = labels.len().max(1) as i32;
    // Room above the tallest bar for its note.
    let headroom = if notes.is_empty() { 1.1 } else { 1.2 };
    let top = values.iter().copied().fold(0.0, f64::max).max(1.0) * headroom;
    // Each bar as wide as its label needs (about 6 px a character at the axis font).
    let per = labels
        .iter()
        .map(|l| 6 * l.chars().count() as i32 + 10)
        .max()
        .unwrap_or(0)
        .max(44);
    let width = (80 + per * n).clamp(320, 1100) as u32;
    let drawn = (|| -> Option<()> {
        let root = SVGBackend::with_string(&mut svg, (width, 240)).into_drawing_area();
        root.fill(&WHITE).ok()?;
        let mut chart = ChartBuilder::on(&root)
            .margin(10)
            .x_label_area_size(34)
            .y_label_area_size(52)
            // A segmented 0..k has k + 1 segments: 0..n-1 gives one per bar.
            .build_cartesian_2d((0..(n - 1).max(1)).into_segmented(), 0f64..top)
            .ok()?;
        // Each label sits at the centre of its bar.
        let label = |x: &SegmentValue<i32>| match x {
            SegmentValue::CenterOf(i) => labels.get(*i as usize).cloned().unwrap_or_default(),
            _ => String::new(),
        };
        chart
            .configure_mesh()
            .disable_x_mesh()
            // No light grid lines (max_light_lines(0) overflows plotters' integer key points).
            .light_line_style(TRANSPARENT)
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
        let note_style = ("sans-serif", 12)
            .into_font()
            .color(&BLACK)
            .pos(Pos::new(HPos::Center, VPos::Bottom));
        chart
            .draw_series(notes.iter().zip(values).enumerate().map(|(i, (note, v))| {
                let at = (SegmentValue::CenterOf(i as i32), *v + top * 0.01);
                Text::new(note.clone(), at, note_style.clone())
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

    #[test]
    fn noted_bars_write_each_note_once() {
        let labels: Vec<String> = ["DARTS cell", "ResNet-18"].map(String::from).to_vec();
        let notes: Vec<String> = ["2.03 ms", "5.92 ms"].map(String::from).to_vec();
        let svg = bars_noted(&labels, &[0.88, 0.89], &notes, "test accuracy");
        for n in &notes {
            assert_eq!(svg.matches(n.as_str()).count(), 1, "{svg}");
        }
        assert!(!bars(&labels, &[0.88, 0.89], "x").contains(" ms"));
    }

    #[test]
    fn bar_chart_takes_long_labels_and_many_bars() {
        // The comparison's methods, as a seed group's study names them.
        let labels: Vec<String> = [
            "DARTS supernet (during search)",
            "DARTS cell, retrained",
            "DARTS cell, retrained (best of 2 searches on validation)",
            "ResNet-18",
            "ResNet-10",
            "Random search (best of 3, 4 sampled)",
        ]
        .map(String::from)
        .to_vec();
        let svg = bars(&labels, &[0.8, 0.7, 0.75, 0.85, 0.8, 0.79], "test accuracy");
        assert!(svg.contains("ResNet-10"), "{svg}");
        assert_eq!(bars(&labels[..5], &[0.8; 5], "test rmse").is_empty(), false);
    }
}
