//! What a watch asks for: which tags (one, or the repository's filtered by include/exclude
//! regexes, Diun's way), which event types, from which severity on.

use app::severity::Severity;
use regex::{Regex, RegexBuilder};

use crate::notify::EVENT_TYPES;
use crate::store::WatchRecord;

const MAX_PATTERNS: usize = 16;
const MAX_PATTERN_LEN: usize = 256;
/// Compiled size per pattern: a pattern cannot make matching slow or large.
const PATTERN_SIZE_LIMIT: usize = 64 << 10;
pub const MAX_TAG_LEN: usize = 128;

#[derive(Clone, Debug)]
pub struct WatchRules {
    pub tag: Option<String>,
    include: Vec<Regex>,
    exclude: Vec<Regex>,
    events: Vec<String>,
    min_severity: Option<Severity>,
}

impl WatchRules {
    /// Checks what a user wrote; the reason names the field.
    pub fn parse(
        tag: Option<&str>,
        include: &[String],
        exclude: &[String],
        events: &[String],
        min_severity: Option<&str>,
    ) -> Result<Self, String> {
        let tag = tag.map(str::trim).filter(|t| !t.is_empty());
        if let Some(tag) = tag
            && (tag.len() > MAX_TAG_LEN
                || !tag.bytes().all(|b| b.is_ascii_alphanumeric() || b"_.-".contains(&b))
                || !tag.as_bytes()[0].is_ascii_alphanumeric() && tag.as_bytes()[0] != b'_')
        {
            return Err(format!("tag: {tag:?} is not a tag (letters, digits, _ . -; at most {MAX_TAG_LEN})"));
        }
        if tag.is_some() && (!include.is_empty() || !exclude.is_empty()) {
            return Err("include/exclude: only for a watch of the whole repository (no tag)".into());
        }
        if events.is_empty() {
            return Err(format!("events: name at least one of {}", EVENT_TYPES.join(", ")));
        }
        let mut wanted = Vec::new();
        for event in events {
            if !EVENT_TYPES.contains(&event.as_str()) {
                return Err(format!("events: {event:?} is not one of {}", EVENT_TYPES.join(", ")));
            }
            if !wanted.contains(event) {
                wanted.push(event.clone());
            }
        }
        let min_severity = match min_severity.map(str::trim).filter(|s| !s.is_empty()) {
            Some(word) => Some(
                word.parse::<Severity>()
                    .map_err(|_| format!("min_severity: {word:?}: use low, medium, high or critical"))?,
            ),
            None => None,
        };
        Ok(Self {
            tag: tag.map(str::to_string),
            include: patterns("include", include)?,
            exclude: patterns("exclude", exclude)?,
            events: wanted,
            min_severity,
        })
    }

    pub fn from_record(record: &WatchRecord) -> Result<Self, String> {
        let list = |text: &str| serde_json::from_str::<Vec<String>>(text).map_err(|e| e.to_string());
        Self::parse(
            record.tag.as_deref(),
            &list(&record.include)?,
            &list(&record.exclude)?,
            &list(&record.events)?,
            record.min_severity.as_deref(),
        )
    }

    /// Whether the tag `tag` of the watched repository is watched.
    pub fn watches_tag(&self, tag: &str) -> bool {
        match &self.tag {
            Some(watched) => watched == tag,
            None => {
                (self.include.is_empty() || self.include.iter().any(|r| r.is_match(tag)))
                    && !self.exclude.iter().any(|r| r.is_match(tag))
            }
        }
    }

    /// Whether an event of `event_type` about `tag` (with findings of `severities`) is wanted.
    pub fn wants(&self, event_type: &str, tag: Option<&str>, severities: Vec<Severity>) -> bool {
        if !self.events.iter().any(|e| e == event_type) || !tag.is_some_and(|t| self.watches_tag(t)) {
            return false;
        }
        match (event_type, self.min_severity) {
            ("vulnerabilities.found", Some(min)) => severities.iter().any(|s| *s >= min),
            _ => true,
        }
    }

    pub fn events(&self) -> &[String] {
        &self.events
    }

    pub fn min_severity(&self) -> Option<Severity> {
        self.min_severity
    }

    pub fn include(&self) -> Vec<String> {
        self.include.iter().map(|r| r.as_str().to_string()).collect()
    }

    pub fn exclude(&self) -> Vec<String> {
        self.exclude.iter().map(|r| r.as_str().to_string()).collect()
    }
}

fn patterns(field: &str, given: &[String]) -> Result<Vec<Regex>, String> {
    if given.len() > MAX_PATTERNS {
        return Err(format!("{field}: at most {MAX_PATTERNS} patterns"));
    }
    given
        .iter()
        .map(|p| {
            if p.len() > MAX_PATTERN_LEN {
                return Err(format!("{field}: a pattern has at most {MAX_PATTERN_LEN} characters"));
            }
            RegexBuilder::new(p)
                .size_limit(PATTERN_SIZE_LIMIT)
                .build()
                .map_err(|e| format!("{field}: {p:?} is not a regular expression: {e}"))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strings(items: &[&str]) -> Vec<String> {
        items.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn include_and_exclude_filter_a_repository_watch() {
        let rules =
            WatchRules::parse(None, &strings(&[r"^\d+\.\d+$", "^latest$"]), &strings(&["rc"]), &strings(&["tag.updated"]), None)
                .unwrap();
        assert!(rules.watches_tag("1.2") && rules.watches_tag("latest"));
        assert!(!rules.watches_tag("1.2-rc") && !rules.watches_tag("edge"));
        assert!(rules.wants("tag.updated", Some("1.2"), vec![]));
        assert!(!rules.wants("tag.created", Some("1.2"), vec![]));
        assert!(!rules.wants("tag.updated", None, vec![]));
    }

    #[test]
    fn bad_rules_name_their_field() {
        let events = strings(&["tag.updated"]);
        let err = |r: Result<WatchRules, String>| r.unwrap_err();
        assert!(err(WatchRules::parse(None, &strings(&["("]), &[], &events, None)).starts_with("include:"));
        assert!(err(WatchRules::parse(None, &[], &[], &strings(&["tag.moved"]), None)).starts_with("events:"));
        assert!(err(WatchRules::parse(None, &[], &[], &[], None)).starts_with("events:"));
        assert!(err(WatchRules::parse(Some("a b"), &[], &[], &events, None)).starts_with("tag:"));
        assert!(err(WatchRules::parse(Some("1"), &strings(&["x"]), &[], &events, None)).starts_with("include/exclude"));
        assert!(err(WatchRules::parse(None, &[], &[], &events, Some("dire"))).starts_with("min_severity:"));
        let huge = format!("{}", "(a{100}){100}".repeat(3));
        assert!(err(WatchRules::parse(None, &strings(&[&huge]), &[], &events, None)).starts_with("include:"));
    }

    #[test]
    fn vulnerabilities_count_from_the_minimum_severity() {
        let rules = WatchRules::parse(Some("1"), &[], &[], &strings(&["vulnerabilities.found"]), Some("high")).unwrap();
        assert!(rules.wants("vulnerabilities.found", Some("1"), vec![Severity::Low, Severity::Critical]));
        assert!(!rules.wants("vulnerabilities.found", Some("1"), vec![Severity::Medium]));
    }
}
