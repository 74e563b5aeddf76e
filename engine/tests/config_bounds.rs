//! The bounds of the search and training configs (security review "Configs with no upper
//! bound": a search with epochs 1e18, batch_size 1e8, layers 64 and init_channels 512 was
//! accepted, and a training with layers and init_channels of 100000). Genotypes:
//! tests/genotype_rules.rs; the memory pre-check: tests/memory_bound.rs.
use engine::config::{FieldError, Preset, SearchConfig, StrategyKind};
use engine::retrain::config::TrainConfig;
use serde_json::{json, Map, Value};

fn map(v: Value) -> Map<String, Value> {
    match v {
        Value::Object(m) => m,
        _ => Map::new(),
    }
}

fn search(v: Value) -> Result<SearchConfig, Vec<FieldError>> {
    SearchConfig::resolve(&[map(v)])
}

fn train(v: Value) -> Result<TrainConfig, Vec<FieldError>> {
    TrainConfig::resolve(&map(v))
}

/// The errors' fields, or none when the config was accepted.
fn fields<T>(r: &Result<T, Vec<FieldError>>) -> Vec<String> {
    match r {
        Ok(_) => vec![],
        Err(e) => e.iter().map(|e| e.field.clone()).collect(),
    }
}

fn refused_by<T: std::fmt::Debug>(r: &Result<T, Vec<FieldError>>, key: &str, what: &str) {
    assert_eq!(fields(r), vec![key.to_string()], "{what}: {r:?}");
}

/// (key, minimum, maximum) of every integer key: the review's suggested bounds.
const SEARCH_INTS: [(&str, u64, u64); 8] = [
    ("epochs", 1, 1000),
    ("batch_size", 1, 4096),
    ("max_steps_per_epoch", 1, 1_000_000),
    ("layers", 1, 30),
    ("init_channels", 1, 256),
    ("nodes", 1, 8),
    ("seed", 0, 1 << 53),
    ("pc_k", 1, 16),
];

const TRAIN_INTS: [(&str, u64, u64); 6] = [
    ("epochs", 1, 2000),
    ("batch_size", 1, 4096),
    ("max_steps_per_epoch", 1, 1_000_000),
    ("layers", 3, 50),
    ("init_channels", 1, 512),
    ("seed", 0, 1 << 53),
];

fn check_int_bounds(
    ints: &[(&str, u64, u64)],
    resolve: &dyn Fn(Value) -> Vec<String>,
    preset: &str,
) {
    for &(key, min, max) in ints {
        for ok in [min, max] {
            assert_eq!(
                resolve(json!({"preset": preset, key: ok})),
                Vec::<String>::new(),
                "{key} = {ok}"
            );
        }
        assert_eq!(resolve(json!({"preset": preset, key: max + 1})), vec![key]);
        if min > 0 {
            assert_eq!(resolve(json!({"preset": preset, key: min - 1})), vec![key]);
        }
        assert_eq!(resolve(json!({"preset": preset, key: -1})), vec![key]);
    }
}

#[test]
fn every_search_integer_refuses_just_above_its_limit_and_accepts_it() {
    check_int_bounds(&SEARCH_INTS, &|v| fields(&search(v)), "default");
    // At most two skips per node (the default preset has 4 nodes).
    assert_eq!(
        fields(&search(json!({"max_skip_connects": 8}))),
        Vec::<String>::new()
    );
    refused_by(
        &search(json!({"max_skip_connects": 9})),
        "max_skip_connects",
        "9 of 8 ops",
    );
    let eight = search(json!({"nodes": 8, "max_skip_connects": 16}));
    assert_eq!(fields(&eight), Vec::<String>::new());
    refused_by(
        &search(json!({"nodes": 8, "max_skip_connects": 17})),
        "max_skip_connects",
        "17 of 16 ops",
    );
}

#[test]
fn every_training_integer_refuses_just_above_its_limit_and_accepts_it() {
    check_int_bounds(&TRAIN_INTS, &|v| fields(&train(v)), "quick");
}

