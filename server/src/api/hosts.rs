//! Which hosts the server answers to and which origins are its own (the guard's rules against
//! DNS rebinding and cross-site requests, `guard`).
use axum::http::{header, HeaderMap};

/// The host names the server answers to, besides IP literals.
#[derive(Debug, Clone)]
pub struct Hosts {
    /// Lower-case names without a port: `localhost` and every `--allowed-host`.
    names: Vec<String>,
    /// The `--allowed-host` names alone (an origin naming one is the server's own).
    configured: Vec<String>,
}

impl Hosts {
    /// `allowed` is the comma-separated `--allowed-host` list (names, optionally with a port).
    pub fn new(allowed: &str) -> Result<Hosts, String> {
        let mut configured = vec![];
        for item in allowed.split(',').map(str::trim).filter(|s| !s.is_empty()) {
            let (name, _) = split_port(item);
            let name = name.to_ascii_lowercase();
            if name.is_empty()
                || !name
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "-.".contains(c))
            {
                return Err(format!(
                    "--allowed-host: '{item}' is not a host name (e.g. dartboard.example.org)"
                ));
            }
            configured.push(name);
        }
        let mut names = vec!["localhost".to_string()];
        names.extend(configured.iter().cloned());
        Ok(Hosts { names, configured })
    }

    /// Whether a `Host` header's value names this server.
    pub fn answers(&self, host: &str) -> bool {
        let (name, _) = split_port(host);
        let name = name.to_ascii_lowercase();
        is_ip_literal(&name) || self.names.contains(&name)
    }

    fn configured(&self, host: &str) -> bool {
        let (name, _) = split_port(host);
        self.configured.contains(&name.to_ascii_lowercase())
    }
}

/// `name:port` into its parts; `[v6]:port` keeps its brackets.
fn split_port(host: &str) -> (&str, Option<&str>) {
    if host.starts_with('[') {
        return match host.find(']') {
            Some(end) => (
                &host[..=end],
                host[end + 1..].strip_prefix(':').filter(|p| !p.is_empty()),
            ),
            None => (host, None),
        };
    }
    match host.rsplit_once(':') {
        Some((name, port)) if !name.contains(':') => (name, Some(port)),
        _ => (host, None),
    }
}

fn is_ip_literal(name: &str) -> bool {
    match name.strip_prefix('[').and_then(|n| n.strip_suffix(']')) {
        Some(v6) => v6.parse::<std::net::Ipv6Addr>().is_ok(),
        None => name.parse::<std::net::Ipv4Addr>().is_ok(),
    }
}

/// `scheme://authority` of an Origin or Referer value; None for `null` and anything else.
fn authority(url: &str) -> Option<&str> {
    let rest = url
        .strip_prefix("http://")
        .or_else(|| url.strip_prefix("https://"))?;
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    Some(&rest[..end]).filter(|a| !a.is_empty() && !a.contains('@'))
}

pub(crate) fn text(headers: &HeaderMap, name: header::HeaderName) -> Option<&str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

/// Why the request's origin is not the server's own; None when it is (or when no browser sent it).
pub fn foreign_origin(headers: &HeaderMap, hosts: &Hosts) -> Option<String> {
    let host = text(headers, header::HOST).unwrap_or("");
    let (what, value) = match (
        text(headers, header::ORIGIN),
        text(headers, header::REFERER),
    ) {
        (Some(o), _) => ("Origin", o),
        (None, Some(r)) => ("Referer", r),
        (None, None) => return None,
    };
    let own = authority(value).is_some_and(|a| a.eq_ignore_ascii_case(host) || hosts.configured(a));
    (!own).then(|| {
        format!("refused: this request comes from another site ({what}: {value}); Dartboard takes changes only from its own pages or from scripts")
    })
}
