//! What each README badge says about an image: its kinds, styles, and the label, message and colour
//! of each, worked out from the same report and with the same wording as the tag page.

use crate::dto::{ImageReport, PlatformImage, ScanSummary};
use crate::format::{human_size, relative_age, short_digest, unix_seconds};
use crate::reference::ImageReference;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum BadgeKind {
    Image,
    Version,
    Commit,
    License,
    Vulnerabilities,
    User,
    Base,
    Updated,
}

impl BadgeKind {
    pub const ALL: [BadgeKind; 8] = [
        BadgeKind::Image,
        BadgeKind::Version,
        BadgeKind::Commit,
        BadgeKind::License,
        BadgeKind::Vulnerabilities,
        BadgeKind::User,
        BadgeKind::Base,
        BadgeKind::Updated,
    ];

    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == name)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            BadgeKind::Image => "image",
            BadgeKind::Version => "version",
            BadgeKind::Commit => "commit",
            BadgeKind::License => "license",
            BadgeKind::Vulnerabilities => "vulnerabilities",
            BadgeKind::User => "user",
            BadgeKind::Base => "base",
            BadgeKind::Updated => "updated",
        }
    }

    /// What the badge builder says the kind shows.
    pub fn description(self) -> &'static str {
        match self {
            BadgeKind::Image => "compressed size and layer count",
            BadgeKind::Version => "the version label, else the most specific version tag",
            BadgeKind::Commit => "the source revision, linked to the commit",
            BadgeKind::License => "the license label",
            BadgeKind::Vulnerabilities => "findings by severity, coloured by the worst; \"not checked\" without advisories",
            BadgeKind::User => "the user it runs as; root in red",
            BadgeKind::Base => "the nearest base image; red \"rebuild\" when it moved",
            BadgeKind::Updated => "how long ago the image was built",
        }
    }
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum BadgeStyle {
    #[default]
    Flat,
    FlatSquare,
    ForTheBadge,
}

impl BadgeStyle {
    pub const ALL: [BadgeStyle; 3] = [BadgeStyle::Flat, BadgeStyle::FlatSquare, BadgeStyle::ForTheBadge];

    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == name)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            BadgeStyle::Flat => "flat",
            BadgeStyle::FlatSquare => "flat-square",
            BadgeStyle::ForTheBadge => "for-the-badge",
        }
    }
}

/// shields.io's named colours, which its endpoint JSON takes as they are.
pub const GREY: &str = "lightgrey";
const RED: &str = "red";
const BLUE: &str = "blue";

/// One badge's text and colour, before styling.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BadgeFace {
    pub label: String,
    pub message: String,
    /// A shields.io colour name.
    pub color: &'static str,
    /// Where the badge leads (the commit), when it leads somewhere.
    pub link: Option<String>,
}

impl BadgeFace {
    /// Shown for an unknown image, and for a private one without its badge token.
    pub fn not_found(kind: BadgeKind) -> Self {
        Self { label: kind.as_str().into(), message: "not found".into(), color: GREY, link: None }
    }

    /// Shown while the first inspection of an image runs.
    pub fn inspecting(kind: BadgeKind) -> Self {
        Self { label: kind.as_str().into(), message: "inspecting".into(), color: GREY, link: None }
    }

