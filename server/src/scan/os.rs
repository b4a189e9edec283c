//! Which distribution and release an image is: `etc/os-release` (or `usr/lib/os-release`), else
//! `etc/alpine-release` / `etc/debian_version`.

use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OsRelease {
    /// `debian`, `alpine`, `ubuntu`…
    pub id: String,
    /// `12`, `3.20.3`.
    pub version: String,
    pub pretty_name: Option<String>,
}

impl OsRelease {
    pub fn from_os_release(text: &str) -> Option<Self> {
        let mut id = None;
        let mut version = None;
        let mut pretty_name = None;
        for line in text.lines() {
            let Some((key, value)) = line.split_once('=') else { continue };
            let value = value.trim().trim_matches(|c| c == '"' || c == '\'').to_string();
            match key.trim() {
                "ID" => id = Some(value),
                "VERSION_ID" => version = Some(value),
                "PRETTY_NAME" => pretty_name = Some(value),
                _ => {}
            }
        }
        Some(Self { id: id?, version: version.unwrap_or_default(), pretty_name })
    }

    pub fn from_alpine_release(text: &str) -> Option<Self> {
        let version = text.trim();
        (!version.is_empty()).then(|| Self { id: "alpine".into(), version: version.into(), pretty_name: None })
    }

    /// `12.5` → Debian 12 (testing's `trixie/sid` has no number and gives no release).
    pub fn from_debian_version(text: &str) -> Option<Self> {
        let version = text.trim();
        version.starts_with(|c: char| c.is_ascii_digit()).then(|| Self {
            id: "debian".into(),
            version: version.split('.').next().unwrap_or(version).into(),
            pretty_name: None,
        })
    }

    /// The OSV ecosystem of the release's packages: `Debian:12`, `Alpine:v3.20`,
    /// `Ubuntu:22.04:LTS`, `Rocky Linux:9`, `AlmaLinux:9`, `openSUSE:Leap 15.5`; `None` for
    /// distributions whose advisories OSV does not name by release (RHEL, Fedora, Amazon Linux).
    pub fn osv_ecosystem(&self) -> Option<String> {
        let mut parts = self.version.split('.');
        let major = parts.next().filter(|m| !m.is_empty());
        match self.id.as_str() {
            "debian" => Some(format!("Debian:{}", major?)),
            "alpine" => Some(format!("Alpine:v{}.{}", major?, parts.next()?)),
            "ubuntu" => {
                let lts = self.pretty_name.as_deref().is_some_and(|p| p.contains("LTS"));
                Some(format!("Ubuntu:{}{}", self.version, if lts { ":LTS" } else { "" }))
            }
            "rocky" => Some(format!("Rocky Linux:{}", major?)),
            "almalinux" => Some(format!("AlmaLinux:{}", major?)),
            "opensuse-leap" => Some(format!("openSUSE:Leap {}", self.version)),
            "sles" => Some(match parts.next() {
                Some(sp) if sp != "0" => format!("SUSE:Linux Enterprise Server {} SP{sp}", major?),
                _ => format!("SUSE:Linux Enterprise Server {}", major?),
            }),
            "mageia" => Some(format!("Mageia:{}", self.version)),
            _ => None,
        }
    }

    /// When security support for the release ended, for the releases that have ended or end soon
    /// (Debian's LTS dates and Alpine's main-repository dates, from their release pages).
    pub fn end_of_life(&self) -> Option<&'static str> {
        let table: &[(&str, &str, &str)] = &[
            ("debian", "8", "2020-06-30"),
            ("debian", "9", "2022-06-30"),
            ("debian", "10", "2024-06-30"),
            ("debian", "11", "2026-08-31"),
            ("debian", "12", "2028-06-30"),
            ("alpine", "3.14", "2023-05-01"),
            ("alpine", "3.15", "2023-11-01"),
            ("alpine", "3.16", "2024-05-23"),
            ("alpine", "3.17", "2024-11-22"),
            ("alpine", "3.18", "2025-05-09"),
            ("alpine", "3.19", "2025-11-01"),
            ("alpine", "3.20", "2026-04-01"),
            ("alpine", "3.21", "2026-11-01"),
            ("alpine", "3.22", "2027-05-01"),
        ];
        let release = match self.id.as_str() {
            "debian" => self.version.split('.').next()?.to_string(),
            _ => self.version.split('.').take(2).collect::<Vec<_>>().join("."),
        };
        table.iter().find(|(id, v, _)| *id == self.id && *v == release).map(|(_, _, date)| *date)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn releases_and_their_osv_ecosystems() {
        let debian = OsRelease::from_os_release(
            "PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\nID=debian\nVERSION_ID=\"12\"\n",
        )
        .unwrap();
        assert_eq!((debian.id.as_str(), debian.version.as_str()), ("debian", "12"));
        assert_eq!(debian.osv_ecosystem().as_deref(), Some("Debian:12"));
        let alpine = OsRelease::from_os_release("NAME=\"Alpine Linux\"\nID=alpine\nVERSION_ID=3.15.4\n").unwrap();
        assert_eq!(alpine.osv_ecosystem().as_deref(), Some("Alpine:v3.15"));
        assert_eq!(alpine.end_of_life(), Some("2023-11-01"));
        assert_eq!(OsRelease::from_debian_version("12.5\n").unwrap().version, "12");
        assert!(OsRelease::from_debian_version("trixie/sid").is_none());
        let rocky = OsRelease::from_os_release("ID=\"rocky\"\nVERSION_ID=\"9.3\"\n").unwrap();
        assert_eq!(rocky.osv_ecosystem().as_deref(), Some("Rocky Linux:9"));
        let ubuntu = OsRelease::from_os_release("ID=ubuntu\nVERSION_ID=\"22.04\"\nPRETTY_NAME=\"Ubuntu 22.04.4 LTS\"\n");
        assert_eq!(ubuntu.unwrap().osv_ecosystem().as_deref(), Some("Ubuntu:22.04:LTS"));
        let fedora = OsRelease::from_os_release("ID=fedora\nVERSION_ID=40\n").unwrap();
        assert_eq!(fedora.osv_ecosystem(), None);
    }
}
