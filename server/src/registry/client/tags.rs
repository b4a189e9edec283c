//! Tag lists, page by page (`n` + `last`), each page read within [`TAG_PAGE_LIMIT`]; guarded
//! against a registry that ignores `last` and against entries that are no tags at all.

use reqwest::StatusCode;

use super::RegistryClient;
use crate::registry::RegistryError;

/// One page of a tag list larger than this is refused: 1,000 tags of the longest legal length
/// (128 characters) take 140 KiB; a registry that ignores `n` gets this much room before it is cut off.
pub const TAG_PAGE_LIMIT: u64 = 4 << 20;
const PAGE: usize = 1000;

#[derive(serde::Deserialize)]
struct Page {
    #[serde(default)]
    tags: Option<Vec<String>>,
}

impl RegistryClient {
    /// Every tag of a repository, following pagination (`n` + `last`), up to `max` tags.
    pub async fn tags(&self, repository: &str, max: usize) -> Result<Vec<String>, RegistryError> {
        let mut tags: Vec<String> = Vec::new();
        let mut seen = std::collections::HashSet::new();
        let mut last: Option<String> = None;
        loop {
            let page = self.tag_page(repository, last.as_deref()).await?;
            let count = page.len();
            last = page.last().cloned();
            // A registry that ignores `last` would loop forever: stop when nothing new arrives.
            let before = tags.len();
            tags.extend(page.into_iter().filter(|t| is_tag(t) && seen.insert(t.clone())));
            if count < PAGE || tags.len() == before || tags.len() >= max {
                break;
            }
        }
        // Registries differ in order (distribution 2.8 lists in storage order): lexical, as the spec asks.
        tags.sort();
        tags.truncate(max);
        Ok(tags)
    }

    async fn tag_page(&self, repository: &str, last: Option<&str>) -> Result<Vec<String>, RegistryError> {
        let url = self.url(&format!("{repository}/tags/list"));
        let response = self
            .send(repository, |http| {
                let request = http.get(&url).query(&[("n", PAGE)]);
                match last {
                    Some(last) => request.query(&[("last", last)]),
                    None => request,
                }
            })
            .await?;
        // The tag list of a repository that does not exist is its 404, whatever the error code.
        if response.status() == StatusCode::NOT_FOUND {
            let (registry, repository) = (self.registry.clone(), repository.to_string());
            return Err(RegistryError::RepositoryNotFound { registry, repository });
        }
        let response = self.check_status(response, repository, "tags").await?;
        let what = format!("a page of the tag list of {repository}");
        let body = self.read_capped(response, TAG_PAGE_LIMIT, &what).await?;
        let page: Page = serde_json::from_slice(&body).map_err(|e| RegistryError::Protocol {
            registry: self.registry.clone(),
            detail: format!("its tag list of {repository} is not one: {e}"),
        })?;
        Ok(page.tags.unwrap_or_default())
    }
}

/// The distribution spec's tag grammar, `[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}`: anything else is
/// dropped rather than shown or stored.
fn is_tag(tag: &str) -> bool {
    let bytes = tag.as_bytes();
    (1..=128).contains(&bytes.len())
        && (bytes[0].is_ascii_alphanumeric() || bytes[0] == b'_')
        && bytes.iter().all(|b| b.is_ascii_alphanumeric() || b"_.-".contains(b))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_tags_of_the_spec_grammar() {
        for tag in ["latest", "v1.2.3", "_x", "a".repeat(128).as_str()] {
            assert!(is_tag(tag), "{tag}");
        }
        for junk in ["", "-x", ".x", "a/b", "a b", "<script>", "a".repeat(129).as_str()] {
            assert!(!is_tag(junk), "{junk}");
        }
    }
}
