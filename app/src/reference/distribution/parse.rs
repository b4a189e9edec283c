//! `reference_test.go`. Its `Parse` keeps names as written (no `docker.io`, no `library/`);
//! Shipshape's `parse` normalises, so each row gives the normalised parts, and the reference as
//! written comes back from `familiar()` (with `:latest` when it named neither tag nor digest).

use super::*;

/// (input, registry, repository, tag, digest), normalised.
type Parts = (&'static str, &'static str, &'static str, Option<&'static str>, Option<&'static str>);

/// `TestReferenceParse`, the rows that parse.
#[test]
fn references_parse_into_their_parts() {
    let a_path = format!("{}a", "a/".repeat(127));
    let long_path = format!("example.com/{}", "a".repeat(255));
    let long_rows = [
        (format!("{a_path}:tag-puts-this-over-max"), "docker.io", a_path.clone(), Some("tag-puts-this-over-max")),
        (format!("{long_path}:tag"), "example.com", "a".repeat(255), Some("tag")),
    ];
    for (input, registry, path, tag) in long_rows {
        // Docker's `Parse` reads the first `a` as a domain; normalised, it is a path component.
        let r = parsed(&input);
        assert_eq!((r.registry.as_str(), r.repository.as_str(), r.tag.as_deref()), (registry, path.as_str(), tag));
        assert_eq!(r.familiar(), input);
    }
    let rows: &[Parts] = &[
        ("test_com", "docker.io", "library/test_com", None, None),
        ("test.com:tag", "docker.io", "library/test.com", Some("tag"), None),
        ("test.com:5000", "docker.io", "library/test.com", Some("5000"), None),
        ("test.com/repo:tag", "test.com", "repo", Some("tag"), None),
        ("test:5000/repo", "test:5000", "repo", None, None),
        ("test:5000/repo:tag", "test:5000", "repo", Some("tag"), None),
        ("test:5000/repo@sha256:ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff", "test:5000", "repo", None, Some("sha256:ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff")),
        ("test:5000/repo:tag@sha256:ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff", "test:5000", "repo", Some("tag"), Some("sha256:ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff")),
        ("lowercase:Uppercase", "docker.io", "library/lowercase", Some("Uppercase"), None),
        // Commented out in the table (its FIXME): Docker reads "Uppercase" as a registry host.
        ("Uppercase/lowercase:tag", "Uppercase", "lowercase", Some("tag"), None),
        ("sub-dom1.foo.com/bar/baz/quux", "sub-dom1.foo.com", "bar/baz/quux", None, None),
        ("sub-dom1.foo.com/bar/baz/quux:some-long-tag", "sub-dom1.foo.com", "bar/baz/quux", Some("some-long-tag"), None),
        ("b.gcr.io/test.example.com/my-app:test.example.com", "b.gcr.io", "test.example.com/my-app", Some("test.example.com"), None),
        ("xn--n3h.com/myimage:xn--n3h.com", "xn--n3h.com", "myimage", Some("xn--n3h.com"), None),
        ("xn--7o8h.com/myimage:xn--7o8h.com@sha256:ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff", "xn--7o8h.com", "myimage", Some("xn--7o8h.com"), Some("sha256:ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff")),
        ("foo_bar.com:8080", "docker.io", "library/foo_bar.com", Some("8080"), None),
        ("foo/foo_bar.com:8080", "docker.io", "foo/foo_bar.com", Some("8080"), None),
        ("192.168.1.1", "docker.io", "library/192.168.1.1", None, None),
        ("192.168.1.1:tag", "docker.io", "library/192.168.1.1", Some("tag"), None),
        ("192.168.1.1:5000", "docker.io", "library/192.168.1.1", Some("5000"), None),
        ("192.168.1.1/repo", "192.168.1.1", "repo", None, None),
        ("192.168.1.1:5000/repo", "192.168.1.1:5000", "repo", None, None),
        ("192.168.1.1:5000/repo:5050", "192.168.1.1:5000", "repo", Some("5050"), None),
        ("[2001:db8::1]/repo", "[2001:db8::1]", "repo", None, None),
        ("[2001:db8:1:2:3:4:5:6]/repo:tag", "[2001:db8:1:2:3:4:5:6]", "repo", Some("tag"), None),
        ("[2001:db8::1]:5000/repo", "[2001:db8::1]:5000", "repo", None, None),
        ("[2001:db8::1]:5000/repo:tag", "[2001:db8::1]:5000", "repo", Some("tag"), None),
        ("[2001:db8::1]:5000/repo@sha256:ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff", "[2001:db8::1]:5000", "repo", None, Some("sha256:ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff")),
        ("[2001:db8::1]:5000/repo:tag@sha256:ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff", "[2001:db8::1]:5000", "repo", Some("tag"), Some("sha256:ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff")),
        ("[2001:db8::]:5000/repo", "[2001:db8::]:5000", "repo", None, None),
        ("[::1]:5000/repo", "[::1]:5000", "repo", None, None),
        // The Go test binary registers sha256 only; OCI registers sha512 too, and so does Docker.
        ("validname@sha512:ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff", "docker.io", "library/validname", None, Some("sha512:ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff")),
        // `TestSerialization`: Go's `Field` wraps a reference as a JSON string, Shipshape's
        // references serialise as their parts, so the parsing half is what carries over.
        ("example.com:8000/named", "example.com:8000", "named", None, None),
        ("example.com:8000/named:tagged", "example.com:8000", "named", Some("tagged"), None),
        ("other.com/named@sha256:1234567890098765432112345667890098765432112345667890098765432112", "other.com", "named", None, Some("sha256:1234567890098765432112345667890098765432112345667890098765432112")),
        // `TestWithTag`, the tag written after the name.
        ("test.com/foo:tag", "test.com", "foo", Some("tag"), None),
        ("foo:tag2", "docker.io", "library/foo", Some("tag2"), None),
        ("test.com:8000/foo:tag4", "test.com:8000", "foo", Some("tag4"), None),
        ("test.com:8000/foo:TAG5", "test.com:8000", "foo", Some("TAG5"), None),
    ];
    for &(input, registry, path, tag, digest) in rows {
        let r = parsed(input);
        let named_only = tag.is_none() && digest.is_none();
        assert_eq!((r.registry.as_str(), r.repository.as_str()), (registry, path), "{input}");
        assert_eq!((r.tag.as_deref(), r.digest.as_deref()), (tag.or(named_only.then_some("latest")), digest), "{input}");
        let written = if named_only { format!("{input}:latest") } else { input.to_string() };
        assert_eq!(r.familiar(), written, "{input}");
        assert_eq!(parsed(&r.to_string()), r, "{input}: the canonical form reads back");
    }
}

/// `TestReferenceParse`, the rows Docker refuses, with the reason Shipshape gives.
#[test]
fn malformed_references_are_refused_with_a_reason() {
    let rows = [
        ("", Empty),
        (":justtag", MissingName),
        ("@sha256:ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff", MissingName),
        ("repo@sha256:ffffffffffffffffffffffffffffffffff", BadDigest(String::new())),
        ("validname@invaliddigest:ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff", BadDigest(String::new())),
        ("Uppercase:tag", Uppercase(String::new())),
        ("test:5000/Uppercase/lowercase:tag", Uppercase(String::new())),
        ("aa/asdf$$^/aa", BadComponent(String::new())),
        ("[2001:db8::1]", HostOnly(String::new())),
        ("[2001:db8::1]:5000", HostOnly(String::new())),
        ("[2001:db8::1]:tag", HostOnly(String::new())),
        ("[fe80::1%eth0]:5000/repo", BadIpv6(String::new())),
        // Docker's grammar finds no digest here either; Shipshape splits at the `@` and says why.
        ("[fe80::1%@invalidzone]:5000/repo", BadDigest(String::new())),
    ];
    for (input, expected) in rows {
        let error = refused(input);
        assert!(same_kind(&error, &expected), "{input}: {error:?}, expected {expected:?}");
    }
    let too_long = format!("domain/{}:tag", "a".repeat(256));
    assert_eq!(refused(&too_long), NameTooLong);
}

/// `TestWithNameFailure`: a name alone, as `parse_repository` takes it.
#[test]
fn names_alone_are_refused_with_tags_digests_or_bad_parts() {
    let too_long = format!("example.com/{}", "a".repeat(256));
    let rows = [
        ("", Empty),
        (":justtag", NotARepository(String::new())),
        ("@sha256:ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff", NotARepository(String::new())),
        ("validname@invaliddigest:ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff", NotARepository(String::new())),
        ("example.com/repo:tag", NotARepository(String::new())),
        (too_long.as_str(), NameTooLong),
        ("aa/asdf$$^/aa", BadComponent(String::new())),
    ];
    for (input, expected) in rows {
        let error = ImageReference::parse_repository(input).expect_err(input);
        assert!(same_kind(&error, &expected), "{input:?}: {error:?}, expected {expected:?}");
    }
}

/// `TestDomainAndPath` (`WithName`, which leaves a name without a registry as it is: Shipshape
/// puts it on Docker Hub) and `TestParseNamed` (a name is canonical when it is written in full).
#[test]
fn names_split_into_registry_and_path_and_canonical_ones_read_back() {
    let rows = [
        ("test.com/foo", "test.com", "foo"),
        ("test_com/foo", "docker.io", "test_com/foo"),
        ("test:8080/foo", "test:8080", "foo"),
        ("test.com:8080/foo", "test.com:8080", "foo"),
        ("test-com:8080/foo", "test-com:8080", "foo"),
        ("xn--n3h.com:18080/foo", "xn--n3h.com:18080", "foo"),
    ];
    for (input, registry, path) in rows {
        let r = repository(input);
        assert_eq!((r.registry.as_str(), r.repository.as_str()), (registry, path), "{input}");
    }
    let canonical = [("test.com/foo", true), ("test:8080/foo", true), ("test_com/foo", false), ("test.com", false)];
    let more = [("foo", false), ("library/foo", false), ("docker.io/library/foo", true), ("docker.io/foo", false)];
    for (input, is_canonical) in canonical.into_iter().chain(more) {
        assert_eq!(repository(input).repository_path() == input, is_canonical, "{input}");
    }
}

/// `TestWithDigest` and the digest rows of `TestWithTag`. `WithDigest` takes the table's 37-digit
/// sha256 unchecked, but Docker's `Parse` refuses it (as in the first table), and references reach
/// Shipshape only through parsing: the combinations are checked with a full-length digest.
#[test]
fn digests_combine_with_names_and_tags() {
    let short = "sha256:1234567890098765432112345667890098765";
    let rows = [
        ("test.com/foo", None, "test.com/foo@"),
        ("foo", None, "foo@"),
        ("test.com:8000/foo", None, "test.com:8000/foo@"),
        ("test.com:8000/foo", Some("latest"), "test.com:8000/foo:latest@"),
        ("test.com:8000/foo", Some("TAG5"), "test.com:8000/foo:TAG5@"),
    ];
    for (name, tag, combined) in rows {
        let tagged = tag.map_or(name.to_string(), |t| format!("{name}:{t}"));
        assert_eq!(refused(&format!("{tagged}@{short}")), BadDigest(short.into()));
        let r = parsed(&format!("{tagged}@sha256:ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff"));
        assert_eq!(r.familiar(), format!("{combined}sha256:ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff"));
        assert_eq!((r.tag.as_deref(), r.digest.as_deref()), (tag, Some("sha256:ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff")));
    }
}
