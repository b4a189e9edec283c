//! Alpine's secdb (`secdb.alpinelinux.org/v3.15/main.yaml` or `.json`) as OSV: each `secfixes`
//! entry `fixed-version: [CVE…]` becomes an `Alpine:v3.15` range `introduced 0, fixed V` for the
//! package (an origin name); a fix in version `0` means the CVE never affected Alpine's package.

use std::collections::BTreeMap;

use serde::Deserialize;
use serde_json::json;

#[derive(Deserialize)]
struct SecDb {
    distroversion: String,
    #[serde(default)]
    packages: Vec<Entry>,
}

#[derive(Deserialize)]
struct Entry {
    pkg: Pkg,
}

#[derive(Deserialize)]
struct Pkg {
    name: String,
    #[serde(default)]
    secfixes: BTreeMap<String, Option<Vec<Option<String>>>>,
}

/// OSV records (id, JSON) for one secdb file; `modified` is stamped on each.
pub fn convert(text: &str, yaml: bool, modified: &str) -> Result<Vec<(String, String)>, String> {
    let db: SecDb = if yaml {
        serde_yaml::from_str(text).map_err(|e| e.to_string())?
    } else {
        serde_json::from_str(text).map_err(|e| e.to_string())?
    };
    let ecosystem = format!("Alpine:{}", db.distroversion);
    // CVE → affected packages with their fixed versions.
    let mut by_cve: BTreeMap<String, Vec<(String, String)>> = BTreeMap::new();
    for entry in &db.packages {
        for (fixed, ids) in &entry.pkg.secfixes {
            if fixed == "0" {
                continue;
            }
            for id in ids.iter().flatten().flatten().flat_map(|s| s.split_whitespace()) {
                if id.starts_with("CVE-") {
                    by_cve.entry(id.to_string()).or_default().push((entry.pkg.name.clone(), fixed.clone()));
                }
            }
        }
    }
    Ok(by_cve
        .into_iter()
        .map(|(cve, affected)| {
            let id = format!("ALPINE-{}-{cve}", db.distroversion);
            let affected: Vec<_> = affected
                .into_iter()
                .map(|(name, fixed)| {
                    json!({
                        "package": { "ecosystem": ecosystem, "name": name },
                        "ranges": [{ "type": "ECOSYSTEM", "events": [{ "introduced": "0" }, { "fixed": fixed }] }]
                    })
                })
                .collect();
            let record = json!({
                "schema_version": "1.6.0", "id": id, "modified": modified, "aliases": [cve],
                "summary": format!("{cve} fixed in Alpine {}", db.distroversion), "affected": affected,
            });
            (id, record.to_string())
        })
        .collect())
}
