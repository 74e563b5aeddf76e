//! A discretised cell as a diagram: the inputs c_{k-2} and c_{k-1} on the left, the intermediate
//! nodes in the middle, the output c_{k} on the right, each kept edge labelled with its op.
use super::{escape, input_name};
use crate::live::Cell;

const GAP: f64 = 120.0;
const R: f64 = 17.0;

/// Where input j sits (0, 1 the cell inputs; 2 + i node i).
fn place(j: usize) -> (f64, f64) {
    match j {
        0 => (40.0, 60.0),
        1 => (40.0, 200.0),
        n => {
            let i = (n - 2) as f64;
            let y = if (n - 2) % 2 == 0 { 85.0 } else { 175.0 };
            (170.0 + i * GAP, y)
        }
    }
}

fn node(s: &mut String, (x, y): (f64, f64), label: &str, fill: &str) {
    s.push_str(&format!(
        r##"<g class="node"><circle cx="{x:.1}" cy="{y:.1}" r="{R}" fill="{fill}" stroke="#445"/><text x="{x:.1}" y="{:.1}" font-size="11" text-anchor="middle">{}</text></g>"##,
        y + 4.0,
        escape(label)
    ));
}

/// A cell input or output: a wider rounded box, since its name is longer.
fn terminal(s: &mut String, (x, y): (f64, f64), label: &str, fill: &str) {
    s.push_str(&format!(
        r##"<g class="node"><rect x="{:.1}" y="{:.1}" width="56" height="26" rx="12" fill="{fill}" stroke="#445"/><text x="{x:.1}" y="{:.1}" font-size="11" text-anchor="middle">{}</text></g>"##,
        x - 28.0,
        y - 13.0,
        y + 4.0,
        escape(label)
    ));
}

/// The SVG of one cell.
pub fn diagram(title: &str, cell: &Cell) -> String {
    let nodes = cell.edges.len() / 2;
    let out = (170.0 + nodes as f64 * GAP + 20.0, 130.0);
    let width = out.0 + 50.0;
    let height = 260.0;
    let mut s = format!(
        r##"<svg xmlns="http://www.w3.org/2000/svg" class="cell" width="{width:.0}" height="{height:.0}" viewBox="0 0 {width:.0} {height:.0}" role="img" aria-label="{}"><title>{}</title><text x="4" y="16" font-size="13" font-weight="600">{}</text><defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="#556"/></marker></defs>"##,
        escape(title),
        escape(title),
        escape(title)
    );
    for (e, (op, j)) in cell.edges.iter().enumerate() {
        let to = place(e / 2 + 2);
        let from = place(*j);
        // A gentle curve, bent the other way for the second edge into a node, so the two stay apart.
        let (mx, my) = ((from.0 + to.0) / 2.0, (from.1 + to.1) / 2.0);
        let bend = if e % 2 == 0 { -30.0 } else { 30.0 };
        let (cx, cy) = (mx, my + bend);
        let len = ((to.0 - cx).powi(2) + (to.1 - cy).powi(2)).sqrt().max(1.0);
        let end = (to.0 - (to.0 - cx) / len * R, to.1 - (to.1 - cy) / len * R);
        let colour = if op == "skip_connect" {
            "#b7791f"
        } else {
            "#556"
        };
        s += &format!(
            r##"<path class="edge" d="M{:.1},{:.1} Q{cx:.1},{cy:.1} {:.1},{:.1}" fill="none" stroke="{colour}" stroke-width="1.4" marker-end="url(#arrow)"/><text class="op" x="{:.1}" y="{:.1}" font-size="10" text-anchor="middle" fill="{colour}" stroke="#fff" stroke-width="3" paint-order="stroke">{}</text>"##,
            from.0,
            from.1,
            end.0,
            end.1,
            // The curve at t = 0.6: nearer the node the edge feeds, where the two inputs part.
            0.16 * from.0 + 0.48 * cx + 0.36 * to.0,
            0.16 * from.1 + 0.48 * cy + 0.36 * to.1 + 3.0,
            escape(op)
        );
    }
    for j in &cell.concat {
        let from = place(*j);
        s += &format!(
            r##"<path d="M{:.1},{:.1} L{:.1},{:.1}" stroke="#99a" stroke-dasharray="4 3" fill="none" marker-end="url(#arrow)"/>"##,
            from.0 + R,
            from.1,
            out.0 - 28.0,
            out.1
        );
    }
    terminal(&mut s, place(0), "c_{k-2}", "#e8eefc");
    terminal(&mut s, place(1), "c_{k-1}", "#e8eefc");
    for i in 0..nodes {
        node(&mut s, place(i + 2), &input_name(i + 2), "#fff");
    }
    terminal(&mut s, out, "c_{k}", "#e3f4ea");
    s + "</svg>"
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kept_edge_is_drawn_and_labelled_with_its_op() {
        // DARTS_V2's normal cell (../shared/DARTS.md, genotypes.py).
        let edges = [
            ("sep_conv_3x3", 0),
            ("sep_conv_3x3", 1),
            ("sep_conv_3x3", 0),
            ("sep_conv_3x3", 1),
            ("sep_conv_3x3", 1),
            ("skip_connect", 0),
            ("skip_connect", 0),
            ("dil_conv_3x3", 2),
        ];
        let cell = Cell {
            edges: edges.iter().map(|(o, j)| (o.to_string(), *j)).collect(),
            concat: vec![2, 3, 4, 5],
        };
        let svg = diagram("normal cell", &cell);
        assert_eq!(svg.matches(r##"class="edge""##).count(), 8);
        assert_eq!(svg.matches(">sep_conv_3x3<").count(), 5);
        assert_eq!(svg.matches(">skip_connect<").count(), 2);
        assert_eq!(svg.matches(">dil_conv_3x3<").count(), 1);
        // Two inputs, four nodes and the output.
        assert_eq!(svg.matches(r##"class="node""##).count(), 7);
        assert!(svg.contains(">c_{k-2}<") && svg.contains(">c_{k}<"));
        assert_eq!(
            svg.matches("stroke-dasharray").count(),
            4,
            "the concat edges"
        );
    }
}
