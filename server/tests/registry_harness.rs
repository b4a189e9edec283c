//! The test harnesses themselves, against Debian's real docker-registry: every manifest kind pushed in
//! every auth mode reads back byte for byte, and each auth mode refuses what it should.

use oci_client::Reference;
use oci_client::secrets::RegistryAuth;
use shipshape_testkit::{BuiltImage, BuiltIndex, ImageBuilder, Layer, ManifestFormat, TestRegistry, sha256_digest};

fn sample_image(format: ManifestFormat, arch: &str, variant: Option<&str>) -> BuiltImage {
    let base = Layer::builder()
        .dir("etc")
        .file("etc/os-release", "ID=debian\nVERSION_ID=\"12\"\n")
        .symlink("bin", "usr/bin")
        .build()
        .unwrap();
    let app = Layer::builder()
        .file_with_mode("app/run.sh", "#!/bin/sh\necho hi\n", 0o755)
        .whiteout("etc/motd")
        .build()
        .unwrap();
    ImageBuilder::new()
        .platform("linux", arch, variant)
        .layer(base, "/bin/sh -c #(nop) ADD file:0123 in / ")
        .empty_layer("/bin/sh -c #(nop)  CMD [\"bash\"]")
        .layer(app, "COPY run.sh /app/ # buildkit")
        .label("org.opencontainers.image.version", "1.2.3")
        .label("org.opencontainers.image.source", "https://github.com/example/app")
        .env("PATH", "/usr/local/bin:/usr/bin")
        .user("1000:1000")
        .workdir("/app")
        .cmd(&["/app/run.sh"])
        .build(format)
}

async fn read_back(registry: &TestRegistry, reference: &str, accept: &str) -> (Vec<u8>, String) {
    let reference: Reference = reference.parse().unwrap();
    let (bytes, digest) = registry.client().pull_manifest_raw(&reference, &registry.auth(), &[accept]).await.unwrap();
    (bytes.to_vec(), digest)
}

async fn pushes_and_reads_back_every_kind(registry: &TestRegistry, repo: &str) {
    let host = registry.host();
    for format in [ManifestFormat::Oci, ManifestFormat::Docker] {
        let image = sample_image(format, "amd64", None);
        let tag = format!("{format:?}-single").to_lowercase();
        let digest = image.push(registry, repo, Some(&tag)).await.unwrap();
        let (bytes, served) = read_back(registry, &format!("{host}/{repo}:{tag}"), format.manifest_media_type()).await;
        assert_eq!((bytes, served), (image.manifest.clone(), digest.clone()), "{format:?} manifest reads back");

        // Config and layers read back and match their digests.
        let reference: Reference = format!("{host}/{repo}@{digest}").parse().unwrap();
        let client = registry.client();
        let (manifest, _, config) = client.pull_manifest_and_config(&reference, &registry.auth()).await.unwrap();
        assert_eq!(config.as_bytes(), image.config.as_slice());
        assert_eq!(manifest.layers.len(), 2);
        for (layer, built) in manifest.layers.iter().zip(&image.layers) {
            let mut blob = Vec::new();
            client.pull_blob(&reference, layer, &mut blob).await.unwrap();
            assert_eq!(sha256_digest(&blob), built.digest);
        }

        let index = BuiltIndex::new(
            format,
            vec![
                sample_image(format, "amd64", None),
                sample_image(format, "arm64", Some("v8")),
                sample_image(format, "arm", Some("v7")),
            ],
        );
        let tag = format!("{format:?}-multi").to_lowercase();
        let digest = index.push(registry, repo, &tag).await.unwrap();
        let (bytes, served) = read_back(registry, &format!("{host}/{repo}:{tag}"), format.index_media_type()).await;
        assert_eq!((bytes, served), (index.manifest.clone(), digest), "{format:?} index reads back");
        for child in &index.images {
            let (bytes, _) =
                read_back(registry, &format!("{host}/{repo}@{}", child.manifest_digest), format.manifest_media_type())
                    .await;
            assert_eq!(bytes, child.manifest);
        }
    }
}

#[test]
fn layers_have_stable_digests() {
    let build = || Layer::builder().file("a/b.txt", "same").dir("c").build().unwrap();
    let (one, two) = (build(), build());
    assert_eq!((one.digest.clone(), one.diff_id.clone()), (two.digest, two.diff_id));
    assert_ne!(one.digest, one.diff_id, "digest is of the gzip, diff_id of the tar");
    let image = sample_image(ManifestFormat::Oci, "amd64", None);
    assert_eq!(image.manifest_digest, sample_image(ManifestFormat::Oci, "amd64", None).manifest_digest);
    let config: serde_json::Value = serde_json::from_slice(&image.config).unwrap();
    assert_eq!(config["history"].as_array().unwrap().len(), 3);
    assert_eq!(config["history"][1]["empty_layer"], true);
    assert_eq!(config["rootfs"]["diff_ids"].as_array().unwrap().len(), 2);
}

#[tokio::test]
async fn anonymous_registry_round_trips_every_manifest_kind() {
    let registry = TestRegistry::anonymous().await.unwrap();
    pushes_and_reads_back_every_kind(&registry, "shipshape/sample").await;
    let tags = registry
        .client()
        .list_tags(
            &format!("{}/shipshape/sample:x", registry.host()).parse().unwrap(),
            &RegistryAuth::Anonymous,
            None,
            None,
        )
        .await
        .unwrap();
    assert_eq!(tags.tags.len(), 4);
}

#[tokio::test]
async fn basic_auth_registry_round_trips_and_refuses_strangers() {
    let registry = TestRegistry::basic("alice", "secret123").await.unwrap();
    pushes_and_reads_back_every_kind(&registry, "team/app").await;

    let reference: Reference = format!("{}/team/app:oci-single", registry.host()).parse().unwrap();
    for auth in [RegistryAuth::Anonymous, RegistryAuth::Basic("alice".into(), "wrong".into())] {
        let result =
            registry.client().pull_manifest_raw(&reference, &auth, &[ManifestFormat::Oci.manifest_media_type()]).await;
        assert!(result.is_err(), "{auth:?} must be refused");
    }
}

#[tokio::test]
async fn token_auth_registry_round_trips_and_guards_private_repositories() {
    let registry = TestRegistry::token("bob", "hunter2").await.unwrap();
    pushes_and_reads_back_every_kind(&registry, "private/app").await;
    pushes_and_reads_back_every_kind(&registry, "public/app").await;

    let accept = [ManifestFormat::Oci.manifest_media_type()];
    let public: Reference = format!("{}/public/app:oci-single", registry.host()).parse().unwrap();
    let private: Reference = format!("{}/private/app:oci-single", registry.host()).parse().unwrap();
    // Like Docker Hub: anonymous tokens pull public repositories only.
    assert!(registry.client().pull_manifest_raw(&public, &RegistryAuth::Anonymous, &accept).await.is_ok());
    assert!(registry.client().pull_manifest_raw(&private, &RegistryAuth::Anonymous, &accept).await.is_err());
    let wrong = RegistryAuth::Basic("bob".into(), "nope".into());
    assert!(registry.client().pull_manifest_raw(&private, &wrong, &accept).await.is_err());
}
