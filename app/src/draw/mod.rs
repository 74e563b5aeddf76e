//! Our own SVG drawings of the search space: alpha heatmaps and cell diagrams, as strings put
//! inline into the page, the same on the server and in the browser.
pub mod diagram;
pub mod heatmap;

/// Text made safe inside SVG.
pub(crate) fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// The name of a cell input: 0 is c_{k-2}, 1 is c_{k-1}, 2 + i is intermediate node i.
pub fn input_name(j: usize) -> String {
    match j {
        0 => "c_{k-2}".into(),
        1 => "c_{k-1}".into(),
        n => format!("{}", n - 2),
    }
}

/// The row of edge (node i, input j) in the alpha matrix: node i has i + 2 inputs, in order
/// (../shared/DARTS.md: 14 edges for 4 nodes).
pub fn edge_index(node: usize, input: usize) -> usize {
    2 * node + node * node.saturating_sub(1) / 2 + input
}
