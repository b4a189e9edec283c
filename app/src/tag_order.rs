//! Ordering tags the way people read versions: `1.10` after `1.9`, `2.0.0-rc1` before `2.0.0`.

use std::cmp::Ordering;

/// A tag's version: its leading dotted numbers (a `v` prefix allowed) and what follows.
#[derive(Debug, PartialEq, Eq)]
struct Version<'a> {
    numbers: Vec<u64>,
    /// `-rc1`, `-alpine`, `` (empty for a plain release).
    rest: &'a str,
}

fn version(tag: &str) -> Option<Version<'_>> {
    let body = tag.strip_prefix('v').unwrap_or(tag);
    let end = body.find(|c: char| !(c.is_ascii_digit() || c == '.')).unwrap_or(body.len());
    let (numeric, rest) = body.split_at(end);
    let numeric = numeric.trim_end_matches('.');
    if numeric.is_empty() {
        return None;
    }
    let numbers = numeric.split('.').map(|n| n.parse::<u64>().ok()).collect::<Option<Vec<_>>>()?;
    Some(Version { numbers, rest })
}

/// Newest version first; tags that are not versions (`latest`, `edge`) after them, by name.
pub fn by_version_desc(a: &str, b: &str) -> Ordering {
    match (version(a), version(b)) {
        (Some(va), Some(vb)) => {
            let by_numbers = vb.numbers.cmp(&va.numbers);
            // A pre-release (`-rc1`) sorts below the release it precedes.
            let pre =
                |v: &Version<'_>| v.rest.starts_with('-') && v.rest[1..].starts_with(|c: char| c.is_ascii_alphabetic());
            by_numbers
                .then_with(|| va.rest.is_empty().cmp(&vb.rest.is_empty()).reverse())
                .then_with(|| pre(&va).cmp(&pre(&vb)))
                .then_with(|| a.cmp(b))
        }
        (Some(_), None) => Ordering::Less,
        (None, Some(_)) => Ordering::Greater,
        (None, None) => a.cmp(b),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_sort_numerically_newest_first() {
        let mut tags = vec!["1.9", "latest", "1.10", "v2.0.0-rc1", "2.0.0", "1.10-alpine", "edge", "3"];
        tags.sort_by(|a, b| by_version_desc(a, b));
        assert_eq!(tags, ["3", "2.0.0", "v2.0.0-rc1", "1.10", "1.10-alpine", "1.9", "edge", "latest"]);
    }
}
