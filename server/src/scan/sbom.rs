//! The scan as a software bill of materials: CycloneDX 1.6 JSON (with the findings as
//! vulnerabilities) and SPDX 2.3 JSON. Every package carries its purl.

use serde_json::{Value, json};

use super::run::ScanReport;

const TOOL: &str = concat!("shipshape-", env!("CARGO_PKG_VERSION"));

fn uuid() -> String {
    let mut b = [0u8; 16];
    // A serial number need not be secret; without randomness it is still unique per digest.
    let _ = getrandom::fill(&mut b);
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let h = hex::encode(b);
    format!("{}-{}-{}-{}-{}", &h[0..8], &h[8..12], &h[12..16], &h[16..20], &h[20..32])
}

pub fn cyclonedx(report: &ScanReport) -> Value {
    let components: Vec<Value> = report
        .packages
        .iter()
        .map(|p| {
            let mut properties = vec![
                json!({ "name": "shipshape:source_name", "value": p.source_name }),
                json!({ "name": "shipshape:source_version", "value": p.source_version }),
            ];
            if let Some(layer) = &p.layer_digest {
                properties.push(json!({ "name": "shipshape:layer_digest", "value": layer }));
            }
            let mut component = json!({
                "type": "library", "bom-ref": p.purl, "name": p.name, "version": p.version, "purl": p.purl,
                "properties": properties,
            });
            if let Some(license) = &p.license {
                component["licenses"] = json!([{ "license": { "name": license } }]);
            }
            component
        })
        .collect();
    let vulnerabilities: Vec<Value> = report
        .findings
        .iter()
        .map(|f| {
            let affected =
                report.packages.iter().find(|p| p.name == f.finding.package && p.version == f.finding.version);
            let mut v = json!({
                "bom-ref": format!("{}/{}", f.finding.id, f.finding.package),
                "id": f.finding.id,
                "ratings": [{ "severity": f.finding.severity }],
                "affects": [{ "ref": affected.map(|p| p.purl.clone()).unwrap_or_default() }],
            });
            if let Some(fixed) = &f.finding.fixed_version {
                v["recommendation"] = json!(format!("upgrade {} to {fixed}", f.finding.package));
            }
            if !f.finding.aliases.is_empty() {
                v["references"] = json!(
                    f.finding
                        .aliases
                        .iter()
                        .map(|a| json!({ "id": a, "source": { "name": "OSV" } }))
                        .collect::<Vec<_>>()
                );
            }
            v
        })
        .collect();
    json!({
        "bomFormat": "CycloneDX",
        "specVersion": "1.6",
        "serialNumber": format!("urn:uuid:{}", uuid()),
        "version": 1,
        "metadata": {
            "timestamp": chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            "tools": { "components": [{ "type": "application", "name": "shipshape", "version": env!("CARGO_PKG_VERSION") }] },
            "component": {
                "type": "container", "bom-ref": report.digest, "name": report.reference, "version": report.digest,
                "properties": [{ "name": "shipshape:platform", "value": report.platform }]
            }
        },
        "components": components,
        "vulnerabilities": vulnerabilities,
    })
}

pub fn spdx(report: &ScanReport) -> Value {
    let mut packages = vec![json!({
        "SPDXID": "SPDXRef-Image", "name": report.reference, "versionInfo": report.digest,
        "downloadLocation": "NOASSERTION", "primaryPackagePurpose": "CONTAINER",
    })];
    let mut relationships = vec![json!({
        "spdxElementId": "SPDXRef-DOCUMENT", "relationshipType": "DESCRIBES", "relatedSpdxElement": "SPDXRef-Image"
    })];
    for (i, p) in report.packages.iter().enumerate() {
        let id = format!("SPDXRef-Package-{i}");
        packages.push(json!({
            "SPDXID": id, "name": p.name, "versionInfo": p.version, "downloadLocation": "NOASSERTION",
            "licenseConcluded": "NOASSERTION", "licenseDeclared": "NOASSERTION",
            "sourceInfo": format!("built from {} {}", p.source_name, p.source_version),
            "externalRefs": [{ "referenceCategory": "PACKAGE-MANAGER", "referenceType": "purl", "referenceLocator": p.purl }],
        }));
        relationships.push(
            json!({ "spdxElementId": "SPDXRef-Image", "relationshipType": "CONTAINS", "relatedSpdxElement": id }),
        );
    }
    let namespace = format!("https://shipshape.invalid/spdx/{}/{}", report.digest.as_str().replace(':', "-"), uuid());
    json!({
        "spdxVersion": "SPDX-2.3",
        "dataLicense": "CC0-1.0",
        "SPDXID": "SPDXRef-DOCUMENT",
        "name": report.reference,
        "documentNamespace": namespace,
        "creationInfo": { "created": chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true), "creators": [format!("Tool: {TOOL}")] },
        "packages": packages,
        "relationships": relationships,
    })
}
