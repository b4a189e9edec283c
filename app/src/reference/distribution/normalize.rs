//! `normalize_test.go`: Docker's normalisation (`ParseNormalizedNamed` and friends).

use super::*;

/// `TestValidateReferenceName` (ParseNormalizedNamed).
#[test]
fn reference_names_docker_accepts_and_refuses() {
    let valid = [
        "docker/docker",
        "library/debian",
        "debian",
        "localhost/library/debian",
        "localhost/debian",
        "LOCALDOMAIN/library/debian",
        "LOCALDOMAIN/debian",
        "docker.io/docker/docker",
        "docker.io/library/debian",
        "docker.io/debian",
        "index.docker.io/docker/docker",
        "index.docker.io/library/debian",
        "index.docker.io/debian",
        "127.0.0.1:5000/docker/docker",
        "127.0.0.1:5000/library/debian",
        "127.0.0.1:5000/debian",
        "192.168.0.1",
        "192.168.0.1:80",
        "192.168.0.1:8/debian",
        "192.168.0.2:25000/debian",
        "thisisthesongthatneverendsitgoesonandonandonthisisthesongthatnev",
        "[fc00::1]:5000/docker",
        "[fc00::1]:5000/docker/docker",
        "[fc00:1:2:3:4:5:6:7]:5000/library/debian",
        NAMED_HEX,
        "Docker/docker",
        "DOCKER/docker",
    ];
    let invalid = [
        "https://github.com/docker/docker",
        "docker/Docker",
        "-docker",
        "-docker/docker",
        "-docker.io/docker/docker",
        "docker///docker",
        "docker.io/docker/Docker",
        "docker.io/docker///docker",
        "[fc00::1]",
        "[fc00::1]:5000",
        "fc00::1:5000/debian",
        "[fe80::1%eth0]:5000/debian",
        "[2001:db8:3:4::192.0.2.33]:5000/debian",
        "1a3f5e7d9c1b3a5f7e9d1c3b5a7f9e1d3c5b7a9f1e3d5d7c9b1a3f5e7d9c1b3a",
    ];
    for name in valid {
        parsed(name);
    }
    for name in invalid {
        refused(name);
    }
}

/// The two cases of that table Shipshape used to get wrong, with what it says now.
#[test]
fn a_hex_name_needs_a_registry_and_ipv6_hosts_are_hex_only() {
    // With a registry, 64 hex characters are a repository name; alone they are an image ID.
    let named = parsed(NAMED_HEX);
    assert_eq!((named.registry.as_str(), named.repository.as_str()), ("docker.io", "library/1a3f5e7d9c1b3a5f7e9d1c3b5a7f9e1d3c5b7a9f1e3d5d7c9b1a3f5e7d9c1b3a"));
    assert_eq!(refused("1a3f5e7d9c1b3a5f7e9d1c3b5a7f9e1d3c5b7a9f1e3d5d7c9b1a3f5e7d9c1b3a"), ImageId("1a3f5e7d9c1b3a5f7e9d1c3b5a7f9e1d3c5b7a9f1e3d5d7c9b1a3f5e7d9c1b3a".into()));
    // Docker's grammar takes IPv6 hosts in hex between brackets: no dotted IPv4 part, no zone.
    let dotted = refused("[2001:db8:3:4::192.0.2.33]:5000/debian");
    assert_eq!(dotted, BadIpv6("[2001:db8:3:4::192.0.2.33]".into()));
    assert!(dotted.to_string().contains("e.g. [2001:db8::1]:5000"), "{dotted}");
    assert_eq!(refused("[fe80::1%eth0]:5000/debian"), BadIpv6("[fe80::1%eth0]".into()));
    assert_eq!(parsed("[2001:db8:3:4::c000:221]:5000/debian").registry, "[2001:db8:3:4::c000:221]:5000");
}

