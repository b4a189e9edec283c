//! What an ELF executable says of its own build: Go's buildinfo (the toolchain and every module
//! linked in) and cargo-auditable's `.dep-v0` (every crate). Read from the whole file in memory;
//! only the small facts are kept.

use std::io::Read;

use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExecutableFacts {
    /// `go1.23.4`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub go_version: Option<String>,
    /// Go's module info: `path`, `mod`, `dep` and `=>` lines.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub go_modules: Option<String>,
    /// cargo-auditable's JSON.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rust_audit: Option<String>,
}

const GO_MAGIC: &[u8] = b"\xff Go buildinf:";
/// A `.dep-v0` section never decompresses to more than this.
const AUDIT_MAX: u64 = 8 << 20;

/// The facts of one ELF file, serialised for the layer analysis; `None` when it has none.
pub fn facts(data: &[u8]) -> Option<Vec<u8>> {
    let elf = Elf::parse(data)?;
    let mut facts = ExecutableFacts::default();
    let buildinfo = match elf.names {
        Some(_) => elf.section(".go.buildinfo"),
        // Stripped of section names: the blob is 16-byte aligned somewhere in the data.
        None => (0..data.len().saturating_sub(32))
            .step_by(16)
            .find(|&at| data[at..].starts_with(GO_MAGIC))
            .map(|at| &data[at..]),
    };
    if let Some((version, modules)) = buildinfo.and_then(|b| go_buildinfo(&elf, b)) {
        facts.go_version = Some(version);
        facts.go_modules = (!modules.is_empty()).then_some(modules);
    }
    if let Some(section) = elf.section(".dep-v0") {
        let mut json = String::new();
        if flate2::read::ZlibDecoder::new(section).take(AUDIT_MAX).read_to_string(&mut json).is_ok() {
            facts.rust_audit = Some(json);
        }
    }
    (facts != ExecutableFacts::default()).then(|| serde_json::to_vec(&facts).unwrap_or_default())
}

struct Section {
    name: u32,
    kind: u32,
    addr: u64,
    offset: u64,
    size: u64,
}

struct Elf<'a> {
    data: &'a [u8],
    big_endian: bool,
    sections: Vec<Section>,
    names: Option<&'a [u8]>,
}

impl<'a> Elf<'a> {
    fn parse(data: &'a [u8]) -> Option<Self> {
        if !data.starts_with(b"\x7fELF") || data.len() < 64 {
            return None;
        }
        let wide = data[4] == 2;
        let big_endian = data[5] == 2;
        let mut elf = Self { data, big_endian, sections: Vec::new(), names: None };
        let (shoff, shentsize, shnum, shstrndx) = if wide {
            (elf.u64(0x28)?, elf.u16(0x3a)?, elf.u16(0x3c)?, elf.u16(0x3e)?)
        } else {
            (u64::from(elf.u32(0x20)?), elf.u16(0x2e)?, elf.u16(0x30)?, elf.u16(0x32)?)
        };
        for i in 0..u64::from(shnum) {
            let at = usize::try_from(shoff.checked_add(i * u64::from(shentsize))?).ok()?;
            let section = if wide {
                Section {
                    name: elf.u32(at)?,
                    kind: elf.u32(at + 4)?,
                    addr: elf.u64(at + 16)?,
                    offset: elf.u64(at + 24)?,
                    size: elf.u64(at + 32)?,
                }
            } else {
                Section {
                    name: elf.u32(at)?,
                    kind: elf.u32(at + 4)?,
                    addr: u64::from(elf.u32(at + 12)?),
                    offset: u64::from(elf.u32(at + 16)?),
                    size: u64::from(elf.u32(at + 20)?),
                }
            };
            elf.sections.push(section);
        }
        elf.names = elf.sections.get(usize::from(shstrndx)).and_then(|s| elf.contents(s));
        Some(elf)
    }

    fn bytes<const N: usize>(&self, at: usize) -> Option<[u8; N]> {
        self.data.get(at..at.checked_add(N)?)?.try_into().ok()
    }
    fn u16(&self, at: usize) -> Option<u16> {
        let b = self.bytes(at)?;
        Some(if self.big_endian { u16::from_be_bytes(b) } else { u16::from_le_bytes(b) })
    }
    fn u32(&self, at: usize) -> Option<u32> {
        let b = self.bytes(at)?;
        Some(if self.big_endian { u32::from_be_bytes(b) } else { u32::from_le_bytes(b) })
    }
    fn u64(&self, at: usize) -> Option<u64> {
        let b = self.bytes(at)?;
        Some(if self.big_endian { u64::from_be_bytes(b) } else { u64::from_le_bytes(b) })
    }

