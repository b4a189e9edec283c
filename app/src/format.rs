//! How sizes, digests, times and query values read, the same in the browser, the pages and the CLI.

/// Decimal units, as Docker Hub and `docker images` show sizes.
pub fn human_size(bytes: u64) -> String {
    const UNITS: [&str; 5] = ["B", "kB", "MB", "GB", "TB"];
    let mut value = bytes as f64;
    let mut unit = 0;
    while value >= 1000.0 && unit < UNITS.len() - 1 {
        value /= 1000.0;
        unit += 1;
    }
    if unit == 0 { format!("{bytes} B") } else { format!("{value:.1} {}", UNITS[unit]) }
}

/// The first 12 hex digits, as `docker images` shows IDs.
pub fn short_digest(digest: &str) -> &str {
    let hex = digest.split_once(':').map_or(digest, |(_, h)| h);
    &hex[..hex.len().min(12)]
}

/// `2024-05-06T07:08:09.123Z` → `2024-05-06 07:08 UTC`; other text is shown as it is.
pub fn timestamp(rfc3339: &str) -> String {
    let b = rfc3339.as_bytes();
    let shaped = b.len() >= 16 && b[4] == b'-' && b[7] == b'-' && (b[10] == b'T' || b[10] == b' ') && b[13] == b':';
    if !shaped {
        return rfc3339.to_string();
    }
    let zone = if rfc3339.ends_with('Z') || rfc3339.ends_with("+00:00") {
        " UTC".to_string()
    } else {
        rfc3339.get(rfc3339.len().saturating_sub(6)..).map(|z| format!(" {z}")).unwrap_or_default()
    };
    format!("{} {}{zone}", &rfc3339[..10], &rfc3339[11..16])
}

/// Seconds since the Unix epoch for an RFC 3339 time (`2024-05-06T07:08:09.5+02:00`); `None` for
/// anything else. Pure arithmetic, so the browser (wasm) computes ages the way the server does.
pub fn unix_seconds(rfc3339: &str) -> Option<i64> {
    let b = rfc3339.as_bytes();
    let digits = |range: std::ops::Range<usize>| -> Option<i64> {
        let part = rfc3339.get(range)?;
        (!part.is_empty() && part.bytes().all(|c| c.is_ascii_digit())).then(|| part.parse().ok())?
    };
    if b.len() < 20
        || b[4] != b'-'
        || b[7] != b'-'
        || !matches!(b[10], b'T' | b't' | b' ')
        || b[13] != b':'
        || b[16] != b':'
    {
        return None;
    }
    let (year, month, day) = (digits(0..4)?, digits(5..7)?, digits(8..10)?);
    let (hour, minute, second) = (digits(11..13)?, digits(14..16)?, digits(17..19)?);
    if !(1..=12).contains(&month) || !(1..=31).contains(&day) || hour > 23 || minute > 59 || second > 60 {
        return None;
    }
    let mut rest = &rfc3339[19..];
    if let Some(fraction) = rest.strip_prefix('.') {
        let end = fraction.find(|c: char| !c.is_ascii_digit()).unwrap_or(fraction.len());
        rest = &fraction[end..];
    }
    let offset = match rest {
        "Z" | "z" => 0,
        _ if rest.len() == 6
            && rest.is_ascii()
            && (rest.starts_with('+') || rest.starts_with('-'))
            && &rest[3..4] == ":" =>
        {
            let part = |r: std::ops::Range<usize>| rest[r].parse::<i64>().ok();
            let seconds = (part(1..3)? * 60 + part(4..6)?) * 60;
            if rest.starts_with('-') { -seconds } else { seconds }
        }
        _ => return None,
    };
    // Days from 1970-01-01 to the civil date (Howard Hinnant's days_from_civil).
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    Some(days * 86_400 + hour * 3_600 + minute * 60 + second - offset)
}

