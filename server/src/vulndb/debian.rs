//! The Debian security tracker's JSON (`package → CVE → releases → {status, fixed_version,
//! urgency}`) as OSV: a `Debian:12` range per release where the CVE is resolved (`fixed`) or still
//! open (no fix). A fix in version `0` means the release never had the flaw; `undetermined` says
//! nothing and is skipped.

use std::collections::BTreeMap;

use app::severity::Severity;
use serde_json::{Value, json};

/// Debian's codenames and their numbers (the OSV ecosystem suffix).
const RELEASES: [(&str, &str); 7] = [
    ("jessie", "8"),
    ("stretch", "9"),
    ("buster", "10"),
    ("bullseye", "11"),
    ("bookworm", "12"),
    ("trixie", "13"),
    ("forky", "14"),
];

pub fn convert(tracker: &Value, modified: &str) -> Result<Vec<(String, String)>, String> {
    let packages = tracker.as_object().ok_or("the tracker JSON is an object of packages")?;
    let mut by_cve: BTreeMap<String, (Vec<Value>, Option<String>, Option<Severity>)> = BTreeMap::new();
    for (package, cves) in packages {
        let Some(cves) = cves.as_object() else { continue };
        for (cve, info) in cves.iter().filter(|(id, _)| id.starts_with("CVE-")) {
            // Some entries carry `"releases": []` when no release is tracked.
            let Some(releases) = info.get("releases").and_then(Value::as_object) else { continue };
            let entry = by_cve.entry(cve.clone()).or_default();
            if entry.1.is_none() {
                entry.1 = info.get("description").and_then(Value::as_str).map(str::to_string);
            }
            for (codename, release) in releases {
                let Some((_, number)) = RELEASES.iter().find(|(name, _)| name == codename) else { continue };
                let status = release.get("status").and_then(Value::as_str).unwrap_or("");
                let fixed = release.get("fixed_version").and_then(Value::as_str);
                let events = match (status, fixed) {
                    ("resolved", Some("0")) => continue,
                    ("resolved", Some(fixed)) => json!([{ "introduced": "0" }, { "fixed": fixed }]),
                    ("open", _) => json!([{ "introduced": "0" }]),
                    _ => continue,
                };
                let urgency = release.get("urgency").and_then(Value::as_str).unwrap_or("").trim_end_matches('*');
                let severity = match urgency {
                    "high" => Some(Severity::High),
                    "medium" => Some(Severity::Medium),
                    "low" | "unimportant" => Some(Severity::Low),
                    _ => None,
                };
                // The worst urgency among the releases.
                entry.2 = entry.2.max(severity);
                entry.0.push(json!({
                    "package": { "ecosystem": format!("Debian:{number}"), "name": package },
                    "ranges": [{ "type": "ECOSYSTEM", "events": events }]
                }));
            }
        }
    }
    Ok(by_cve
        .into_iter()
        .filter(|(_, (affected, _, _))| !affected.is_empty())
        .map(|(cve, (affected, description, severity))| {
            let id = format!("DEBIAN-{cve}");
            let mut record = json!({
                "schema_version": "1.6.0", "id": id, "modified": modified, "aliases": [cve], "affected": affected,
            });
            if let Some(description) = description {
                record["details"] = description.into();
            }
            if let Some(severity) = severity {
                record["database_specific"] = json!({ "severity": severity });
            }
            (id, record.to_string())
        })
        .collect())
}