/// (key, accepted values, refused values) of every float key.
type FloatCase = (&'static str, &'static [f64], &'static [f64]);

const SEARCH_FLOATS: [FloatCase; 11] = [
    ("w_lr", &[10.0, 1e-4], &[0.0, -0.1, 10.001]),
    ("w_lr_min", &[0.0, 1e-3], &[-1e-9, 1.1e-3]),
    ("w_momentum", &[0.0, 0.999], &[1.0, -0.1]),
    ("w_weight_decay", &[0.0, 1.0], &[1.0001, -1e-9]),
    ("alpha_lr", &[10.0, 1e-6], &[0.0, 10.5]),
    ("alpha_weight_decay", &[0.0, 1.0], &[1.5, -1.0]),
    ("grad_clip", &[1e-3, 1e300], &[0.0, -5.0]),
    ("arch_fraction", &[0.001, 0.999], &[0.0, 1.0]),
    // The default preset's gdas_tau_max is 10, which gdas_tau_min may not pass.
    ("gdas_tau_max", &[100.0, 0.1], &[0.0, 100.5]),
    ("gdas_tau_min", &[1e-3, 10.0], &[0.0, -1.0, 10.5]),
    ("beta_lambda", &[0.0, 1000.0], &[-1e-9, 1000.5]),
];

const TRAIN_FLOATS: [FloatCase; 9] = [
    ("lr", &[10.0, 1e-6], &[0.0, 10.001]),
    ("lr_min", &[0.0, 0.05], &[-1e-9, 0.051]),
    ("momentum", &[0.0, 0.999], &[1.0, -0.1]),
    ("weight_decay", &[0.0, 1.0], &[1.0001, -1e-9]),
    ("grad_clip", &[1e-3, 1e300], &[0.0, -5.0]),
    ("auxiliary_weight", &[0.0, 1.0], &[1.01, -0.4]),
    ("drop_path", &[0.0, 0.99], &[1.0, -0.1]),
    ("cutout", &[0.0, 1.0], &[1.01, -0.5]),
    ("crop_padding", &[0.0, 1.0], &[1.01, -0.125]),
];

fn check_float_bounds(cases: &[FloatCase], resolve: &dyn Fn(Value) -> Vec<String>) {
    for &(key, ok, bad) in cases {
        for &v in ok {
            assert_eq!(
                resolve(json!({key: v})),
                Vec::<String>::new(),
                "{key} = {v}"
            );
        }
        for &v in bad {
            // A key another one is bounded by (w_lr, lr) may bring that one's error along.
            let got = resolve(json!({key: v}));
            assert!(got.iter().any(|f| f == key), "{key} = {v}: {got:?}");
        }
    }
}

#[test]
fn every_float_key_has_a_range() {
    // default: w_lr 1e-3, so w_lr_min may not exceed it; quick training: lr 0.05.
    check_float_bounds(&SEARCH_FLOATS, &|v| fields(&search(v)));
    check_float_bounds(&TRAIN_FLOATS, &|v| fields(&train(v)));
}

#[test]
fn nan_and_infinities_are_refused_by_name() {
    // JSON cannot carry them, but a config built in code or read from a file can.
    for bad in [f64::NAN, f64::INFINITY, f64::NEG_INFINITY] {
        for (key, _, _) in SEARCH_FLOATS {
            let mut c = Preset::Default.config();
            let f = |c: &mut SearchConfig| match key {
                "w_lr" => c.w_lr = bad,
                "w_lr_min" => c.w_lr_min = bad,
                "w_momentum" => c.w_momentum = bad,
                "w_weight_decay" => c.w_weight_decay = bad,
                "alpha_lr" => c.alpha_lr = bad,
                "alpha_weight_decay" => c.alpha_weight_decay = bad,
                "grad_clip" => c.grad_clip = bad,
                "gdas_tau_max" => c.gdas_tau_max = bad,
                "gdas_tau_min" => c.gdas_tau_min = bad,
                "beta_lambda" => c.beta_lambda = bad,
                _ => c.arch_fraction = bad,
            };
            f(&mut c);
            let errors = c.validate();
            assert!(
                errors
                    .iter()
                    .any(|e| e.field == key && e.message.contains("not a finite number")),
                "{key} = {bad}: {errors:?}"
            );
        }
        let mut t = TrainConfig::preset(Preset::DartsPaper);
        (t.lr, t.momentum, t.weight_decay, t.grad_clip) = (bad, bad, bad, bad);
        (t.auxiliary_weight, t.drop_path, t.cutout, t.crop_padding) = (bad, bad, bad, Some(bad));
        let mut got: Vec<String> = t.validate().into_iter().map(|e| e.field).collect();
        got.sort();
        let expected = [
            "auxiliary_weight",
            "crop_padding",
            "cutout",
            "drop_path",
            "grad_clip",
            "lr",
            "momentum",
            "weight_decay",
        ];
        assert_eq!(got, expected, "{bad}");
    }
}

#[test]
fn the_reviewed_search_config_is_refused_key_by_key() {
    let r = search(
        json!({"epochs": 1e18, "batch_size": 1e8, "layers": 64, "init_channels": 512, "nodes": 8}),
    );
    let errors = r.clone().err().unwrap_or_default();
    let mut got = fields(&r);
    got.sort();
    assert_eq!(got, ["batch_size", "epochs", "init_channels", "layers"]);
    let text: Vec<String> = errors.iter().map(|e| e.to_string()).collect();
    assert!(
        text.contains(&"epochs: 1e+18 is above the limit of 1000: a longer search runs for weeks, and DARTS collapses into skip connections long before; the DARTS paper searches for 50".to_string()),
        "{text:?}"
    );
    assert!(
        text.contains(&"layers: 64 is above the limit of 30: deeper supernets do not fit in memory on any current GPU; the DARTS paper searches with 8".to_string()),
        "{text:?}"
    );
    assert!(
        text.iter()
            .any(|t| t.starts_with("batch_size: 100000000.0 is above the limit of 4096")),
        "{text:?}"
    );
}

#[test]
fn integer_keys_given_as_floats_are_refused_not_cast() {
    // The CLI turns `--epochs 1e18` into the same JSON number.
    let flag = engine::config::flag_value("epochs", "1e18");
    let errors = search(json!({ "epochs": flag })).err().unwrap_or_default();
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert_eq!(errors[0].field, "epochs");
    assert!(
        errors[0]
            .message
            .starts_with("1e+18 is above the limit of 1000"),
        "{errors:?}"
    );
    for (key, v, start) in [
        (
            "layers",
            json!(2.5),
            "2.5 is not a whole number: give an integer from 1 to 30",
        ),
        ("epochs", json!(50.0), "50.0 is not a whole number"),
        (
            "batch_size",
            json!(1e30),
            "1e+30 is above the limit of 4096",
        ),
        ("seed", json!(-1), "-1 is below the minimum of 0"),
        (
            "max_steps_per_epoch",
            json!(0),
            "0 is below the minimum of 1: use null",
        ),
    ] {
        let errors = search(json!({ key: v })).err().unwrap_or_default();
        assert_eq!(errors.len(), 1, "{key}: {errors:?}");
        assert_eq!(errors[0].field, key);
        assert!(errors[0].message.starts_with(start), "{key}: {errors:?}");
    }
    let errors = train(json!({"epochs": 1e18})).err().unwrap_or_default();
    assert!(
        errors
            .iter()
            .any(|e| e.field == "epochs"
                && e.message.starts_with("1e+18 is above the limit of 2000")),
        "{errors:?}"
    );
    // Null still means "every batch".
    assert_eq!(
        fields(&search(json!({"max_steps_per_epoch": null}))),
        Vec::<String>::new()
    );
}

#[test]
fn the_reviewed_training_config_is_refused() {
    let r = train(json!({"layers": 100000, "init_channels": 100000}));
    let mut got = fields(&r);
    got.sort();
    assert_eq!(got, ["init_channels", "layers"]);
    let errors = r.err().unwrap_or_default();
    assert!(
        errors.iter().any(|e| e
            .to_string()
            .starts_with("layers: 100000 is above the limit of 50")),
        "{errors:?}"
    );
    refused_by(
        &train(json!({"layers": 2})),
        "layers",
        "two reductions and a normal cell",
    );
}

#[test]
fn every_preset_validates() {
    for p in Preset::ALL {
        assert_eq!(p.config().validate(), vec![], "search preset {p:?}");
        assert_eq!(
            TrainConfig::preset(p).validate(),
            vec![],
            "training preset {p:?}"
        );
        let name = serde_json::to_value(p).unwrap_or_default();
        assert!(search(json!({ "preset": name })).is_ok(), "{p:?}");
        assert!(train(json!({ "preset": name })).is_ok(), "{p:?}");
    }
    // The paper's settings sit inside the bounds (../shared/DARTS.md).
    let s = Preset::DartsPaper.config();
    assert_eq!(
        (s.epochs, s.layers, s.init_channels, s.batch_size),
        (50, 8, 16, 64)
    );
    let t = TrainConfig::preset(Preset::DartsPaper);
    assert_eq!(
        (t.epochs, t.layers, t.init_channels, t.batch_size),
        (600, 20, 36, 96)
    );
}

/// The strategy keys are validated by name, and configs written before they existed keep
/// meaning plain DARTS.
#[test]
fn strategy_keys_are_validated_by_name() {
    let resolve = |v: serde_json::Value| {
        let serde_json::Value::Object(m) = v else {
            unreachable!()
        };
        SearchConfig::resolve(&[m])
    };
    let fields = |v: serde_json::Value| -> Vec<String> {
        resolve(v)
            .unwrap_err()
            .into_iter()
            .map(|e| e.to_string())
            .collect()
    };
    let e = fields(json!({"preset": "quick", "strategy": "pc-darts", "pc_k": 3}));
    assert!(
        e.iter()
            .any(|m| m.starts_with("pc_k: 3 does not divide init_channels (8)")),
        "{e:?}"
    );
    let e = fields(json!({"preset": "quick", "warmup_epochs": 5}));
    assert!(
        e.iter()
            .any(|m| m.starts_with("warmup_epochs: 5 leaves no epoch of the 5")),
        "{e:?}"
    );
    let e = fields(json!({"gdas_tau_max": 1.0, "gdas_tau_min": 2.0}));
    assert!(
        e.iter()
            .any(|m| m.starts_with("gdas_tau_min: 2 is above gdas_tau_max")),
        "{e:?}"
    );
    let e = fields(json!({"strategy": "snas", "alpha_reg": "l1", "beta_lambda": -1}));
    for key in ["strategy", "alpha_reg", "beta_lambda"] {
        assert!(
            e.iter().any(|m| m.starts_with(&format!("{key}:"))),
            "{key}: {e:?}"
        );
    }
    let ok = resolve(json!({"strategy": "gdas", "alpha_reg": "beta", "beta_lambda": 20})).unwrap();
    assert_eq!((ok.strategy, ok.beta_lambda), (StrategyKind::Gdas, 20.0));
    // A config.json from before the strategies: every new key takes the meaning it had.
    let mut old = serde_json::to_value(Preset::Quick.config()).unwrap();
    for key in [
        "strategy",
        "pc_k",
        "gdas_tau_max",
        "gdas_tau_min",
        "warmup_epochs",
        "alpha_reg",
        "beta_lambda",
    ] {
        old.as_object_mut().unwrap().remove(key);
    }
    let old: SearchConfig = serde_json::from_value(old).unwrap();
    assert_eq!(old, Preset::Quick.config());
}
