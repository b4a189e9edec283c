//! How bad a finding or a tune-up check is. Reports, the REST API and stored scans spell it in
//! lowercase (`critical` … `unknown`), as CycloneDX's ratings do.
//!
//! Pure code: the server ranks and counts findings with it, the browser filters them by it.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// Ordered from least to most severe, so the worst of several is their `max`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// CVSS's rating for a base score of 0.0: no impact.
    None,
    /// The advisory gives neither a severity word nor a CVSS v3 vector.
    Unknown,
    Low,
    Medium,
    High,
    Critical,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::None => "none",
            Severity::Unknown => "unknown",
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
            Severity::Critical => "critical",
        }
    }
}

impl fmt::Display for Severity {
    /// Pads like a string, so tables can write `{:<9}`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.as_str())
    }
}

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{0:?} is not a severity (critical, high, medium, moderate, low, none or unknown)")]
pub struct UnknownSeverity(pub String);

impl FromStr for Severity {
    type Err = UnknownSeverity;

    /// Any case, as feeds write it (`HIGH`, `Low`); GHSA's `moderate` is medium.
    fn from_str(word: &str) -> Result<Self, Self::Err> {
        Ok(match word.to_ascii_lowercase().as_str() {
            "critical" => Severity::Critical,
            "high" => Severity::High,
            "medium" | "moderate" => Severity::Medium,
            "low" => Severity::Low,
            "none" => Severity::None,
            "unknown" => Severity::Unknown,
            _ => return Err(UnknownSeverity(word.to_string())),
        })
    }
}

#[cfg(test)]
mod tests {
    use serde::de::value::{self, StrDeserializer};

    use super::*;

    #[test]
    fn stored_words_read_back() {
        // Every word scans stored before this type existed (findings and tune-up checks); the
        // server's tests read a whole stored report.
        for word in ["critical", "high", "medium", "low", "none", "unknown"] {
            let read = Severity::deserialize(StrDeserializer::<value::Error>::new(word)).unwrap();
            assert_eq!(read.as_str(), word);
            assert_eq!(word.parse::<Severity>(), Ok(read));
        }
        assert!(
            Severity::deserialize(StrDeserializer::<value::Error>::new("HIGH")).is_err(),
            "stored words are lowercase"
        );
    }

    #[test]
    fn feeds_words_parse_in_any_case() {
        assert_eq!("HIGH".parse(), Ok(Severity::High));
        assert_eq!("Low".parse(), Ok(Severity::Low));
        assert_eq!("moderate".parse(), Ok(Severity::Medium));
        assert_eq!("important".parse::<Severity>(), Err(UnknownSeverity("important".into())));
    }

    #[test]
    fn the_worst_is_the_greatest() {
        use Severity::{Critical, High, Low, Medium, Unknown};
        let mut found = [High, Unknown, Critical, Severity::None, Low, Medium];
        found.sort();
        assert_eq!(found, [Severity::None, Unknown, Low, Medium, High, Critical]);
        assert_eq!(found.into_iter().max(), Some(Critical));
        assert!(Severity::Low > Severity::Unknown, "an unknown severity sorts after low, worst first");
    }

    #[test]
    fn written_as_stored() {
        assert_eq!(Severity::High.to_string(), "high");
        assert_eq!(format!("{:<6}|", Severity::Low), "low   |");
    }
}
