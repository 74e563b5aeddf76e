//! The over-parameterised network of a ProxylessNAS search: every candidate block of every
//! layer, and one architecture parameter per candidate. A forward pass never runs them all: a
//! weight step runs one path per layer, an architecture step two (`gates`).
use super::block::MbConv;
use super::gates::TwoPaths;
use super::net::Frame;
use super::space::{Choice, LayerSpec, Layout};
use crate::nn::Mode;
use tch::nn::Path;
use tch::{Kind, Tensor};

/// One searchable layer: its candidates' blocks (None for the zero op).
#[derive(Debug)]
pub struct MixedLayer {
    pub spec: LayerSpec,
    pub candidates: Vec<Choice>,
    blocks: Vec<Option<MbConv>>,
}

impl MixedLayer {
    fn new(p: &Path, spec: &LayerSpec) -> MixedLayer {
        let candidates = spec.candidates();
        let blocks = candidates
            .iter()
            .enumerate()
            .map(|(i, c)| MbConv::of(&(p / "candidates" / i), spec, *c))
            .collect();
        MixedLayer {
            spec: *spec,
            candidates,
            blocks,
        }
    }

    /// Candidate `i`'s block output (zeros for the zero op), before the residual.
    fn path(&self, i: usize, x: &Tensor, mode: Mode) -> Tensor {
        match &self.blocks[i] {
            Some(b) => b.forward(x, mode),
            None => x.zeros_like(),
        }
    }

    fn finish(&self, y: Tensor, x: &Tensor) -> Tensor {
        if self.spec.residual() {
            y + x
        } else {
            y
        }
    }
}

#[derive(Debug)]
pub struct ProxylessSupernet {
    pub layout: Layout,
    frame: Frame,
    pub layers: Vec<MixedLayer>,
}

impl ProxylessSupernet {
    pub fn new(p: &Path, layout: &Layout) -> ProxylessSupernet {
        ProxylessSupernet {
            layout: layout.clone(),
            frame: Frame::new(p, layout),
            layers: layout
                .layers
                .iter()
                .enumerate()
                .map(|(i, spec)| MixedLayer::new(&(p / "blocks" / i), spec))
                .collect(),
        }
    }

    /// The architecture parameters under `p`: one zero-initialised vector per layer, as the
    /// reference initialises them (every path equally likely).
    pub fn alphas(&self, p: &Path) -> Vec<Tensor> {
        self.layers
            .iter()
            .enumerate()
            .map(|(i, l)| p.zeros(&format!("alpha_{i}"), &[l.candidates.len() as i64]))
            .collect()
    }

    /// A forward pass running path `picks[l]` of each layer `l` (a weight step, or scoring one
    /// sampled or chosen network).
    pub fn forward_one(&self, x: &Tensor, mode: Mode, picks: &[usize]) -> Tensor {
        let mut x = self.frame.enter(x, mode);
        for (layer, &i) in self.layers.iter().zip(picks) {
            let y = layer.path(i, &x, mode);
            x = layer.finish(y, &x);
        }
        self.frame.leave(&x, mode)
    }

    /// An architecture step's forward pass: in each layer both sampled paths run, combined
    /// through binary gates (active 1, other 0) whose gradients the caller reads. The other
    /// path's output is detached, as in the reference: only the gates see it. Returns the
    /// output and each layer's gates, a [2] tensor (active, other) that requires grad.
    pub fn forward_two(&self, x: &Tensor, mode: Mode, paths: &[TwoPaths]) -> (Tensor, Vec<Tensor>) {
        let mut x = self.frame.enter(x, mode);
        let mut gates = Vec::with_capacity(paths.len());
        for (layer, two) in self.layers.iter().zip(paths) {
            let g = Tensor::from_slice(&[1.0f32, 0.0])
                .to_device(x.device())
                .set_requires_grad(true);
            let active = layer.path(two.active, &x, mode);
            let other = layer.path(two.other, &x, mode).detach();
            let y = g.get(0) * active + g.get(1) * other;
            x = layer.finish(y, &x);
            gates.push(g);
        }
        (self.frame.leave(&x, mode), gates)
    }

    /// The expected batch-1 latency in milliseconds: the fixed parts plus, per layer, each
    /// candidate's time from `table_ms` weighted by its probability softmax(alpha). It is a
    /// function of the alphas, so its gradient reaches them directly (the paper's E[LAT]).
    pub fn expected_latency(
        &self,
        alphas: &[Tensor],
        table_ms: &[Vec<f64>],
        frame_ms: f64,
    ) -> Tensor {
        let mut total = Tensor::from(frame_ms)
            .to_kind(Kind::Float)
            .to_device(alphas[0].device());
        for (a, ms) in alphas.iter().zip(table_ms) {
            let ms: Vec<f32> = ms.iter().map(|v| *v as f32).collect();
            let ms = Tensor::from_slice(&ms).to_device(a.device());
            total = total + (a.softmax(-1, Kind::Float) * ms).sum(Kind::Float);
        }
        total
    }
}

/// Each layer's most likely path: the architecture a search ends with.
pub fn chosen(alphas: &[Tensor]) -> Vec<usize> {
    alphas
        .iter()
        .map(|a| a.argmax(-1, false).int64_value(&[]) as usize)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::nn::count_macs;
    use crate::proxyless::net::ProxylessNet;
    use tch::{nn::VarStore, Device};

    /// Binary gates run one path per layer: the multiply-adds of a weight step's forward pass
    /// equal those of the discrete network of the same choices, one block per layer.
    #[test]
    fn one_path_per_layer_runs() {
        let layout = Layout::new(1, (16, 16), 3, 8, 2);
        let vs = VarStore::new(Device::Cpu);
        let sup = ProxylessSupernet::new(&vs.root(), &layout);
        let picks: Vec<usize> = sup.layers.iter().map(|l| l.candidates.len() - 2).collect();
        let choices: Vec<Choice> = sup
            .layers
            .iter()
            .zip(&picks)
            .map(|(l, &i)| l.candidates[i])
            .collect();
        let x = Tensor::zeros([1, 1, 16, 16], (Kind::Float, Device::Cpu));
        let _guard = tch::no_grad_guard();
        let through_supernet = count_macs(|| {
            let _ = sup.forward_one(&x, Mode::Eval, &picks);
        });
        let vs2 = VarStore::new(Device::Cpu);
        let net = ProxylessNet::new(&vs2.root(), &layout, &choices);
        let through_net = count_macs(|| {
            let _ = net.forward(&x, Mode::Eval);
        });
        assert_eq!(through_supernet, through_net);
        assert!(through_net > 0);
    }
}
