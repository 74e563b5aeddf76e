//! The options a command was given, by name: clap (`cli.rs`) fills it from what it matched, and
//! this small `--key value` parser reads the flags clap leaves to the engine (names that are no
//! config key, which the engine's validation reports all at once).
use anyhow::{anyhow, bail, Result};
use std::collections::BTreeMap;

#[derive(Debug, Default)]
pub struct Args {
    values: BTreeMap<String, String>,
    flags: Vec<String>,
}

impl Args {
    /// `switches` are the options that take no value.
    pub fn parse(raw: &[String], switches: &[&str]) -> Result<Self> {
        let mut args = Args::default();
        let mut it = raw.iter();
        while let Some(arg) = it.next() {
            let Some(name) = arg.strip_prefix("--") else {
                bail!("unexpected argument '{arg}' (options look like --name VALUE)")
            };
            let (name, inline) = match name.split_once('=') {
                Some((n, v)) => (n, Some(v.to_string())),
                None => (name, None),
            };
            if switches.contains(&name) {
                args.flags.push(name.to_string());
                continue;
            }
            let value = match inline {
                Some(v) => v,
                None => it
                    .next()
                    .cloned()
                    .ok_or_else(|| anyhow!("--{name} needs a value"))?,
            };
            if args.values.insert(name.to_string(), value).is_some() {
                bail!("--{name} given twice");
            }
        }
        Ok(args)
    }

    /// Adds a value given positionally.
    pub fn insert(&mut self, name: &str, value: String) -> Result<()> {
        if self.values.insert(name.to_string(), value).is_some() {
            bail!("--{name} given twice");
        }
        Ok(())
    }

    pub fn set_flag(&mut self, name: &str) {
        self.flags.push(name.to_string());
    }

    /// Adds another parse's options and switches.
    pub fn merge(&mut self, other: Args) -> Result<()> {
        for (k, v) in other.values {
            self.insert(&k, v)?;
        }
        self.flags.extend(other.flags);
        Ok(())
    }

    pub fn flag(&self, name: &str) -> bool {
        self.flags.iter().any(|f| f == name)
    }

    pub fn take(&mut self, name: &str) -> Option<String> {
        self.values.remove(name)
    }

    pub fn require(&mut self, name: &str) -> Result<String> {
        self.take(name)
            .ok_or_else(|| anyhow!("--{name} is required"))
    }

    /// A value left in place for whoever takes it later.
    pub fn peek(&self, name: &str) -> Option<&String> {
        self.values.get(name)
    }

    /// A number that may be absent.
    pub fn optional<T: std::str::FromStr>(&mut self, name: &str) -> Result<Option<T>> {
        self.take(name)
            .map(|v| {
                v.parse()
                    .map_err(|_| anyhow!("--{name}: '{v}' is not a valid number"))
            })
            .transpose()
    }

    pub fn number<T: std::str::FromStr>(&mut self, name: &str, default: T) -> Result<T> {
        match self.take(name) {
            None => Ok(default),
            Some(v) => v
                .parse()
                .map_err(|_| anyhow!("--{name}: '{v}' is not a valid number")),
        }
    }

    /// The options nobody took, for commands that accept no others.
    pub fn reject_rest(&self) -> Result<()> {
        match self.values.keys().next() {
            Some(k) => bail!("unknown option --{k}"),
            None => Ok(()),
        }
    }

    /// Everything left, for config keys (`--init-channels` becomes `init_channels`).
    pub fn into_rest(self) -> BTreeMap<String, String> {
        self.values
            .into_iter()
            .map(|(k, v)| (k.replace('-', "_"), v))
            .collect()
    }
}
