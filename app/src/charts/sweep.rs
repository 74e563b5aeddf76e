//! A sweep's map, written as SVG by hand (a grid of labelled cells is simpler to say directly
//! than through plotters): over two keys a heatmap (each cell the mean over seeds, its sd and
//! runs in the hover title, failed and pending cells marked); over one key a line with error
//! bars (± sd); over three keys parallel coordinates (one polyline a point, coloured by its
//! mean). With `collapse`, the value drawn is the mean count of parameter-free ops in the
//! final cells instead of the metric, so collapse shows up as a region.
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
        1 => line(d, collapse, &label, better_high),
        2 => heatmap(d, collapse, &label, better_high),
        3 => parallel(d, collapse, &label, better_high),
        _ => String::new(),
    }
}

fn heatmap(d: &SweepDetail, collapse: bool, label: &str, better_high: bool) -> String {
    let (xs, ys) = (&d.axes[1], &d.axes[0]);
    let (cw, ch, left, top) = (92.0, 40.0, 96.0, 40.0);
    // Wide enough for the title (about 7 px a character in bold 12 px).
    let w = (left + cw * xs.values.len() as f64 + 20.0).max(16.0 + 7.0 * label.len() as f64);
    let h = top + ch * ys.values.len() as f64 + 56.0;
    let t = scale(&d.cells, collapse, better_high);
    let mut s = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{w}\" height=\"{h}\" viewBox=\"0 0 {w} {h}\" class=\"sweep-map\" {FONT}>"
    );
    let _ = write!(
        s,
        "<rect width=\"{w}\" height=\"{h}\" fill=\"white\"/><text x=\"8\" y=\"20\" font-weight=\"bold\">{}</text>",
        escape(label)
    );
    for (j, v) in ys.values.iter().enumerate() {
        let y = top + ch * (j as f64 + 0.5) + 4.0;
        let _ = write!(
            s,
            "<text x=\"{}\" y=\"{y}\" text-anchor=\"end\">{}</text>",
            left - 6.0,
            escape(v)
        );
    }
    for (i, v) in xs.values.iter().enumerate() {
        let x = left + cw * (i as f64 + 0.5);
        let y = top + ch * ys.values.len() as f64 + 16.0;
        let _ = write!(
            s,
            "<text x=\"{x}\" y=\"{y}\" text-anchor=\"middle\">{}</text>",
            escape(v)
        );
    }
    let _ = write!(
        s,
        "<text x=\"{}\" y=\"{}\" text-anchor=\"middle\">{}</text><text x=\"12\" y=\"{}\" transform=\"rotate(-90 12 {})\" text-anchor=\"middle\">{}</text>",
        left + cw * xs.values.len() as f64 / 2.0,
        h - 10.0,
        escape(&xs.key),
        top + ch * ys.values.len() as f64 / 2.0,
        top + ch * ys.values.len() as f64 / 2.0,
        escape(&ys.key)
    );
    for c in &d.cells {
        let (Some(&j), Some(&i)) = (c.point.first(), c.point.get(1)) else {
            continue;
        };
        let (x, y) = (left + cw * i as f64, top + ch * j as f64);
        let (fill, text, ink) = match value(c, collapse) {
            Some(v) => {
                let k = t(v);
                let ink = if k > 0.6 { "black" } else { "white" };
                (colour(k), figure(v, collapse), ink)
            }
            None => ("#eeeeee".to_string(), empty_text(c).to_string(), "#555"),
        };
        let mark = if c.failed > 0 {
            format!(
                "<text x=\"{}\" y=\"{}\" fill=\"#c0392b\" font-size=\"10\" text-anchor=\"end\">{} failed</text>",
                x + cw - 4.0,
                y + 12.0,
                c.failed
            )
        } else {
            String::new()
        };
        let _ = write!(
            s,
            "<g class=\"cell\" data-point=\"{}\"><title>{}</title><rect x=\"{x}\" y=\"{y}\" width=\"{}\" height=\"{}\" fill=\"{fill}\" stroke=\"white\"/><text x=\"{}\" y=\"{}\" text-anchor=\"middle\" fill=\"{ink}\">{text}</text>{mark}</g>",
            escape(&c.label),
            title(c, &d.metric),
            cw,
            ch,
            x + cw / 2.0,
            y + ch / 2.0 + 4.0,
        );
    }
    s + "</svg>"
}

