//! `dartboard bench`: times the three steps of a search on random data, as the peer figures in
//! ../shared/TOOLCHAIN.md were measured: a weight step (SGD lr 0.025, momentum 0.9, wd 3e-4,
//! clip 5), a first-order and a second-order architecture step (Adam lr 3e-4, betas (0.5, 0.999),
//! wd 1e-3); medians of `--steps` timed calls after two warm-up calls; peak process memory.
//! `--strategy darts|pc-darts|gdas` (and `--pc-k`) times another search strategy's steps.
use crate::args::Args;
use anyhow::{anyhow, Result};
use engine::config::{Order, Preset, SearchConfig, StrategyKind};
use engine::network::NetShape;
use engine::search::searcher::{Loss, Searcher};
use std::time::Instant;
use tch::{Device, Kind, Tensor};

const WARMUP: usize = 2;

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v.get(v.len() / 2).copied().unwrap_or(f64::NAN)
}

fn time_steps(steps: usize, mut f: impl FnMut()) -> f64 {
    let mut times = Vec::with_capacity(steps);
    for i in 0..WARMUP + steps {
        let t = Instant::now();
        f();
        if i >= WARMUP {
            times.push(t.elapsed().as_secs_f64());
        }
    }
    median(times)
}

pub fn run(mut args: Args) -> Result<()> {
    let batch: i64 = args.number("batch", 32)?;
    let size: i64 = args.number("size", 28)?;
    let channels: i64 = args.number("channels", 1)?;
    let steps: usize = args.number("steps", 5)?;
    let strategy = match args.take("strategy") {
        Some(name) => {
            serde_json::from_value::<StrategyKind>(serde_json::Value::String(name.clone()))
                .map_err(|_| {
                    anyhow!("--strategy: unknown strategy '{name}'; one of darts, pc-darts, gdas")
                })?
        }
        None => StrategyKind::Darts,
    };
    let cfg = SearchConfig {
        strategy,
        pc_k: args.number("pc-k", 4)?,
        init_channels: args.number("init-channels", 8)?,
        layers: args.number("layers", 5)?,
        batch_size: batch as usize,
        device: args.take("device").unwrap_or_else(|| "auto".into()),
        ..Preset::DartsPaper.config()
    };
    args.reject_rest()?;
    let device = engine::device::parse(&cfg.device).map_err(|m| anyhow!(m))?;
    tch::manual_seed(0);
    let shape = NetShape {
        in_channels: channels,
        outputs: 10,
        init_channels: cfg.init_channels,
        layers: cfg.layers,
    };
    let mut s = Searcher::new(&shape, &cfg, Loss::CrossEntropy, device);
    let data = || {
        let x = Tensor::randn([batch, channels, size, size], (Kind::Float, device));
        let y = Tensor::randint(10, [batch], (Kind::Int64, device));
        (x, y)
    };
    let ((xt, yt), (xv, yv)) = (data(), data());
    let sync = || {
        if let Device::Cuda(n) = device {
            tch::Cuda::synchronize(n as i64);
        }
    };
    let w_step_s = time_steps(steps, || {
        let _ = s.weight_step(&xt, &yt);
        sync();
    });
    let alpha_first_s = time_steps(steps, || {
        s.alpha_step((&xt, &yt), (&xv, &yv), Some(Order::First), 0.5);
        sync();
    });
    let alpha_second_s = time_steps(steps, || {
        s.alpha_step((&xt, &yt), (&xv, &yv), Some(Order::Second), 0.5);
        sync();
    });
    let out = serde_json::json!({
        "w_step_s": w_step_s,
        "alpha_first_s": alpha_first_s,
        "alpha_second_s": alpha_second_s,
        "peak_rss_bytes": engine::events::peak_rss_bytes(),
        "device": engine::device::describe(device),
        "strategy": cfg.strategy,
        "threads": tch::get_num_threads(),
        "batch": batch, "size": size, "channels": channels,
        "init_channels": cfg.init_channels, "layers": cfg.layers, "steps": steps,
    });
    println!("{out}");
    Ok(())
}
