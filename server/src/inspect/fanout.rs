//! How much of an index one inspection reads. An index is whatever its registry serves: a 4 MiB one
//! lists some 25,000 entries, and each entry read costs a manifest and a config request, a
//! connection while they travel, and rows in the store. So at most [`MAX_INDEX_PLATFORMS`] entries
//! are read, [`CONCURRENT_FETCHES`] at a time, and the report counts the rest as not fetched.

use app::dto::{Platform, PlatformImage};
use app::reference::ImageReference;
use futures_util::{StreamExt, TryStreamExt, stream};

use super::model::{Descriptor, Index};
use super::request::{PlatformFilter, Viewer};
use super::{InspectError, Inspector};
use crate::registry::RegistryClient;
use crate::store::Repository;

/// Entries of one index an inspection reads. Real multi-platform images list a dozen platforms at
/// most (Docker's official images about ten); 256 is far past any build matrix, yet keeps one
/// inspection to a few hundred requests.
pub const MAX_INDEX_PLATFORMS: usize = 256;

/// Entries read at once: enough to overlap a registry's round trips, few enough that an inspection
/// holds a handful of connections (each costs three descriptors through the egress proxy).
const CONCURRENT_FETCHES: usize = 8;

/// Platforms named in a "no such platform" error before it says how many more there are.
const NAMED_IN_ERROR: usize = 32;

/// What an inspection read of its platform images, in the order shown.
pub(super) struct PlatformsRead {
    pub images: Vec<PlatformImage>,
    /// Entries the platform filter wanted past [`MAX_INDEX_PLATFORMS`].
    pub not_fetched: u64,
}

/// The entries of `index` that `platform` wants (all when `None`) and an inspection reads: the
/// first [`MAX_INDEX_PLATFORMS`] in index order, except that the entry the pages show by default
/// ([`app::platform_choice`]) is read first when it lies past the cap, so that the page, badges
/// and scans still find what `docker pull` would pick. Also returns how many were left out.
pub(super) fn entries_to_read<'a>(index: &'a Index, platform: Option<&PlatformFilter>) -> (Vec<&'a Descriptor>, usize) {
    let wanted: Vec<&Descriptor> = index
        .images()
        .filter(|d| platform.is_none_or(|f| d.platform.as_ref().is_some_and(|p| f.matches(&Platform::from(p)))))
        .collect();
    let left_out = wanted.len().saturating_sub(MAX_INDEX_PLATFORMS);
    if left_out == 0 {
        return (wanted, 0);
    }
    let names: Vec<String> = wanted.iter().map(|d| platform_name(d)).collect();
    let default = app::platform_choice::position(&names, None).unwrap_or(0);
    let mut read = wanted[..MAX_INDEX_PLATFORMS].to_vec();
    if default >= MAX_INDEX_PLATFORMS {
        read.pop();
        read.insert(0, wanted[default]);
    }
    (read, left_out)
}

/// `os/arch[/variant]` as the index states it; "" for an entry without a platform, which then
/// matches no name the default rule looks for.
fn platform_name(entry: &Descriptor) -> String {
    entry.platform.as_ref().map(|p| Platform::from(p).to_string()).unwrap_or_default()
}

impl Inspector {
    /// Step 3 for an index: the platform images the filter wants, a few at a time, in index order.
    pub(super) async fn index_platforms(
        &self,
        client: Option<&RegistryClient>,
        repo: &Repository,
        index: &Index,
        reference: &ImageReference,
        platform: Option<&PlatformFilter>,
        viewer: Viewer,
    ) -> Result<PlatformsRead, InspectError> {
        let (entries, not_fetched) = entries_to_read(index, platform);
        if entries.is_empty() {
            return Err(no_platform(index, reference, platform));
        }
        // `buffered`, not `try_join_all`: at most a few requests in flight, answers in index order.
        // The futures are made up front (they do nothing until polled): a closure inside the stream
        // would make the handlers' futures fail the `Send` check for every lifetime.
        let fetches: Vec<_> = entries.into_iter().map(|entry| self.platform(client, repo, entry, viewer)).collect();
        let images = stream::iter(fetches).buffered(CONCURRENT_FETCHES).try_collect().await?;
        Ok(PlatformsRead { images, not_fetched: not_fetched as u64 })
    }
}

