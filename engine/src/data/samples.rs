//! A PNG grid of example images: one row per class (up to `ROWS` classes, `COLS` images each,
//! from the train split), or for regression `ROWS` rows in increasing order of the first target.
//! Values are scaled to 0-255 by the shown images' own range; one or two channels show the
//! first in grey, three or more the first three as RGB.
use super::{Dataset, Task};
use std::io::Cursor;
use tch::{Kind, Tensor};

const ROWS: usize = 10;
const COLS: usize = 8;
/// Tiles are scaled up (nearest neighbour) to at least this size.
const MIN_TILE: i64 = 48;
const GAP: i64 = 2;

/// Indices shown, row by row.
fn pick(d: &Dataset) -> Vec<Vec<i64>> {
    let pool: &[i64] = if d.splits.train.is_empty() {
        &d.splits.test
    } else {
        &d.splits.train
    };
    match d.task {
        Task::Classification => {
            let labels: Vec<i64> = Vec::<i64>::try_from(&d.targets).unwrap_or_default();
            (0..d.names.len().min(ROWS) as i64)
                .map(|k| {
                    pool.iter()
                        .copied()
                        .filter(|&i| labels.get(i as usize) == Some(&k))
                        .take(COLS)
                        .collect()
                })
                .collect()
        }
        Task::Regression => {
            let first: Vec<f64> =
                Vec::<f64>::try_from(&d.targets.select(1, 0).to_kind(Kind::Double))
                    .unwrap_or_default();
            let mut order: Vec<i64> = pool.iter().copied().take(ROWS * COLS).collect();
            order.sort_by(|a, b| first[*a as usize].total_cmp(&first[*b as usize]));
            order.chunks(COLS).map(<[i64]>::to_vec).collect()
        }
    }
}

pub fn grid_png(d: &Dataset) -> Result<Vec<u8>, String> {
    let rows = pick(d);
    let (c, h, w) = d.image_shape();
    let scale = (MIN_TILE + h.max(w) - 1) / h.max(w);
    let (th, tw) = (h * scale, w * scale);
    let n_rows = rows.len().max(1) as i64;
    let (gh, gw) = (n_rows * (th + GAP) + GAP, COLS as i64 * (tw + GAP) + GAP);
    let all: Vec<i64> = rows.iter().flatten().copied().collect();
    let mut canvas = vec![255u8; (gh * gw * 3) as usize];
    if !all.is_empty() {
        let imgs = d
            .images
            .index_select(0, &Tensor::from_slice(&all))
            .to_kind(Kind::Float);
        let imgs = if c >= 3 {
            imgs.narrow(1, 0, 3)
        } else {
            imgs.narrow(1, 0, 1).repeat([1, 3, 1, 1])
        };
        let (lo, hi) = (imgs.min().double_value(&[]), imgs.max().double_value(&[]));
        let span = if hi > lo { hi - lo } else { 1.0 };
        let imgs = ((imgs - lo) * (255.0 / span))
            .clamp(0.0, 255.0)
            .to_kind(Kind::Uint8)
            .upsample_nearest2d([th, tw], None, None)
            .permute([0, 2, 3, 1])
            .contiguous();
        let pixels = Vec::<u8>::try_from(&imgs.view([-1])).map_err(|e| e.to_string())?;
        let tile = (th * tw * 3) as usize;
        let mut k = 0;
        for (r, row) in rows.iter().enumerate() {
            for col in 0..row.len() {
                let src = &pixels[k * tile..(k + 1) * tile];
                let (y0, x0) = (GAP + r as i64 * (th + GAP), GAP + col as i64 * (tw + GAP));
                for y in 0..th {
                    let at = (((y0 + y) * gw + x0) * 3) as usize;
                    let from = (y * tw * 3) as usize;
                    canvas[at..at + (tw * 3) as usize]
                        .copy_from_slice(&src[from..from + (tw * 3) as usize]);
                }
                k += 1;
            }
        }
    }
    let img =
        image::RgbImage::from_raw(gw as u32, gh as u32, canvas).ok_or("grid size mismatch")?;
    let mut out = Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Png)
        .map_err(|e| e.to_string())?;
    Ok(out.into_inner())
}