fn line(d: &SweepDetail, collapse: bool, label: &str, better_high: bool) -> String {
    let axis = &d.axes[0];
    let n = axis.values.len().max(1);
    let (left, top, pw, ph) = (64.0, 36.0, (70 * n).max(280) as f64, 200.0);
    let (w, h) = (left + pw + 20.0, top + ph + 56.0);
    let shown: Vec<(usize, f64, f64)> = d
        .cells
        .iter()
        .filter_map(|c| {
            let v = value(c, collapse)?;
            let sd = if collapse { 0.0 } else { c.sd.unwrap_or(0.0) };
            Some((*c.point.first()?, v, sd))
        })
        .collect();
    let lo = shown
        .iter()
        .map(|p| p.1 - p.2)
        .fold(f64::INFINITY, f64::min);
    let hi = shown
        .iter()
        .map(|p| p.1 + p.2)
        .fold(f64::NEG_INFINITY, f64::max);
    let (lo, hi) = if lo.is_finite() && hi > lo {
        (lo - (hi - lo) * 0.1, hi + (hi - lo) * 0.1)
    } else if lo.is_finite() {
        (lo - 0.5, lo + 0.5)
    } else {
        (0.0, 1.0)
    };
    let x = |i: usize| left + pw * (i as f64 + 0.5) / n as f64;
    let y = |v: f64| top + ph * (1.0 - (v - lo) / (hi - lo));
    let t = scale(&d.cells, collapse, better_high);
    let mut s = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{w}\" height=\"{h}\" viewBox=\"0 0 {w} {h}\" class=\"sweep-map\" {FONT}>"
    );
    let _ = write!(
        s,
        "<rect width=\"{w}\" height=\"{h}\" fill=\"white\"/><text x=\"{left}\" y=\"20\" font-weight=\"bold\">{}</text><line x1=\"{left}\" y1=\"{top}\" x2=\"{left}\" y2=\"{}\" stroke=\"#888\"/><line x1=\"{left}\" y1=\"{}\" x2=\"{}\" y2=\"{}\" stroke=\"#888\"/>",
        escape(label),
        top + ph,
        top + ph,
        left + pw,
        top + ph
    );
    for v in [lo, (lo + hi) / 2.0, hi] {
        let _ = write!(
            s,
            "<text x=\"{}\" y=\"{}\" text-anchor=\"end\">{}</text>",
            left - 6.0,
            y(v) + 4.0,
            figure(v, collapse)
        );
    }
    for (i, v) in axis.values.iter().enumerate() {
        let _ = write!(
            s,
            "<text x=\"{}\" y=\"{}\" text-anchor=\"middle\">{}</text>",
            x(i),
            top + ph + 16.0,
            escape(v)
        );
    }
    let _ = write!(
        s,
        "<text x=\"{}\" y=\"{}\" text-anchor=\"middle\">{}</text>",
        left + pw / 2.0,
        h - 10.0,
        escape(&axis.key)
    );
    let path: Vec<String> = shown
        .iter()
        .map(|(i, v, _)| format!("{},{}", x(*i), y(*v)))
        .collect();
    let _ = write!(
        s,
        "<polyline points=\"{}\" fill=\"none\" stroke=\"#2f5fd0\" stroke-width=\"2\"/>",
        path.join(" ")
    );
    for c in &d.cells {
        let Some(&i) = c.point.first() else { continue };
        match value(c, collapse) {
            Some(v) => {
                let sd = if collapse { 0.0 } else { c.sd.unwrap_or(0.0) };
                let _ = write!(
                    s,
                    "<g class=\"cell\" data-point=\"{}\"><title>{}</title><line x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\" stroke=\"#333\"/><circle cx=\"{}\" cy=\"{}\" r=\"5\" fill=\"{}\" stroke=\"#333\"/></g>",
                    escape(&c.label),
                    title(c, &d.metric),
                    x(i),
                    y(v - sd),
                    x(i),
                    y(v + sd),
                    x(i),
                    y(v),
                    colour(t(v))
                );
            }
            None => {
                let _ = write!(
                    s,
                    "<g class=\"cell\" data-point=\"{}\"><title>{}</title><text x=\"{}\" y=\"{}\" text-anchor=\"middle\" fill=\"#c0392b\">{}</text></g>",
                    escape(&c.label),
                    title(c, &d.metric),
                    x(i),
                    top + ph - 8.0,
                    empty_text(c)
                );
            }
        }
    }
    s + "</svg>"
}

