//! Seed groups and studies through the API: `"seeds": N` repeats a search as a group,
//! `"study"` has each search retrained and compared with ResNet-18/10 and a random search
//! matched to its time, and the comparison reports mean and sd over the group (DARTS.md:
//! "report mean +/- sd over seeds, and say 'best of N' when that is what it is").
mod http;

use http::{fields, Server};
use serde_json::{json, Value};
use std::time::{Duration, Instant};

const WITHIN: Duration = Duration::from_secs(600);

fn row<'a>(cmp: &'a Value, prefix: &str) -> Option<&'a Value> {
    cmp["rows"]
        .as_array()?
        .iter()
        .find(|r| r["method"].as_str().is_some_and(|m| m.starts_with(prefix)))
}

/// numpy.std(values, ddof=1)
fn sample_sd(v: &[f64]) -> f64 {
    let m = v.iter().sum::<f64>() / v.len() as f64;
    (v.iter().map(|x| (x - m).powi(2)).sum::<f64>() / (v.len() as f64 - 1.0)).sqrt()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_search_repeated_with_two_seeds_runs_its_study_and_reports_mean_and_sd() {
    let s = Server::start("studies");
    let data = s.digits().await;
    let (code, made) = s
        .post(
            "/api/runs",
            &json!({"dataset_id": data, "config": {"preset": "tiny", "epochs": 1}, "seeds": 2,
                    "study": {"preset": "tiny", "device": "cpu", "budget": "2m"}}),
        )
        .await;
    assert_eq!(code, 201, "{made}");
    let ids: Vec<i64> = made["ids"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_i64().unwrap())
        .collect();
    assert_eq!(ids.len(), 2);
    assert_eq!(
        (made["id"].as_i64(), made["group"].as_i64()),
        (Some(ids[0]), Some(ids[0]))
    );
    let mut searches: Vec<Value> = vec![];
    for id in &ids {
        let r = s.wait_status(*id, &["succeeded"], WITHIN).await;
        assert_eq!(r["group_id"], ids[0]);
        searches.push(r);
    }
    // The preset's seed, then the next one.
    let seed = searches[0]["config"]["seed"].as_u64().unwrap();
    assert_eq!(searches[1]["config"]["seed"], seed + 1);
    // Each search's study: its cell retrained, its supernet pruned and fine-tuned, ResNet-18,
    // ResNet-10 and a random search.
    let start = Instant::now();
    let cmp = loop {
        let (code, cmp) = s.get(&format!("/api/runs/{}/comparison", ids[1])).await;
        assert_eq!(code, 200, "{cmp}");
        let runs = s.get("/api/runs").await.1;
        let derived: Vec<&Value> = runs
            .as_array()
            .unwrap()
            .iter()
            .filter(|r| r["source_run"].is_i64())
            .collect();
        assert!(
            derived.iter().all(|r| r["status"] != "failed"),
            "{derived:?}"
        );
        if derived.len() == 10 && derived.iter().all(|r| r["status"] == "succeeded") {
            break cmp;
        }
        assert!(
            start.elapsed() < WITHIN,
            "the studies did not finish: {runs}"
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
    };
    assert_eq!(cmp["searches"], json!(ids), "the group, from either search");
    // The budget: the search was given a fifth of the 2 minutes (its named epoch stays the
    // most it runs), and each of a search's 5 trainings what is left after the search and the
    // random search's sampling, 85% of an equal share (engine/src/budget.rs).
    for r in &searches {
        assert_eq!(r["config"]["seconds"], 24.0, "{}", r["config"]);
        assert_eq!(r["config"]["epochs"], 1);
    }
    let runs = s.get("/api/runs").await.1;
    for r in runs
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["source_run"].is_i64())
    {
        let source = searches
            .iter()
            .find(|x| x["id"] == r["source_run"])
            .unwrap();
        let searched = source["result"]["seconds"].as_f64().unwrap();
        let share = ((120.0 - 2.0 * searched) / 5.0 * 0.85).max(5.0);
        let given = r["config"]["seconds"].as_f64().unwrap();
        assert!(
            (given - share).abs() < 1e-9,
            "{given} for {share}: {}",
            r["config"]
        );
    }

    // The supernet row: mean and sample sd over the two searches' test scores.
    let supernet: Vec<f64> = searches
        .iter()
        .map(|r| r["result"]["supernet_test_metric"].as_f64().unwrap())
        .collect();
    let sup = row(&cmp, "DARTS supernet").unwrap();
    assert_eq!(sup["runs"], json!(ids));
    let mean = sup["test_metric_mean"].as_f64().unwrap();
    assert!((mean - (supernet[0] + supernet[1]) / 2.0).abs() < 1e-12);
    assert!((sup["test_metric_sd"].as_f64().unwrap() - sample_sd(&supernet)).abs() < 1e-12);
    assert!(sup["macs"].as_i64().unwrap() > 0);

    for prefix in [
        "DARTS cell, retrained",
        "DARTS network, pruned and fine-tuned",
        "ResNet-18",
        "ResNet-10",
        "Random search",
    ] {
        let r = row(&cmp, prefix).unwrap_or_else(|| panic!("{prefix} in {cmp}"));
        assert_eq!(
            r["runs"].as_array().unwrap().len(),
            2,
            "{prefix}: one per seed"
        );
        assert!(r["test_metric_sd"].is_f64(), "{prefix}: sd over 2 runs");
        assert!(r["macs"].as_i64().unwrap() > 0, "{prefix}: {r}");
        // Each trained network's measured speed, averaged over its seeds' runs.
        let mut latency = vec![];
        for id in r["runs"].as_array().unwrap() {
            let run = s.get(&format!("/api/runs/{id}")).await.1;
            latency.push(run["result"]["speed"]["latency_ms"].as_f64().unwrap());
            assert!(run["result"]["speed"]["throughput"].as_f64().unwrap() > 0.0);
        }
        let mean = (latency[0] + latency[1]) / 2.0;
        assert!(mean > 0.0, "{prefix}: {latency:?}");
        assert!(
            (r["latency_ms"].as_f64().unwrap() - mean).abs() < 1e-9,
            "{prefix}: {r}"
        );
    }
    // The supernet is not a deployable network: no speed of its own.
    assert!(sup["latency_ms"].is_null(), "{sup}");
    // The pruned network keeps the search's width and depth: fewer weights than the supernet,
    // trained from its weights, with the search's genotype.
    let pruned = row(&cmp, "DARTS network, pruned").unwrap();
    assert!(pruned["params"].as_i64().unwrap() < sup["params"].as_i64().unwrap());
    for id in pruned["runs"].as_array().unwrap() {
        let run = s.get(&format!("/api/runs/{id}")).await.1;
        let source = searches
            .iter()
            .find(|r| r["id"] == run["source_run"])
            .unwrap();
        assert_eq!(run["result"]["architecture"], "darts-pruned");
        assert_eq!(run["result"]["genotype"], source["result"]["genotype"]);
    }
    assert_eq!(
        cmp["searched_with"],
        "strategy darts, regulariser none, selection argmax"
    );
    // DARTS picks its cell from the search with the best validation metric: best of 2.
    let best_search = if searches[0]["result"]["best_val_metric"].as_f64()
        >= searches[1]["result"]["best_val_metric"].as_f64()
    {
        ids[0]
    } else {
        ids[1]
    };
    let best = row(&cmp, "DARTS cell, retrained (best of 2 searches").unwrap();
    let best_run = s.get(&format!("/api/runs/{}", best["runs"][0])).await.1;
    assert_eq!(best_run["source_run"], best_search);
    assert_eq!(best["runs"].as_array().unwrap().len(), 1);

    // Random search: sampling given each search's own seconds, its best retrained.
    let random = row(&cmp, "Random search (best of ").unwrap();
    let search_seconds: Vec<f64> = searches
        .iter()
        .map(|r| r["result"]["seconds"].as_f64().unwrap())
        .collect();
    assert!(
        (random["budget_seconds"].as_f64().unwrap()
            - (search_seconds[0] + search_seconds[1]) / 2.0)
            .abs()
            < 1e-9
    );
    for id in random["runs"].as_array().unwrap() {
        let run = s.get(&format!("/api/runs/{id}")).await.1;
        let source = searches
            .iter()
            .find(|r| r["id"] == run["source_run"])
            .unwrap();
        let sampled = &run["result"]["random_search"];
        assert_eq!(sampled["budget"]["seconds"], source["result"]["seconds"]);
        assert_eq!(
            sampled["space"]["primitives"],
            source["config"]["primitives"]
        );
        let n = sampled["candidates"].as_array().unwrap().len();
        assert!(n >= 1);
        assert!(
            random["method"].as_str().unwrap().contains(&n.to_string()),
            "{random}"
        );
        assert_eq!(run["result"]["architecture"], "random");
        assert_eq!(run["config"]["seed"], source["config"]["seed"]);
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn bad_seed_and_study_requests_name_their_field_and_store_nothing() {
    let s = Server::start("studies-bad");
    let data = s.digits().await;
    for (body, field) in [
        (json!({"dataset_id": data, "seeds": 0}), "seeds"),
        (json!({"dataset_id": data, "seeds": 21}), "seeds"),
        (
            json!({"dataset_id": data, "study": {"preset": "huge"}}),
            "study",
        ),
        (
            json!({"dataset_id": data, "study": {"device": "tpu"}}),
            "study",
        ),
        (
            json!({"dataset_id": data, "study": {"budget": "soon"}}),
            "study",
        ),
        (
            json!({"kind": "baseline", "baseline": "random", "dataset_id": data}),
            "source_run",
        ),
        (
            json!({"kind": "train", "genotype": "darts-v2", "dataset_id": data, "study": {}}),
            "study",
        ),
    ] {
        let (code, answer) = s.post("/api/runs", &body).await;
        assert_eq!(
            (code, fields(&answer)),
            (422, vec![field.to_string()]),
            "{body} -> {answer}"
        );
    }
    assert_eq!(s.get("/api/runs").await.1.as_array().unwrap().len(), 0);
}
