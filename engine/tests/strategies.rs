//! The search strategies and the beta regulariser against independent references: PyTorch in
//! the project venv (torch.logsumexp, F.gumbel_softmax) and the counts of the PC-DARTS authors'
//! code (../shared/DARTS.md, "Variants worth having" and "Closing the discretisation gap").
mod common;

use engine::config::{Preset, SearchConfig, StrategyKind};
use engine::network::NetShape;
use engine::nn::{count_macs, Mode};
use engine::ops::Primitive;
use engine::search::regularizer::{Beta, Regularizer};
use engine::search::strategy::{gumbel_hard, Darts, Gdas, PcDarts, Sampler, Strategy};
use engine::search::supernet::{node_softmax, Alphas, SearchSpace};
use tch::nn::VarStore;
use tch::{Device, Kind, Tensor};

fn space(nodes: usize, primitives: &[Primitive]) -> SearchSpace {
    SearchSpace {
        nodes,
        primitives: primitives.to_vec(),
    }
}

fn shape(in_channels: i64, outputs: i64, init_channels: i64, layers: usize) -> NetShape {
    NetShape {
        in_channels,
        outputs,
        init_channels,
        layers,
    }
}

fn max_diff(a: &Tensor, b: &Tensor) -> f64 {
    (a.to_kind(Kind::Double) - b.to_kind(Kind::Double))
        .abs()
        .max()
        .double_value(&[])
}

/// Saves `tensors` as .npy files in a scratch folder, runs `script` with `DIR` replaced by the
/// folder, and reads back the named outputs.
fn with_torch(
    name: &str,
    tensors: &[(&str, &Tensor)],
    script: &str,
    outputs: &[&str],
) -> Vec<Tensor> {
    let dir = common::scratch(name);
    std::fs::create_dir_all(&dir).unwrap();
    for (n, t) in tensors {
        t.write_npy(dir.join(format!("{n}.npy"))).unwrap();
    }
    common::python(&script.replace("DIR", &dir.display().to_string()));
    outputs
        .iter()
        .map(|n| Tensor::read_npy(dir.join(format!("{n}.npy"))).unwrap())
        .collect()
}

/// beta-DARTS's penalty is lambda(t) * mean over edges of logsumexp(alpha) (Sunshine-Ye/Beta-DARTS
/// `mlc_loss`). Reference: torch.logsumexp on the same alphas, in the venv's PyTorch.
#[test]
fn beta_penalty_and_its_gradient_equal_torch_logsumexp() {
    tch::manual_seed(11);
    let avs = VarStore::new(Device::Cpu);
    let alphas = Alphas::new(&avs.root(), 4, 8);
    // Spread the alphas well beyond their 1e-3 init so the logsumexp is far from log(8).
    tch::no_grad(|| {
        for a in alphas.tensors() {
            let _ = a
                .shallow_clone()
                .copy_(&(Tensor::randn([14, 8], (Kind::Float, Device::Cpu)) * 3.0));
        }
    });
    let (lambda, progress) = (50.0, 0.3);
    let penalty = Beta { lambda }.penalty(&alphas, progress);
    let grads = Tensor::run_backward(&[&penalty], &alphas.tensors(), false, false);
    let reference = with_torch(
        "beta-reference",
        &[
            ("normal", &alphas.normal.detach()),
            ("reduce", &alphas.reduce.detach()),
        ],
        "import numpy as np, torch\n\
         n = torch.from_numpy(np.load('DIR/normal.npy')).requires_grad_()\n\
         r = torch.from_numpy(np.load('DIR/reduce.npy')).requires_grad_()\n\
         v = 50 * 0.3 * torch.logsumexp(torch.cat([n, r]), dim=-1).mean()\n\
         v.backward()\n\
         np.save('DIR/value.npy', v.detach().reshape(1).numpy())\n\
         np.save('DIR/grad_normal.npy', n.grad.numpy())\n\
         np.save('DIR/grad_reduce.npy', r.grad.numpy())",
        &["value", "grad_normal", "grad_reduce"],
    );
    let value = reference[0].double_value(&[0]);
    assert!(
        (penalty.double_value(&[]) - value).abs() < 1e-4 * value.abs(),
        "{penalty} vs {value}"
    );
    assert!(max_diff(&grads[0], &reference[1]) < 1e-6);
    assert!(max_diff(&grads[1], &reference[2]) < 1e-6);
    // lambda rises from 0: no penalty at the first step.
    assert_eq!(Beta { lambda }.penalty(&alphas, 0.0).double_value(&[]), 0.0);
}

