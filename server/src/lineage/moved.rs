//! A tag moved: every image built on what it named before needs a rebuild. Raises one
//! `base_updated` event per tag that names such an image now (the notifier delivers them).

use app::digest::Digest;
use serde_json::json;

use super::BASE_UPDATED;
use crate::store::{NewEvent, Repository, SharedStore, StoreError, VisibleTo};

/// `repository:tag` moved from `from` to `to`; returns how many events were raised.
pub async fn raise_base_moved(
    store: &SharedStore,
    repository: &Repository,
    tag: &str,
    from: &Digest,
    to: &Digest,
) -> Result<usize, StoreError> {
    // The old digest is an image, or an index whose platform images were each someone's base.
    let mut bases = Vec::new();
    if let Some(image) = store.image_chain(from).await? {
        bases.push(image);
    }
    for child in store.index_children(from).await? {
        if let Some(image) = store.image_chain(&child).await? {
            bases.push(image);
        }
    }
    // Platform images the new digest still names did not change for their descendants.
    let still_named = store.index_children(to).await?;
    let base_reference = format!("{}/{}:{tag}", repository.registry, repository.name);
    let mut raised = 0;
    for base in bases.iter().filter(|b| b.manifest_digest != *to && !still_named.contains(&b.manifest_digest)) {
        for descendant in store.images_built_on(&base.top_chain, base.layer_count).await? {
            for naming in store.tags_naming(&descendant, VisibleTo::All).await?.into_iter().filter(|n| n.moved_at.is_none()) {
                let event = NewEvent {
                    kind: BASE_UPDATED.into(),
                    repository: naming.repository.id,
                    tag: Some(naming.tag.clone()),
                    digest: Some(naming.current_digest.clone()),
                    detail: json!({
                        "image": format!("{}/{}:{}", naming.repository.registry, naming.repository.name, naming.tag),
                        "platform_digest": descendant,
                        "base": base_reference,
                        "base_digest": base.manifest_digest,
                        "base_now": to,
                        "message": format!("base image {base_reference} was updated: rebuild"),
                    }),
                    dedupe_key: format!(
                        "{BASE_UPDATED}:{}:{}:{descendant}:{}:{to}",
                        naming.repository.id.0, naming.tag, base.manifest_digest
                    ),
                };
                if store.raise_event(&event).await? {
                    raised += 1;
                }
            }
        }
    }
    Ok(raised)
}
