//! From a platform image to its lineage, through the store's chain index.

use std::collections::BTreeMap;

use app::digest::Digest;
use app::dto::{Ancestor, AnnotatedBase, BaseRef, Lineage, PlatformImage};
use chrono::{DateTime, Utc};

use super::{chain_ids, inherited_layers};
use crate::store::{ChainImage, ImageChain, SharedStore, StoreError, TagNaming, VisibleTo};

/// Among images of one stack height: (annotated or official, named by a tag now, created).
type Rank = (bool, bool, Option<DateTime<Utc>>);

const BASE_NAME: &str = "org.opencontainers.image.base.name";
const BASE_DIGEST: &str = "org.opencontainers.image.base.digest";

/// The image's chain IDs, when every layer has its diff_id (configs without them cannot be indexed).
fn image_chain(image: &PlatformImage) -> Option<Vec<String>> {
    let diff_ids: Option<Vec<String>> = image.layers.iter().map(|l| l.diff_id.clone()).collect();
    diff_ids.filter(|ids| !ids.is_empty()).map(|ids| chain_ids(&ids))
}

/// The image's known ancestors, nearest first, adding the image itself to the index when it is not
/// there yet (one query answers both, so a page view of a known image writes nothing).
/// `manifest_digest` is the image's own (`image.digest`, typed).
/// `visible`: whose bases may show: the operator's all, a visitor's public ones, a user's also the
/// private repositories their grants open (a private base never appears in someone else's chain).
pub async fn lineage(
    store: &SharedStore,
    image: &PlatformImage,
    manifest_digest: &Digest,
    manifest_annotations: &BTreeMap<String, String>,
    visible: VisibleTo,
) -> Result<Lineage, StoreError> {
    let annotated = annotation(manifest_annotations, &image.labels);
    let Some(chain) = image_chain(image) else {
        return Ok(Lineage {
            own_layers: image.layers.len(),
            unknown_base_layers: inherited_layers(&image.history),
            annotated_base: annotated.map(|(name, digest)| AnnotatedBase { name, digest, confirmed: false }),
            ..Lineage::default()
        });
    };
    let mut candidates = index_and_find_bases(store, image, manifest_digest, &chain).await?;

    // The annotated base, when known and its stack is where ours begins, is the nearest base: taller
    // known stacks (someone else's image that happens to share our first layers) are not ancestors.
    let mut choice = Choice { annotated_digest: None, annotated_tag: None, visible };
    let mut annotated_base = None;
    if let Some((name, digest)) = annotated {
        // Whatever the image says: a digest that does not parse confirms nothing.
        let confirmed = match digest.as_deref().map(Digest::parse) {
            Some(Ok(digest)) => confirmed_base(store, &digest, &chain[..chain.len() - 1], visible).await?,
            _ => None,
        };
        if let Some(base) = &confirmed {
            candidates.retain(|c| c.layer_count <= base.layer_count);
            choice.annotated_digest = Some(base.manifest_digest.clone());
        }
        choice.annotated_tag = annotated_tag(name.as_deref());
        annotated_base = Some(AnnotatedBase { name, digest, confirmed: confirmed.is_some() });
    }

    let ancestors = one_per_height(store, candidates, &choice).await?;
    Ok(Lineage {
        base: ancestors.first().map(|a| BaseRef { reference: a.reference.clone(), digest: a.digest.clone() }),
        own_layers: chain.len() - ancestors.first().map_or(0, |a| a.layers),
        base_moved: ancestors.iter().any(|a| a.moved),
        base_moved_at: ancestors.iter().filter_map(|a| a.moved_at.clone()).min(),
        unknown_base_layers: if ancestors.is_empty() { inherited_layers(&image.history) } else { None },
        annotated_base,
        chain: ancestors,
    })
}

/// How to choose among the indexed images of one stack height.
struct Choice {
    /// The annotated base's image, when the index confirms it.
    annotated_digest: Option<Digest>,
    /// The tag the annotation names, which names the annotated image.
    annotated_tag: Option<String>,
    visible: VisibleTo,
}

/// The indexed images whose whole stack begins ours (proper prefixes only: images with the same
/// whole stack are siblings, not bases), indexing the image itself when it is not yet.
async fn index_and_find_bases(
    store: &SharedStore,
    image: &PlatformImage,
    digest: &Digest,
    chain: &[String],
) -> Result<Vec<ChainImage>, StoreError> {
    let mut candidates = store.images_with_top_chain(chain).await?;
    if !candidates.iter().any(|c| c.manifest_digest == *digest) {
        let created = image.created.as_deref().and_then(|c| DateTime::parse_from_rfc3339(c).ok()).map(|c| c.to_utc());
        let entry = ImageChain { manifest_digest: digest.clone(), chain: chain.to_vec(), created };
        store.put_image_chain(&entry).await?;
    }
    candidates.retain(|c| c.layer_count < chain.len());
    Ok(candidates)
}

/// The tag an annotated base name gives (`latest` when it names none, as `FROM` reads it).
fn annotated_tag(name: Option<&str>) -> Option<String> {
    name.and_then(|n| app::reference::ImageReference::parse(n).ok()).and_then(|r| r.tag)
}

