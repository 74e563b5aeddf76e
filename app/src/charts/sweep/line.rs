//! A sweep over one key: the value per point with ± sd error bars.
use super::{colour, empty_text, escape, figure, scale, title, value, FONT};
use crate::types::SweepDetail;
use std::fmt::Write;

pub(super) fn line(d: &SweepDetail, collapse: bool, label: &str, better_high: bool) -> String {
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
