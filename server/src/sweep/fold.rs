//! A stored sweep and its runs as the page, the API and the CSV show it.
use super::spec::{self, Mode, Spec};
use super::summary::{cells, parameter_free, sweet_spot};
use crate::store::{RunRow, Status, SweepRow};
use app::types::{SweepDetail, SweepMember, SweepRow as Row};
use serde_json::Value;

/// The spec a stored sweep was created with (checked then).
pub fn spec_of(sweep: &SweepRow) -> Spec {
    spec::parse(&sweep.request).unwrap_or(Spec {
        axes: vec![],
        seeds: 1,
        mode: Mode::Grid,
        tolerance: 0.02,
    })
}

/// Whether the sweep's searches each retrain their cell (a study), which is then the metric.
fn studied(sweep: &SweepRow) -> bool {
    sweep.kind == "search" && sweep.request["study"].is_object()
}

/// A member's status and metric: a search with a study is measured by its retrained cell.
fn measured(sweep: &SweepRow, run: &RunRow, all: &[RunRow]) -> SweepMember {
    let result = run.result.as_ref();
    let mut m = SweepMember {
        run: run.id,
        point: usize::try_from(run.sweep_point.unwrap_or(0)).unwrap_or(0),
        seed: run.config["seed"].as_u64().unwrap_or(0),
        status: run.status.as_str().to_string(),
        metric: None,
        parameter_free: result.and_then(parameter_free),
        message: run.message.clone(),
    };
    if run.status != Status::Succeeded {
        return m;
    }
    let key = if run.kind == "search" {
        "best_val_metric"
    } else {
        "test_metric"
    };
    if !studied(sweep) {
        m.metric = result.and_then(|r| r[key].as_f64());
        return m;
    }
    let retrained = all.iter().find(|r| {
        r.kind == "train" && r.source_run == Some(run.id) && r.dataset_id == run.dataset_id
    });
    match retrained {
        None => m.status = "queued".into(),
        Some(t) => {
            m.status = t.status.as_str().to_string();
            m.message = t.message.clone();
            m.metric = t.result.as_ref().and_then(|r| r["test_metric"].as_f64());
        }
    }
    m
}

fn members(sweep: &SweepRow, all: &[RunRow]) -> Vec<SweepMember> {
    let mut list: Vec<SweepMember> = all
        .iter()
        .filter(|r| r.sweep_id == Some(sweep.id))
        .map(|r| measured(sweep, r, all))
        .collect();
    list.sort_by_key(|m| (m.point, m.seed, m.run));
    list
}

fn status(sweep: &SweepRow, members: &[SweepMember]) -> String {
    let pending = members
        .iter()
        .any(|m| m.status == "queued" || m.status == "running");
    match (sweep.cancelled, pending) {
        (true, _) => "cancelled",
        (false, true) => "running",
        (false, false) => "finished",
    }
    .into()
}

/// What each point's value is: a search's best validation metric, its retrained cell's test
/// metric with a study, a trained network's test metric.
pub fn measure(kind: &str, studied: bool, metric: &str) -> String {
    match (kind, studied) {
        ("search", true) => format!("test {metric} of the retrained cell"),
        ("search", false) => format!("best validation {metric} of the search"),
        _ => format!("test {metric}"),
    }
}

/// The sweeps list's row.
pub fn row(sweep: &SweepRow, all: &[RunRow], dataset_name: &str) -> Row {
    let members = members(sweep, all);
    Row {
        id: sweep.id,
        kind: sweep.kind.clone(),
        dataset_name: dataset_name.to_string(),
        keys: spec_of(sweep).keys(),
        status: status(sweep, &members),
        runs: members.len(),
        done: members
            .iter()
            .filter(|m| m.status != "queued" && m.status != "running")
            .count(),
        created_at: sweep.created_at,
    }
}

/// The whole sweep; `token` on the share page (read-only, the CSV by token).
pub fn detail(
    sweep: &SweepRow,
    all: &[RunRow],
    dataset_name: &str,
    token: Option<&str>,
    share_token: Option<String>,
) -> SweepDetail {
    let spec = spec_of(sweep);
    let members = members(sweep, all);
    let results: Vec<&Value> = all
        .iter()
        .filter(|r| r.dataset_id == sweep.dataset_id)
        .filter_map(|r| r.result.as_ref())
        .filter(|r| r["metric"].is_string())
        .collect();
    let metric = results
        .first()
        .and_then(|r| r["metric"].as_str())
        .unwrap_or("metric")
        .to_string();
    let higher_is_better = results
        .first()
        .and_then(|r| r["higher_is_better"].as_bool())
        .unwrap_or(true);
    let cells = cells(&spec, &members);
    let sweet_spot = sweet_spot(&spec, &cells, higher_is_better);
    let measure = measure(&sweep.kind, studied(sweep), &metric);
    // What every point shares: the varied keys are the map's.
    let base = sweep.request["config"]
        .as_object()
        .map(|m| {
            m.iter()
                .filter(|(k, _)| !spec.axes.iter().any(|a| &a.key == *k))
                .map(|(k, v)| (k.clone(), v.to_string()))
                .collect()
        })
        .unwrap_or_default();
    SweepDetail {
        row: row(sweep, all, dataset_name),
        dataset_id: sweep.dataset_id.clone(),
        axes: spec.shown_axes(),
        seeds: spec.seeds,
        mode: spec.mode_text(),
        measure,
        metric,
        higher_is_better,
        cells,
        members,
        sweet_spot,
        searches: sweep.kind == "search",
        base,
        share_token,
        read_only: token.is_some(),
        csv_url: match token {
            Some(t) => format!("/api/share/sweeps/{t}/sweep.csv"),
            None => format!("/api/sweeps/{}/sweep.csv", sweep.id),
        },
    }
}

