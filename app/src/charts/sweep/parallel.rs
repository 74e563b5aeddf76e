//! A sweep over three keys: parallel coordinates, a polyline a point coloured by its value.
use super::{colour, escape, figure, scale, title, value, FONT};
use crate::types::SweepDetail;
use std::fmt::Write;

pub(super) fn parallel(d: &SweepDetail, collapse: bool, label: &str, better_high: bool) -> String {
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
