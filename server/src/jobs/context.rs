//! What every job may use: the store, the inspector (with its registry clients), the outbound
//! policy and the settings of the periodic work.

use std::sync::Arc;
use std::time::Duration;

use crate::config::{KnownBases, VulnDbSync};
use crate::inspect::Inspector;
use crate::net::Policy;
use crate::scan::limits::ScanLimits;
use crate::services::CredentialsFor;
use crate::store::SharedStore;

#[derive(Clone)]
pub struct Context {
    pub store: SharedStore,
    pub inspector: Arc<Inspector>,
    pub policy: Arc<Policy>,
    pub base_images: KnownBases,
    pub vulndb: VulnDbSync,
    pub registry_timeout: Duration,
    pub scan_limits: ScanLimits,
    /// Users' saved registry credentials, for a private image's scan queued by one of them
    /// (`None`: no instance key loaded; such scans fail saying so).
    pub credentials_for: Option<Arc<dyn CredentialsFor>>,
    /// Notification channels and deliveries (`None`: no instance key loaded, no channel opens).
    pub notifier: Option<Arc<crate::notify::Notifier>>,
}
