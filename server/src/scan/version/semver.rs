//! Semantic Versioning 2.0 precedence, as npm, Go modules (with their `v`) and crates.io use it:
//! `MAJOR.MINOR.PATCH[-pre.release][+build]`; build metadata (Go's `+incompatible`) is ignored.

use std::cmp::Ordering;

use super::numeric_cmp;

#[derive(Debug, PartialEq, Eq)]
pub struct Semver<'a> {
    core: [&'a str; 3],
    pre: Vec<&'a str>,
}

impl<'a> Semver<'a> {
    pub fn parse(text: &'a str) -> Option<Self> {
        let text = text.trim();
        let text = text.strip_prefix('v').unwrap_or(text);
        let text = text.split_once('+').map_or(text, |(v, _)| v);
        let (core, pre) = match text.split_once('-') {
            Some((core, pre)) => (core, pre.split('.').collect::<Vec<_>>()),
            None => (text, Vec::new()),
        };
        let mut parts = core.split('.');
        let mut numbers = ["0"; 3];
        for (i, slot) in numbers.iter_mut().enumerate() {
            match parts.next() {
                Some(p) if !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()) => *slot = p,
                // `1.2` is read as `1.2.0` (many ecosystems' ranges say it so); `1..2` is not a version.
                None if i > 0 => break,
                _ => return None,
            }
        }
        let valid_identifier = |id: &&str| !id.is_empty() && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-');
        if parts.next().is_some() || !pre.iter().all(valid_identifier) {
            return None;
        }
        Some(Self { core: numbers, pre })
    }
}

impl Ord for Semver<'_> {
    fn cmp(&self, other: &Self) -> Ordering {
        for (a, b) in self.core.iter().zip(&other.core) {
            match numeric_cmp(a, b) {
                Ordering::Equal => {}
                order => return order,
            }
        }
        match (self.pre.is_empty(), other.pre.is_empty()) {
            (true, true) => return Ordering::Equal,
            (true, false) => return Ordering::Greater,
            (false, true) => return Ordering::Less,
            _ => {}
        }
        for (a, b) in self.pre.iter().zip(&other.pre) {
            let numeric = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
            let order = match (numeric(a), numeric(b)) {
                (true, true) => numeric_cmp(a, b),
                (true, false) => Ordering::Less,
                (false, true) => Ordering::Greater,
                (false, false) => a.cmp(b),
            };
            if order != Ordering::Equal {
                return order;
            }
        }
        self.pre.len().cmp(&other.pre.len())
    }
}

impl PartialOrd for Semver<'_> {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn precedence_from_the_specification() {
        let ordered = [
            "1.0.0-alpha",
            "1.0.0-alpha.1",
            "1.0.0-alpha.beta",
            "1.0.0-beta",
            "1.0.0-beta.2",
            "1.0.0-beta.11",
            "1.0.0-rc.1",
            "1.0.0",
            "1.0.1",
            "1.1.0",
            "2.0.0",
            "10.0.0",
        ];
        for pair in ordered.windows(2) {
            assert!(Semver::parse(pair[0]).unwrap() < Semver::parse(pair[1]).unwrap(), "{pair:?}");
        }
        assert_eq!(Semver::parse("v1.2.3+incompatible"), Semver::parse("1.2.3"));
        assert!(
            Semver::parse("v0.0.0-20230101120000-abcdef123456").unwrap()
                < Semver::parse("v0.0.0-20240101120000-abcdef123456").unwrap()
        );
        assert_eq!(Semver::parse("1.2"), Semver::parse("1.2.0"));
        for bad in ["", "one", "1..2", "1.2.3.4", "1.2.3-", "1.2.3-a..b", "-1.0.0"] {
            assert!(Semver::parse(bad).is_none(), "{bad}");
        }
    }
}
