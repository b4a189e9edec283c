//! What the notification tests share: a store of either kind, images that differ by one file, a
//! script's client holding a user's write token, and one watcher round with the jobs it leads to.

use serde_json::{Value, json};
use shipshape::auth::Scope;
use shipshape::config::DatabaseUrl;
use shipshape::store::{self, SharedStore};
use shipshape_testkit::{ImageBuilder, Layer, ManifestFormat, TestDatabase, TestRegistry};

use super::Running;

pub async fn sqlite(dir: &tempfile::TempDir) -> SharedStore {
    store::open(&DatabaseUrl::Sqlite(dir.path().join("notify.db"))).await.unwrap()
}

pub async fn postgres() -> Option<(TestDatabase, SharedStore)> {
    let db = TestDatabase::create().await.unwrap()?;
    let store = store::open(&DatabaseUrl::parse(db.url()).unwrap()).await.unwrap();
    Some((db, store))
}

/// An image whose only layer holds `text`: each text a different digest.
pub async fn push(registry: &TestRegistry, repository: &str, tag: &str, text: &str) -> String {
    let layer = Layer::builder().file("etc/release", text).build().unwrap();
    let image = ImageBuilder::new().layer(layer, "ADD release /etc/").build(ManifestFormat::Oci);
    image.push(registry, repository, Some(tag)).await.unwrap()
}

/// A script's HTTP client holding alice's write token.
pub struct Script {
    pub base: String,
    pub token: String,
    pub client: reqwest::Client,
}

impl Script {
    pub async fn for_user(server: &Running, username: &str) -> Self {
        let accounts = &server.services.accounts;
        accounts.create_user(username, "correct horse battery", false).await.unwrap();
        let (_, token) = accounts.create_token_for(username, "ci", Scope::Write).await.unwrap();
        Self { base: server.base.clone(), token, client: reqwest::Client::new() }
    }

    pub async fn send(&self, request: reqwest::RequestBuilder) -> (u16, Value) {
        let response = request.bearer_auth(&self.token).send().await.unwrap();
        let status = response.status().as_u16();
        (status, response.json().await.unwrap_or(Value::Null))
    }

    pub async fn post(&self, path: &str, body: Value) -> (u16, Value) {
        self.send(self.client.post(format!("{}{path}", self.base)).json(&body)).await
    }

    pub async fn get(&self, path: &str) -> (u16, Value) {
        self.send(self.client.get(format!("{}{path}", self.base))).await
    }

    /// A webhook channel to `url`: its id and signing secret.
    pub async fn webhook(&self, name: &str, url: &str) -> (i64, String) {
        let (status, made) = self.post("/api/v1/channels", json!({ "name": name, "kind": "webhook", "url": url })).await;
        assert_eq!(status, 201, "{made}");
        (made["id"].as_i64().unwrap(), made["secret"].as_str().unwrap().to_string())
    }

    pub async fn watch(&self, body: Value) -> i64 {
        let (status, made) = self.post("/api/v1/watches", body).await;
        assert_eq!(status, 201, "{made}");
        made["id"].as_i64().unwrap()
    }
}

/// One round of the watcher, then every job it led to (reactions, deliveries, retries due now).
pub async fn round(server: &Running) {
    shipshape::jobs::enqueue(&server.services.store, &shipshape::watch::PollWatches {}).await.unwrap();
    server.jobs.drain().await.unwrap();
}