/// One line a run: run, point, seed, each key's value, status, metric, parameter-free ops,
/// message (quoted where it needs it).
pub fn csv(d: &SweepDetail) -> String {
    let quote = |s: &str| {
        if s.contains([',', '"', '\n']) {
            format!("\"{}\"", s.replace('"', "\"\""))
        } else {
            s.to_string()
        }
    };
    let mut head = vec!["run".to_string(), "point".into(), "seed".into()];
    head.extend(d.axes.iter().map(|a| quote(&a.key)));
    head.extend([
        "status".into(),
        quote(&d.metric),
        "parameter_free_ops".into(),
        "message".into(),
    ]);
    let mut out = head.join(",") + "\n";
    for m in &d.members {
        let mut line = vec![m.run.to_string(), m.point.to_string(), m.seed.to_string()];
        let point = d
            .cells
            .get(m.point)
            .map(|c| c.point.clone())
            .unwrap_or_default();
        for (a, i) in d.axes.iter().zip(&point) {
            line.push(quote(a.values.get(*i).map_or("", String::as_str)));
        }
        line.push(m.status.clone());
        line.push(m.metric.map(|x| x.to_string()).unwrap_or_default());
        line.push(m.parameter_free.map(|x| x.to_string()).unwrap_or_default());
        line.push(quote(m.message.as_deref().unwrap_or("")));
        out += &(line.join(",") + "\n");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn run(id: i64, kind: &str, status: Status, source: Option<i64>, result: Value) -> RunRow {
        RunRow {
            id,
            kind: kind.into(),
            dataset_id: "d".into(),
            source_run: source,
            group_id: None,
            status,
            config: json!({"seed": id}),
            message: None,
            result: Some(result).filter(|r| !r.is_null()),
            epoch: 0,
            epochs: 0,
            best_metric: None,
            created_at: 0.0,
            started_at: None,
            finished_at: None,
            job_id: None,
            job_state: None,
            owner: None,
            sweep_id: (kind == "search").then_some(7),
            sweep_point: (kind == "search").then_some(0),
        }
    }

    /// With a study, a search is measured by its retrained cell: pending until that is trained,
    /// failed when it failed.
    #[test]
    fn a_studied_search_is_measured_by_its_retrained_cell() {
        let sweep = SweepRow {
            id: 7,
            kind: "search".into(),
            dataset_id: "d".into(),
            request: json!({"axes": [{"key": "alpha_lr", "values": [0.01]}], "seeds": 3,
                "study": {"preset": "tiny", "device": "cpu"}}),
            cancelled: false,
            created_at: 0.0,
        };
        let searched =
            json!({"metric": "accuracy", "higher_is_better": true, "best_val_metric": 0.5});
        let all = vec![
            run(1, "search", Status::Succeeded, None, searched.clone()),
            run(2, "search", Status::Succeeded, None, searched.clone()),
            run(3, "search", Status::Failed, None, Value::Null),
            run(
                4,
                "train",
                Status::Succeeded,
                Some(1),
                json!({"metric": "accuracy", "test_metric": 0.9}),
            ),
        ];
        let d = detail(&sweep, &all, "digits", None, None);
        let by_run = |id: i64| d.members.iter().find(|m| m.run == id).unwrap();
        assert_eq!(
            (by_run(1).status.as_str(), by_run(1).metric),
            ("succeeded", Some(0.9))
        );
        assert_eq!(
            (by_run(2).status.as_str(), by_run(2).metric),
            ("queued", None)
        );
        assert_eq!(by_run(3).status, "failed");
        assert_eq!(d.measure, "test accuracy of the retrained cell");
        assert_eq!(d.row.status, "running");
        let c = &d.cells[0];
        assert_eq!((c.mean, c.n, c.failed, c.pending), (Some(0.9), 1, 1, 1));
    }
}