/// GDAS's hard Gumbel-softmax with the straight-through gradient equals torch's
/// `F.gumbel_softmax(hard=True)` given the same noise: torch draws exponentials e under a seed,
/// the same seed gives them again, and Dartboard reads them as uniforms u = exp(-e).
#[test]
fn gdas_sample_and_gradient_equal_torch_gumbel_softmax() {
    tch::manual_seed(5);
    let logits = Tensor::randn([14, 8], (Kind::Float, Device::Cpu));
    let c = Tensor::randn([14, 8], (Kind::Float, Device::Cpu));
    let tau = 0.7;
    let reference = with_torch(
        "gumbel-reference",
        &[("logits", &logits), ("c", &c)],
        "import numpy as np, torch, torch.nn.functional as F\n\
         x = torch.from_numpy(np.load('DIR/logits.npy')).requires_grad_()\n\
         c = torch.from_numpy(np.load('DIR/c.npy'))\n\
         torch.manual_seed(7)\n\
         y = F.gumbel_softmax(x, tau=0.7, hard=True)\n\
         (y * c).sum().backward()\n\
         torch.manual_seed(7)\n\
         e = torch.empty_like(x).exponential_().double()\n\
         np.save('DIR/u.npy', torch.exp(-e).numpy())\n\
         np.save('DIR/y.npy', y.detach().numpy())\n\
         np.save('DIR/grad.npy', x.grad.numpy())",
        &["u", "y", "grad"],
    );
    let x = logits.set_requires_grad(true);
    let (y, chosen) = gumbel_hard(&x, &reference[0], tau);
    let grad = Tensor::run_backward(&[&(&y * &c).sum(Kind::Float)], &[&x], false, false);
    assert!(max_diff(&y, &reference[1]) < 1e-6, "samples differ");
    assert!(max_diff(&grad[0], &reference[2]) < 1e-5, "gradients differ");
    let hot: Vec<i64> = Vec::try_from(&reference[1].argmax(-1, false)).unwrap();
    assert_eq!(chosen, hot);
    // The sample is one-hot in value.
    let sums: Vec<f32> = Vec::try_from(&y.detach().sum_dim_intlist(
        [-1i64].as_slice(),
        false,
        Kind::Float,
    ))
    .unwrap();
    assert!(sums.iter().all(|s| (s - 1.0).abs() < 1e-6), "{sums:?}");
}

