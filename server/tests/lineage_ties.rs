//! Which of several images with the same layers is named as the base: official images first, then
//! ones a tag names now, then the newest. Runs on a real SQLite store; the images are written to
//! the index directly (Docker Hub's `library/` namespace cannot be served from a local registry).

use std::collections::BTreeMap;

use app::digest::Digest;
use app::dto::PlatformImage;
use chrono::{TimeZone, Utc};
use shipshape::lineage::{chain_ids, lineage};
use shipshape::store::{self, ImageChain, SharedStore, Visibility, VisibleTo};

fn diff_id(n: u8) -> String {
    format!("sha256:{}", format!("{n:02x}").repeat(32))
}

/// Names of up to 32 bytes, hex-encoded and padded.
fn manifest_digest(name: &str) -> Digest {
    Digest::parse(&format!("sha256:{:0>64}", name.bytes().map(|b| format!("{b:02x}")).collect::<String>())).unwrap()
}

/// A platform image with `layers` layers (diff_ids 1..=layers), as the inspector builds it.
fn image(layers: u8) -> PlatformImage {
    let layers: Vec<serde_json::Value> = (1..=layers)
        .map(|n| {
            serde_json::json!({"digest": manifest_digest(&format!("layer{n}")), "diff_id": diff_id(n), "size": 10,
                "share": 0.1, "media_type": "application/vnd.oci.image.layer.v1.tar+gzip", "created_by": null,
                "instruction": null, "created": null, "comment": null})
        })
        .collect();
    serde_json::from_value(serde_json::json!({
        "platform": {"os": "linux", "architecture": "amd64", "variant": null},
        "digest": manifest_digest("subject"), "media_type": "application/vnd.oci.image.manifest.v1+json",
        "config_digest": manifest_digest("config"), "created": null, "size": 10, "user": "", "runs_as_root": true,
        "labels": {}, "label_facts": {}, "env": [], "entrypoint": null, "cmd": null, "workdir": null,
        "exposed_ports": [], "volumes": [], "healthcheck": null, "stop_signal": null, "layers": layers, "history": []
    }))
    .unwrap()
}

struct Index {
    store: SharedStore,
    _dir: tempfile::TempDir,
}

impl Index {
    async fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let store = store::open(&shipshape::config::DatabaseUrl::Sqlite(dir.path().join("s.db"))).await.unwrap();
        Self { store, _dir: dir }
    }

    /// `registry/repository:tag` names a two-layer image created in `year`; `moved` tags name
    /// something else now.
    async fn base(&self, name: &str, year: i32, moved: bool) -> Digest {
        let (path, tag) = name.rsplit_once(':').unwrap();
        let (registry, repository) = path.split_once('/').unwrap();
        let digest = manifest_digest(name);
        let created = Utc.with_ymd_and_hms(year, 1, 1, 0, 0, 0).unwrap();
        let chain = chain_ids(&[diff_id(1), diff_id(2)]);
        self.store
            .put_image_chain(&ImageChain { manifest_digest: digest.clone(), chain, created: Some(created) })
            .await
            .unwrap();
        let repo = self.store.upsert_repository(registry, repository, Visibility::Public).await.unwrap();
        self.store.record_tag(repo.id, tag, &digest, created).await.unwrap();
        if moved {
            self.store.record_tag(repo.id, tag, &manifest_digest("elsewhere"), created).await.unwrap();
        }
        digest
    }

    async fn base_of(&self) -> String {
        let found =
            lineage(&self.store, &image(3), &manifest_digest("subject"), &BTreeMap::new(), VisibleTo::Public).await.unwrap();
        assert_eq!(found.chain.len(), 1, "{found:?}");
        found.base.unwrap().reference
    }
}

#[tokio::test]
async fn official_images_win_ties() {
    let index = Index::new().await;
    index.base("docker.io/someone/alpine:3.20", 2025, false).await;
    index.base("docker.io/library/alpine:3.20", 2024, false).await;
    index.base("ghcr.io/mirror/alpine:3.20", 2026, false).await;
    assert_eq!(index.base_of().await, "docker.io/library/alpine:3.20");
}

#[tokio::test]
async fn then_images_a_tag_names_now() {
    let index = Index::new().await;
    index.base("ghcr.io/team/base:old", 2026, true).await;
    index.base("ghcr.io/team/base:stable", 2024, false).await;
    assert_eq!(index.base_of().await, "ghcr.io/team/base:stable");
}

#[tokio::test]
async fn then_the_newest() {
    let index = Index::new().await;
    index.base("ghcr.io/a/base:1", 2024, false).await;
    index.base("ghcr.io/b/base:1", 2026, false).await;
    index.base("ghcr.io/c/base:1", 2025, false).await;
    assert_eq!(index.base_of().await, "ghcr.io/b/base:1");
}

#[tokio::test]
async fn private_bases_are_hidden_from_visitors() {
    let index = Index::new().await;
    let digest = index.base("ghcr.io/team/secret:1", 2024, false).await;
    index.store.upsert_repository("ghcr.io", "team/secret", Visibility::Private).await.unwrap();
    let subject = manifest_digest("subject");
    let visitor = lineage(&index.store, &image(3), &subject, &BTreeMap::new(), VisibleTo::Public).await.unwrap();
    assert!(visitor.chain.is_empty());
    let operator = lineage(&index.store, &image(3), &subject, &BTreeMap::new(), VisibleTo::All).await.unwrap();
    assert_eq!(digest, operator.base.unwrap().digest);

    // An image naming the private base by digest learns nothing from the visitor's page either.
    let annotations = BTreeMap::from([("org.opencontainers.image.base.digest".to_string(), digest.to_string())]);
    let visitor = lineage(&index.store, &image(3), &subject, &annotations, VisibleTo::Public).await.unwrap();
    assert!(!visitor.annotated_base.unwrap().confirmed, "a private digest is not confirmed to visitors");
    let operator = lineage(&index.store, &image(3), &subject, &annotations, VisibleTo::All).await.unwrap();
    assert!(operator.annotated_base.unwrap().confirmed);
}
