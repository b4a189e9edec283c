//! rpm's database as Fedora, RHEL 9 and their rebuilds ship it (`rpmdb.sqlite`): each row of the
//! `Packages` table is one package's header blob (index entries, then the data they point into).
//! The BerkeleyDB and ndb formats of older releases are not read.

use super::{Ecosystem, Package};
use crate::scan::sqlite_file::{Database, Value};

const NAME: i32 = 1000;
const VERSION: i32 = 1001;
const RELEASE: i32 = 1002;
const EPOCH: i32 = 1003;
const LICENSE: i32 = 1014;
const ARCH: i32 = 1022;
const SOURCERPM: i32 = 1044;

const INT32: u32 = 4;
const STRING: u32 = 6;
const STRING_ARRAY: u32 = 8;
const I18NSTRING: u32 = 9;

/// The installed packages, or `None` when the file is not a readable rpm SQLite database.
pub fn parse_sqlite(data: &[u8]) -> Option<Vec<Package>> {
    let rows = Database::open(data).ok()?.table("Packages").ok()?;
    Some(
        rows.iter()
            .filter_map(|row| match row.get(1) {
                Some(Value::Blob(blob)) => Header::parse(blob),
                _ => None,
            })
            .filter_map(|h| h.package())
            // Imported signing keys are recorded as packages; they are not software.
            .filter(|p| p.name != "gpg-pubkey")
            .collect(),
    )
}

struct Header<'a> {
    entries: Vec<(i32, u32, usize, u32)>,
    store: &'a [u8],
}

impl<'a> Header<'a> {
    fn parse(blob: &'a [u8]) -> Option<Self> {
        let word = |at: usize| blob.get(at..at + 4).map(|b| u32::from_be_bytes([b[0], b[1], b[2], b[3]]));
        let count = usize::try_from(word(0)?).ok()?;
        let length = usize::try_from(word(4)?).ok()?;
        let start = 8usize.checked_add(count.checked_mul(16)?)?;
        let store = blob.get(start..start.checked_add(length)?)?;
        let entries = (0..count)
            .map(|i| {
                let at = 8 + 16 * i;
                Some((word(at)? as i32, word(at + 4)?, usize::try_from(word(at + 8)?).ok()?, word(at + 12)?))
            })
            .collect::<Option<Vec<_>>>()?;
        Some(Self { entries, store })
    }

    fn string(&self, tag: i32) -> Option<String> {
        let &(_, kind, offset, _) = self.entries.iter().find(|e| e.0 == tag)?;
        if ![STRING, STRING_ARRAY, I18NSTRING].contains(&kind) {
            return None;
        }
        let bytes = self.store.get(offset..)?;
        let end = bytes.iter().position(|&b| b == 0)?;
        Some(String::from_utf8_lossy(&bytes[..end]).into_owned())
    }

    fn int(&self, tag: i32) -> Option<u32> {
        let &(_, kind, offset, _) = self.entries.iter().find(|e| e.0 == tag)?;
        let b = self.store.get(offset..offset + 4).filter(|_| kind == INT32)?;
        Some(u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
    }

    fn package(&self) -> Option<Package> {
        let name = self.string(NAME).filter(|n| !n.is_empty())?;
        let (version, release) = (self.string(VERSION)?, self.string(RELEASE)?);
        // As rpm -q and syft print it: the epoch only when there is one.
        let evr = match self.int(EPOCH) {
            Some(epoch) => format!("{epoch}:{version}-{release}"),
            None => format!("{version}-{release}"),
        };
        let architecture = self.string(ARCH).filter(|a| !a.is_empty() && a != "(none)");
        let source = self.string(SOURCERPM).and_then(|s| source_name(&s)).unwrap_or_else(|| name.clone());
        Some(Package {
            ecosystem: Ecosystem::Rpm,
            source_name: source,
            source_version: evr.clone(),
            name,
            version: evr,
            architecture,
            license: self.string(LICENSE).filter(|l| !l.is_empty()),
            layer: None,
            path: None,
        })
    }
}

/// `openssl-3.0.7-25.el9.src.rpm` → `openssl`.
fn source_name(srpm: &str) -> Option<String> {
    let stem = srpm.strip_suffix(".src.rpm").or_else(|| srpm.strip_suffix(".nosrc.rpm"))?;
    let (rest, _release) = stem.rsplit_once('-')?;
    let (name, _version) = rest.rsplit_once('-')?;
    Some(name.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A database made by rpm 4.18 itself (tests/fixtures/rpm/make_rpmdb.sh); one header
    /// spills onto overflow pages.
    #[test]
    fn reads_a_real_rpm_sqlite_database() {
        let data = std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/rpm/rpmdb.sqlite")).unwrap();
        let mut found: Vec<_> = parse_sqlite(&data)
            .unwrap()
            .into_iter()
            .map(|p| (p.name, p.version, p.architecture.unwrap_or_default(), p.source_name, p.license.unwrap_or_default()))
            .collect();
        found.sort();
        let want = [
            ("shipshape-demo", "2:1.2.3-4.el9", "x86_64", "shipshape-demo", "MIT"),
            ("shipshape-demo-libs", "2:1.2.3-4.el9", "x86_64", "shipshape-demo", "MIT and BSD"),
            ("shipshape-tool", "0.9~rc1-1.el9", "noarch", "shipshape-tool", "Apache-2.0"),
        ];
        assert_eq!(
            found,
            want.map(|(a, b, c, d, e)| (a.to_string(), b.to_string(), c.to_string(), d.to_string(), e.to_string()))
        );
        assert!(parse_sqlite(b"SQLite format 3\0 but nothing else").is_none());
        let mut truncated = data.clone();
        truncated.truncate(data.len() / 2);
        let _ = parse_sqlite(&truncated); // must not panic
    }
}