/// A GDAS search step runs one op per edge: its forward pass costs the multiply-adds of a
/// supernet whose edges hold that op alone (counted by the counted convolutions and linears).
#[test]
fn a_gdas_forward_pass_runs_one_op_per_edge() {
    let sh = shape(3, 10, 8, 5);
    let x = Tensor::randn([2, 3, 16, 16], (Kind::Float, Device::Cpu));
    let gdas = Gdas {
        tau_max: 10.0,
        tau_min: 0.1,
    };
    let (vs, avs) = (VarStore::new(Device::Cpu), VarStore::new(Device::Cpu));
    let (net, alphas) = gdas.build(&vs.root(), &avs.root(), &sh, &space(4, &Primitive::DARTS));
    // sep_conv_3x3 (column 4) outweighs every other op by far more than any Gumbel draw.
    tch::no_grad(|| {
        for a in [&alphas.normal, &alphas.reduce] {
            let _ = a.shallow_clone().select(1, 4).fill_(100.0);
        }
    });
    let mut sampler = Sampler::for_epoch(2, 1, 3);
    let mix = gdas.mixing(&alphas, Some(&mut sampler));
    assert!(mix.normal.only.as_ref().unwrap().iter().all(|&k| k == 4));
    let sampled = count_macs(|| {
        let _ = net.forward(&x, &mix, Mode::Probe);
    });
    let (vs1, avs1) = (VarStore::new(Device::Cpu), VarStore::new(Device::Cpu));
    let (one, one_alphas) = Darts.build(
        &vs1.root(),
        &avs1.root(),
        &sh,
        &space(4, &[Primitive::SepConv3x3]),
    );
    let single = count_macs(|| {
        let _ = one.forward(&x, &Darts.mixing(&one_alphas, None), Mode::Probe);
    });
    let (vs8, avs8) = (VarStore::new(Device::Cpu), VarStore::new(Device::Cpu));
    let (all, all_alphas) =
        Darts.build(&vs8.root(), &avs8.root(), &sh, &space(4, &Primitive::DARTS));
    let every = count_macs(|| {
        let _ = all.forward(&x, &Darts.mixing(&all_alphas, None), Mode::Probe);
    });
    assert_eq!(sampled, single);
    assert!(every > 3 * single, "{every} vs {single}");
    // Deterministic passes run each edge's strongest op, one-hot.
    let eval = gdas.mixing(&alphas, None);
    assert_eq!(eval.reduce.only.as_ref().unwrap(), &vec![4; 14]);
    assert_eq!(eval.normal.ops.sum(Kind::Float).double_value(&[]), 14.0);
    // The temperature anneals from 10 to 0.1 over the epochs.
    for (epoch, tau) in [(1, 10.0), (2, 5.05), (3, 0.1)] {
        assert!((gdas.tau(epoch, 3) - tau).abs() < 1e-9, "epoch {epoch}");
    }
}

/// With K = 1 and every edge weight 1, PC-DARTS's supernet computes the DARTS supernet's output
/// from the same weights.
#[test]
fn pc_darts_with_k_one_and_unit_edge_weights_is_darts() {
    let sh = shape(1, 3, 4, 3);
    let sp = space(3, &Primitive::DARTS);
    // The weights are copied, not drawn twice under one seed: torch's generator is global and the
    // other tests' threads draw from it too.
    let build = |partial: bool| {
        let (vs, avs) = (VarStore::new(Device::Cpu), VarStore::new(Device::Cpu));
        let pc = PcDarts { k: 1, nodes: 3 };
        let (net, alphas) = if partial {
            pc.build(&vs.root(), &avs.root(), &sh, &sp)
        } else {
            Darts.build(&vs.root(), &avs.root(), &sh, &sp)
        };
        (vs, avs, net, alphas)
    };
    let (v1, _a1, darts, darts_alphas) = build(false);
    let (mut v2, _a2, pc, pc_alphas) = build(true);
    v2.copy(&v1).unwrap();
    tch::no_grad(|| {
        for (to, from) in pc_alphas.tensors().iter().zip(darts_alphas.tensors()) {
            let _ = to.shallow_clone().copy_(&from);
        }
    });
    let x = Tensor::randn([4, 1, 9, 9], (Kind::Float, Device::Cpu));
    let expected = darts.forward(&x, &Darts.mixing(&darts_alphas, None), Mode::Eval);
    let mut mix = PcDarts { k: 1, nodes: 3 }.mixing(&pc_alphas, None);
    assert!(mix.normal.edges.is_some(), "edge normalisation is on");
    mix.normal.edges = Some(Tensor::ones([9], (Kind::Float, Device::Cpu)));
    mix.reduce.edges = Some(Tensor::ones([9], (Kind::Float, Device::Cpu)));
    let got = pc.forward(&x, &mix, Mode::Eval);
    assert!(
        max_diff(&expected, &got) < 1e-6,
        "{}",
        max_diff(&expected, &got)
    );
    // Edge normalisation itself: a softmax over each node's inputs (2, 3, then 4 of them).
    let w = node_softmax(&Tensor::zeros([9], (Kind::Float, Device::Cpu)), 3);
    let w: Vec<f32> = Vec::try_from(&w).unwrap();
    let expect = [0.5, 0.5, 1. / 3., 1. / 3., 1. / 3., 0.25, 0.25, 0.25, 0.25];
    assert!(
        w.iter().zip(expect).all(|(a, b)| (a - b).abs() < 1e-6),
        "{w:?}"
    );
}

