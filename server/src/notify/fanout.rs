//! From a stored event to its deliveries: every watch of the event's repository that subscribes
//! to its type and matches its tag, through each of the watch's enabled channels, once per channel
//! (two watches sharing a channel send one message). Runs in the event's reaction job; stored with
//! their send jobs in one transaction, and skipped when stored before (a reaction run twice).

use std::collections::BTreeSet;
use std::time::Duration;

use app::reference::ImageReference;
use chrono::Utc;

use super::deliver::DeliverNotification;
use super::message::Message;
use crate::store::{EventRecord, NewDelivery, RepositoryId, SharedStore, StoreError, UserId, Visibility};
use crate::watch::WatchRules;

/// Stores the deliveries `event` causes; how many.
/// `grant_ttl`: how recently a watcher's access to a private repository must have been confirmed
/// at its registry (the watcher re-checks the grants of the repositories it reads each round).
pub async fn deliveries_for(
    store: &SharedStore,
    event: &EventRecord,
    site: &str,
    grant_ttl: Duration,
) -> Result<usize, StoreError> {
    let Some(message) = Message::for_event(event, site) else { return Ok(0) };
    let watches = store.watches_of(event.repository_id).await?;
    let mut channels = BTreeSet::new();
    for watch in watches {
        // What happened before the watch was made is not news to its owner (the watch's own
        // first look at the repository raises `tag.created` for every tag it finds).
        if watch.created_at > event.created_at {
            continue;
        }
        let Ok(rules) = WatchRules::from_record(&watch) else { continue };
        if !rules.wants(&message.event_type, event.tag.as_deref(), event_severities(event)) {
            continue;
        }
        // A private repository's events go only to users who may still see it; a moved base only
        // to those who may see the base too (its name and digests are in the message).
        let user = UserId(watch.user_id);
        if watch.visibility == "private" && !may_see(store, user, event.repository_id, grant_ttl).await? {
            continue;
        }
        if let Some(base) = private_base(store, event).await?
            && !may_see(store, user, base, grant_ttl).await?
        {
            continue;
        }
        for channel in store.watch_channels(watch.id).await? {
            channels.insert(channel);
        }
    }
    let mut deliveries = Vec::new();
    for channel in channels {
        let Some(record) = store.channel(channel).await? else { continue };
        if record.disabled_at.is_some() {
            continue;
        }
        deliveries.push(NewDelivery {
            channel,
            event: Some(event.id),
            event_type: message.event_type.clone(),
            // The same for every attempt, and for a reaction run twice.
            message_id: format!("msg_{}_{}", event.id, channel),
            payload: message.to_json().to_string(),
        });
    }
    Ok(store.enqueue_deliveries(&deliveries, |id| Some(DeliverNotification::job(id))).await?.len())
}

/// The severities of the findings a `vulnerabilities.found` event carries (none for other events).
fn event_severities(event: &EventRecord) -> Vec<app::severity::Severity> {
    event.detail["severities"]
        .as_array()
        .map(|list| list.iter().filter_map(|s| s.as_str()?.parse().ok()).collect())
        .unwrap_or_default()
}

async fn may_see(store: &SharedStore, user: UserId, repository: RepositoryId, grant_ttl: Duration) -> Result<bool, StoreError> {
    if store.user(user).await?.is_some_and(|u| u.admin) {
        return Ok(true);
    }
    let fresh_since = Utc::now() - chrono::Duration::from_std(grant_ttl).unwrap_or(chrono::Duration::hours(1));
    Ok(store.repository_grant(user, repository).await?.is_some_and(|checked| checked >= fresh_since))
}

/// The repository of a `base.updated` event's base, when it is private.
async fn private_base(store: &SharedStore, event: &EventRecord) -> Result<Option<RepositoryId>, StoreError> {
    if event.kind != crate::lineage::BASE_UPDATED {
        return Ok(None);
    }
    let Some(base) = event.detail["base"].as_str().and_then(|b| ImageReference::parse(b).ok()) else {
        return Ok(None);
    };
    let repository = store.repository(&base.registry, &base.repository).await?;
    Ok(repository.filter(|r| r.visibility == Visibility::Private).map(|r| r.id))
}
