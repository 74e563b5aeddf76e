//! Slows down guessing: a client (by address) whose admin token or login failed `FREE` times
//! within `WINDOW` is refused (429 with Retry-After) until the window has passed, whatever it
//! sends. The table of clients is bounded, so no flood of addresses grows it past `CLIENTS`.
use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Failures allowed per window.
pub const FREE: u32 = 5;
pub const WINDOW: Duration = Duration::from_secs(60);
const CLIENTS: usize = 4096;

#[derive(Default)]
pub struct Throttle {
    failures: Mutex<HashMap<IpAddr, (Instant, u32)>>,
}

impl Throttle {
    fn map(&self) -> std::sync::MutexGuard<'_, HashMap<IpAddr, (Instant, u32)>> {
        match self.failures.lock() {
            Ok(m) => m,
            Err(poisoned) => poisoned.into_inner(),
        }
    }

    /// Seconds the client must wait before it may try again; None when it may try now.
    pub fn wait(&self, client: IpAddr) -> Option<u64> {
        let map = self.map();
        let (start, count) = map.get(&client)?;
        let left = WINDOW.checked_sub(start.elapsed())?;
        (*count >= FREE).then(|| left.as_secs().max(1))
    }

    pub fn failed(&self, client: IpAddr) {
        let mut map = self.map();
        if map.len() >= CLIENTS && !map.contains_key(&client) {
            map.retain(|_, (start, _)| start.elapsed() < WINDOW);
            if map.len() >= CLIENTS {
                // Still full of live windows: the oldest one goes.
                if let Some(oldest) = map.iter().min_by_key(|(_, (s, _))| *s).map(|(k, _)| *k) {
                    map.remove(&oldest);
                }
            }
        }
        let entry = map.entry(client).or_insert((Instant::now(), 0));
        if entry.0.elapsed() >= WINDOW {
            *entry = (Instant::now(), 0);
        }
        entry.1 += 1;
    }

    pub fn succeeded(&self, client: IpAddr) {
        self.map().remove(&client);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_after_free_failures_and_is_bounded() {
        let t = Throttle::default();
        let a: IpAddr = "10.0.0.1".parse().unwrap();
        for _ in 0..FREE - 1 {
            t.failed(a);
        }
        assert_eq!(t.wait(a), None);
        t.failed(a);
        let wait = t.wait(a).unwrap();
        assert!((1..=60).contains(&wait), "{wait}");
        t.succeeded(a);
        assert_eq!(t.wait(a), None);
        for i in 0..(CLIENTS as u32 + 100) {
            t.failed(IpAddr::from(std::net::Ipv4Addr::from(i)));
        }
        assert!(t.map().len() <= CLIENTS);
    }
}