/// yuhuixu1993/PC-DARTS model_search.py Network(16, 10, 8) (K = 4, edge normalisation), built
/// with the venv's PyTorch from the authors' files (with `.cuda()` removed):
/// `sum(p.numel() for p in net.parameters())` is 299,578 and `arch_parameters()` hold
/// 2 x 14 x 8 alphas + 2 x 14 betas = 252; Network(8, 10, 5) has 66,586 weights.
#[test]
fn pc_darts_counts_equal_the_authors_code() {
    for (c, layers, weights) in [(16, 8, 299_578), (8, 5, 66_586)] {
        let (vs, avs) = (VarStore::new(Device::Cpu), VarStore::new(Device::Cpu));
        let pc = PcDarts { k: 4, nodes: 4 };
        let (net, _alphas) = pc.build(
            &vs.root(),
            &avs.root(),
            &shape(3, 10, c, layers),
            &space(4, &Primitive::DARTS),
        );
        assert_eq!(
            engine::count_weights(&vs),
            weights,
            "C={c}, {layers} layers"
        );
        assert_eq!(engine::count_weights(&avs), 252);
        let x = Tensor::randn([2, 3, 32, 32], (Kind::Float, Device::Cpu));
        let mix = pc.mixing(&_alphas, None);
        assert_eq!(net.forward(&x, &mix, Mode::Train).size(), [2, 10]);
    }
}

/// PC-DARTS discretises on each op's softmax weight times its edge's normalised weight
/// (`Network.genotype`: `W[j, :] = W[j, :] * W2[j]`).
#[test]
fn pc_darts_discretisation_weighs_ops_by_their_edge() {
    let avs = VarStore::new(Device::Cpu);
    let alphas = Alphas::with_betas(&avs.root(), 2, 3);
    tch::no_grad(|| {
        let _ = alphas.normal.shallow_clone().copy_(
            &Tensor::from_slice(&[0f32, 1., 2., 0., 0., 0., 1., 1., 1., 2., 0., 0., 0., 0., 3.])
                .reshape([5, 3]),
        );
        let (b, _) = alphas.betas.as_ref().unwrap();
        let _ = b
            .shallow_clone()
            .copy_(&Tensor::from_slice(&[0f32, 1., 0., 0., 2.]));
    });
    let (normal, _) = PcDarts { k: 4, nodes: 2 }.op_weights(&alphas);
    let sm = |r: [f64; 3]| {
        let z: f64 = r.iter().map(|v| v.exp()).sum();
        r.map(|v| v.exp() / z)
    };
    let (e0, e1) = (1.0 / (1.0 + 1f64.exp()), 1f64.exp() / (1.0 + 1f64.exp()));
    let z = 2.0 + 2f64.exp();
    let edges = [e0, e1, 1.0 / z, 1.0 / z, 2f64.exp() / z];
    let rows = [
        [0., 1., 2.],
        [0., 0., 0.],
        [1., 1., 1.],
        [2., 0., 0.],
        [0., 0., 3.],
    ];
    for (e, (row, got)) in edges.iter().zip(rows.iter().zip(&normal)) {
        for (want, got) in sm(*row).iter().zip(got) {
            assert!(
                (want * e - *got as f64).abs() < 1e-6,
                "{want} x {e} vs {got}"
            );
        }
    }
}

