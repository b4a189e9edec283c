//! Labels read as facts: OCI annotation keys first, label-schema (MicroBadger's convention) second.

use std::collections::BTreeMap;

use app::dto::LabelFacts;

pub fn facts(labels: &BTreeMap<String, String>) -> LabelFacts {
    let get = |keys: &[&str]| {
        keys.iter().find_map(|k| labels.get(*k)).map(|v| v.trim().to_string()).filter(|v| !v.is_empty())
    };
    let source = get(&["org.opencontainers.image.source", "org.label-schema.vcs-url"]);
    let revision = get(&["org.opencontainers.image.revision", "org.label-schema.vcs-ref"]);
    let commit_url = match (&source, &revision) {
        (Some(source), Some(revision)) => commit_url(source, revision),
        _ => None,
    };
    LabelFacts {
        title: get(&["org.opencontainers.image.title", "org.label-schema.name"]),
        description: get(&["org.opencontainers.image.description", "org.label-schema.description"]),
        version: get(&["org.opencontainers.image.version", "org.label-schema.version"]),
        revision,
        commit_url,
        source,
        url: get(&["org.opencontainers.image.url", "org.label-schema.url"]),
        documentation: get(&["org.opencontainers.image.documentation", "org.label-schema.usage"]),
        license: get(&["org.opencontainers.image.licenses", "org.label-schema.license", "license"]),
        authors: get(&["org.opencontainers.image.authors", "maintainer", "MAINTAINER"]),
        vendor: get(&["org.opencontainers.image.vendor", "org.label-schema.vendor"]),
        created: get(&["org.opencontainers.image.created", "org.label-schema.build-date"]),
    }
}

/// `https://github.com/o/r/commit/<rev>` (or GitLab's `/-/commit/`) from a source URL in any of
/// the forms people write: https, `.git` suffix, `git@host:o/r.git`, `git://`.
fn commit_url(source: &str, revision: &str) -> Option<String> {
    if !revision.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'-' || b == b'_') {
        return None;
    }
    let trimmed = source.trim().trim_end_matches('/').trim_end_matches(".git");
    let path = ["https://", "http://", "git://", "ssh://git@", "git@"]
        .iter()
        .find_map(|prefix| trimmed.strip_prefix(prefix))?
        .replacen(':', "/", usize::from(trimmed.starts_with("git@")));
    let (host, repo) = path.split_once('/')?;
    let repo: Vec<&str> = repo.split('/').filter(|s| !s.is_empty()).collect();
    let safe = |s: &&str| s.bytes().all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b));
    if repo.len() < 2 || !repo.iter().all(safe) {
        return None;
    }
    match host.to_ascii_lowercase().as_str() {
        "github.com" => Some(format!("https://github.com/{}/{}/commit/{revision}", repo[0], repo[1])),
        "gitlab.com" => Some(format!("https://gitlab.com/{}/-/commit/{revision}", repo.join("/"))),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn oci_keys_win_over_label_schema() {
        let labels: BTreeMap<String, String> = [
            ("org.opencontainers.image.version", "2.0"),
            ("org.label-schema.version", "1.0"),
            ("org.label-schema.vcs-url", "git@github.com:acme/widget.git"),
            ("org.label-schema.vcs-ref", "abc123"),
            ("org.opencontainers.image.licenses", "Apache-2.0"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        let facts = facts(&labels);
        assert_eq!(facts.version.as_deref(), Some("2.0"));
        assert_eq!(facts.license.as_deref(), Some("Apache-2.0"));
        assert_eq!(facts.commit_url.as_deref(), Some("https://github.com/acme/widget/commit/abc123"));
    }

    #[test]
    fn commit_links() {
        assert_eq!(
            commit_url("https://gitlab.com/group/sub/proj.git", "deadbeef").as_deref(),
            Some("https://gitlab.com/group/sub/proj/-/commit/deadbeef")
        );
        assert_eq!(commit_url("https://example.com/a/b", "1"), None);
        assert_eq!(commit_url("https://github.com/a/b", "x\"><script>"), None);
        assert_eq!(commit_url("https://github.com/a", "1"), None);
    }
}
