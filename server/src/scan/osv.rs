//! OSV records (the canonical advisory format here) and the OSV rules for whether a version is
//! affected: `versions` lists, and `ECOSYSTEM` ranges (compared in the ecosystem's own version
//! order) or `SEMVER` ranges of `introduced`, `fixed`, `last_affected` and `limit` events.
//! `GIT` ranges name commits, which an image does not carry: they are not evaluated.

use std::cmp::Ordering;

use serde::Deserialize;

use super::version::Scheme;

#[derive(Clone, Debug, Deserialize)]
pub struct Record {
    pub id: String,
    pub modified: String,
    #[serde(default)]
    pub withdrawn: Option<String>,
    #[serde(default)]
    pub aliases: Vec<String>,
    #[serde(default)]
    pub summary: Option<String>,
    #[serde(default)]
    pub severity: Vec<SeverityScore>,
    #[serde(default)]
    pub affected: Vec<Affected>,
    #[serde(default)]
    pub database_specific: Option<serde_json::Value>,
}

/// A severity score: its `type` (`CVSS_V3`…) and the vector.
#[derive(Clone, Debug, Deserialize)]
pub struct SeverityScore {
    #[serde(rename = "type")]
    pub kind: String,
    pub score: String,
}

#[derive(Clone, Debug, Deserialize)]
pub struct Affected {
    pub package: Option<AffectedPackage>,
    #[serde(default)]
    pub ranges: Vec<Range>,
    #[serde(default)]
    pub versions: Vec<String>,
    #[serde(default)]
    pub severity: Vec<SeverityScore>,
    #[serde(default)]
    pub database_specific: Option<serde_json::Value>,
    #[serde(default)]
    pub ecosystem_specific: Option<serde_json::Value>,
}

#[derive(Clone, Debug, Deserialize)]
pub struct AffectedPackage {
    pub ecosystem: String,
    pub name: String,
}

#[derive(Clone, Debug, Deserialize)]
pub struct Range {
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(default)]
    pub events: Vec<Event>,
}

#[derive(Clone, Debug, Default, Deserialize)]
pub struct Event {
    pub introduced: Option<String>,
    pub fixed: Option<String>,
    pub last_affected: Option<String>,
    pub limit: Option<String>,
}

/// What the record says of one installed version.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Verdict {
    Affected {
        fixed: Option<String>,
    },
    NotAffected,
    /// A version (installed or in the record) this ecosystem's order cannot read.
    Unknown,
}

impl Affected {
    pub fn verdict(&self, version: &str, scheme: Scheme) -> Verdict {
        let listed = |v: &String| v == version || (scheme == Scheme::Semver && scheme.compare(v, version).is_some_and(Ordering::is_eq));
        if self.versions.iter().any(listed) {
            return Verdict::Affected { fixed: None };
        }
        let mut unknown = false;
        for range in &self.ranges {
            let scheme = match range.kind.as_str() {
                "ECOSYSTEM" => scheme,
                "SEMVER" => Scheme::Semver,
                _ => continue,
            };
            match range_verdict(&range.events, version, scheme) {
                Some(Verdict::NotAffected) => {}
                Some(found) => return found,
                None => unknown = true,
            }
        }
        if unknown { Verdict::Unknown } else { Verdict::NotAffected }
    }
}