/// `TestValidateRemoteName` (ParseNormalizedNamed on names without a registry).
#[test]
fn remote_names_follow_the_path_grammar() {
    let valid = [
        "docker/docker",
        "thisisthesongthatneverendsitgoesonandonandonthisisthesongthatnev",
        "docker-rules/docker",
        "docker---rules/docker",
        "doc/docker",
        "d/docker",
        "jess/t",
        "dock__er/docker",
    ];
    let invalid = [
        ("docker/Docker", Uppercase(String::new())),
        ("docker///docker", EmptyComponent),
        ("1a3f5e7d9c1b3a5f7e9d1c3b5a7f9e1d3c5b7a9f1e3d5d7c9b1a3f5e7d9c1b3a", ImageId(String::new())),
        ("-docker/docker", BadComponent(String::new())),
        ("docker-/docker", BadComponent(String::new())),
        ("-docker-/docker", BadComponent(String::new())),
        ("____/____", BadComponent(String::new())),
        ("_docker/_docker", BadComponent(String::new())),
        // With a dot, the first component reads as a registry host, in Docker too.
        ("dock..er/docker", BadRegistry(String::new())),
        ("dock_.er/docker", BadRegistry(String::new())),
        ("dock-.er/docker", BadRegistry(String::new())),
        ("docker/dock..er", BadComponent(String::new())),
        ("docker/dock_.er", BadComponent(String::new())),
        ("docker/dock-.er", BadComponent(String::new())),
        ("docker/", EmptyComponent),
        ("this_is_not_a_valid_namespace_because_its_lenth_is_greater_than_255_this_is_not_a_valid_namespace_because_its_lenth_is_greater_than_255_this_is_not_a_valid_namespace_because_its_lenth_is_greater_than_255_this_is_not_a_valid_namespace_because_its_lenth_is_greater_than_255/docker", NameTooLong),
        // Not in the table, but the same rule: the path is measured with `library/`.
        ("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", NameTooLong),
    ];
    for name in valid {
        parsed(name);
    }
    for (name, expected) in invalid {
        let error = refused(name);
        assert!(same_kind(&error, &expected), "{name}: {error:?}, expected {expected:?}");
    }
}

/// `TestParseRepositoryInfo`: Docker's `Path`, `FamiliarName`, `String` and `Domain` are
/// Shipshape's `repository`, `familiar_name()`, `repository_path()` and `registry`.
#[test]
fn repository_info_in_every_form_it_is_written() {
    // (remote name, familiar, full, ambiguous or "", domain)
    let rows = [
        ("fooo", "localhost/fooo", "localhost/fooo", "", "localhost"),
        ("fooo/bar", "localhost/fooo/bar", "localhost/fooo/bar", "", "localhost"),
        ("fooo", "LOCALDOMAIN/fooo", "LOCALDOMAIN/fooo", "", "LOCALDOMAIN"),
        ("fooo/bar", "LOCALDOMAIN/fooo/bar", "LOCALDOMAIN/fooo/bar", "", "LOCALDOMAIN"),
        ("fooo/bar", "fooo/bar", "docker.io/fooo/bar", "index.docker.io/fooo/bar", "docker.io"),
        ("library/ubuntu", "ubuntu", "docker.io/library/ubuntu", "library/ubuntu", "docker.io"),
        ("nonlibrary/ubuntu", "nonlibrary/ubuntu", "docker.io/nonlibrary/ubuntu", "", "docker.io"),
        ("other/library", "other/library", "docker.io/other/library", "", "docker.io"),
        ("private/moonbase", "127.0.0.1:8000/private/moonbase", "127.0.0.1:8000/private/moonbase", "", "127.0.0.1:8000"),
        ("privatebase", "127.0.0.1:8000/privatebase", "127.0.0.1:8000/privatebase", "", "127.0.0.1:8000"),
        ("private/moonbase", "example.com/private/moonbase", "example.com/private/moonbase", "", "example.com"),
        ("privatebase", "example.com/privatebase", "example.com/privatebase", "", "example.com"),
        ("private/moonbase", "example.com:8000/private/moonbase", "example.com:8000/private/moonbase", "", "example.com:8000"),
        ("privatebasee", "example.com:8000/privatebasee", "example.com:8000/privatebasee", "", "example.com:8000"),
        ("library/ubuntu-12.04-base", "ubuntu-12.04-base", "docker.io/library/ubuntu-12.04-base", "index.docker.io/library/ubuntu-12.04-base", "docker.io"),
        ("library/foo", "foo", "docker.io/library/foo", "docker.io/foo", "docker.io"),
        ("library/foo/bar", "library/foo/bar", "docker.io/library/foo/bar", "", "docker.io"),
        ("store/foo/bar", "store/foo/bar", "docker.io/store/foo/bar", "", "docker.io"),
        ("bar", "Foo/bar", "Foo/bar", "", "Foo"),
        ("bar", "FOO/bar", "FOO/bar", "", "FOO"),
    ];
    for (remote, familiar, full, ambiguous, domain) in rows {
        for written in [familiar, full, ambiguous].into_iter().filter(|w| !w.is_empty()) {
            let r = repository(written);
            assert_eq!(r.repository, remote, "{written}");
            assert_eq!(r.registry, domain, "{written}");
            assert_eq!(r.repository_path(), full, "{written}");
            assert_eq!(r.familiar_name(), familiar, "{written}");
            // As a reference, the same name with Docker's default tag.
            assert_eq!(parsed(written).to_string(), format!("{full}:latest"), "{written}");
        }
    }
}