    /// `scan` is the platform image's scan, for the vulnerabilities kind.
    pub fn of(
        kind: BadgeKind,
        report: &ImageReport,
        image: &PlatformImage,
        scan: Option<&ScanSummary>,
        now_unix: i64,
    ) -> Self {
        let face =
            |message: String, color: &'static str| Self { label: kind.as_str().into(), message, color, link: None };
        let facts = &image.label_facts;
        match kind {
            BadgeKind::Image => face(image_size(image), BLUE),
            BadgeKind::Version => face(version(report, image).0, BLUE),
            BadgeKind::Commit => match commit(image) {
                Some(short) => Self { link: facts.commit_url.clone(), ..face(short, BLUE) },
                None => face("unknown".into(), GREY),
            },
            BadgeKind::License => match &facts.license {
                Some(license) => face(license.clone(), BLUE),
                None => face("unknown".into(), GREY),
            },
            BadgeKind::Vulnerabilities => {
                let (message, color) = vulnerabilities(scan);
                face(message, color)
            }
            BadgeKind::User if image.runs_as_root => face("root".into(), RED),
            BadgeKind::User => face(image.user.clone(), "brightgreen"),
            BadgeKind::Base => match base(image) {
                BaseSummary::Moved(moved) => face(format!("rebuild: {moved} updated"), RED),
                BaseSummary::Current(base) => face(base, BLUE),
                BaseSummary::Unknown => face("unknown".into(), GREY),
            },
            BadgeKind::Updated => match updated(report, image) {
                Some(at) => {
                    let age = now_unix.saturating_sub(at).max(0);
                    face(relative_age(age), age_color(age))
                }
                None => face("unknown".into(), GREY),
            },
        }
    }
}

/// What the findings say until the image has been scanned.
pub const NOT_SCANNED: &str = "not scanned";

/// What the findings say when the scan found no advisory to match its packages against: "none"
/// would be an all-clear nobody checked.
pub const NOT_CHECKED: &str = "not checked";

/// `2 critical | 1 high`, coloured by the worst; `none` in green; `not checked` without
/// advisories; the scan's state until it is done.
pub fn vulnerabilities(scan: Option<&ScanSummary>) -> (String, &'static str) {
    let Some(scan) = scan else { return (NOT_SCANNED.into(), GREY) };
    match scan.state.as_str() {
        "done" if !scan.vulnerabilities_checked() => (NOT_CHECKED.into(), GREY),
        "done" => {
            let present = scan.counts.present();
            let color = match present.first().map(|(s, _)| *s) {
                None => return ("none".into(), "brightgreen"),
                Some("critical") => RED,
                Some("high") => "orange",
                Some("medium") => "yellow",
                Some("low") => "yellowgreen",
                Some(_) => GREY,
            };
            let parts: Vec<String> = present.iter().map(|(s, n)| format!("{n} {s}")).collect();
            (parts.join(" | "), color)
        }
        "queued" | "running" => ("scanning".into(), GREY),
        "failed" => ("scan failed".into(), GREY),
        _ => (NOT_SCANNED.into(), GREY),
    }
}

/// `3.6 MB | 5 layers`.
pub fn image_size(image: &PlatformImage) -> String {
    let n = image.layers.len();
    format!("{} | {n} layer{}", human_size(image.size), if n == 1 { "" } else { "s" })
}

/// The version, and whether it comes from a tag rather than a label: the version label, else the
/// tag when it reads like a version, else the most specific version tag naming the same digest,
/// else the tag, else the short digest.
pub fn version(report: &ImageReport, image: &PlatformImage) -> (String, bool) {
    if let Some(v) = &image.label_facts.version {
        return (v.clone(), false);
    }
    let tag = report.tag.as_deref().filter(|t| looks_like_version(t));
    let sibling = report.also_tagged.iter().filter(|t| looks_like_version(t)).max_by_key(|t| specificity(t));
    match tag.or(sibling.map(String::as_str)).or(report.tag.as_deref()) {
        Some(tag) => (tag.to_string(), true),
        None => (short_digest(&report.digest).to_string(), true),
    }
}

fn looks_like_version(tag: &str) -> bool {
    tag.bytes().any(|b| b.is_ascii_digit())
}

/// `3.20.1` is more specific than `3.20`, which is more specific than `3`; then the longer wins.
fn specificity(tag: &str) -> (usize, usize) {
    (tag.split(['.', '-', '_']).count(), tag.len())
}

pub fn commit(image: &PlatformImage) -> Option<String> {
    image.label_facts.revision.as_deref().map(|r| short_digest(r).to_string())
}

