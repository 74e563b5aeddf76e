//! Config layers (a preset, a config file, flags) resolved into one config, naming every bad
//! key; flags' text read as JSON values.
use super::ranges::SEARCH_INTS;
use super::{schema, FieldError, Preset, SearchConfig};
use crate::bounds::check_json;
use serde_json::{Map, Value};

impl SearchConfig {
    /// The config's keys, in order.
    pub fn keys() -> Vec<String> {
        match serde_json::to_value(Preset::Default.config()) {
            Ok(Value::Object(m)) => m.keys().cloned().collect(),
            _ => vec![],
        }
    }

    /// Resolves layers of overrides (a config file, then flags) on top of the preset they name
    /// (the last layer that names one wins; `default` when none does). Returns every bad key.
    pub fn resolve(layers: &[Map<String, Value>]) -> Result<SearchConfig, Vec<FieldError>> {
        let mut errors = Vec::new();
        let mut preset = Preset::Default;
        for layer in layers {
            if let Some(v) = layer.get("preset") {
                match serde_json::from_value::<Preset>(v.clone()) {
                    Ok(p) => preset = p,
                    Err(_) => errors.push(FieldError::new(
                        "preset",
                        format!("unknown preset {v}; one of tiny, quick, default, darts-paper"),
                    )),
                }
            }
        }
        let base = match serde_json::to_value(preset.config()) {
            Ok(Value::Object(m)) => m,
            _ => Map::new(),
        };
        let mut merged = base.clone();
        for layer in layers {
            for (key, value) in layer {
                if key == "preset" {
                    continue;
                }
                if !base.contains_key(key) {
                    let hint = schema::suggest(key, schema::SEARCH)
                        .map(|k| format!(" (did you mean {k}?)"))
                        .unwrap_or_default();
                    errors.push(FieldError::new(key, format!("unknown config key{hint}")));
                    continue;
                }
                // A number outside an integer key's range (or a float such as 1e18) is refused
                // before serde, which would name Rust types or cast.
                if let Some(err) = check_json(&SEARCH_INTS, key, value) {
                    errors.push(err);
                    continue;
                }
                // Check the key alone against the preset so each bad value is named.
                let mut probe = base.clone();
                probe.insert(key.clone(), value.clone());
                match serde_json::from_value::<SearchConfig>(Value::Object(probe)) {
                    Ok(_) => {
                        merged.insert(key.clone(), value.clone());
                    }
                    Err(e) => errors.push(FieldError::new(key, strip_position(&e.to_string()))),
                }
            }
        }
        let cfg = match serde_json::from_value::<SearchConfig>(Value::Object(merged)) {
            Ok(cfg) => cfg,
            Err(e) => {
                errors.push(FieldError::new("config", e.to_string()));
                return Err(errors);
            }
        };
        errors.extend(cfg.validate());
        if errors.is_empty() {
            Ok(cfg)
        } else {
            Err(errors)
        }
    }
}

/// serde_json appends " at line 1 column 42"; users never typed that JSON.
fn strip_position(msg: &str) -> String {
    msg.find(" at line ").map_or(msg, |i| &msg[..i]).to_string()
}

/// Turns a flag's text into the JSON value of its key: numbers, booleans and null as JSON, lists
/// (`--primitives a,b`) as arrays, anything else as a string.
pub fn flag_value(key: &str, text: &str) -> Value {
    if key == "primitives" && !text.trim_start().starts_with('[') {
        return Value::Array(
            text.split(',')
                .map(|s| Value::String(s.trim().to_string()))
                .collect(),
        );
    }
    serde_json::from_str(text).unwrap_or_else(|_| Value::String(text.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn map(v: Value) -> Map<String, Value> {
        match v {
            Value::Object(m) => m,
            _ => Map::new(),
        }
    }

    #[test]
    fn precedence_is_preset_then_file_then_flags() -> Result<(), Box<dyn std::error::Error>> {
        let file = map(json!({"preset": "quick", "epochs": 3, "w_lr": 0.01}));
        let flags = map(json!({"epochs": 4}));
        let cfg = SearchConfig::resolve(&[file, flags]).map_err(|e| format!("{e:?}"))?;
        assert_eq!(cfg.preset, Preset::Quick);
        assert_eq!(cfg.epochs, 4);
        assert_eq!(cfg.w_lr, 0.01);
        assert_eq!(cfg.layers, Preset::Quick.config().layers);
        Ok(())
    }

    #[test]
    fn every_bad_key_is_named() {
        let bad = map(
            json!({"epochs": "many", "colour": 1, "arch_fraction": 1.5, "primitives": ["none"], "order": "third"}),
        );
        let errors = SearchConfig::resolve(&[bad]).unwrap_err();
        let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
        for f in ["epochs", "colour", "arch_fraction", "primitives", "order"] {
            assert!(fields.contains(&f), "{f} not reported in {errors:?}");
        }
    }

    #[test]
    fn paper_preset_has_the_paper_settings() {
        // ../shared/DARTS.md, Optimisation.
        let p = Preset::DartsPaper.config();
        assert_eq!(
            (p.w_lr, p.w_lr_min, p.w_momentum, p.w_weight_decay),
            (0.025, 0.001, 0.9, 3e-4)
        );
        assert_eq!(
            (p.alpha_lr, p.alpha_weight_decay, p.grad_clip),
            (3e-4, 1e-3, 5.0)
        );
        assert_eq!(
            (p.batch_size, p.epochs, p.layers, p.init_channels),
            (64, 50, 8, 16)
        );
    }

    #[test]
    fn flags_parse_to_typed_values() {
        assert_eq!(flag_value("epochs", "3"), json!(3));
        assert_eq!(flag_value("order", "second"), json!("second"));
        assert_eq!(flag_value("max_skip_connects", "null"), json!(null));
        assert_eq!(
            flag_value("primitives", "none,skip_connect"),
            json!(["none", "skip_connect"])
        );
    }
}
