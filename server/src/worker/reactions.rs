//! Reactions to events: what inspection saw (a tag moved) is followed up here, as a job queued in
//! the same transaction as the event, so inspection never calls lineage or scans itself.

use app::digest::Digest;
use serde::{Deserialize, Serialize};

use crate::jobs::{BackgroundJob, Context, JobError, Lane, RunningJob};
use crate::store::{EVENT_JOB, EventRecord, Visibility};

/// Reacts to the stored event `event`.
#[derive(Serialize, Deserialize)]
pub struct ReactToEvent {
    pub event: i64,
}

#[async_trait::async_trait]
impl BackgroundJob for ReactToEvent {
    const KIND: &'static str = EVENT_JOB;
    const LANE: Lane = Lane::Prompt;
    const PRIORITY: i32 = 10;

    async fn run(&self, context: &Context, _job: &RunningJob) -> Result<(), JobError> {
        let Some(event) = context.store.event(self.event).await? else {
            return Err(JobError::Failed(format!("event {} is not stored", self.event)));
        };
        if event.kind == "tag.moved" {
            tag_moved(context, &event).await?;
        }
        // Watchers are told once what follows from the event was raised (a moved base's
        // `base_updated` events are events of their own, told in their own reaction).
        if let Some(notifier) = &context.notifier {
            let queued = notifier.fan_out(&event).await?;
            if queued > 0 {
                tracing::info!(event = event.id, kind = %event.kind, queued, "notifications queued");
            }
        }
        Ok(())
    }
}

/// Images built on what the tag named before get `base_updated` events; a scanned image's tag
/// that moved has its new image scanned.
async fn tag_moved(context: &Context, event: &EventRecord) -> Result<(), JobError> {
    let store = &context.store;
    let (Some(tag), Some(to)) = (event.tag.as_deref(), event.digest.as_ref()) else { return Ok(()) };
    let Some(from) = event.detail["from"].as_str() else { return Ok(()) };
    let from = Digest::parse(from).map_err(|e| JobError::Failed(format!("event {}: {e}", event.id)))?;
    let Some(repository) = store.repository(&event.registry, &event.repository).await? else { return Ok(()) };
    let raised = crate::lineage::raise_base_moved(store, &repository, tag, &from, to).await?;
    // Workers hold no credentials: private images are rescanned with `shipshape scan`.
    let rescan = repository.visibility == Visibility::Public
        && crate::scan::service::rescan_moved_tag(
            store,
            &format!("{}/{}", repository.registry, repository.name),
            &from,
            to,
        )
        .await?;
    tracing::info!(repository = %repository.name, tag, %from, %to, raised, rescan, "tag moved");
    Ok(())
}
