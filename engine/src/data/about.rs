//! What a network's two ends depend on in a dataset: its name, input shape, task and outputs.
//! A search writes it as `data.json` beside its genotype, so that a cell trained on other data
//! (a transfer) can say where it came from and which ends were rebuilt: the stem for another
//! channel count, the head for another task or output count. The cell itself moves unchanged.
use super::{Dataset, Task};
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// The file a search writes beside `genotype.json`.
pub const FILE: &str = "data.json";

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct About {
    pub name: String,
    pub task: Task,
    pub channels: i64,
    pub height: i64,
    pub width: i64,
    /// Classes (classification) or targets (regression).
    pub outputs: i64,
}

impl About {
    pub fn of(data: &Dataset) -> About {
        let size = data.images.size();
        About {
            name: data.name.clone(),
            task: data.task,
            channels: size.get(1).copied().unwrap_or(0),
            height: size.get(2).copied().unwrap_or(0),
            width: size.get(3).copied().unwrap_or(0),
            outputs: data.outputs(),
        }
    }

    /// From a stored dataset's `summary.json` (its classes or targets listed).
    pub fn from_summary(name: &str, s: &Value) -> About {
        let n = |k: &str| s[k].as_i64().unwrap_or(0);
        let task = serde_json::from_value(s["task"].clone()).unwrap_or(Task::Classification);
        let listed = |k: &str| s[k].as_array().map_or(0, Vec::len) as i64;
        About {
            name: name.to_string(),
            task,
            channels: n("channels"),
            height: n("height"),
            width: n("width"),
            outputs: match task {
                Task::Classification => listed("classes"),
                Task::Regression => listed("targets"),
            },
        }
    }

    fn task_name(&self) -> &'static str {
        match self.task {
            Task::Classification => "classification",
            Task::Regression => "regression",
        }
    }

    /// "2 classes", "1 target".
    fn outputs_text(&self) -> String {
        let (one, many) = match self.task {
            Task::Classification => ("class", "classes"),
            Task::Regression => ("target", "targets"),
        };
        let word = if self.outputs == 1 { one } else { many };
        format!("{} {word}", self.outputs)
    }

    /// "PneumoniaMNIST (1x28x28, classification, 2 classes)".
    pub fn text(&self) -> String {
        format!(
            "{} ({}x{}x{}, {}, {})",
            self.name,
            self.channels,
            self.height,
            self.width,
            self.task_name(),
            self.outputs_text()
        )
    }

    /// What a network searched on `self` rebuilds to train on `to`: "Rebuilt: the stem for 3
    /// input channels (it had 1)." or that only the data differ.
    pub fn rebuilt(&self, to: &About) -> String {
        let mut parts = vec![];
        if self.channels != to.channels {
            parts.push(format!(
                "the stem for {} input channel{} (it had {})",
                to.channels,
                if to.channels == 1 { "" } else { "s" },
                self.channels
            ));
        }
        if self.task != to.task {
            parts.push(format!(
                "the head for {} (the search did {})",
                to.task_name(),
                self.task_name()
            ));
        } else if self.outputs != to.outputs {
            parts.push(format!("the head for {}", to.outputs_text()));
        }
        match parts.is_empty() {
            true => "The cell, stem and head are as searched; only the data differ.".into(),
            false => format!("Rebuilt: {}.", parts.join("; ")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_sentence_names_what_was_rebuilt() {
        let digits = json!({"channels": 1, "height": 8, "width": 8, "task": "classification",
            "classes": [{"name": "0"}, {"name": "1"}, {"name": "2"}]});
        let mech = json!({"channels": 1, "height": 28, "width": 28, "task": "regression",
            "targets": [{"name": "psi"}]});
        let rgb = json!({"channels": 3, "height": 32, "width": 32, "task": "classification",
            "classes": [{"name": "a"}, {"name": "b"}, {"name": "c"}]});
        let two = json!({"channels": 1, "height": 8, "width": 8, "task": "classification",
            "classes": [{"name": "a"}, {"name": "b"}]});
        let d = About::from_summary("digits", &digits);
        let m = About::from_summary("Mechanical", &mech);
        assert_eq!(d.text(), "digits (1x8x8, classification, 3 classes)");
        assert_eq!(m.text(), "Mechanical (1x28x28, regression, 1 target)");
        assert_eq!(
            d.rebuilt(&m),
            "Rebuilt: the head for regression (the search did classification)."
        );
        assert_eq!(
            d.rebuilt(&About::from_summary("CIFAR", &rgb)),
            "Rebuilt: the stem for 3 input channels (it had 1)."
        );
        assert_eq!(
            d.rebuilt(&About::from_summary("two", &two)),
            "Rebuilt: the head for 2 classes."
        );
        assert!(d.rebuilt(&d).ends_with("only the data differ."));
    }
}