/// `None` when some version cannot be compared.
fn range_verdict(events: &[Event], version: &str, scheme: Scheme) -> Option<Verdict> {
    fn at(e: &Event) -> &str {
        e.introduced
            .as_deref()
            .or(e.fixed.as_deref())
            .or(e.last_affected.as_deref())
            .or(e.limit.as_deref())
            .unwrap_or("")
    }
    let compare = |a: &str, b: &str| -> Option<Ordering> {
        match (a, b) {
            ("0", "0") => Some(Ordering::Equal),
            ("0", _) => Some(Ordering::Less),
            (_, "0") => Some(Ordering::Greater),
            _ => scheme.compare(a, b),
        }
    };
    let mut sorted: Vec<&Event> = events.iter().collect();
    // Every event version must be readable, and so must the installed one.
    for e in &sorted {
        compare(at(e), version)?;
    }
    sorted.sort_by(|a, b| compare(at(a), at(b)).unwrap_or(Ordering::Equal));
    let limits: Vec<&str> = sorted.iter().filter_map(|e| e.limit.as_deref()).collect();
    if !limits.is_empty() && limits.iter().all(|l| compare(version, l) != Some(Ordering::Less)) {
        return Some(Verdict::NotAffected);
    }
    let mut affected = false;
    let mut fixed = None;
    for e in &sorted {
        if let Some(introduced) = &e.introduced {
            if compare(version, introduced)? != Ordering::Less {
                affected = true;
                fixed = None;
            }
        } else if let Some(f) = &e.fixed {
            if compare(version, f)? != Ordering::Less {
                affected = false;
            } else if affected && fixed.is_none() {
                fixed = Some(f.clone());
            }
        } else if let Some(last) = &e.last_affected
            && compare(version, last)? == Ordering::Greater
        {
            affected = false;
        }
    }
    Some(if affected { Verdict::Affected { fixed } } else { Verdict::NotAffected })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn affected(events: &str) -> Affected {
        serde_json::from_str(&format!(
            r#"{{"package":{{"ecosystem":"Debian:12","name":"openssl"}},"ranges":[{{"type":"ECOSYSTEM","events":{events}}}]}}"#
        ))
        .unwrap()
    }

    #[test]
    fn osv_range_rules() {
        let a = affected(r#"[{"introduced":"0"},{"fixed":"3.0.11-1~deb12u2"}]"#);
        assert_eq!(
            a.verdict("3.0.11-1~deb12u1", Scheme::Dpkg),
            Verdict::Affected { fixed: Some("3.0.11-1~deb12u2".into()) }
        );
        assert_eq!(a.verdict("3.0.11-1~deb12u2", Scheme::Dpkg), Verdict::NotAffected);
        assert_eq!(a.verdict("3.0.11-1", Scheme::Dpkg), Verdict::NotAffected, "~deb12u2 sorts before the release");
        let last = affected(r#"[{"introduced":"1.0"},{"last_affected":"1.5"}]"#);
        assert_eq!(last.verdict("1.5", Scheme::Dpkg), Verdict::Affected { fixed: None });
        assert_eq!(last.verdict("1.6", Scheme::Dpkg), Verdict::NotAffected);
        assert_eq!(last.verdict("0.9", Scheme::Dpkg), Verdict::NotAffected);
        let two = affected(r#"[{"introduced":"1.0"},{"fixed":"1.2"},{"introduced":"2.0"},{"fixed":"2.3"}]"#);
        assert_eq!(two.verdict("1.5", Scheme::Dpkg), Verdict::NotAffected);
        assert_eq!(two.verdict("2.1", Scheme::Dpkg), Verdict::Affected { fixed: Some("2.3".into()) });
        assert_eq!(
            two.verdict("not a version", Scheme::Dpkg),
            Verdict::Unknown,
            "unparseable is unknown, not vulnerable"
        );
        let limited = affected(r#"[{"introduced":"0"},{"limit":"2.0"}]"#);
        assert_eq!(limited.verdict("2.1", Scheme::Dpkg), Verdict::NotAffected);
        assert_eq!(limited.verdict("1.1", Scheme::Dpkg), Verdict::Affected { fixed: None });
        let go: Affected = serde_json::from_str(
            r#"{"package":{"ecosystem":"Go","name":"golang.org/x/net"},"ranges":[{"type":"SEMVER","events":[{"introduced":"0"},{"fixed":"0.17.0"}]}]}"#,
        )
        .unwrap();
        assert_eq!(go.verdict("v0.16.0", Scheme::Semver), Verdict::Affected { fixed: Some("0.17.0".into()) });
        assert_eq!(go.verdict("v0.17.0", Scheme::Semver), Verdict::NotAffected);
        assert_eq!(go.verdict("(devel)", Scheme::Semver), Verdict::Unknown);
        let apk = affected(r#"[{"introduced":"0"},{"fixed":"1.1.1l-r8"}]"#);
        assert_eq!(apk.verdict("1.1.1l-r7", Scheme::Apk), Verdict::Affected { fixed: Some("1.1.1l-r8".into()) });
    }
}
