//! What several HTTP test files share: the assembled server on a loopback port.

// Only the tests that start the binary use these.
#[allow(dead_code)]
pub mod process;
// Only the notification tests use these.
#[allow(dead_code)]
pub mod notify;

use std::sync::Arc;

use shipshape::services::Services;
use shipshape::store::SharedStore;

pub struct Running {
    pub base: String,
    /// Each test file is its own crate, and not all of them reach past HTTP.
    #[allow(dead_code)]
    pub services: Arc<Services>,
    /// The background jobs `serve` would run; tests run them with `drain`.
    #[allow(dead_code)]
    pub jobs: shipshape::jobs::Runner,
    _site: tempfile::TempDir,
}

/// `shipshape serve`'s router over `store`, with `allow_hosts` (the test registries) allow-listed.
pub async fn serve(store: SharedStore, allow_hosts: &str) -> Running {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    serve_with(store, listener, &[("SHIPSHAPE_ALLOW_HOSTS", allow_hosts.to_string())]).await
}

/// The same on `listener` (bound beforehand when its address must be known first), configured by `vars`.
#[allow(dead_code)]
pub async fn serve_with(store: SharedStore, listener: tokio::net::TcpListener, vars: &[(&str, String)]) -> Running {
    shipshape_testkit::install_crypto_provider();
    let site = tempfile::tempdir().unwrap();
    let addr = listener.local_addr().unwrap();
    let mut all = vec![("SHIPSHAPE_LISTEN".to_string(), addr.to_string())];
    all.extend(vars.iter().map(|(k, v)| (k.to_string(), v.clone())));
    let config = shipshape::config::Config::from_vars(all).unwrap();
    // A fresh key per server: users' registry credentials are sealed as `serve` seals them.
    let key = shipshape::secrets::SecretKey::generate();
    let services = Arc::new(Services::new(store, &config).with_secret_key(key));
    let app = shipshape::serve::router(services.clone(), site.path().to_path_buf(), &config);
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    let jobs = shipshape::worker::runner(&services, &config);
    Running { base: format!("http://{addr}"), services, jobs, _site: site }
}