    fn contents(&self, section: &Section) -> Option<&'a [u8]> {
        const NOBITS: u32 = 8;
        if section.kind == NOBITS {
            return None;
        }
        let start = usize::try_from(section.offset).ok()?;
        self.data.get(start..start.checked_add(usize::try_from(section.size).ok()?)?)
    }

    fn section(&self, name: &str) -> Option<&'a [u8]> {
        let names = self.names?;
        self.sections
            .iter()
            .find(|s| {
                let start = s.name as usize;
                names.get(start..).is_some_and(|n| n.split(|&b| b == 0).next() == Some(name.as_bytes()))
            })
            .and_then(|s| self.contents(s))
    }

    /// The file bytes at a virtual address, through the section that maps it.
    fn at_address(&self, addr: u64, len: u64) -> Option<&'a [u8]> {
        let end = addr.checked_add(len)?;
        let s = self.sections.iter().find(|s| s.addr != 0 && addr >= s.addr && s.addr.checked_add(s.size).is_some_and(|e| end <= e))?;
        // The section's offset is the file's word: past the end of the address space is no offset.
        let start = usize::try_from(s.offset.checked_add(addr - s.addr)?).ok()?;
        self.data.get(start..start.checked_add(usize::try_from(len).ok()?)?)
    }
}

/// `(go version, module info)` from a `.go.buildinfo` blob: inline strings since Go 1.18, else
/// pointers to Go string headers.
fn go_buildinfo(elf: &Elf, blob: &[u8]) -> Option<(String, String)> {
    if !blob.starts_with(GO_MAGIC) || blob.len() < 32 {
        return None;
    }
    let pointer_size = usize::from(blob[14]);
    let flags = blob[15];
    let (version, modules) = if flags & 2 != 0 {
        let (version, rest) = varint_string(&blob[32..])?;
        let (modules, _) = varint_string(rest)?;
        (version.to_vec(), modules.to_vec())
    } else {
        let big_endian = flags & 1 != 0;
        let read = |b: &[u8]| -> Option<u64> {
            Some(match (b.len(), big_endian) {
                (4, false) => u64::from(u32::from_le_bytes(b.try_into().ok()?)),
                (4, true) => u64::from(u32::from_be_bytes(b.try_into().ok()?)),
                (8, false) => u64::from_le_bytes(b.try_into().ok()?),
                (8, true) => u64::from_be_bytes(b.try_into().ok()?),
                _ => return None,
            })
        };
        let string_at = |pointer: &[u8]| -> Option<Vec<u8>> {
            let header = elf.at_address(read(pointer)?, 2 * pointer_size as u64)?;
            let (data, len) = (read(&header[..pointer_size])?, read(&header[pointer_size..])?);
            if len > 1 << 20 {
                return None;
            }
            Some(elf.at_address(data, len)?.to_vec())
        };
        let version = string_at(blob.get(16..16 + pointer_size)?)?;
        let modules = string_at(blob.get(16 + pointer_size..16 + 2 * pointer_size)?).unwrap_or_default();
        (version, modules)
    };
    // The module info sits between two 16-byte sentinels.
    let modules = if modules.len() >= 33 && modules[modules.len() - 17] == b'\n' {
        &modules[16..modules.len() - 16]
    } else {
        &modules[..]
    };
    let version = String::from_utf8(version).ok().filter(|v| v.starts_with("go"))?;
    Some((version, String::from_utf8_lossy(modules).into_owned()))
}

