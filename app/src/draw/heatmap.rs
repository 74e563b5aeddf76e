//! A cell's softmaxed architecture weights as a heatmap: a row per edge, a column per op, a
//! colour scale, and the (edge, op) pairs discretisation keeps outlined. Perturbation-based
//! selection's importance (the metric lost when an op is removed) and ProxylessNAS's per-layer
//! block probabilities are drawn the same way.
use super::{edge_index, escape, input_name};
use crate::live::{Cell, LayerSnap};

/// ProxylessNAS's blocks in the paper's order, the heatmap's columns.
pub const BLOCKS: [&str; 7] = [
    "mb3_k3", "mb3_k5", "mb3_k7", "mb6_k3", "mb6_k5", "mb6_k7", "zero",
];

/// What a row of a cell's table is: "input → node", in the DARTS edge order.
fn edge_label(row: usize) -> String {
    let (mut node, mut first) = (0, 0);
    while row >= first + node + 2 {
        first += node + 2;
        node += 1;
    }
    format!("{} → {node}", input_name(row - first))
}

const CELL_W: usize = 50;
const CELL_H: usize = 20;
const LEFT: usize = 100;
const TOP: usize = 92;

/// White to the accent blue.
fn colour(t: f32) -> String {
    let t = t.clamp(0.0, 1.0);
    let mix = |a: f32, b: f32| (a + (b - a) * t).round() as u8;
    format!(
        "#{:02x}{:02x}{:02x}",
        mix(255.0, 28.0),
        mix(255.0, 63.0),
        mix(255.0, 160.0)
    )
}

/// The SVG; `weights` is edges x ops, `kept` the discretised cell (may be empty).
pub fn heatmap(title: &str, primitives: &[String], weights: &[Vec<f32>], kept: &Cell) -> String {
    let outlined: Vec<(usize, usize)> = kept
        .edges
        .iter()
        .enumerate()
        .filter_map(|(e, (op, j))| {
            let col = primitives.iter().position(|p| p == op)?;
            Some((edge_index(e / 2, *j), col))
        })
        .collect();
    grid(
        title,
        primitives,
        weights,
        &outlined,
        &edge_label,
        ("softmax weight; outlined: kept", "not measured"),
    )
}

/// ProxylessNAS's layers after an epoch: a row per searchable layer, a column per block, each
/// block's probability (grey where the layer cannot take it: the zero op where the shape
/// changes), the most likely block outlined.
pub fn layers(title: &str, snap: &LayerSnap) -> String {
    let columns: Vec<String> = BLOCKS.iter().map(|b| b.to_string()).collect();
    let values: Vec<Vec<f32>> = snap
        .candidates
        .iter()
        .zip(&snap.probabilities)
        .map(|(names, probs)| {
            columns
                .iter()
                .map(|c| {
                    names
                        .iter()
                        .position(|n| n == c)
                        .and_then(|i| probs.get(i).copied())
                        .unwrap_or(f32::NAN)
                })
                .collect()
        })
        .collect();
    let outlined: Vec<(usize, usize)> = snap
        .chosen
        .iter()
        .enumerate()
        .filter_map(|(row, b)| Some((row, columns.iter().position(|c| c == b)?)))
        .collect();
    grid(
        title,
        &columns,
        &values,
        &outlined,
        &|row| format!("layer {}", row + 1),
        ("probability; outlined: most likely", "not a candidate here"),
    )
}

/// Perturbation-based selection's table: per edge (row) the metric lost when each op is
/// removed (NaN where no decision measured it), the op each decision kept outlined.
pub fn importance(
    title: &str,
    primitives: &[String],
    drops: &[Vec<f32>],
    kept: &[(usize, String)],
) -> String {
    let outlined: Vec<(usize, usize)> = kept
        .iter()
        .filter_map(|(row, op)| Some((*row, primitives.iter().position(|p| p == op)?)))
        .collect();
    grid(
        title,
        primitives,
        drops,
        &outlined,
        &edge_label,
        ("metric lost when removed; outlined: kept", "not measured"),
    )
}

