//! Which stored advisories apply to the packages found: Debian and Alpine packages are matched on
//! their source package and source version (advisories name sources, and a binNMU `+b1` rebuild
//! is the same source) within the OS release's OSV ecosystem (`Debian:12`), rpm packages on their
//! own name and EVR within theirs (`Rocky Linux:9`), language packages on their name and version
//! within their ecosystem (`npm`, `PyPI`, `Go`…). One finding per CVE (or advisory without one)
//! and package, its other IDs as aliases.

use std::collections::BTreeMap;

use app::severity::Severity;
use serde::{Deserialize, Serialize};

use super::os::OsRelease;
use super::osv::{Record, Verdict};
use super::packages::{Package, advisory_key};
use crate::store::{SharedStore, StoreError};

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Finding {
    /// The CVE when the advisory names one, else the advisory's own ID.
    pub id: String,
    pub aliases: Vec<String>,
    /// The package's ecosystem as reports name it (`Debian`, `npm`…); empty in scans stored before.
    #[serde(default)]
    pub ecosystem: String,
    pub package: String,
    pub version: String,
    pub source_name: String,
    pub fixed_version: Option<String>,
    pub severity: Severity,
    pub summary: Option<String>,
    pub layer: Option<usize>,
}

/// An advisory that may apply but names versions the ecosystem's order cannot read.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Undecided {
    pub id: String,
    pub package: String,
    pub version: String,
}

pub async fn match_packages(
    store: &SharedStore,
    os: Option<&OsRelease>,
    packages: &[Package],
) -> Result<(Vec<Finding>, Vec<Undecided>), StoreError> {
    let mut by_ecosystem: BTreeMap<String, Vec<&Package>> = BTreeMap::new();
    for package in packages {
        if let Some(ecosystem) = package.ecosystem.osv_ecosystem(os) {
            by_ecosystem.entry(ecosystem).or_default().push(package);
        }
    }
    let mut findings: BTreeMap<(String, String, String), Finding> = BTreeMap::new();
    let mut undecided = Vec::new();
    for (ecosystem, packages) in by_ecosystem {
        let key = |p: &Package| advisory_key(&ecosystem, p.advisory_name_version().0);
        let mut names: Vec<String> = packages.iter().map(|p| key(p)).collect();
        names.sort();
        names.dedup();
        let mut records: Vec<Record> = Vec::new();
        for body in store.advisories_for(&ecosystem, &names).await? {
            match serde_json::from_str::<Record>(&body) {
                Ok(record) => records.push(record),
                Err(e) => tracing::warn!(error = %e, "a stored advisory no longer parses"),
            }
        }
        for package in packages {
            let (name, version) = (key(package), package.advisory_name_version().1);
            for record in &records {
                for affected in record.affected.iter().filter(|a| {
                    a.package
                        .as_ref()
                        .is_some_and(|p| p.ecosystem == ecosystem && advisory_key(&ecosystem, &p.name) == name)
                }) {
                    let fixed = match affected.verdict(version, package.ecosystem.version_scheme()) {
                        Verdict::Affected { fixed } => fixed,
                        Verdict::NotAffected => continue,
                        Verdict::Unknown => {
                            undecided.push(Undecided {
                                id: record.id.clone(),
                                package: package.name.clone(),
                                version: package.version.clone(),
                            });
                            continue;
                        }
                    };
                    let cve = std::iter::once(&record.id).chain(&record.aliases).find(|id| id.starts_with("CVE-"));
                    let id = cve.unwrap_or(&record.id).clone();
                    let entry = (id.clone(), package.name.clone(), package.version.clone());
                    let finding = findings.entry(entry).or_insert_with(|| Finding {
                        id: id.clone(),
                        aliases: Vec::new(),
                        ecosystem: package.ecosystem.label().to_string(),
                        package: package.name.clone(),
                        version: package.version.clone(),
                        source_name: package.source_name.clone(),
                        fixed_version: fixed.clone(),
                        severity: severity(record),
                        summary: record.summary.clone(),
                        layer: package.layer,
                    });
                    for alias in std::iter::once(&record.id).chain(&record.aliases) {
                        if *alias != finding.id && !finding.aliases.contains(alias) {
                            finding.aliases.push(alias.clone());
                        }
                    }
                    if finding.fixed_version.is_none() {
                        finding.fixed_version = fixed;
                    }
                }
            }
        }
    }
    undecided.sort_by(|a, b| (&a.id, &a.package).cmp(&(&b.id, &b.package)));
    undecided.dedup();
    Ok((findings.into_values().collect(), undecided))
}

/// The record's severity word (`database_specific.severity`, as GHSA and many feeds write it),
/// else from a CVSS v3 vector's impact, else unknown.
fn severity(record: &Record) -> Severity {
    let word = record
        .database_specific
        .as_ref()
        .and_then(|d| d.get("severity"))
        .and_then(|s| s.as_str())
        .and_then(|s| s.parse().ok())
        .filter(|s| !matches!(s, Severity::None | Severity::Unknown));
    if let Some(word) = word {
        return word;
    }
    record
        .severity
        .iter()
        .find(|s| s.kind.starts_with("CVSS_V3"))
        .and_then(|s| super::cvss::base_score(&s.score))
        .map_or(Severity::Unknown, super::cvss::rating)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Findings as scans stored them when the severity was a bare string read back and are
    /// written again the same.
    #[test]
    fn stored_findings_read_back_unchanged() {
        for word in ["critical", "high", "medium", "low", "none", "unknown"] {
            let stored = format!(
                r#"{{"id":"CVE-2099-0001","aliases":["DEBIAN-CVE-2099-0001"],"ecosystem":"Debian","package":"libssl3","version":"3.0.11-1","source_name":"openssl","fixed_version":"3.0.13-1","severity":"{word}","summary":null,"layer":0}}"#
            );
            let finding: Finding = serde_json::from_str(&stored).unwrap();
            assert_eq!(finding.severity.as_str(), word);
            assert_eq!(serde_json::to_string(&finding).unwrap(), stored);
        }
    }

    #[test]
    fn the_feeds_word_else_the_cvss_vector_else_unknown() {
        let record = |extra: &str| -> Record {
            serde_json::from_str(&format!(r#"{{"id":"X-1","modified":"2026-01-01T00:00:00Z",{extra}"affected":[]}}"#))
                .unwrap()
        };
        let vector = r#""severity":[{"type":"CVSS_V3","score":"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"}],"#;
        assert_eq!(severity(&record(r#""database_specific":{"severity":"MODERATE"},"#)), Severity::Medium);
        assert_eq!(
            severity(&record(&format!(r#""database_specific":{{"severity":"unknown"}},{vector}"#))),
            Severity::Critical
        );
        assert_eq!(severity(&record(vector)), Severity::Critical);
        assert_eq!(severity(&record("")), Severity::Unknown);
    }
}