/// One ancestor per stack height, tallest first, each contributing the layers above the next.
async fn one_per_height(
    store: &SharedStore,
    mut candidates: Vec<ChainImage>,
    choice: &Choice,
) -> Result<Vec<Ancestor>, StoreError> {
    candidates.sort_by_key(|c| std::cmp::Reverse(c.layer_count));
    let mut ancestors: Vec<Ancestor> = Vec::new();
    for same_height in candidates.chunk_by(|a, b| a.layer_count == b.layer_count) {
        if let Some(ancestor) = best_of_height(store, same_height, choice).await? {
            ancestors.push(ancestor);
        }
    }
    for i in 0..ancestors.len() {
        let below = ancestors.get(i + 1).map_or(0, |a| a.layers);
        ancestors[i].contributes = ancestors[i].layers - below;
    }
    Ok(ancestors)
}

/// Among images of the same height: the annotated or official image first, then ones a tag names
/// now, then the newest; images no visible tag ever named are skipped.
async fn best_of_height(
    store: &SharedStore,
    same_height: &[ChainImage],
    choice: &Choice,
) -> Result<Option<Ancestor>, StoreError> {
    let mut best: Option<(Rank, Ancestor)> = None;
    for image in same_height {
        let namings: Vec<TagNaming> = store.tags_naming(&image.manifest_digest, choice.visible).await?;
        let is_annotated = choice.annotated_digest.as_ref() == Some(&image.manifest_digest);
        let prefer_tag = choice.annotated_tag.as_deref().filter(|_| is_annotated);
        let Some(ancestor) = ancestor(image, &namings, prefer_tag) else { continue };
        let named_now = namings.iter().any(|n| n.moved_at.is_none());
        let rank = (is_annotated || ancestor.official, named_now, image.created);
        if best.as_ref().is_none_or(|(best_rank, _)| rank > *best_rank) {
            best = Some((rank, Ancestor { annotated: is_annotated, ..ancestor }));
        }
    }
    Ok(best.map(|(_, ancestor)| ancestor))
}

/// `base.name` and `base.digest` from the manifest's annotations, else from the labels.
fn annotation(
    annotations: &BTreeMap<String, String>,
    labels: &BTreeMap<String, String>,
) -> Option<(Option<String>, Option<String>)> {
    let get = |key: &str| annotations.get(key).or_else(|| labels.get(key)).filter(|v| !v.trim().is_empty()).cloned();
    let (name, digest) = (get(BASE_NAME), get(BASE_DIGEST));
    (name.is_some() || digest.is_some()).then_some((name, digest))
}

/// The annotated digest (an image, or an index listing images) as an indexed image whose stack
/// is one of ours, and only an image a tag the viewer may see names: confirming a digest known
/// only from a private repository would tell a visitor that it exists.
async fn confirmed_base(
    store: &SharedStore,
    digest: &Digest,
    prefixes: &[String],
    visible: VisibleTo,
) -> Result<Option<ChainImage>, StoreError> {
    if visible != VisibleTo::All && store.tags_naming(digest, visible).await?.is_empty() {
        return Ok(None);
    }
    let mut images = Vec::new();
    if let Some(image) = store.image_chain(digest).await? {
        images.push(image);
    }
    for child in store.index_children(digest).await? {
        if let Some(image) = store.image_chain(&child).await? {
            images.push(image);
        }
    }
    Ok(images.into_iter().find(|image| prefixes.contains(&image.top_chain)))
}

/// How an indexed image is named: by a tag that names it now if there is one (official images
/// first), else by the tag that named it last. Unnamed images (pulled only by digest) are skipped.
/// It has moved when any tag that named it has moved on since (`prefer_tag`, the annotated tag,
/// decides alone when it is among them): a Dockerfile's `FROM` names a tag, and rebuilding from a
/// tag that moved gives a different image.
fn ancestor(image: &ChainImage, namings: &[TagNaming], prefer_tag: Option<&str>) -> Option<Ancestor> {
    let official = |n: &TagNaming| n.repository.registry == "docker.io" && n.repository.name.starts_with("library/");
    let preferred = prefer_tag.and_then(|tag| namings.iter().find(|n| n.tag == tag));
    let moved_naming = match preferred {
        Some(preferred) => preferred.moved_at.is_some().then_some(preferred),
        None => namings.iter().filter(|n| n.moved_at.is_some()).max_by_key(|n| n.moved_at),
    };
    let current = namings.iter().filter(|n| n.moved_at.is_none()).max_by_key(|n| (official(n), n.named_since));
    let chosen = moved_naming.or(preferred).or(current)?;
    let repository = format!("{}/{}", chosen.repository.registry, chosen.repository.name);
    Some(Ancestor {
        reference: format!("{repository}:{}", chosen.tag),
        repository,
        tag: Some(chosen.tag.clone()),
        digest: image.manifest_digest.to_string(),
        layers: image.layer_count,
        contributes: image.layer_count,
        official: official(chosen),
        moved: moved_naming.is_some(),
        moved_at: moved_naming.and_then(|n| n.moved_at).map(|t| t.to_rfc3339()),
        current_digest: moved_naming.map(|n| n.current_digest.to_string()),
        annotated: false,
    })
}
