//! The application services, one per area, assembled once per process: each takes a `Viewer`,
//! parses what the user wrote, applies its area's rules (visibility, the default platform) and
//! returns the DTOs. The Leptos `Backend`, the REST handlers and the CLI are thin adapters over them.

mod backend;
mod badge_tokens;
mod error;
mod images;
mod notify_pages;
mod scans;
mod watches;

use std::sync::{Arc, Once};

use crate::auth::{AccountSettings, Accounts};
use crate::badge::Badges;
use crate::config::Config;
use crate::credentials::RegistryCredentials;
use crate::inspect::Inspector;
use crate::config::{BearerSecret, NotifySettings};
use crate::net::Policy;
use crate::notify::Notifier;
use crate::registry::{Registries, RegistrySettings};
use crate::secrets::SecretKey;
use crate::store::SharedStore;

pub use error::{Kind, Public, ServiceError};
pub use images::{ChosenImage, CredentialsFor, ImageQuery, Images};
pub use scans::{Sbom, SbomFormat, Scans};
pub use watches::{HOOK_PATH, WatchInput, WatchView, Watches};

pub struct Services {
    pub store: SharedStore,
    pub inspector: Arc<Inspector>,
    pub images: Images,
    pub scans: Scans,
    pub badges: Badges,
    pub accounts: Accounts,
    pub watches: Watches,
    /// Notification channels and deliveries: only once the instance key is loaded.
    pub notifier: Option<Arc<Notifier>>,
    /// What `POST /api/v1/registry-events` requires (SHIPSHAPE_REGISTRY_EVENTS_TOKEN).
    pub registry_events_token: Option<BearerSecret>,
    /// Users' registry credentials: only once the instance key is loaded ([`Services::with_secret_key`]).
    pub credentials: Option<RegistryCredentials>,
    /// Where signed-in users' credentials come from (the above, or a test's own).
    credentials_for: Option<Arc<dyn CredentialsFor>>,
    registries: Arc<Registries>,
    /// What the notifier is made with once the key is loaded.
    notify: (Arc<Policy>, NotifySettings, String, std::time::Duration),
}

impl Services {
    pub fn new(store: SharedStore, config: &Config) -> Self {
        Self::with_registries(store, Arc::new(registries(config)), config)
    }

    /// With registry clients made beforehand (a command warms its registry's client while the
    /// database opens).
    pub fn with_registries(store: SharedStore, registries: Arc<Registries>, config: &Config) -> Self {
        let inspector = Arc::new(Inspector::new(store.clone(), registries.clone(), config.tag_ttl));
        let images = Images::new(inspector.clone());
        let scans = Scans::new(store.clone(), images.clone());
        let badges = Badges::new(store.clone(), inspector.clone(), config.tag_ttl);
        let accounts = Accounts::new(store.clone(), AccountSettings::with_signup(config.signup));
        let site = match &config.public_url {
            Some(url) => url.origin.clone(),
            None => format!("http://{}", config.listen),
        };
        let watches = Watches::new(store.clone(), images.clone(), site.clone());
        let notify = (Arc::new(Policy::new(config.allow_hosts.clone())), config.notify.clone(), site, config.tag_ttl);
        Self {
            store,
            inspector,
            images,
            scans,
            badges,
            accounts,
            watches,
            notifier: None,
            registry_events_token: config.notify.registry_events_token.clone(),
            credentials: None,
            credentials_for: None,
            registries,
            notify,
        }
    }

    /// Signed-in users' inspections read private repositories with their own saved credentials,
    /// found by `source`.
    pub fn with_credentials_for(mut self, source: Arc<dyn CredentialsFor>) -> Self {
        self.credentials_for = Some(source.clone());
        self.images = self.images.clone().with_credentials_for(source);
        self.scans = Scans::new(self.store.clone(), self.images.clone());
        self.watches = Watches::new(self.store.clone(), self.images.clone(), self.notify.2.clone());
        self
    }

    /// With users' registry credentials sealed and opened under `key` (`secrets::load`), and used
    /// for their inspections.
    pub fn with_secret_key(mut self, key: SecretKey) -> Self {
        let (policy, settings, site, tag_ttl) = self.notify.clone();
        self.notifier = Some(Arc::new(Notifier::new(self.store.clone(), key.clone(), policy, settings, site, tag_ttl)));
        let credentials = RegistryCredentials::new(self.store.clone(), key, self.registries.clone());
        self.credentials = Some(credentials.clone());
        self.with_credentials_for(Arc::new(credentials))
    }

    /// Users' saved credentials, for background work done on a user's behalf.
    pub fn credentials_for(&self) -> Option<Arc<dyn CredentialsFor>> {
        self.credentials_for.clone()
    }
}

#[async_trait::async_trait]
impl CredentialsFor for RegistryCredentials {
    async fn credentials_for(&self, user: crate::store::UserId, registry: &str) -> Option<crate::registry::Credentials> {
        match RegistryCredentials::credentials_for(self, user, registry).await {
            Ok(found) => found,
            // Unreadable or the store failing: the user is answered as without credentials.
            Err(e) => {
                tracing::warn!(user = user.0, registry, error = %e, "saved registry credentials not used");
                None
            }
        }
    }

    async fn record_use(&self, user: crate::store::UserId, registry: &str, result: Result<(), &crate::registry::RegistryError>) {
        if let Err(e) = RegistryCredentials::record_use(self, user, registry, result).await {
            tracing::warn!(user = user.0, registry, error = %e, "use of saved registry credentials not recorded");
        }
    }
}

/// The registry clients' cache, under the configured outbound policy and settings.
pub fn registries(config: &Config) -> Registries {
    install_crypto_provider();
    Registries::new(
        Policy::new(config.allow_hosts.clone()),
        RegistrySettings { timeout: config.registry_timeout, insecure: config.insecure_registries.clone() },
    )
}

/// reqwest is built without a bundled TLS provider: install ring once per process.
pub fn install_crypto_provider() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let _ = rustls::crypto::ring::default_provider().install_default();
    });
}
