//! What the notification pages show, read for the signed-in user: channels, watches (their
//! channels by name) and a channel's delivery log, as the UI's DTOs.

use app::dto::{
    AttemptRow, ChannelChoice, ChannelLogPage, ChannelRow, DeliveryRow, FreshSecret, NotificationsPage, WatchRow,
};
use chrono::{DateTime, SecondsFormat, Utc};

use super::{ServiceError, Services, WatchView};
use crate::inspect::Viewer;
use crate::notify::{ChannelView, DeliveryView, Notifier, NotifyError};
use crate::store::UserId;

impl Services {
    /// The notifier, or why there is none (the instance key is not loaded).
    fn notifier_or_error(&self) -> Result<&Notifier, ServiceError> {
        self.notifier.as_deref().ok_or(ServiceError::NoCredentialStore)
    }

    pub(super) async fn notifications_page(
        &self,
        viewer: Viewer,
        user: UserId,
        fresh_secret: Option<FreshSecret>,
        fresh_hook: Option<FreshSecret>,
    ) -> Result<NotificationsPage, ServiceError> {
        let channels = self.notifier_or_error()?.channels(user).await?;
        let watches = self.watches.list(viewer).await?;
        let watches = watches.into_iter().map(|w| watch_row(w, &channels)).collect();
        Ok(NotificationsPage {
            channels: channels.iter().map(channel_row).collect(),
            watches,
            email_enabled: self.notify.1.smtp_url.is_some(),
            fresh_secret,
            fresh_hook,
        })
    }

    pub(super) async fn channel_log_page(&self, user: UserId, channel: i64) -> Result<ChannelLogPage, ServiceError> {
        let notifier = self.notifier_or_error()?;
        let channels = notifier.channels(user).await?;
        let view = channels.iter().find(|c| c.id == channel).ok_or(NotifyError::NotFound)?;
        let deliveries = notifier.deliveries(user, channel).await?;
        let deliveries = deliveries.into_iter().map(delivery_row).collect();
        Ok(ChannelLogPage { channel: channel_row(view), deliveries })
    }

    pub(super) async fn channel_choices(&self, user: UserId) -> Result<Vec<ChannelChoice>, ServiceError> {
        // Without the instance key there are no channels: the panel then says to add one.
        let Some(notifier) = self.notifier.as_deref() else { return Ok(Vec::new()) };
        let channels = notifier.channels(user).await?;
        Ok(channels
            .into_iter()
            .map(|c| ChannelChoice { id: c.id, name: c.name, kind: c.kind, disabled: c.disabled_at.is_some() })
            .collect())
    }
}

fn time(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Secs, true)
}

fn channel_row(c: &ChannelView) -> ChannelRow {
    ChannelRow {
        id: c.id,
        name: c.name.clone(),
        kind: c.kind.clone(),
        target: c.target.clone(),
        cloudevents: c.cloudevents,
        created_at: time(c.created_at),
        failing_since: c.failing_since.map(time),
        disabled_at: c.disabled_at.map(time),
        disabled_reason: c.disabled_reason.clone(),
    }
}

fn watch_row(w: WatchView, channels: &[ChannelView]) -> WatchRow {
    let name = |id: i64| channels.iter().find(|c| c.id == id).map_or_else(|| format!("#{id}"), |c| c.name.clone());
    WatchRow {
        id: w.id,
        repository: w.repository,
        tag: w.tag,
        include: w.include,
        exclude: w.exclude,
        events: w.events,
        min_severity: w.min_severity,
        channels: w.channels.into_iter().map(name).collect(),
        created_at: time(w.created_at),
    }
}

fn delivery_row(d: DeliveryView) -> DeliveryRow {
    DeliveryRow {
        id: d.id,
        event_type: d.event_type,
        webhook_id: d.webhook_id,
        state: d.state,
        created_at: time(d.created_at),
        finished_at: d.finished_at.map(time),
        attempts: d
            .attempts
            .into_iter()
            .map(|a| AttemptRow {
                attempt: a.attempt,
                at: time(a.at),
                duration_ms: a.duration_ms,
                status: a.status,
                response_code: a.response_code,
                detail: a.detail,
            })
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_forms_offer_every_event_type_the_server_knows() {
        let offered: Vec<&str> = app::dto::WATCH_EVENTS.iter().map(|(name, _)| *name).collect();
        assert_eq!(offered, crate::notify::EVENT_TYPES);
    }
}
