//! What a finished scan tells watchers: `scan.completed` for each tag naming the scanned image,
//! and `vulnerabilities.found` when its findings include some the previous scan (or match) of the
//! same image did not have. Raised as events, so notifications go through the same outbox.

use std::collections::BTreeSet;

use app::severity::Severity;
use serde_json::json;
use sha2::{Digest as _, Sha256};

use super::run::ScanReport;
use crate::store::{NewEvent, SharedStore, StoreError, VisibleTo};

/// New findings listed in one event at most (the count says how many there were).
const LISTED: usize = 50;

/// Raises the events of `report` (`completed`: a scan just finished, not a re-match); `previous`
/// is what was stored for the image before. How many were raised.
pub async fn raise(
    store: &SharedStore,
    previous: Option<&ScanReport>,
    report: &ScanReport,
    completed: bool,
) -> Result<usize, StoreError> {
    let known: BTreeSet<(&str, &str)> = previous
        .map(|p| p.findings.iter().map(|f| (f.finding.id.as_str(), f.finding.package.as_str())).collect())
        .unwrap_or_default();
    let mut new: Vec<_> = report
        .findings
        .iter()
        .filter(|f| !known.contains(&(f.finding.id.as_str(), f.finding.package.as_str())))
        .map(|f| &f.finding)
        .collect();
    new.sort_by(|a, b| b.severity.cmp(&a.severity).then_with(|| a.id.cmp(&b.id)));
    let counts = |findings: &mut dyn Iterator<Item = Severity>| {
        let mut counts = serde_json::Map::new();
        for severity in findings {
            let entry = counts.entry(severity.as_str()).or_insert(json!(0));
            *entry = json!(entry.as_u64().unwrap_or(0) + 1);
        }
        serde_json::Value::Object(counts)
    };
    let all_counts = counts(&mut report.findings.iter().map(|f| f.finding.severity));
    let new_key = hex::encode(Sha256::digest(new.iter().map(|f| format!("{}/{}\n", f.id, f.package)).collect::<String>()));
    let mut raised = 0;
    for naming in store.tags_naming(&report.digest, VisibleTo::All).await?.into_iter().filter(|n| n.moved_at.is_none()) {
        let base = |kind: &str, detail: serde_json::Value, key: String| NewEvent {
            kind: kind.into(),
            repository: naming.repository.id,
            tag: Some(naming.tag.clone()),
            digest: Some(naming.current_digest.clone()),
            detail,
            dedupe_key: key,
        };
        let id = format!("{}:{}:{}", naming.repository.id.0, naming.tag, report.digest);
        if completed {
            let detail = json!({
                "platform_digest": report.digest, "platform": report.platform,
                "state": "done", "counts": all_counts, "findings": report.findings.len(),
            });
            let key = format!("scan.completed:{id}:{}", chrono::Utc::now().timestamp_millis());
            raised += usize::from(store.raise_event(&base("scan.completed", detail, key)).await?);
        }
        if !new.is_empty() {
            let listed: Vec<_> = new
                .iter()
                .take(LISTED)
                .map(|f| json!({ "id": f.id, "package": f.package, "version": f.version,
                                  "severity": f.severity, "fixed_version": f.fixed_version }))
                .collect();
            let severities: BTreeSet<&str> = new.iter().map(|f| f.severity.as_str()).collect();
            let detail = json!({
                "platform_digest": report.digest, "platform": report.platform,
                "counts": counts(&mut new.iter().map(|f| f.severity)), "findings": listed,
                "new_findings": new.len(), "severities": severities,
            });
            let key = format!("vulnerabilities.found:{id}:{new_key}");
            raised += usize::from(store.raise_event(&base("vulnerabilities.found", detail, key)).await?);
        }
    }
    Ok(raised)
}
