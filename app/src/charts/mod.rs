//! Charts as SVG strings, drawn with plotters the same way on the server and in the browser, and
//! put inline into the page (they print and need no scripts): bars, lines over epochs, and the
//! accuracy-against-latency scatter with its Pareto front, and a sweep's map.
mod bars;
mod lines;
mod scatter;
mod sweep;

pub use bars::{bars, bars_noted};
pub use lines::{lines, lines_marked};
pub use scatter::{pareto, scatter, Point};
pub use sweep::sweep_map;

use plotters::style::RGBColor;

/// Colours of successive series.
pub(crate) const SERIES: [RGBColor; 6] = [
    RGBColor(47, 95, 208),
    RGBColor(232, 89, 12),
    RGBColor(31, 138, 76),
    RGBColor(142, 68, 173),
    RGBColor(192, 57, 43),
    RGBColor(90, 100, 117),
];
