//! Tag lists through oci-client, which pages with `n` + `last` but leaves following the pages, and
//! guarding against a registry that ignores `last`, to the caller.

use super::RegistryClient;
use crate::registry::RegistryError;

impl RegistryClient {
    /// Every tag of a repository, following pagination (`n` + `last`), up to `max` tags.
    pub async fn tags(&self, repository: &str, max: usize) -> Result<Vec<String>, RegistryError> {
        const PAGE: usize = 1000;
        let reference = self.oci_reference(repository);
        let auth = self.oci_auth();
        let mut tags: Vec<String> = Vec::new();
        let mut seen = std::collections::HashSet::new();
        let mut last: Option<String> = None;
        loop {
            self.proxy.clear_failure();
            let page = tokio::time::timeout(
                self.timeout,
                self.oci().await?.list_tags(&reference, &auth, Some(PAGE), last.as_deref()),
            )
            .await
            .map_err(|_| self.timeout_error())?
            .map_err(|e| self.oci_error(e, repository, "tags"))?;
            let count = page.tags.len();
            last = page.tags.last().cloned();
            // A registry that ignores `last` would loop forever: stop when nothing new arrives.
            let before = tags.len();
            tags.extend(page.tags.into_iter().filter(|t| seen.insert(t.clone())));
            if count < PAGE || tags.len() == before || tags.len() >= max {
                break;
            }
        }
        // Registries differ in order (distribution 2.8 lists in storage order): lexical, as the spec asks.
        tags.sort();
        tags.truncate(max);
        Ok(tags)
    }
}