pub enum BaseSummary {
    /// An ancestor's tag moved on: the familiar name of the nearest such ancestor.
    Moved(String),
    /// The nearest base, as people write it (`alpine:3.20`).
    Current(String),
    Unknown,
}

pub fn base(image: &PlatformImage) -> BaseSummary {
    let familiar = |reference: &str| ImageReference::parse(reference).map_or(reference.to_string(), |r| r.familiar());
    let lineage = &image.lineage;
    if let Some(moved) = lineage.chain.iter().find(|a| a.moved) {
        return BaseSummary::Moved(familiar(&moved.reference));
    }
    match lineage.chain.first() {
        Some(nearest) => BaseSummary::Current(familiar(&nearest.reference)),
        None => BaseSummary::Unknown,
    }
}

/// When the image was built (unix seconds): its config's `created`, unless that is missing or a
/// reproducible build's placeholder (before 2000), then when the tag first named the digest.
pub fn updated(report: &ImageReport, image: &PlatformImage) -> Option<i64> {
    const YEAR_2000: i64 = 946_684_800;
    image
        .created
        .as_deref()
        .and_then(unix_seconds)
        .filter(|t| *t >= YEAR_2000)
        .or_else(|| report.tag_history.first().and_then(|h| unix_seconds(&h.first_seen)))
}

/// Fresh is green, a year old is yellow, older is orange, then red: time to rebuild.
fn age_color(seconds: i64) -> &'static str {
    const DAY: i64 = 86_400;
    match seconds / DAY {
        0..=7 => "brightgreen",
        8..=30 => "green",
        31..=180 => "yellowgreen",
        181..=365 => "yellow",
        366..=730 => "orange",
        _ => RED,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_and_styles_round_trip_their_names() {
        for kind in BadgeKind::ALL {
            assert_eq!(BadgeKind::parse(kind.as_str()), Some(kind));
        }
        for style in BadgeStyle::ALL {
            assert_eq!(BadgeStyle::parse(style.as_str()), Some(style));
        }
        assert_eq!(BadgeKind::parse("size"), None);
        assert_eq!(BadgeStyle::parse("plastic"), None);
    }

    #[test]
    fn the_most_specific_version_tag_wins() {
        let mut tags = ["3", "latest", "3.20.1", "3.20", "edge"].map(String::from).to_vec();
        tags.retain(|t| looks_like_version(t));
        assert_eq!(tags.iter().max_by_key(|t| specificity(t)).unwrap(), "3.20.1");
    }

    #[test]
    fn vulnerabilities_without_advisories_are_not_checked_rather_than_none() {
        let done = |vulndb_as_of: Option<&str>, high| ScanSummary {
            state: "done".into(),
            vulndb_as_of: vulndb_as_of.map(String::from),
            counts: crate::dto::SeverityCounts { high, ..Default::default() },
            ..Default::default()
        };
        assert_eq!(vulnerabilities(Some(&done(None, 0))), ("not checked".into(), GREY));
        assert_eq!(vulnerabilities(Some(&done(Some("2026-01-01T00:00:00Z"), 0))), ("none".into(), "brightgreen"));
        assert_eq!(vulnerabilities(Some(&done(Some("2026-01-01T00:00:00Z"), 2))), ("2 high".into(), "orange"));
        let running = ScanSummary { state: "running".into(), ..Default::default() };
        assert_eq!(vulnerabilities(Some(&running)), ("scanning".into(), GREY));
        assert_eq!(vulnerabilities(None), ("not scanned".into(), GREY));
    }

    #[test]
    fn age_colours_step_with_time() {
        assert_eq!(age_color(3_600), "brightgreen");
        assert_eq!(age_color(20 * 86_400), "green");
        assert_eq!(age_color(400 * 86_400), "orange");
        assert_eq!(age_color(3_000 * 86_400), "red");
    }
}
