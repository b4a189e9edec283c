//! From a stored event to its deliveries: every watch of the event's repository that subscribes
//! to its type and matches its tag, through each of the watch's enabled channels, once per channel
//! (two watches sharing a channel send one message). Runs in the event's reaction job; stored with
//! their send jobs in one transaction, and skipped when stored before (a reaction run twice).

use std::collections::BTreeSet;

use super::deliver::DeliverNotification;
use super::message::Message;
use crate::store::{EventRecord, NewDelivery, SharedStore, StoreError, UserId};
use crate::watch::WatchRules;

/// Stores the deliveries `event` causes; how many.
pub async fn deliveries_for(store: &SharedStore, event: &EventRecord, site: &str) -> Result<usize, StoreError> {
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
        // A private repository's events go only to users who may still see it.
        if watch.visibility == "private" && !may_see(store, UserId(watch.user_id), event).await? {
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

async fn may_see(store: &SharedStore, user: UserId, event: &EventRecord) -> Result<bool, StoreError> {
    if store.user(user).await?.is_some_and(|u| u.admin) {
        return Ok(true);
    }
    Ok(store.repository_grant(user, event.repository_id).await?.is_some())
}
