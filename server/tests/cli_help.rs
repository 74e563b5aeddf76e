//! The command line as a newcomer meets it: every subcommand answers `--help` (on stdout, exit
//! 0) with its options, the config keys come with their meaning and each preset's default, a
//! mistyped option gets a suggestion, and `completions` prints a script for each shell.
mod common;

use common::dartboard;

const SUBCOMMANDS: [&str; 12] = [
    "serve",
    "worker",
    "estimate",
    "search",
    "train",
    "baseline",
    "pipeline",
    "predict",
    "params",
    "bench",
    "data",
    "completions",
];

#[test]
fn every_subcommand_answers_help() {
    for sub in SUBCOMMANDS {
        let r = dartboard(&[sub, "--help"]);
        let out = String::from_utf8_lossy(&r.stdout);
        assert!(
            r.status.success(),
            "{sub} --help failed: {}",
            String::from_utf8_lossy(&r.stderr)
        );
        assert!(out.contains("Usage: dartboard"), "{sub}: {out}");
    }
    let top = dartboard(&["--help"]);
    let out = String::from_utf8_lossy(&top.stdout);
    for sub in SUBCOMMANDS {
        assert!(out.contains(sub), "{sub} missing from the overview: {out}");
    }
    let search = String::from_utf8_lossy(&dartboard(&["search", "--help"]).stdout).to_string();
    // A key's meaning, allowed values and the presets' defaults (engine/src/config presets).
    assert!(search.contains("--epochs <VALUE>"), "{search}");
    assert!(
        search.contains("tiny 1, quick 5, default 50, darts-paper 50"),
        "{search}"
    );
    assert!(search.contains("one of darts, pc-darts, gdas"), "{search}");
    let serve = String::from_utf8_lossy(&dartboard(&["serve", "--help"]).stdout).to_string();
    assert!(
        serve.contains("--slurm-gres <GRES>") && serve.contains("--database <URL>"),
        "{serve}"
    );
}

#[test]
fn mistyped_options_get_a_suggestion() {
    // A config key: the engine names it with the closest key.
    let out = common::scratch("cli-help-typo");
    let r = dartboard(&[
        "search",
        "--data",
        &common::sample(),
        "--epoch",
        "3",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(r.status.code(), Some(1));
    let err = String::from_utf8_lossy(&r.stderr);
    assert!(
        err.contains("epoch") && err.contains("did you mean epochs"),
        "{err}"
    );
    // Any other option: clap's suggestion.
    let r = dartboard(&["serve", "--add", "127.0.0.1:0"]);
    assert_eq!(r.status.code(), Some(1));
    let err = String::from_utf8_lossy(&r.stderr);
    assert!(err.contains("--addr"), "{err}");
}

#[test]
fn completions_for_each_shell() {
    for (shell, marker) in [
        ("bash", "complete -F"),
        ("zsh", "#compdef dartboard"),
        ("fish", "complete -c dartboard"),
    ] {
        let r = dartboard(&["completions", shell]);
        assert!(r.status.success(), "{shell}");
        let script = String::from_utf8_lossy(&r.stdout);
        assert!(script.contains(marker), "{shell}: {script}");
        assert!(
            script.contains("init-channels"),
            "{shell} completes the config keys"
        );
    }
    assert!(!dartboard(&["completions", "powershell"]).status.success());
}
