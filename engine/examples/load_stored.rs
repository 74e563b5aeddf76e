//! Times loading a stored dataset: `cargo run --release --example load_stored -- DATA_DIR ID`
//! (the README's figure for the 60,000 CIFAR-10 images).
use std::time::Instant;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [dir, id] = args.as_slice() else {
        return Err("usage: load_stored DATA_DIR ID".into());
    };
    let start = Instant::now();
    let (d, _) = engine::data::store::load(std::path::Path::new(dir), id)?;
    let secs = start.elapsed().as_secs_f64();
    println!(
        "{{\"n\": {}, \"shape\": {:?}, \"seconds\": {secs:.3}}}",
        d.len(),
        d.image_shape()
    );
    Ok(())
}
