//! Entry points for the `cargo fuzz` targets in `fuzz/` (`make fuzz`): the parsers that read what
//! registries, images and advisory feeds send, reachable from outside the crate. Each wrapper calls
//! the production code the way production calls it and adds no behaviour; not an API.

use app::digest::Digest;
use app::dto::PlatformImage;
use sha2::{Digest as _, Sha256};

pub use crate::scan::cvss::base_score as cvss_base_score;
pub use crate::scan::executable::{ExecutableFacts, facts as executable_facts};
pub use crate::scan::layers::{LayerContents, LayerError, Limits};
pub use crate::scan::osv::Record as OsvRecord;
pub use crate::scan::packages::{Package, apk, cargo, dpkg, golang, rpm};
pub use crate::scan::sqlite_file::Database as SqliteDatabase;
pub use crate::scan::version::Scheme;
pub use app::reference::ImageReference;

use crate::inspect::model::{self, Manifest};
use crate::registry::client::challenge::Challenge;
use crate::registry::{OCI_INDEX, OCI_MANIFEST};
use crate::scan::limits::Budget;
use crate::scan::{inventory, layers};
use crate::vulndb::{alpine, debian, import};

fn sha256(data: &[u8]) -> Digest {
    Digest::from_sha256(Sha256::digest(data).into())
}

/// A 401's `WWW-Authenticate` values (one a line) as the registry client reads them: the realm and
/// service of the Bearer challenge it would answer, if any.
pub fn www_authenticate(values: &[u8]) -> Option<(String, Option<String>)> {
    use reqwest::header::{HeaderMap, HeaderValue, WWW_AUTHENTICATE};
    let mut headers = HeaderMap::new();
    for value in values.split(|&b| b == b'\n').filter_map(|v| HeaderValue::from_bytes(v).ok()) {
        headers.append(WWW_AUTHENTICATE, value);
    }
    match Challenge::from_headers(&headers) {
        Challenge::Bearer { realm, service } => Some((realm, service)),
        Challenge::Other => None,
    }
}

/// A manifest as the inspector reads it (`index` picks the media type): for an index, the entries
/// it would show and its default image; for an image manifest, the platform image `config` makes.
pub fn inspect_manifest(index: bool, body: &[u8], config: &[u8]) -> Option<PlatformImage> {
    let media_type = if index { OCI_INDEX } else { OCI_MANIFEST };
    let digest = sha256(body);
    match crate::inspect::parse_manifest(media_type, body, &digest).ok()? {
        Manifest::Index(index) => {
            let _ = index.images().count();
            let _ = index.default_image();
            None
        }
        Manifest::Image(manifest) => model::platform_image(&digest, media_type, &manifest, config, None).ok(),
    }
}

/// One layer pass over `blob` under `limits` and a scan budget of `budget` bytes, its digest taken
/// from the bytes themselves (so the fuzzer gets past the check), keeping what a scan keeps; then
/// the OS and the packages a scan reads from what was kept (`None`: too many packages).
pub fn scan_layer(blob: &[u8], limits: Limits, budget: u64) -> Result<Option<Vec<Package>>, LayerError> {
    let budget = Budget::new(budget, limits.executable_bytes);
    let layer = layers::read_layer(blob, &sha256(blob), &inventory::WANTED, limits, &budget)?;
    let layers = [layer];
    let _ = inventory::os_release(&layers);
    Ok(inventory::packages(&layers).ok())
}

/// An advisory feed file's text as `vulndb import` reads it (`yaml`: Alpine's secdb YAML; else
/// JSON, told apart as `import::converted` does), each record then stored as `advisory` stores it.
/// The number of records stored.
pub fn import_feed_text(text: &str, yaml: bool) -> usize {
    const MODIFIED: &str = "2024-01-01T00:00:00Z";
    let converted = if yaml {
        alpine::convert(text, true, MODIFIED)
    } else {
        match serde_json::from_str::<serde_json::Value>(text) {
            Err(_) => return 0,
            Ok(value) if value.get("distroversion").is_some() => alpine::convert(text, false, MODIFIED),
            Ok(value) if value.get("id").is_some() && value.get("modified").is_some() => {
                Ok(vec![("record.json".to_string(), text.to_string())])
            }
            Ok(value) => debian::convert(&value, MODIFIED),
        }
    };
    converted
        .unwrap_or_default()
        .into_iter()
        .filter_map(|(name, body)| import::advisory(&name, body).ok().flatten())
        .count()
}
