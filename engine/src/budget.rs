//! A study's time budget: wall-clock seconds on the run's device for everything one seed of a
//! study does (the search, every training, the baselines), and the rule that splits it.
//!
//! The rule: the search gets `SEARCH_SHARE` of the budget (its epochs planned from its first);
//! random search's sampling gets the seconds the search took (equal compute); what is left is
//! shared equally between the trainings still to run, worked out again before each, so that
//! one that ends early on a plateau leaves its time to the next. Of a training's share its
//! epochs may take `FIT_SHARE`; the rest pays for what follows them (precise BN, the test pass,
//! the latency measurement and the export).
use crate::config::Preset;
use std::time::Instant;

pub const SEARCH_SHARE: f64 = 0.2;
pub const FIT_SHARE: f64 = 0.85;
/// The least a training is given, whatever is left.
pub const MIN_TRAINING_SECONDS: f64 = 5.0;

impl Preset {
    /// The study budget a preset stands for (seconds per seed); none: its epochs decide.
    pub fn study_seconds(self) -> Option<f64> {
        match self {
            // The default budget: a whole study of one seed in 15 minutes of 2 CPU cores on
            // 28x28 images.
            Preset::Quick => Some(900.0),
            Preset::Default => Some(3600.0),
            Preset::Tiny | Preset::DartsPaper => None,
        }
    }
}

/// The epochs a run with `seconds` plans after `done` epochs that took `elapsed` seconds in
/// all, the last of them `last`: those done and as many more of `last`'s length as fit, at least
/// `done`, at most `max`. Runs plan after their first epoch and again after their second: the
/// first carries the warm-up (a quick search's first epoch took 4.3 s, the next ones 2.9 s, and a
/// plan on the first alone used two thirds of its seconds).
pub fn plan_epochs(
    seconds: Option<f64>,
    max: usize,
    done: usize,
    elapsed: f64,
    last: f64,
) -> usize {
    match seconds {
        Some(s) if last > 0.0 => {
            let more = ((s - elapsed) / last).floor().max(0.0) as usize;
            (done + more).clamp(done.max(1), max.max(1))
        }
        _ => max,
    }
}

/// Each training's seconds when the trainings are queued at once after the search (the
/// server's studies, whose runs may go to several workers): the budget less the search and, when
/// random search samples, the search's seconds again, shared equally, `FIT_SHARE` of each.
pub fn training_share(budget: f64, search_seconds: f64, trainings: usize, random: bool) -> f64 {
    let left = budget - search_seconds * if random { 2.0 } else { 1.0 };
    (left / trainings.max(1) as f64 * FIT_SHARE).max(MIN_TRAINING_SECONDS)
}

/// Parses a budget: `15m`, `90s`, `1.5h`, or a bare number of minutes.
pub fn parse(text: &str) -> Result<f64, String> {
    let t = text.trim();
    let (number, unit) = match t.char_indices().last() {
        Some((i, 's')) => (&t[..i], 1.0),
        Some((i, 'm')) => (&t[..i], 60.0),
        Some((i, 'h')) => (&t[..i], 3600.0),
        _ => (t, 60.0),
    };
    match number.trim().parse::<f64>() {
        Ok(v) if v.is_finite() && v > 0.0 && v * unit <= 30.0 * 24.0 * 3600.0 => Ok(v * unit),
        Ok(_) => Err(format!(
            "budget '{text}' is out of range: give more than 0 and at most 30 days (e.g. 15m)"
        )),
        Err(_) => Err(format!(
            "budget '{text}' is not a time: use minutes (15m or 15), seconds (90s) or hours (1.5h)"
        )),
    }
}

/// One seed's budget as it is spent.
#[derive(Debug)]
pub struct Plan {
    pub seconds: f64,
    started: Instant,
    trainings_left: usize,
}

impl Plan {
    /// A budget of `seconds` for a search followed by `trainings` trainings.
    pub fn new(seconds: f64, trainings: usize) -> Plan {
        Plan {
            seconds,
            started: Instant::now(),
            trainings_left: trainings,
        }
    }

    pub fn search_seconds(&self) -> f64 {
        self.seconds * SEARCH_SHARE
    }

    pub fn elapsed(&self) -> f64 {
        self.started.elapsed().as_secs_f64()
    }

    /// The seconds the next training's epochs may take, keeping `reserved` seconds for what
    /// is not a training (random search's sampling).
    pub fn next_training(&mut self, reserved: f64) -> f64 {
        let left = self.trainings_left.max(1) as f64;
        self.trainings_left = self.trainings_left.saturating_sub(1);
        let share = (self.seconds - self.elapsed() - reserved) / left;
        (share * FIT_SHARE).max(MIN_TRAINING_SECONDS)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn budgets_parse_with_units_and_refuse_nonsense() {
        assert_eq!(parse("15m"), Ok(900.0));
        assert_eq!(parse("90s"), Ok(90.0));
        assert_eq!(parse("1.5h"), Ok(5400.0));
        assert_eq!(parse("2"), Ok(120.0));
        assert!(parse("0m").unwrap_err().contains("out of range"));
        assert!(parse("soon").unwrap_err().contains("not a time"));
        assert!(parse("-3m").is_err());
    }

    #[test]
    fn epochs_are_planned_from_the_first_and_again_from_the_second() {
        // 4.3 s of warm-up in the first: 180 / 4.3 = 41 planned.
        assert_eq!(plan_epochs(Some(180.0), 100, 1, 4.3, 4.3), 41);
        // The second took 2.9 s: 2 + (180 - 7.2) / 2.9 = 61.
        assert_eq!(plan_epochs(Some(180.0), 100, 2, 7.2, 2.9), 61);
        assert_eq!(plan_epochs(Some(180.0), 50, 2, 7.2, 2.9), 50);
        // Past its seconds already: what is done.
        assert_eq!(plan_epochs(Some(10.0), 100, 2, 12.0, 6.0), 2);
        assert_eq!(plan_epochs(None, 7, 1, 1.0, 1.0), 7);
    }

    #[test]
    fn queued_trainings_share_the_budget_statically() {
        // 900 s, a 180 s search, random sampling 180 s more, 5 trainings: 108 s each, 85%.
        assert!((training_share(900.0, 180.0, 5, true) - 91.8).abs() < 1e-9);
        assert!((training_share(900.0, 180.0, 3, false) - 204.0).abs() < 1e-9);
        assert_eq!(training_share(100.0, 90.0, 5, true), MIN_TRAINING_SECONDS);
    }

    #[test]
    fn the_trainings_share_what_is_left() {
        let mut p = Plan::new(1000.0, 5);
        assert_eq!(p.search_seconds(), 200.0);
        // Nothing spent yet, 200 s kept for sampling: 800 / 5 each, 85% of it for the epochs.
        let first = p.next_training(200.0);
        assert!((first - 160.0 * FIT_SHARE).abs() < 0.5, "{first}");
        let second = p.next_training(0.0);
        assert!((second - 250.0 * FIT_SHARE).abs() < 0.5, "{second}");
    }
}