/// Every strategy takes weight steps and first- and second-order architecture steps with the
/// beta regulariser (the unrolled step runs backward through several passes of one draw).
#[test]
fn every_strategy_takes_both_orders_of_architecture_step() {
    use engine::config::{AlphaReg, Order};
    use engine::search::searcher::{Loss, Searcher};
    for strategy in [
        StrategyKind::Darts,
        StrategyKind::PcDarts,
        StrategyKind::Gdas,
    ] {
        let cfg = SearchConfig {
            strategy,
            pc_k: 2,
            alpha_reg: AlphaReg::Beta,
            device: "cpu".into(),
            ..Preset::Tiny.config()
        };
        let mut s = Searcher::new(&shape(1, 3, 4, 3), &cfg, Loss::CrossEntropy, Device::Cpu);
        let x = Tensor::randn([6, 1, 8, 8], (Kind::Float, Device::Cpu));
        let y = Tensor::arange(6, (Kind::Int64, Device::Cpu)).remainder(3);
        let before = s.alphas.normal.detach().copy();
        let betas_before = s.alphas.betas.as_ref().map(|(b, _)| b.detach().copy());
        let (loss, out) = s.weight_step(&x, &y);
        assert!(loss.is_finite() && out.size() == [6, 3], "{strategy:?}");
        s.alpha_step((&x, &y), (&x, &y), Some(Order::First), 0.5);
        s.alpha_step((&x, &y), (&x, &y), Some(Order::Second), 0.5);
        let moved = max_diff(&before, &s.alphas.normal);
        assert!(
            moved > 1e-5,
            "{strategy:?}: the alphas did not move ({moved})"
        );
        if let (Some(b0), Some((b, _))) = (&betas_before, &s.alphas.betas) {
            assert!(max_diff(b0, b) > 1e-5, "the betas learn too");
        }
        assert_eq!(betas_before.is_some(), strategy == StrategyKind::PcDarts);
    }
}

/// GDAS trains an op only in the steps that draw it, so its batch-norm running statistics trail
/// its weights; before a deterministic pass is scored they are recomputed (Mode::Calibrate, as
/// precise BN). Recalibrated on one batch, the evaluation-mode output on that batch equals the
/// batch-statistics output (Mode::Probe) up to PyTorch's unbiased running variance; without it,
/// it is far off. DARTS runs every op in every step and is left alone.
#[test]
fn gdas_recalibrates_its_deterministic_pass_and_darts_does_not() {
    use engine::search::searcher::{Loss, Searcher};
    tch::manual_seed(7);
    let rel = |a: &Tensor, b: &Tensor| max_diff(a, b) / b.abs().max().double_value(&[]);
    for strategy in [StrategyKind::Gdas, StrategyKind::Darts] {
        let cfg = SearchConfig {
            strategy,
            device: "cpu".into(),
            ..Preset::Tiny.config()
        };
        let mut s = Searcher::new(&shape(1, 3, 4, 3), &cfg, Loss::CrossEntropy, Device::Cpu);
        // Off-centre inputs: running statistics that start at 0 and 1 trail them for long.
        let x = Tensor::randn([16, 1, 8, 8], (Kind::Float, Device::Cpu)) * 4.0 + 3.0;
        let y = Tensor::arange(16, (Kind::Int64, Device::Cpu)).remainder(3);
        for _ in 0..3 {
            let _ = s.weight_step(&x, &y);
        }
        let probe = tch::no_grad(|| {
            s.net
                .forward(&x, &s.strategy.mixing(&s.alphas, None), Mode::Probe)
        });
        let before = s.predict(&x);
        s.recalibrate(std::iter::once(x.shallow_clone()), false);
        let after = s.predict(&x);
        match strategy {
            StrategyKind::Gdas => {
                assert!(
                    rel(&before, &probe) > 0.3,
                    "stale: {}",
                    rel(&before, &probe)
                );
                assert!(
                    rel(&after, &probe) < 0.05,
                    "recalibrated: {}",
                    rel(&after, &probe)
                );
            }
            _ => assert_eq!(max_diff(&before, &after), 0.0, "DARTS is left alone"),
        }
    }
}