/// The error for a filter no entry matches, naming a bounded number of the platforms there are.
fn no_platform(index: &Index, reference: &ImageReference, platform: Option<&PlatformFilter>) -> InspectError {
    let names: Vec<String> =
        index.images().filter_map(|d| d.platform.as_ref()).map(|p| Platform::from(p).to_string()).collect();
    let mut available = names.iter().take(NAMED_IN_ERROR).cloned().collect::<Vec<_>>().join(", ");
    if names.len() > NAMED_IN_ERROR {
        available.push_str(&format!(" and {} more", names.len() - NAMED_IN_ERROR));
    }
    InspectError::NoPlatform {
        reference: reference.to_string(),
        wanted: platform.map(PlatformFilter::label).unwrap_or_else(|| "any platform".into()),
        available: if available.is_empty() { "no platform images".into() } else { available },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn index(architectures: &[String]) -> Index {
        let manifests: Vec<serde_json::Value> = architectures
            .iter()
            .enumerate()
            .map(|(i, arch)| {
                serde_json::json!({
                    "mediaType": crate::registry::OCI_MANIFEST,
                    "digest": format!("sha256:{i:064x}"),
                    "size": 1,
                    "platform": {"os": "linux", "architecture": arch},
                })
            })
            .collect();
        serde_json::from_value(serde_json::json!({ "manifests": manifests })).unwrap()
    }

    fn arches(n: usize) -> Vec<String> {
        (0..n).map(|i| format!("arch{i}")).collect()
    }

    #[test]
    fn a_small_index_is_read_whole_in_order() {
        let index = index(&arches(MAX_INDEX_PLATFORMS));
        let (read, left_out) = entries_to_read(&index, None);
        assert_eq!(left_out, 0);
        let names: Vec<String> = read.iter().map(|d| platform_name(d)).collect();
        assert_eq!(names, arches(MAX_INDEX_PLATFORMS).iter().map(|a| format!("linux/{a}")).collect::<Vec<_>>());
    }

    #[test]
    fn a_wide_index_is_capped_and_keeps_the_default_platform() {
        let mut architectures = arches(1_000);
        architectures[700] = "amd64".into();
        let index = index(&architectures);
        let (read, left_out) = entries_to_read(&index, None);
        assert_eq!((read.len(), left_out), (MAX_INDEX_PLATFORMS, 1_000 - MAX_INDEX_PLATFORMS));
        assert_eq!(platform_name(read[0]), "linux/amd64");
        assert_eq!(platform_name(read[1]), "linux/arch0");
        assert_eq!(platform_name(read[MAX_INDEX_PLATFORMS - 1]), format!("linux/arch{}", MAX_INDEX_PLATFORMS - 2));
    }

    #[test]
    fn a_filter_applies_before_the_cap() {
        let mut architectures = arches(1_000);
        architectures[900] = "s390x".into();
        let index = index(&architectures);
        let filter = PlatformFilter::parse("linux/s390x").unwrap();
        let (read, left_out) = entries_to_read(&index, Some(&filter));
        assert_eq!((read.len(), left_out), (1, 0));
        assert_eq!(platform_name(read[0]), "linux/s390x");
    }

    #[test]
    fn the_error_names_a_bounded_few() {
        let index = index(&arches(1_000));
        let reference = ImageReference::parse("example.com/wide:1").unwrap();
        let filter = PlatformFilter::parse("linux/s390x").unwrap();
        let message = no_platform(&index, &reference, Some(&filter)).to_string();
        assert!(
            message.ends_with(&format!("arch{} and {} more", NAMED_IN_ERROR - 1, 1_000 - NAMED_IN_ERROR)),
            "{message}"
        );
    }
}
