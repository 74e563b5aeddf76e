//! A sweep over two keys: a cell a point, coloured by its value, failed and pending cells marked.
use super::{colour, empty_text, escape, figure, scale, title, value, FONT};
use crate::types::SweepDetail;
use std::fmt::Write;

pub(super) fn heatmap(d: &SweepDetail, collapse: bool, label: &str, better_high: bool) -> String {
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
