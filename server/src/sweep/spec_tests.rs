//! The sweep plan's tests: ranges, lists, the grid, sampling and the per-point checks.
use super::*;

#[test]
fn ranges_lists_and_the_grid() {
    let spec = parse(&json!({"axes": [
        {"key": "alpha_lr", "range": {"from": 1e-4, "to": 1e-2, "count": 3, "scale": "log"}},
        {"key": "w_lr", "values": [0.001, 0.003]},
    ], "seeds": 2}))
    .unwrap();
    // numpy: np.logspace(-4, -2, 3) = [1e-4, 1e-3, 1e-2]
    assert_eq!(
        spec.axes[0].values,
        vec![json!(0.0001), json!(0.001), json!(0.01)]
    );
    assert_eq!(spec.seeds, 2);
    let points = spec.points();
    assert_eq!(points.len(), 6);
    assert_eq!(points[1], vec![0, 1]);
    assert_eq!(spec.label(&points[1]), "alpha_lr=0.0001, w_lr=0.003");
    let linear =
        parse(&json!({"axes": [{"key": "epochs", "range": {"from": 2, "to": 8, "count": 4}}]}))
            .unwrap();
    assert_eq!(
        linear.axes[0].values,
        vec![json!(2), json!(4), json!(6), json!(8)]
    );
}

#[test]
fn a_random_sweep_draws_distinct_points_reproducibly() {
    let body = json!({"axes": [
        {"key": "a", "values": [1, 2, 3, 4]}, {"key": "b", "values": [1, 2, 3]}],
        "mode": "random", "samples": 5, "sample_seed": 7});
    let a = parse(&body).unwrap().points();
    assert_eq!(a.len(), 5);
    let mut unique = a.clone();
    unique.dedup();
    assert_eq!(unique.len(), 5, "{a:?}");
    assert_eq!(a, parse(&body).unwrap().points());
    let mut other = body.clone();
    other["sample_seed"] = json!(8);
    assert_ne!(a, parse(&other).unwrap().points());
}

#[test]
fn every_bad_field_is_named() {
    let e = parse(&json!({"axes": [
        {"key": "alpha_lr", "range": {"from": 0, "to": 1, "count": 3, "scale": "log"}},
        {"key": "alpha_lr", "values": [1]},
        {"key": "seed", "values": [1, 2]},
    ], "seeds": 0, "mode": "random", "samples": 99, "tolerance": 2}))
    .unwrap_err();
    let fields: Vec<&str> = e.iter().map(|e| e.field.as_str()).collect();
    assert_eq!(
        fields,
        [
            "axes[0].range",
            "axes[1]",
            "axes[2]",
            "seeds",
            "samples",
            "tolerance"
        ],
        "{e:?}"
    );
    assert!(parse(&json!({"axes": []})).is_err());
    let big = parse(&json!({"axes": [
        {"key": "a", "range": {"from": 1, "to": 20, "count": 20}},
        {"key": "b", "range": {"from": 1, "to": 20, "count": 20}}]}))
    .unwrap_err();
    assert!(big[0].message.contains("400 points"), "{big:?}");
}