/// The heatmap of `values` (rows x columns) with the (row, column) cells of `outlined`
/// outlined; `legend` names the scale and what a NaN (grey) cell means.
fn grid(
    title: &str,
    primitives: &[String],
    values: &[Vec<f32>],
    outlined: &[(usize, usize)],
    row_label: &dyn Fn(usize) -> String,
    (legend, missing): (&str, &str),
) -> String {
    let weights = values;
    let ops = primitives.len();
    let rows = weights.len();
    let (lo, hi) = weights
        .iter()
        .flatten()
        .filter(|v| v.is_finite())
        .fold((f32::INFINITY, f32::NEG_INFINITY), |(a, b), &v| {
            (a.min(v), b.max(v))
        });
    let (lo, hi) = if lo.is_finite() {
        (lo, hi.max(lo + 1e-6))
    } else {
        (0.0, 1.0)
    };
    let width = LEFT + ops * CELL_W + 44;
    let height = TOP + rows * CELL_H + 56;
    let mut s = format!(
        r##"<svg xmlns="http://www.w3.org/2000/svg" class="heatmap" width="{width}" height="{height}" viewBox="0 0 {width} {height}" role="img" aria-label="{}"><title>{}</title><text x="4" y="16" font-size="13" font-weight="600">{}</text>"##,
        escape(title),
        escape(title),
        escape(title)
    );
    for (c, p) in primitives.iter().enumerate() {
        let x = LEFT + c * CELL_W + CELL_W / 2;
        s += &format!(
            r##"<text x="{x}" y="{}" font-size="10" text-anchor="start" transform="rotate(-40 {x} {})">{}</text>"##,
            TOP - 6,
            TOP - 6,
            escape(p)
        );
    }
    for (r, row) in weights.iter().enumerate() {
        let y = TOP + r * CELL_H;
        let label = escape(&row_label(r));
        s += &format!(
            r##"<text x="{}" y="{}" font-size="10" text-anchor="end">{label}</text>"##,
            LEFT - 6,
            y + CELL_H / 2 + 4,
        );
        for (c, v) in row.iter().enumerate() {
            let (fill, shown) = if v.is_finite() {
                (colour((v - lo) / (hi - lo)), format!("{v:.3}"))
            } else {
                ("#eeeeee".to_string(), missing.to_string())
            };
            s += &format!(
                r##"<rect x="{}" y="{y}" width="{CELL_W}" height="{CELL_H}" fill="{fill}" stroke="#fff"><title>{label}, {}: {shown}</title></rect>"##,
                LEFT + c * CELL_W,
                escape(primitives.get(c).map(String::as_str).unwrap_or("?")),
            );
        }
    }
    for &(row, col) in outlined {
        if row < rows && col < ops {
            s += &format!(
                r##"<rect class="kept" x="{}" y="{}" width="{}" height="{}" fill="none" stroke="#e8590c" stroke-width="2.5"/>"##,
                LEFT + col * CELL_W + 1,
                TOP + row * CELL_H + 1,
                CELL_W - 2,
                CELL_H - 2
            );
        }
    }
    // The colour scale.
    let y = TOP + rows * CELL_H + 16;
    s += r##"<defs><linearGradient id="scale"><stop offset="0" stop-color="#ffffff"/><stop offset="1" stop-color="#1c3fa0"/></linearGradient></defs>"##;
    s += &format!(
        r##"<rect x="{LEFT}" y="{y}" width="160" height="10" fill="url(#scale)" stroke="#ccc"/><text x="{LEFT}" y="{}" font-size="10">{lo:.3}</text><text x="{}" y="{}" font-size="10" text-anchor="end">{hi:.3}</text><text x="{}" y="{}" font-size="10">{}</text>"##,
        y + 24,
        LEFT + 160,
        y + 24,
        LEFT + 172,
        y + 9,
        escape(legend)
    );
    s + "</svg>"
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_rect_per_weight_and_an_outline_per_kept_edge() {
        // Two nodes: 2 + 3 = 5 edges (../shared/DARTS.md counts 14 for 4 nodes).
        let prims: Vec<String> = ["none", "skip_connect", "sep_conv_3x3"]
            .map(String::from)
            .to_vec();
        let w = vec![vec![0.2, 0.3, 0.5]; 5];
        let kept = Cell {
            edges: vec![
                ("sep_conv_3x3".into(), 0),
                ("skip_connect".into(), 1),
                ("sep_conv_3x3".into(), 2),
                ("skip_connect".into(), 0),
            ],
            concat: vec![2, 3],
        };
        let svg = heatmap("normal cell", &prims, &w, &kept);
        assert_eq!(
            svg.matches("<rect x=").count(),
            15 + 1,
            "15 weights and the scale"
        );
        assert_eq!(svg.matches(r##"class="kept""##).count(), 4);
        // Node 1's input 2 (node 0) is row 2 + 2 = 4: y = TOP + 4 * CELL_H + 1.
        assert!(
            svg.contains(&format!(r##"y="{}""##, TOP + 4 * CELL_H + 1)),
            "{svg}"
        );
        assert!(svg.contains("c_{k-1} → 1"));
        assert!(
            svg.contains("0.200") && svg.contains("0.500"),
            "the scale's ends"
        );
    }

    #[test]
    fn importance_map_greys_the_unmeasured_and_outlines_the_kept() {
        let prims: Vec<String> = ["max_pool_3x3", "sep_conv_3x3"].map(String::from).to_vec();
        // Edge 0 measured (removing the conv costs 0.25), edge 1 not yet.
        let drops = vec![vec![-0.05, 0.25], vec![f32::NAN, f32::NAN]];
        let svg = importance(
            "normal cell: metric lost",
            &prims,
            &drops,
            &[(0, "sep_conv_3x3".into())],
        );
        assert_eq!(svg.matches("not measured").count(), 2);
        assert_eq!(svg.matches(r##"fill="#eeeeee""##).count(), 2);
        assert_eq!(svg.matches(r##"class="kept""##).count(), 1);
        // The outline sits on row 0, column 1.
        assert!(
            svg.contains(&format!(
                r##"class="kept" x="{}" y="{}""##,
                LEFT + CELL_W + 1,
                TOP + 1
            )),
            "{svg}"
        );
        assert!(
            svg.contains("-0.050") && svg.contains("0.250"),
            "the scale's ends"
        );
        assert!(svg.contains("metric lost when removed; outlined: kept"));
    }

    #[test]
    fn layer_map_greys_what_a_layer_cannot_take_and_outlines_the_most_likely() {
        let snap = LayerSnap {
            epoch: 1,
            candidates: vec![
                BLOCKS[..6].iter().map(|b| b.to_string()).collect(),
                BLOCKS.iter().map(|b| b.to_string()).collect(),
            ],
            probabilities: vec![
                vec![0.1, 0.1, 0.1, 0.1, 0.1, 0.5],
                vec![0.1; 6].into_iter().chain([0.4]).collect(),
            ],
            expected_ms: 1.0,
            chosen: vec!["mb6_k7".into(), "zero".into()],
            chosen_ms: 0.5,
        };
        let svg = layers("layers", &snap);
        assert_eq!(
            svg.matches("not a candidate here").count(),
            1,
            "layer 1 has no zero op"
        );
        assert!(svg.contains("layer 2, zero: 0.400"), "{svg}");
        assert_eq!(svg.matches(r##"class="kept""##).count(), 2);
        // Layer 2's zero op: row 1, column 6.
        assert!(svg.contains(&format!(
            r##"class="kept" x="{}" y="{}""##,
            LEFT + 6 * CELL_W + 1,
            TOP + CELL_H + 1
        )));
    }

    #[test]
    fn edge_rows_follow_the_darts_order() {
        assert_eq!(edge_label(0), format!("{} → 0", input_name(0)));
        assert_eq!(edge_label(4), format!("{} → 1", input_name(2)));
        assert_eq!(edge_label(13), format!("{} → 3", input_name(4)));
        // Node 3 has inputs 0..5 starting at row 2 + 3 + 4 = 9; the last row of 4 nodes is 13.
        assert_eq!(edge_index(3, 0), 9);
        assert_eq!(edge_index(3, 4), 13);
        assert_eq!(edge_index(1, 0), 2);
    }
}
