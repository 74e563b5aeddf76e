//! Discrete architectures: the `Genotype` (quark0/darts cnn/genotypes.py), the named ones, and
//! discretisation of architecture weights by the DARTS rule (model_search.py Network.genotype).
use crate::bounds::MAX_NODES;
use crate::ops::Primitive;
use serde::{Deserialize, Serialize};

/// Each cell is a list of (op, input state) pairs, two per intermediate node; states 0 and 1 are
/// the cell's inputs, state 2 + i is node i. `*_concat` lists the states concatenated as output.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Genotype {
    pub normal: Vec<(Primitive, usize)>,
    pub normal_concat: Vec<usize>,
    pub reduce: Vec<(Primitive, usize)>,
    pub reduce_concat: Vec<usize>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GenotypeError {
    #[error("unknown genotype '{0}' (named genotypes: darts-v1, darts-v2)")]
    UnknownName(String),
    #[error("{cell} cell: {message}")]
    Invalid { cell: &'static str, message: String },
}

fn cell(ops: [(Primitive, usize); 8]) -> Vec<(Primitive, usize)> {
    ops.to_vec()
}

impl Genotype {
    /// DARTS (first order) from the paper, genotypes.py `DARTS_V1`.
    pub fn darts_v1() -> Self {
        use Primitive::*;
        Genotype {
            normal: cell([
                (SepConv3x3, 1),
                (SepConv3x3, 0),
                (SkipConnect, 0),
                (SepConv3x3, 1),
                (SkipConnect, 0),
                (SepConv3x3, 1),
                (SepConv3x3, 0),
                (SkipConnect, 2),
            ]),
            normal_concat: vec![2, 3, 4, 5],
            reduce: cell([
                (MaxPool3x3, 0),
                (MaxPool3x3, 1),
                (SkipConnect, 2),
                (MaxPool3x3, 0),
                (MaxPool3x3, 0),
                (SkipConnect, 2),
                (SkipConnect, 2),
                (AvgPool3x3, 0),
            ]),
            reduce_concat: vec![2, 3, 4, 5],
        }
    }

    /// DARTS (second order) from the paper, genotypes.py `DARTS_V2`.
    pub fn darts_v2() -> Self {
        use Primitive::*;
        Genotype {
            normal: cell([
                (SepConv3x3, 0),
                (SepConv3x3, 1),
                (SepConv3x3, 0),
                (SepConv3x3, 1),
                (SepConv3x3, 1),
                (SkipConnect, 0),
                (SkipConnect, 0),
                (DilConv3x3, 2),
            ]),
            normal_concat: vec![2, 3, 4, 5],
            reduce: cell([
                (MaxPool3x3, 0),
                (MaxPool3x3, 1),
                (SkipConnect, 2),
                (MaxPool3x3, 1),
                (MaxPool3x3, 0),
                (SkipConnect, 2),
                (SkipConnect, 2),
                (MaxPool3x3, 1),
            ]),
            reduce_concat: vec![2, 3, 4, 5],
        }
    }

    /// A named genotype: `darts-v1`/`darts_v1`, `darts-v2`/`darts_v2`/`darts`.
    pub fn named(name: &str) -> Result<Self, GenotypeError> {
        match name.to_ascii_lowercase().replace('_', "-").as_str() {
            "darts-v1" => Ok(Self::darts_v1()),
            "darts-v2" | "darts" => Ok(Self::darts_v2()),
            _ => Err(GenotypeError::UnknownName(name.to_string())),
        }
    }

    /// Checks a genotype before a network is built from it. Each cell is a DAG of states: 0 and
    /// 1 are the cell's inputs, each preprocessed by a 1x1 convolution with weights
    /// (`ReLUConvBN`, or `FactorizedReduce` after a reduction cell), and 2 + i is node i. A cell
    /// is refused when:
    /// 1. it has no node, an odd number of ops, or more than `MAX_NODES` nodes (16 ops, the
    ///    limit of the search's `nodes` key);
    /// 2. an op reads a state that does not exist yet, or `concat` names one that does not exist;
    /// 3. a node in `concat` cannot be reached from the inputs through ops other than `none`: it
    ///    outputs only zeros (a node whose two ops are both `none` is the simplest case);
    /// 4. an op with weights (not parameter-free, or a `skip_connect` that reduces an input of a
    ///    reduction cell) reaches no node in `concat` through ops other than `none`;
    /// 5. an input reaches no node in `concat` that way.
    ///
    /// So every state in the output lies on a path from the inputs with at least one op with
    /// weights on it (the input's preprocessing), and every weight lies on a path to the output:
    /// a weight off every path never gets a gradient, and training fails on it. A cell of pools
    /// and skips alone is valid (the reduction cells of darts-v1 and darts-v2 are), since its
    /// inputs' preprocessing carries the weights; an all-`none` cell is not.
    pub fn validate(&self) -> Result<(), GenotypeError> {
        check_cell("normal", &self.normal, &self.normal_concat, false)?;
        check_cell("reduce", &self.reduce, &self.reduce_concat, true)
    }

    /// Parameter-free ops (none, pools, skips) in the (normal, reduce) cell.
    pub fn param_free(&self) -> (usize, usize) {
        let count =
            |ops: &[(Primitive, usize)]| ops.iter().filter(|(p, _)| p.is_parameter_free()).count();
        (count(&self.normal), count(&self.reduce))
    }

    /// Discretises softmaxed architecture weights (rows: edges, columns: `primitives`) by the DARTS
    /// rule: for each node keep the 2 incoming edges whose strongest non-`none` op is largest, and
    /// on each the argmax non-`none` op. `max_skip_connects` (P-DARTS) keeps only the strongest k
    /// skip connections of the normal cell and gives the others their edge's next-best op.
    pub fn from_weights(
        normal: &[Vec<f32>],
        reduce: &[Vec<f32>],
        primitives: &[Primitive],
        nodes: usize,
        max_skip_connects: Option<usize>,
    ) -> Self {
        let mut normal_ops = parse_cell(normal, primitives, nodes);
        if let Some(cap) = max_skip_connects {
            cap_skips(&mut normal_ops, normal, primitives, cap);
        }
        let concat: Vec<usize> = (2..2 + nodes).collect();
        Genotype {
            normal: normal_ops.iter().map(|k| (k.prim, k.input)).collect(),
            normal_concat: concat.clone(),
            reduce: parse_cell(reduce, primitives, nodes)
                .iter()
                .map(|k| (k.prim, k.input))
                .collect(),
            reduce_concat: concat,
        }
    }
}

/// The rules of `Genotype::validate` for one cell.
fn check_cell(
    name: &'static str,
    ops: &[(Primitive, usize)],
    concat: &[usize],
    reduction: bool,
) -> Result<(), GenotypeError> {
    let invalid = |message: String| {
        Err(GenotypeError::Invalid {
            cell: name,
            message,
        })
    };
    if ops.is_empty() || ops.len() % 2 != 0 {
        return invalid(format!("needs two ops per node, got {} ops", ops.len()));
    }
    let nodes = ops.len() / 2;
    if nodes > MAX_NODES {
        return invalid(format!(
            "has {nodes} nodes ({} ops); at most {MAX_NODES} nodes ({} ops) are allowed, the limit of the search's `nodes` key",
            ops.len(),
            2 * MAX_NODES
        ));
    }
    for (k, (_, input)) in ops.iter().enumerate() {
        if *input >= 2 + k / 2 {
            return invalid(format!(
                "op {k} of node {} reads state {input}, which does not exist yet",
                k / 2
            ));
        }
    }
    let states = 2 + nodes;
    if concat.is_empty() || concat.iter().any(|&i| i >= states) {
        return invalid(format!("concat {concat:?} must name states below {states}"));
    }
    // Reached from the inputs through ops other than `none` (ops read earlier states only).
    let mut live = vec![false; states];
    live[..2].fill(true);
    for (k, (prim, input)) in ops.iter().enumerate() {
        if *prim != Primitive::None && live[*input] {
            live[2 + k / 2] = true;
        }
    }
    if let Some(&s) = concat.iter().find(|&&s| !live[s]) {
        return invalid(format!(
            "node {} (state {s}) is in the output but outputs only zeros: no op other than none leads to it from the cell's inputs",
            s - 2
        ));
    }
    // Reaching the output through ops other than `none`: later nodes first.
    let mut feeds = vec![false; states];
    for &s in concat {
        feeds[s] = true;
    }
    for (k, (prim, input)) in ops.iter().enumerate().rev() {
        if *prim != Primitive::None && feeds[2 + k / 2] {
            feeds[*input] = true;
        }
    }
    for (k, (prim, input)) in ops.iter().enumerate() {
        let reduces = *prim == Primitive::SkipConnect && reduction && *input < 2;
        if (!prim.is_parameter_free() || reduces) && !feeds[2 + k / 2] {
            return invalid(format!(
                "op {k} ({prim}) of node {} has weights but reaches no state in concat {concat:?}, so they would never learn",
                k / 2
            ));
        }
    }
    if let Some(input) = (0..2).find(|&i| !feeds[i]) {
        return invalid(format!(
            "input {input} reaches no state in concat {concat:?} through an op other than none, so the weights of its preprocessing would never learn"
        ));
    }
    Ok(())
}

/// A kept edge: its input state, its row in the weight table, and the chosen op.
#[derive(Debug, Clone, Copy)]
struct Kept {
    input: usize,
    row: usize,
    prim: Primitive,
}

/// The best op on a row, skipping `none` and anything in `exclude`, with its weight.
fn best_op(
    row: &[f32],
    primitives: &[Primitive],
    exclude: &[Primitive],
) -> Option<(Primitive, f32)> {
    let mut best: Option<(Primitive, f32)> = None;
    for (k, &w) in row.iter().enumerate() {
        let prim = primitives[k];
        if prim == Primitive::None || exclude.contains(&prim) {
            continue;
        }
        // Strictly greater: ties go to the earlier op, as the authors' loop does.
        if best.is_none_or(|(_, bw)| w > bw) {
            best = Some((prim, w));
        }
    }
    best
}

fn parse_cell(weights: &[Vec<f32>], primitives: &[Primitive], nodes: usize) -> Vec<Kept> {
    let mut kept = Vec::with_capacity(2 * nodes);
    let mut start = 0;
    for i in 0..nodes {
        let n_in = 2 + i;
        let strength =
            |j: usize| best_op(&weights[start + j], primitives, &[]).map_or(f32::MIN, |(_, w)| w);
        let mut inputs: Vec<usize> = (0..n_in).collect();
        // Stable sort by descending strength: ties keep the lower input first, as Python's sorted.
        inputs.sort_by(|&a, &b| strength(b).total_cmp(&strength(a)));
        for &j in inputs.iter().take(2) {
            if let Some((prim, _)) = best_op(&weights[start + j], primitives, &[]) {
                kept.push(Kept {
                    input: j,
                    row: start + j,
                    prim,
                });
            }
        }
        start += n_in;
    }
    kept
}

fn cap_skips(kept: &mut [Kept], weights: &[Vec<f32>], primitives: &[Primitive], cap: usize) {
    let Some(skip_col) = primitives.iter().position(|p| *p == Primitive::SkipConnect) else {
        return;
    };
    let mut skips: Vec<usize> = (0..kept.len())
        .filter(|&i| kept[i].prim == Primitive::SkipConnect)
        .collect();
    if skips.len() <= cap {
        return;
    }
    skips.sort_by(|&a, &b| {
        weights[kept[b].row][skip_col].total_cmp(&weights[kept[a].row][skip_col])
    });
    for &i in &skips[cap..] {
        if let Some((prim, _)) =
            best_op(&weights[kept[i].row], primitives, &[Primitive::SkipConnect])
        {
            kept[i].prim = prim;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use Primitive::*;

    /// Rows over Primitive::DARTS = [none, max_pool, avg_pool, skip, sep3, sep5, dil3, dil5].
    fn row(pairs: &[(usize, f32)]) -> Vec<f32> {
        let rest = (1.0 - pairs.iter().map(|p| p.1).sum::<f32>()) / (8 - pairs.len()) as f32;
        (0..8)
            .map(|k| pairs.iter().find(|p| p.0 == k).map_or(rest, |p| p.1))
            .collect()
    }

    // Worked by hand with the rule of quark0/darts model_search.py Network.genotype, 2 nodes:
    // node 0 (edges 0, 1 from s0, s1): both kept, strongest first: edge 1 (skip 0.4) then edge 0
    // (sep3 0.2; `none` at 0.5 is ignored). Node 1 (edges 2, 3, 4 from s0, s1, node 0): strongest
    // non-none ops 0.3 (max_pool), 0.25 (dil3), 0.35 (sep5): keep edge 4 then edge 2.
    fn hand_worked() -> Vec<Vec<f32>> {
        vec![
            row(&[(0, 0.5), (4, 0.2)]),
            row(&[(3, 0.4), (6, 0.3)]),
            row(&[(1, 0.3), (0, 0.4)]),
            row(&[(6, 0.25)]),
            row(&[(5, 0.35)]),
        ]
    }

    #[test]
    fn discretisation_follows_the_darts_rule() -> Result<(), Box<dyn std::error::Error>> {
        let w = hand_worked();
        let g = Genotype::from_weights(&w, &w, &Primitive::DARTS, 2, Option::None);
        assert_eq!(
            g.normal,
            vec![
                (SkipConnect, 1),
                (SepConv3x3, 0),
                (SepConv5x5, 2),
                (MaxPool3x3, 0)
            ]
        );
        assert_eq!(g.normal_concat, vec![2, 3]);
        assert_eq!(g.reduce, g.normal);
        assert_eq!(g.param_free(), (2, 2));
        g.validate()?;
        Ok(())
    }

    #[test]
    fn skip_cap_replaces_the_weakest_skips_by_the_next_best_op() {
        let w = hand_worked();
        let g = Genotype::from_weights(&w, &w, &Primitive::DARTS, 2, Some(0));
        // Edge 1's next best after skip (0.4) is dil3 (0.3); the reduction cell is not capped.
        assert_eq!(g.normal[0], (DilConv3x3, 1));
        assert_eq!(g.reduce[0], (SkipConnect, 1));
        let kept = Genotype::from_weights(&w, &w, &Primitive::DARTS, 2, Some(1));
        assert_eq!(kept.normal[0], (SkipConnect, 1));
    }

    #[test]
    fn named_genotypes_and_json() -> Result<(), Box<dyn std::error::Error>> {
        let v2 = Genotype::named("DARTS_V2")?;
        assert_eq!(v2, Genotype::darts_v2());
        assert_eq!(v2.param_free(), (2, 8));
        let json = serde_json::to_string(&v2)?;
        assert_eq!(serde_json::from_str::<Genotype>(&json)?, v2);
        assert!(Genotype::named("nasnet").is_err());
        let mut bad = Genotype::darts_v1();
        bad.normal[0].1 = 4;
        assert!(bad.validate().is_err());
        Ok(())
    }
}