/// `TestParseReferenceWithTagAndDigest` and `TestInvalidReferenceComponents` (whose `WithTag`
/// and `WithDigest` are written here as the reference a user would type).
#[test]
fn tag_and_digest_together_and_invalid_components() {
    let short = "busybox:latest@sha256:86e0e091d0da6bde2456dbb48306f3956bbeb2eae1b5b9a43045843f69fe4aaa";
    let r = parsed(short);
    assert_eq!(r.to_string(), format!("docker.io/library/{short}"));
    assert_eq!(r.tag.as_deref(), Some("latest"));
    assert!(r.digest.is_some());
    assert_eq!(r.familiar(), short);

    assert!(matches!(refused("-foo"), BadComponent(_)));
    parsed("busybox");
    assert_eq!(refused("busybox:-foo"), BadTag("-foo".into()));
    assert_eq!(refused("busybox@foo"), BadDigest("foo".into()));
}

/// `TestParseAnyReference`. Shipshape has no digest-only references: a bare image ID is refused
/// with the form to type instead, and `sha256:…` reads as `docker pull` reads it, a repository
/// named `sha256` with a tag.
#[test]
fn any_reference_reads_as_its_equivalent() {
    let rows = [
        ("redis", "docker.io/library/redis"),
        ("redis:latest", "docker.io/library/redis:latest"),
        ("docker.io/library/redis:latest", "docker.io/library/redis:latest"),
        ("redis@sha256:dbcc1c35ac38df41fd2f5e4130b32ffdb93ebae8b3dbe638c23575912276fc9c", "docker.io/library/redis@sha256:dbcc1c35ac38df41fd2f5e4130b32ffdb93ebae8b3dbe638c23575912276fc9c"),
        ("docker.io/library/redis@sha256:dbcc1c35ac38df41fd2f5e4130b32ffdb93ebae8b3dbe638c23575912276fc9c", "docker.io/library/redis@sha256:dbcc1c35ac38df41fd2f5e4130b32ffdb93ebae8b3dbe638c23575912276fc9c"),
        ("dmcgowan/myapp", "docker.io/dmcgowan/myapp"),
        ("dmcgowan/myapp:latest", "docker.io/dmcgowan/myapp:latest"),
        ("docker.io/mcgowan/myapp:latest", "docker.io/mcgowan/myapp:latest"),
        ("dmcgowan/myapp@sha256:dbcc1c35ac38df41fd2f5e4130b32ffdb93ebae8b3dbe638c23575912276fc9c", "docker.io/dmcgowan/myapp@sha256:dbcc1c35ac38df41fd2f5e4130b32ffdb93ebae8b3dbe638c23575912276fc9c"),
        ("docker.io/dmcgowan/myapp@sha256:dbcc1c35ac38df41fd2f5e4130b32ffdb93ebae8b3dbe638c23575912276fc9c", "docker.io/dmcgowan/myapp@sha256:dbcc1c35ac38df41fd2f5e4130b32ffdb93ebae8b3dbe638c23575912276fc9c"),
        ("dbcc1c35ac38df41fd2f5e4130b32ffdb93ebae8b3dbe638c23575912276fc9", "docker.io/library/dbcc1c35ac38df41fd2f5e4130b32ffdb93ebae8b3dbe638c23575912276fc9"),
        ("dbcc1", "docker.io/library/dbcc1"),
    ];
    for (input, equivalent) in rows {
        let r = parsed(input);
        assert_eq!(r, parsed(equivalent), "{input}");
        // Shipshape adds Docker's default tag where `ParseAnyReference` leaves the name alone.
        let shown = match ImageReference::parse_repository(equivalent) {
            Ok(_) => format!("{equivalent}:latest"),
            Err(_) => equivalent.to_string(),
        };
        assert_eq!(r.to_string(), shown, "{input}");
    }
    let id = "dbcc1c35ac38df41fd2f5e4130b32ffdb93ebae8b3dbe638c23575912276fc9c";
    assert_eq!(refused(id), ImageId(id.into()));
    assert!(refused(id).to_string().contains(&format!("repo@sha256:{id}")));
    let digest_alone = parsed("sha256:dbcc1c35ac38df41fd2f5e4130b32ffdb93ebae8b3dbe638c23575912276fc9c");
    assert_eq!(digest_alone.to_string(), "docker.io/library/sha256:dbcc1c35ac38df41fd2f5e4130b32ffdb93ebae8b3dbe638c23575912276fc9c");
    assert_eq!(digest_alone.tag.as_deref(), Some("dbcc1c35ac38df41fd2f5e4130b32ffdb93ebae8b3dbe638c23575912276fc9c"));
}

