//! Shipshape's own cases: what users type and the messages they get back.

use super::*;

const DIGEST: &str = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

fn normal(input: &str) -> String {
    ImageReference::parse(input).unwrap_or_else(|e| panic!("{input}: {e}")).to_string()
}

#[test]
fn official_images_get_the_library_namespace_and_latest() {
    assert_eq!(normal("alpine"), "docker.io/library/alpine:latest");
    assert_eq!(normal("library/alpine:3.20"), "docker.io/library/alpine:3.20");
    assert_eq!(normal("docker.io/alpine"), "docker.io/library/alpine:latest");
    assert_eq!(normal("index.docker.io/library/alpine"), "docker.io/library/alpine:latest");
    assert_eq!(normal("  alpine:3.20 "), "docker.io/library/alpine:3.20");
}

#[test]
fn user_repositories_on_docker_hub_keep_their_namespace() {
    assert_eq!(normal("grafana/grafana:11.0.0"), "docker.io/grafana/grafana:11.0.0");
    assert_eq!(normal("a/b/c"), "docker.io/a/b/c:latest");
}

#[test]
fn other_registries_with_ports_and_digests() {
    assert_eq!(normal("localhost:5000/ns/repo:tag"), "localhost:5000/ns/repo:tag");
    assert_eq!(normal("localhost/repo"), "localhost/repo:latest");
    assert_eq!(normal("127.0.0.1:5000/repo"), "127.0.0.1:5000/repo:latest");
    assert_eq!(normal("[::1]:5000/repo:1"), "[::1]:5000/repo:1");
    assert_eq!(normal(&format!("ghcr.io/o/r@{DIGEST}")), format!("ghcr.io/o/r@{DIGEST}"));
    let both = ImageReference::parse(&format!("quay.io/o/r:v1@{DIGEST}")).unwrap();
    assert_eq!(both.tag.as_deref(), Some("v1"));
    assert_eq!(both.digest.as_deref(), Some(DIGEST));
}

#[test]
fn familiar_form_is_what_docker_prints() {
    let r = ImageReference::parse("docker.io/library/alpine:3.20").unwrap();
    assert_eq!(r.familiar(), "alpine:3.20");
    let r = ImageReference::parse("ghcr.io/o/r").unwrap();
    assert_eq!(r.familiar(), "ghcr.io/o/r:latest");
    assert_eq!(r.repository_path(), "ghcr.io/o/r");
}

/// Found by `make fuzz` (target `reference`): a Docker Hub repository whose short form would read
/// back as another registry's, or as an image ID, keeps the longer form.
#[test]
fn familiar_form_parses_back_to_the_same_reference() {
    let hex = "ab".repeat(32);
    for input in ["docker.io/ndex.dockeredocker.io/ndex.dockerr", "docker.io/localhost/x", &format!("docker.io/{hex}")]
    {
        let r = ImageReference::parse(input).unwrap();
        assert_eq!(ImageReference::parse(&r.familiar()).unwrap(), r, "{input}");
        assert_eq!(ImageReference::parse_repository(&r.familiar_name()).unwrap().repository, r.repository, "{input}");
    }
    assert_eq!(ImageReference::parse("docker.io/a.b/c").unwrap().familiar(), "docker.io/a.b/c:latest");
    assert_eq!(ImageReference::parse(&format!("docker.io/{hex}")).unwrap().familiar_name(), format!("library/{hex}"));
}

#[test]
fn uppercase_repository_is_refused_with_a_reason() {
    let err = ImageReference::parse("Alpine:Latest").unwrap_err();
    assert_eq!(err, ReferenceError::Uppercase("Alpine".into()));
    assert!(err.to_string().contains("must be lowercase"));
    // Uppercase tags are fine.
    assert_eq!(normal("alpine:Latest"), "docker.io/library/alpine:Latest");
}

#[test]
fn malformed_references_say_what_is_wrong() {
    use ReferenceError::*;
    let err = |s: &str| ImageReference::parse(s).unwrap_err();
    assert_eq!(err(""), Empty);
    assert_eq!(err("al pine"), Whitespace);
    assert!(matches!(err("alpine:"), BadTag(_)));
    assert!(matches!(err("alpine:.x"), BadTag(_)));
    assert!(matches!(err(&format!("alpine:{}", "a".repeat(129))), BadTag(_)));
    assert!(matches!(err("alpine@sha256:abc"), BadDigest(_)));
    assert!(matches!(err("alpine@md5:0123"), BadDigest(_)));
    assert!(matches!(err(&format!("alpine@{}", DIGEST.to_uppercase())), BadDigest(_)));
    assert!(matches!(err("-alpine"), BadComponent(_)));
    assert!(matches!(err("alp...ine"), BadComponent(_)));
    assert_eq!(err("a//b"), EmptyComponent);
    assert_eq!(err("alpine/"), EmptyComponent);
    assert_eq!(err(":3.20"), MissingName);
    assert!(err(":3.20").to_string().contains("e.g. alpine:3.20"));
    assert!(matches!(err("localhost:99999/x"), BadRegistry(_)));
    assert!(matches!(err("bad_host.io/x"), BadRegistry(_)));
    assert!(matches!(err(&"a".repeat(64)), BadComponent(_) | ImageId(_)));
    assert!(matches!(err(&"ab".repeat(32)), ImageId(_)));
    assert_eq!(err(&"a".repeat(256)), NameTooLong);
}

#[test]
fn separators_follow_the_distribution_grammar() {
    assert_eq!(normal("a__b"), "docker.io/library/a__b:latest");
    assert_eq!(normal("a---b.c_d"), "docker.io/library/a---b.c_d:latest");
    assert!(ImageReference::parse("a___b").is_err());
    assert!(ImageReference::parse("a._b").is_err());
}
