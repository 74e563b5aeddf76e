//! Gradients of the validation loss with respect to the architecture weights (quark0/darts
//! cnn/architect.py), written over plain lists of weight and alpha tensors so the same code serves
//! the supernet and the toy bilevel problem of the DARTS paper.
//!
//! Second order (unrolled): w' = w - xi * direction(w), where direction is the weight optimiser's
//! next step (momentum * buf + grad_w L_train + wd * w for SGD);
//! dalpha = grad_alpha L_val(w', alpha) - xi * H v with v = grad_w' L_val(w', alpha) and
//! H v ~= [grad_alpha L_train(w + eps v) - grad_alpha L_train(w - eps v)] / (2 eps),
//! eps = 0.01 / ||v||. (khanrc/pt.darts divides by 2 and multiplies by eps: its issues #34, #43.)
//! Weights are moved in place and restored from a copy of their values; no model is cloned.
use crate::optim::global_norm;
use tch::Tensor;

/// Gradients of `loss` with respect to `inputs`, no graph kept; zeros for an input the loss
/// does not reach (an op GDAS did not sample).
pub fn grads(loss: &Tensor, inputs: &[Tensor]) -> Vec<Tensor> {
    reached(loss, inputs)
        .into_iter()
        .zip(inputs)
        .map(|(g, x)| if g.defined() { g } else { x.zeros_like() })
        .collect()
}

/// Gradients of `loss` with respect to `inputs`, undefined for an input the loss does not
/// reach: the optimisers skip those, as PyTorch's skip a parameter whose `.grad` is None.
pub fn reached(loss: &Tensor, inputs: &[Tensor]) -> Vec<Tensor> {
    Tensor::run_backward(&[loss], inputs, false, false)
}

/// Sets every weight to `f(i)` in place, outside autograd.
fn assign(weights: &[Tensor], f: impl Fn(usize) -> Tensor) {
    tch::no_grad(|| {
        for (i, w) in weights.iter().enumerate() {
            w.shallow_clone().copy_(&f(i));
        }
    })
}

fn snapshot(weights: &[Tensor]) -> Vec<Tensor> {
    weights.iter().map(|w| w.detach().copy()).collect()
}

/// First order: the gradient of the validation loss at the current weights.
pub fn first_order(alphas: &[Tensor], val_loss: &mut dyn FnMut() -> Tensor) -> Vec<Tensor> {
    grads(&val_loss(), alphas)
}

/// The finite-difference Hessian-vector product d^2 L_train / (d alpha d w) . v at the current
/// weights (central difference, eps = 0.01 / ||v||, divided by 2 eps). The weights are restored.
pub fn hessian_vector_product(
    weights: &[Tensor],
    alphas: &[Tensor],
    v: &[Tensor],
    train_loss: &mut dyn FnMut() -> Tensor,
) -> Vec<Tensor> {
    let norm = global_norm(v);
    if norm == 0.0 {
        return alphas.iter().map(|a| a.zeros_like()).collect();
    }
    let eps = 0.01 / norm;
    let w0 = snapshot(weights);
    assign(weights, |i| &w0[i] + &v[i] * eps);
    let g_plus = grads(&train_loss(), alphas);
    assign(weights, |i| &w0[i] - &v[i] * eps);
    let g_minus = grads(&train_loss(), alphas);
    assign(weights, |i| w0[i].shallow_clone());
    g_plus
        .iter()
        .zip(&g_minus)
        .map(|(p, n)| (p - n) / (2.0 * eps))
        .collect()
}

/// Second order: the unrolled gradient. `virtual_step` returns the weight optimiser's next step
/// at the current weights (for SGD: momentum * buf + grad_w L_train + wd * w); `xi` is the
/// virtual step size (the current weight learning rate in DARTS). The weights are left exactly
/// as they were.
pub fn second_order(
    weights: &[Tensor],
    alphas: &[Tensor],
    xi: f64,
    virtual_step: &mut dyn FnMut() -> Vec<Tensor>,
    train_loss: &mut dyn FnMut() -> Tensor,
    val_loss: &mut dyn FnMut() -> Tensor,
) -> Vec<Tensor> {
    let w0 = snapshot(weights);
    let step = virtual_step();
    assign(weights, |i| &w0[i] - &step[i] * xi);
    let mut inputs: Vec<Tensor> = alphas.iter().map(|a| a.shallow_clone()).collect();
    inputs.extend(weights.iter().map(|w| w.shallow_clone()));
    let mut g = grads(&val_loss(), &inputs);
    let v = g.split_off(alphas.len());
    assign(weights, |i| w0[i].shallow_clone());
    let hv = hessian_vector_product(weights, alphas, &v, train_loss);
    g.iter().zip(&hv).map(|(d, h)| d - h * xi).collect()
}