fn parallel(d: &SweepDetail, collapse: bool, label: &str, better_high: bool) -> String {
    // Three key axes, then the value's axis.
    let (left, top, gap, ph) = (40.0, 40.0, 150.0, 200.0);
    let (w, h) = (left * 2.0 + gap * 3.0 + 40.0, top + ph + 60.0);
    let t = scale(&d.cells, collapse, better_high);
    let ax = |k: usize| left + gap * k as f64;
    let level = |i: usize, n: usize| top + ph * (1.0 - i as f64 / (n.max(2) - 1) as f64);
    let vals: Vec<f64> = d.cells.iter().filter_map(|c| value(c, collapse)).collect();
    let lo = vals.iter().copied().fold(f64::INFINITY, f64::min);
    let hi = vals.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let vy = |v: f64| {
        if hi > lo {
            top + ph * (1.0 - (v - lo) / (hi - lo))
        } else {
            top + ph / 2.0
        }
    };
    let mut s = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{w}\" height=\"{h}\" viewBox=\"0 0 {w} {h}\" class=\"sweep-map\" {FONT}>"
    );
    let _ = write!(
        s,
        "<rect width=\"{w}\" height=\"{h}\" fill=\"white\"/><text x=\"{left}\" y=\"20\" font-weight=\"bold\">{}</text>",
        escape(label)
    );
    for (k, a) in d.axes.iter().enumerate() {
        let _ = write!(
            s,
            "<line x1=\"{0}\" y1=\"{top}\" x2=\"{0}\" y2=\"{1}\" stroke=\"#888\"/><text x=\"{0}\" y=\"{2}\" text-anchor=\"middle\">{3}</text>",
            ax(k),
            top + ph,
            top + ph + 20.0,
            escape(&a.key)
        );
        for (i, v) in a.values.iter().enumerate() {
            let _ = write!(
                s,
                "<text x=\"{}\" y=\"{}\" font-size=\"10\">{}</text>",
                ax(k) + 4.0,
                level(i, a.values.len()) - 3.0,
                escape(v)
            );
        }
    }
    let _ = write!(
        s,
        "<line x1=\"{0}\" y1=\"{top}\" x2=\"{0}\" y2=\"{1}\" stroke=\"#888\"/><text x=\"{0}\" y=\"{2}\" text-anchor=\"middle\">{3}</text>",
        ax(3),
        top + ph,
        top + ph + 20.0,
        escape(if collapse { "ops" } else { &d.metric })
    );
    if lo.is_finite() {
        for v in [lo, hi] {
            let _ = write!(
                s,
                "<text x=\"{}\" y=\"{}\" font-size=\"10\">{}</text>",
                ax(3) + 4.0,
                vy(v) + 4.0,
                figure(v, collapse)
            );
        }
    }
    for c in &d.cells {
        let mut pts: Vec<String> = c
            .point
            .iter()
            .enumerate()
            .map(|(k, &i)| format!("{},{}", ax(k), level(i, d.axes[k].values.len())))
            .collect();
        let (stroke, dash) = match value(c, collapse) {
            Some(v) => {
                pts.push(format!("{},{}", ax(3), vy(v)));
                (colour(t(v)), "")
            }
            None => ("#c0392b".to_string(), " stroke-dasharray=\"4 3\""),
        };
        let _ = write!(
            s,
            "<g class=\"cell\" data-point=\"{}\"><title>{}</title><polyline points=\"{}\" fill=\"none\" stroke=\"{stroke}\" stroke-width=\"2\"{dash}/></g>",
            escape(&c.label),
            title(c, &d.metric),
            pts.join(" ")
        );
    }
    s + "</svg>"
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