/// Now, in seconds since the Unix epoch, on the server and in the browser.
pub fn now_unix() -> i64 {
    #[cfg(target_arch = "wasm32")]
    {
        (js_sys::Date::now() / 1000.0) as i64
    }
    #[cfg(not(target_arch = "wasm32"))]
    {
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs() as i64)
    }
}

/// `1 repository`, `2 repositories`, `0 manifests`: a count with its noun, singular only for one.
pub fn counted(n: u64, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// `5 minutes ago`, `1 day ago`, `3 months ago`, as badges and pages say how old something is.
pub fn relative_age(seconds: i64) -> String {
    const MINUTE: i64 = 60;
    const HOUR: i64 = 60 * MINUTE;
    const DAY: i64 = 24 * HOUR;
    let (n, unit) = match seconds.max(0) {
        s if s < MINUTE => return "just now".to_string(),
        s if s < HOUR => (s / MINUTE, "minute"),
        s if s < DAY => (s / HOUR, "hour"),
        s if s < 30 * DAY => (s / DAY, "day"),
        s if s < 365 * DAY => (s / (30 * DAY), "month"),
        s => (s / (365 * DAY), "year"),
    };
    format!("{n} {unit}{} ago", if n == 1 { "" } else { "s" })
}

/// Escapes a query value, keeping the characters references are made of (`/ : @`) readable.
pub fn query_escape(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for byte in value.trim().bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' | b'/' | b':' | b'@' => {
                out.push(byte as char)
            }
            _ => out.push_str(&format!("%{byte:02X}")),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_digests_and_times() {
        assert_eq!(human_size(999), "999 B");
        assert_eq!(human_size(3_623_807), "3.6 MB");
        assert_eq!(human_size(1_500_000_000), "1.5 GB");
        assert_eq!(short_digest("sha256:0123456789abcdef"), "0123456789ab");
        assert_eq!(timestamp("2024-05-06T07:08:09.123456789Z"), "2024-05-06 07:08 UTC");
        assert_eq!(timestamp("2024-05-06T07:08:09+02:00"), "2024-05-06 07:08 +02:00");
        assert_eq!(timestamp("yesterday"), "yesterday");
    }

    #[test]
    fn query_values_keep_reference_characters_and_escape_the_rest() {
        assert_eq!(query_escape(" ghcr.io/o/r@sha256:ab "), "ghcr.io/o/r@sha256:ab");
        assert_eq!(query_escape("a b&c#d+é"), "a%20b%26c%23d%2B%C3%A9");
    }

    #[test]
    fn rfc3339_times_to_unix_seconds() {
        assert_eq!(unix_seconds("1970-01-01T00:00:00Z"), Some(0));
        assert_eq!(unix_seconds("2024-05-06T07:08:09.123456789Z"), Some(1_714_979_289));
        assert_eq!(unix_seconds("2024-05-06T09:08:09+02:00"), Some(1_714_979_289));
        assert_eq!(unix_seconds("2024-05-06T02:08:09-05:00"), Some(1_714_979_289));
        assert_eq!(unix_seconds("2000-02-29T00:00:00Z"), Some(951_782_400));
        assert_eq!(unix_seconds("yesterday"), None);
        assert_eq!(unix_seconds("2024-13-06T07:08:09Z"), None);
        assert_eq!(unix_seconds("2024-05-06T07:08:09"), None);
    }

    #[test]
    fn counts_take_the_singular_only_for_one() {
        assert_eq!(counted(0, "repository", "repositories"), "0 repositories");
        assert_eq!(counted(1, "repository", "repositories"), "1 repository");
        assert_eq!(counted(2, "manifest", "manifests"), "2 manifests");
    }

    #[test]
    fn ages_read_like_people_say_them() {
        assert_eq!(relative_age(5), "just now");
        assert_eq!(relative_age(60), "1 minute ago");
        assert_eq!(relative_age(7_200), "2 hours ago");
        assert_eq!(relative_age(86_400), "1 day ago");
        assert_eq!(relative_age(45 * 86_400), "1 month ago");
        assert_eq!(relative_age(800 * 86_400), "2 years ago");
    }
}
