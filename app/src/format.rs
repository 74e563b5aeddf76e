//! Numbers and times as the pages print them, the same on the server and in the browser.

/// Unix seconds as "YYYY-MM-DD HH:MM" UTC (days-to-civil, H. Hinnant's algorithm).
pub fn utc(seconds: f64) -> String {
    let secs = seconds.max(0.0) as i64;
    let (days, rem) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}-{m:02}-{d:02} {:02}:{:02}",
        rem / 3600,
        rem % 3600 / 60
    )
}

/// A message as a sentence: its first letter capitalised, ending in a full stop.
pub fn sentence_case(message: &str) -> String {
    let m = message.trim().trim_end_matches('.');
    let mut chars = m.chars();
    match chars.next() {
        Some(first) => format!("{}{}.", first.to_uppercase(), chars.as_str()),
        None => String::new(),
    }
}

/// Seconds as "42 s", "3 min 5 s" or "2 h 4 min".
pub fn duration(seconds: f64) -> String {
    let s = seconds.max(0.0).round() as i64;
    match s {
        0..=59 => format!("{s} s"),
        60..=3599 => format!("{} min {} s", s / 60, s % 60),
        _ => format!("{} h {} min", s / 3600, s % 3600 / 60),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utc_matches_known_dates() {
        // `date -u -d @1795474793 '+%Y-%m-%d %H:%M'` prints 2026-11-23 22:59.
        assert_eq!(utc(1_795_474_793.2), "2026-11-23 22:59");
        assert_eq!(utc(0.0), "1970-01-01 00:00");
        // 2024-02-29 12:00:00 UTC, a leap day.
        assert_eq!(utc(1_709_208_000.0), "2024-02-29 12:00");
    }

    #[test]
    fn durations_read_naturally() {
        assert_eq!(duration(42.4), "42 s");
        assert_eq!(duration(185.0), "3 min 5 s");
        assert_eq!(duration(7440.0), "2 h 4 min");
    }
}