fn varint_string(data: &[u8]) -> Option<(&[u8], &[u8])> {
    let (mut len, mut shift, mut used) = (0u64, 0u32, 0usize);
    for &b in data.iter().take(10) {
        used += 1;
        len |= u64::from(b & 0x7f) << shift;
        if b & 0x80 == 0 {
            let len = usize::try_from(len).ok()?;
            let rest = data.get(used..)?;
            return (len <= rest.len()).then(|| rest.split_at(len));
        }
        shift += 7;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A minimal little-endian ELF64 with the given named sections.
    fn elf_with(sections: &[(&str, &[u8])]) -> Vec<u8> {
        let placed: Vec<(&str, &[u8], u64)> = sections.iter().map(|(n, b)| (*n, *b, 0)).collect();
        elf_at(&placed)
    }

    /// The same, each section mapped at the given virtual address.
    fn elf_at(sections: &[(&str, &[u8], u64)]) -> Vec<u8> {
        let mut names = vec![0u8];
        let mut name_offsets = Vec::new();
        for (name, _, _) in sections.iter().chain(&[(".shstrtab", &[][..], 0)]) {
            name_offsets.push(names.len() as u32);
            names.extend_from_slice(name.as_bytes());
            names.push(0);
        }
        let mut data = vec![0u8; 64];
        data[..4].copy_from_slice(b"\x7fELF");
        data[4] = 2;
        data[5] = 1;
        let mut placed = Vec::new();
        for (_, body, addr) in sections.iter().chain(&[("", &names[..], 0)]) {
            placed.push((data.len() as u64, body.len() as u64, *addr));
            data.extend_from_slice(body);
        }
        let shoff = data.len() as u64;
        data.extend_from_slice(&[0u8; 64]); // the null section
        for (i, (offset, size, addr)) in placed.iter().enumerate() {
            let mut header = [0u8; 64];
            header[..4].copy_from_slice(&name_offsets[i].to_le_bytes());
            header[4..8].copy_from_slice(&1u32.to_le_bytes());
            header[16..24].copy_from_slice(&addr.to_le_bytes());
            header[24..32].copy_from_slice(&offset.to_le_bytes());
            header[32..40].copy_from_slice(&size.to_le_bytes());
            data.extend_from_slice(&header);
        }
        data[0x28..0x30].copy_from_slice(&shoff.to_le_bytes());
        data[0x3a..0x3c].copy_from_slice(&64u16.to_le_bytes());
        data[0x3c..0x3e].copy_from_slice(&((placed.len() + 1) as u16).to_le_bytes());
        data[0x3e..0x40].copy_from_slice(&(placed.len() as u16).to_le_bytes());
        data
    }

    fn go_buildinfo_blob(version: &str, modules: &str) -> Vec<u8> {
        let mut blob = GO_MAGIC.to_vec();
        blob.extend_from_slice(&[8, 2]);
        blob.resize(32, 0);
        let sentinel = [0x30u8; 16];
        let mut info = sentinel.to_vec();
        info.extend_from_slice(modules.as_bytes());
        info.extend_from_slice(&sentinel);
        for s in [version.as_bytes(), &info[..]] {
            let mut n = s.len();
            while n >= 0x80 {
                blob.push((n as u8) | 0x80);
                n >>= 7;
            }
            blob.push(n as u8);
            blob.extend_from_slice(s);
        }
        blob
    }

    #[test]
    fn go_buildinfo_and_cargo_auditable_sections() {
        let modules = "path\texample.com/app\nmod\texample.com/app\t(devel)\t\ndep\tgolang.org/x/text\tv0.3.7\th1:x=\n";
        let audit = r#"{"packages":[{"name":"app","version":"0.1.0","source":"local","root":true}]}"#;
        let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
        std::io::Write::write_all(&mut z, audit.as_bytes()).unwrap();
        let elf = elf_with(&[
            (".text", b"code"),
            (".go.buildinfo", &go_buildinfo_blob("go1.21.5", modules)),
            (".dep-v0", &z.finish().unwrap()),
        ]);
        let facts: ExecutableFacts = serde_json::from_slice(&facts(&elf).unwrap()).unwrap();
        assert_eq!(facts.go_version.as_deref(), Some("go1.21.5"));
        assert_eq!(facts.go_modules.as_deref(), Some(modules));
        assert_eq!(facts.rust_audit.as_deref(), Some(audit));
        assert!(super::facts(&elf_with(&[(".text", b"plain")])).is_none());
        assert!(super::facts(b"\x7fELF but truncated").is_none());
    }

    /// Found by `make fuzz` (target `executable`): a section whose offset is near `u64::MAX`
    /// overflowed the file position of an address it maps.
    #[test]
    fn a_section_offset_past_the_address_space_maps_nothing() {
        let elf = Elf {
            data: &[0u8; 64],
            big_endian: false,
            sections: vec![Section { name: 0, kind: 1, addr: 0x1000, offset: u64::MAX - 8, size: 0x100 }],
            names: None,
        };
        assert_eq!(elf.at_address(0x1010, 4), None);
        let crash = include_bytes!("../../tests/fixtures/fuzz/executable-section-offset-overflow");
        let _ = facts(crash);
    }

    /// Before Go 1.18 the blob held pointers to Go string headers (address, length) elsewhere.
    #[test]
    fn go_buildinfo_pointer_format() {
        let version = b"go1.16.15";
        let modules = b"0123456789abcdefpath\tex.com/old\nmod\tex.com/old\tv1.0.0\t\n0123456789abcdef";
        let data_addr = 0x50_0000u64;
        // .data: two string headers, then the strings they point at.
        let mut data = Vec::new();
        let strings_at = data_addr + 32;
        data.extend_from_slice(&strings_at.to_le_bytes());
        data.extend_from_slice(&(version.len() as u64).to_le_bytes());
        data.extend_from_slice(&(strings_at + version.len() as u64).to_le_bytes());
        data.extend_from_slice(&(modules.len() as u64).to_le_bytes());
        data.extend_from_slice(version);
        data.extend_from_slice(modules);
        let mut blob = GO_MAGIC.to_vec();
        blob.extend_from_slice(&[8, 0]);
        blob.extend_from_slice(&data_addr.to_le_bytes());
        blob.extend_from_slice(&(data_addr + 16).to_le_bytes());
        let elf = elf_at(&[(".go.buildinfo", &blob, 0x40_0000), (".data", &data, data_addr)]);
        let facts: ExecutableFacts = serde_json::from_slice(&facts(&elf).unwrap()).unwrap();
        assert_eq!(facts.go_version.as_deref(), Some("go1.16.15"));
        assert_eq!(facts.go_modules.as_deref(), Some("path\tex.com/old\nmod\tex.com/old\tv1.0.0\t\n"));
    }
}
