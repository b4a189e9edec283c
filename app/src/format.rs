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
}
