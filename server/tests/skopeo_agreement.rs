//! `shipshape inspect` must agree with `skopeo inspect` (and `--config`) on layers, labels, user,
//! platform, created time and the history's `created_by` list, for every manifest kind.

use std::process::Command;

use app::dto::PlatformImage;
use app::reference::ImageReference;
use serde_json::Value;
use shipshape::config::Config;
use shipshape::inspect::{PlatformFilter, Viewer};
use shipshape::services::Services;
use shipshape_testkit::{BuiltImage, BuiltIndex, ImageBuilder, Layer, ManifestFormat, TestRegistry};

fn image(format: ManifestFormat, arch: &str, variant: Option<&str>, user: &str) -> BuiltImage {
    let mut builder = ImageBuilder::new().platform("linux", arch, variant).created("2023-11-14T22:13:20.5Z");
    for i in 0..3 {
        let layer = Layer::builder().file(&format!("layer{i}/{arch}"), vec![i as u8; 1000 * (i + 1)]).build().unwrap();
        builder =
            builder.layer(layer, &format!("/bin/sh -c echo {i} > /layer{i}")).empty_layer(&format!("ENV STEP={i}"));
    }
    builder
        .label("org.opencontainers.image.title", "agreement")
        .label("org.label-schema.vcs-ref", "feedface")
        .label("maintainer", "Ops <ops@example.com>")
        .user(user)
        .build(format)
}

fn skopeo(home: &std::path::Path, args: &[&str]) -> Value {
    let output = Command::new("skopeo")
        .env("HOME", home)
        .args(args)
        .output()
        .expect("skopeo is installed by `make test-deps` (apt-get install skopeo)");
    assert!(output.status.success(), "skopeo {args:?}: {}", String::from_utf8_lossy(&output.stderr));
    serde_json::from_slice(&output.stdout).unwrap()
}

fn assert_agrees(ours: &PlatformImage, inspect: &Value, config: &Value) {
    let layers: Vec<&str> = inspect["Layers"].as_array().unwrap().iter().map(|l| l.as_str().unwrap()).collect();
    assert_eq!(ours.layers.iter().map(|l| l.digest.as_str()).collect::<Vec<_>>(), layers);
    let labels: std::collections::BTreeMap<String, String> = serde_json::from_value(inspect["Labels"].clone()).unwrap();
    assert_eq!(ours.labels, labels);
    assert_eq!(ours.platform.os, inspect["Os"].as_str().unwrap());
    assert_eq!(ours.platform.architecture, inspect["Architecture"].as_str().unwrap());
    // skopeo 1.9 (Debian 12) prints no Variant; the config it fetched states it.
    let variant = inspect.get("Variant").unwrap_or(&config["variant"]).as_str().filter(|v| !v.is_empty());
    assert_eq!(ours.platform.variant.as_deref(), variant);
    let created = |s: &str| chrono::DateTime::parse_from_rfc3339(s).unwrap();
    assert_eq!(created(ours.created.as_deref().unwrap()), created(inspect["Created"].as_str().unwrap()));
    assert_eq!(ours.user, config["config"]["User"].as_str().unwrap_or(""));
    let history: Vec<Option<&str>> =
        config["history"].as_array().unwrap().iter().map(|h| h["created_by"].as_str()).collect();
    assert_eq!(ours.history.iter().map(|h| h.created_by.as_deref()).collect::<Vec<_>>(), history);
    let diff_ids: Vec<&str> =
        config["rootfs"]["diff_ids"].as_array().unwrap().iter().map(|d| d.as_str().unwrap()).collect();
    assert_eq!(ours.layers.iter().map(|l| l.diff_id.as_deref().unwrap()).collect::<Vec<_>>(), diff_ids);
}

#[tokio::test]
async fn agrees_with_skopeo_on_every_manifest_kind() {
    let registry = TestRegistry::anonymous().await.unwrap();
    let home = tempfile::tempdir().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let config = Config::from_vars(vec![
        ("SHIPSHAPE_DATABASE_URL".into(), format!("sqlite://{}", dir.path().join("db").display())),
        ("SHIPSHAPE_ALLOW_HOSTS".into(), registry.host()),
    ])
    .unwrap();
    let services = Services::new(shipshape::store::open(&config.database_url).await.unwrap(), &config);
    let host = registry.host();

    for format in [ManifestFormat::Oci, ManifestFormat::Docker] {
        let single = image(format, "amd64", None, "1001:1001");
        let tag = format!("{format:?}-single").to_lowercase();
        single.push(&registry, "agree/app", Some(&tag)).await.unwrap();
        let url = format!("docker://{host}/agree/app:{tag}");
        let reference = ImageReference::parse(&format!("{host}/agree/app:{tag}")).unwrap();
        let ours = services.inspector.inspect(shipshape::inspect::InspectRequest::new(&reference, Viewer::Operator)).await.unwrap();
        let theirs = skopeo(home.path(), &["inspect", "--tls-verify=false", &url]);
        assert_eq!(ours.digest, theirs["Digest"].as_str().unwrap());
        let config = skopeo(home.path(), &["inspect", "--config", "--tls-verify=false", &url]);
        assert_agrees(&ours.platforms[0], &theirs, &config);

        let platforms = [("amd64", None, "root"), ("arm64", Some("v8"), ""), ("arm", Some("v7"), "app")];
        let images: Vec<BuiltImage> = platforms.iter().map(|(a, v, u)| image(format, a, *v, u)).collect();
        let tag = format!("{format:?}-index").to_lowercase();
        BuiltIndex::new(format, images).push(&registry, "agree/app", &tag).await.unwrap();
        let url = format!("docker://{host}/agree/app:{tag}");
        for (arch, variant, _) in platforms {
            let mut args = vec!["--override-os", "linux", "--override-arch", arch];
            if let Some(variant) = variant {
                args.extend(["--override-variant", variant]);
            }
            let filter =
                PlatformFilter::parse(&format!("linux/{arch}{}", variant.map(|v| format!("/{v}")).unwrap_or_default()))
                    .unwrap();
            let reference = ImageReference::parse(&format!("{host}/agree/app:{tag}")).unwrap();
            let ours =
                services.inspector.inspect(shipshape::inspect::InspectRequest::new(&reference, Viewer::Operator).platform(Some(&filter))).await.unwrap();
            let theirs = skopeo(home.path(), &[&args[..], &["inspect", "--tls-verify=false", &url]].concat());
            let config =
                skopeo(home.path(), &[&args[..], &["inspect", "--config", "--tls-verify=false", &url]].concat());
            assert_eq!(ours.platforms.len(), 1);
            assert_agrees(&ours.platforms[0], &theirs, &config);
        }
    }
}
