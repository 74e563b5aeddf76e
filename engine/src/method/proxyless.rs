//! ProxylessNAS: a layer-wise space of inverted bottlenecks searched with binary gates and a
//! latency term from the device's table (`crate::proxyless`). It finds layers, not a cell: a
//! study retrains them beside the ResNets, with nothing to prune or sample around.
use super::{setting, Finds, Job, Names, Outcome, SearchMethod, CELL_BASELINES};
use crate::config::StrategyKind;
use crate::events::Event;
use crate::search::error::SearchError;

pub struct Proxyless;

static NAMES: Names = Names {
    label: "ProxylessNAS",
    found: "ProxylessNAS network",
    supernet_row: "ProxylessNAS supernet, most likely path (during search)",
    architecture: "proxyless",
    pruned_row: None,
};

impl SearchMethod for Proxyless {
    fn runs(&self, strategy: StrategyKind) -> bool {
        strategy == StrategyKind::Proxyless
    }
    fn finds(&self) -> Finds {
        Finds::Layers
    }
    fn names(&self) -> &'static Names {
        &NAMES
    }
    fn baselines(&self) -> &'static [&'static str] {
        &CELL_BASELINES[..2]
    }
    fn searched_with(&self, config: &serde_json::Value) -> String {
        match config["latency_target_ms"].as_f64() {
            Some(t) => format!(
                "strategy proxyless, latency target {t} ms ({} loss)",
                setting(config, "latency_loss", "add")
            ),
            None => "strategy proxyless, no latency target".to_string(),
        }
    }
    fn run(
        &self,
        job: &Job,
        listener: &mut dyn FnMut(u64, &Event),
    ) -> Result<Outcome, SearchError> {
        crate::proxyless::run::run(job.data, job.cfg, job.out, job.tables, job.cancel, listener)
            .map(Outcome::Layers)
    }
}
