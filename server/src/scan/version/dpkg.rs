//! Debian version order (`dpkg --compare-versions`): `[epoch:]upstream[-revision]`, compared part by
//! part with `~` before everything, letters before other characters, digit runs as numbers.

use std::cmp::Ordering;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DpkgVersion<'a> {
    epoch: u64,
    upstream: &'a str,
    revision: &'a str,
}

impl<'a> DpkgVersion<'a> {
    /// `None` for what dpkg itself refuses: an empty or non-numeric epoch, an upstream part that
    /// is empty or does not start with a digit, characters outside policy.
    pub fn parse(text: &'a str) -> Option<Self> {
        let text = text.trim();
        let (epoch, rest) = match text.split_once(':') {
            Some((e, rest)) if !e.is_empty() && e.bytes().all(|b| b.is_ascii_digit()) => (e.parse().ok()?, rest),
            Some(_) => return None,
            None => (0, text),
        };
        let (upstream, revision) = match rest.rsplit_once('-') {
            Some((u, r)) => (u, r),
            None => (rest, ""),
        };
        let upstream_ok = upstream.bytes().next().is_some_and(|b| b.is_ascii_digit())
            && upstream.bytes().all(|b| b.is_ascii_alphanumeric() || b".+~-:".contains(&b));
        let revision_ok = revision.bytes().all(|b| b.is_ascii_alphanumeric() || b".+~".contains(&b));
        (upstream_ok && revision_ok).then_some(Self { epoch, upstream, revision })
    }
}

impl Ord for DpkgVersion<'_> {
    fn cmp(&self, other: &Self) -> Ordering {
        self.epoch
            .cmp(&other.epoch)
            .then_with(|| compare_part(self.upstream, other.upstream))
            .then_with(|| compare_part(self.revision, other.revision))
    }
}

impl PartialOrd for DpkgVersion<'_> {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// Where a non-digit character sorts: `~` first, then the end of the string, letters, the rest.
fn order(c: Option<u8>) -> i32 {
    match c {
        None => 0,
        Some(b'~') => -1,
        Some(c) if c.is_ascii_digit() => 0,
        Some(c) if c.is_ascii_alphabetic() => i32::from(c),
        Some(c) => i32::from(c) + 256,
    }
}

fn compare_part(a: &str, b: &str) -> Ordering {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    let (mut i, mut j) = (0, 0);
    while i < a.len() || j < b.len() {
        // The non-digit prefix, character by character.
        while (i < a.len() && !a[i].is_ascii_digit()) || (j < b.len() && !b[j].is_ascii_digit()) {
            let (x, y) = (order(a.get(i).copied()), order(b.get(j).copied()));
            if x != y {
                return x.cmp(&y);
            }
            i += 1;
            j += 1;
        }
        // The digit run, as a number of any length.
        while a.get(i) == Some(&b'0') {
            i += 1;
        }
        while b.get(j) == Some(&b'0') {
            j += 1;
        }
        let (start_a, start_b) = (i, j);
        while a.get(i).is_some_and(u8::is_ascii_digit) {
            i += 1;
        }
        while b.get(j).is_some_and(u8::is_ascii_digit) {
            j += 1;
        }
        let (da, db) = (&a[start_a..i], &b[start_b..j]);
        match da.len().cmp(&db.len()).then_with(|| da.cmp(db)) {
            Ordering::Equal => {}
            other => return other,
        }
    }
    Ordering::Equal
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cmp(a: &str, b: &str) -> Ordering {
        DpkgVersion::parse(a).unwrap().cmp(&DpkgVersion::parse(b).unwrap())
    }

    #[test]
    fn policy_examples() {
        use Ordering::*;
        for (a, b, want) in [
            ("1.0", "1.0", Equal),
            ("1.0~rc1", "1.0", Less),
            ("1.0", "1.0+b1", Less),
            ("1.0-1", "1.0-1+b1", Less),
            ("2:1.0", "10.0", Greater),
            ("1.0-1", "1.0-0.1", Greater),
            ("1.10", "1.9", Greater),
            ("1.0a", "1.0+", Less),
            ("1.0~~", "1.0~", Less),
            ("1.0", "1.0-0", Equal),
            ("1.00010", "1.10", Equal),
            ("3.0.11-1~deb12u2", "3.0.11-1", Less),
            ("12345678901234567890", "12345678901234567891", Less),
        ] {
            assert_eq!(cmp(a, b), want, "{a} vs {b}");
        }
    }

    #[test]
    fn malformed_versions_are_refused() {
        for bad in ["", "a1.0", "1:", ":1.0", "x:1.0", "1.0 beta", "1.0-b@d"] {
            assert!(DpkgVersion::parse(bad).is_none(), "{bad:?}");
        }
    }
}
