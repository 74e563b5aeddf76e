//! An exported model run two ways: rebuilt from `weights.safetensors` in Rust, and `model.pt`
//! loaded by PyTorch in the venv. Tests that export compare the two.
#![allow(dead_code)]
use engine::data::Dataset;
use engine::retrain::config::TrainConfig;
use engine::retrain::net::Architecture;
use engine::retrain::TrainResult;
use std::path::Path;
use tch::{Device, Tensor};

/// The network rebuilt from `out`'s weights file, run in Rust on raw images (the normalisation
/// read from `out`'s result.json, as the exported model holds it).
pub fn rust_forward(
    data: &Dataset,
    arch: &Architecture,
    cfg: &TrainConfig,
    out: &Path,
    x: &Tensor,
) -> Tensor {
    let (mut vs, net, _) = engine::retrain::fit::build(data, arch, cfg, Device::Cpu);
    vs.load(out.join("weights.safetensors")).unwrap();
    let r: TrainResult =
        serde_json::from_str(&std::fs::read_to_string(out.join("result.json")).unwrap()).unwrap();
    engine::export::predict(&net, &r.normalisation, data.task, x)
}

/// Runs `out`'s model.pt on `x` with PyTorch in the venv.
pub fn python_forward(out: &Path, x: &Tensor) -> Tensor {
    let input = out.join("input.npy");
    let output = out.join("python-output.npy");
    x.write_npy(&input).unwrap();
    super::python(&format!(
        "import numpy as np, torch\n\
         m = torch.jit.load('{}')\n\
         x = torch.from_numpy(np.load('{}'))\n\
         np.save('{}', m(x).detach().numpy())",
        out.join("model.pt").display(),
        input.display(),
        output.display()
    ));
    Tensor::read_npy(&output).unwrap()
}

/// The largest absolute difference between two tensors.
pub fn max_diff(a: &Tensor, b: &Tensor) -> f64 {
    (a - b).abs().max().double_value(&[])
}