/// `TestNormalizedSplitHostname` (Docker's `Domain` and `Path` of a normalised name).
#[test]
fn normalised_names_split_into_registry_and_path() {
    let rows = [
        ("test.com/foo", "test.com", "foo"),
        ("test_com/foo", "docker.io", "test_com/foo"),
        ("docker/migrator", "docker.io", "docker/migrator"),
        ("test.com:8080/foo", "test.com:8080", "foo"),
        ("test-com:8080/foo", "test-com:8080", "foo"),
        ("foo", "docker.io", "library/foo"),
        ("xn--n3h.com/foo", "xn--n3h.com", "foo"),
        ("xn--n3h.com:18080/foo", "xn--n3h.com:18080", "foo"),
        ("docker.io/foo", "docker.io", "library/foo"),
        ("docker.io/library/foo", "docker.io", "library/foo"),
        ("docker.io/library/foo/bar", "docker.io", "library/foo/bar"),
    ];
    for (input, registry, path) in rows {
        let r = parsed(input);
        assert_eq!((r.registry.as_str(), r.repository.as_str()), (registry, path), "{input}");
    }
}

// `TestMatch` and `TestMatchError` are not ported: they test `FamiliarMatch`, glob patterns over
// familiar names, and Shipshape matches references against no patterns.

/// `TestParseDockerRef`. Docker drops the tag when a digest is given; Shipshape keeps it to show
/// (the digest is what it fetches), so that one row keeps both.
#[test]
fn docker_refs_normalise_with_the_default_tag() {
    let rows = [
        ("busybox", "docker.io/library/busybox:latest"),
        ("busybox:latest", "docker.io/library/busybox:latest"),
        ("busybox@sha256:e6693c20186f837fc393390135d8a598a96a833917917789d63766cab6c59582", "docker.io/library/busybox@sha256:e6693c20186f837fc393390135d8a598a96a833917917789d63766cab6c59582"),
        ("library/busybox", "docker.io/library/busybox:latest"),
        ("docker.io/busybox", "docker.io/library/busybox:latest"),
        ("docker.io/library/busybox", "docker.io/library/busybox:latest"),
        ("docker.io/busybox:latest", "docker.io/library/busybox:latest"),
        ("library/busybox:latest", "docker.io/library/busybox:latest"),
        ("docker.io/library/busybox:latest", "docker.io/library/busybox:latest"),
        ("gcr.io/library/busybox", "gcr.io/library/busybox:latest"),
        ("gcr.io/library/busybox:latest@sha256:e6693c20186f837fc393390135d8a598a96a833917917789d63766cab6c59582", "gcr.io/library/busybox:latest@sha256:e6693c20186f837fc393390135d8a598a96a833917917789d63766cab6c59582"),
    ];
    for (input, expected) in rows {
        let r = parsed(input);
        assert_eq!(r.to_string(), expected, "{input}");
        assert_eq!(parsed(expected), r, "{expected} reads back as itself");
    }
}
