//! The image's filesystem as its layers build it, applying whiteouts the way the OCI layer spec
//! says: what each path ends as and which layer put it there, and dive's wasted bytes (files a
//! later layer replaces or deletes still ship in the earlier one).

use std::collections::BTreeMap;

use super::layers::{EntryKind, LayerContents};

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Placed {
    pub layer: usize,
    pub size: u64,
    pub kind: EntryKind,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Wasted {
    pub path: String,
    pub size: u64,
    /// The layer that added the file, and the one that replaced or deleted it.
    pub added_in: usize,
    pub removed_in: usize,
}

#[derive(Debug, Default)]
pub struct Filesystem {
    pub entries: BTreeMap<String, Placed>,
    pub wasted: Vec<Wasted>,
    /// Every file byte of every layer.
    pub total_file_bytes: u64,
}

impl Filesystem {
    pub fn build(layers: &[LayerContents]) -> Self {
        let mut fs = Filesystem::default();
        for (index, layer) in layers.iter().enumerate() {
            for dir in &layer.opaque {
                fs.remove_below(dir, index);
            }
            for path in &layer.whiteouts {
                fs.remove(path, index);
                fs.remove_below(path, index);
            }
            for entry in &layer.entries {
                if entry.kind == EntryKind::File {
                    fs.total_file_bytes += entry.size;
                }
                let placed = Placed { layer: index, size: entry.size, kind: entry.kind };
                if let Some(old) = fs.entries.insert(entry.path.clone(), placed) {
                    fs.note_waste(&entry.path, &old, index);
                }
            }
        }
        fs
    }

    fn remove(&mut self, path: &str, by: usize) {
        if let Some(old) = self.entries.remove(path) {
            self.note_waste(path, &old, by);
        }
    }

    fn remove_below(&mut self, dir: &str, by: usize) {
        let prefix = if dir.is_empty() { String::new() } else { format!("{dir}/") };
        let below: Vec<String> = self
            .entries
            .range(prefix.clone()..)
            .take_while(|(p, _)| p.starts_with(&prefix))
            .map(|(p, _)| p.clone())
            .collect();
        for path in below {
            self.remove(&path, by);
        }
    }

    fn note_waste(&mut self, path: &str, old: &Placed, by: usize) {
        if old.kind == EntryKind::File && old.size > 0 && old.layer < by {
            self.wasted.push(Wasted { path: path.to_string(), size: old.size, added_in: old.layer, removed_in: by });
        }
    }

    pub fn wasted_bytes(&self) -> u64 {
        self.wasted.iter().map(|w| w.size).sum()
    }

    /// dive's efficiency: the share of the shipped file bytes that the final image still uses.
    pub fn efficiency(&self) -> f64 {
        if self.total_file_bytes == 0 {
            return 1.0;
        }
        1.0 - self.wasted_bytes() as f64 / self.total_file_bytes as f64
    }

    /// Files under `dir` in the final image, with the layer that put each there.
    pub fn files_below<'a>(&'a self, dir: &str) -> impl Iterator<Item = (&'a String, &'a Placed)> + 'a {
        let prefix = format!("{dir}/");
        self.entries
            .range(prefix.clone()..)
            .take_while(move |(p, _)| p.starts_with(&prefix))
            .filter(|(_, placed)| placed.kind == EntryKind::File)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scan::layers::Entry;

    fn layer(files: &[(&str, u64)], whiteouts: &[&str], opaque: &[&str]) -> LayerContents {
        LayerContents {
            entries: files
                .iter()
                .map(|(p, s)| Entry { path: p.to_string(), size: *s, kind: EntryKind::File })
                .collect(),
            whiteouts: whiteouts.iter().map(|s| s.to_string()).collect(),
            opaque: opaque.iter().map(|s| s.to_string()).collect(),
            ..LayerContents::default()
        }
    }

    #[test]
    fn whiteouts_opaque_dirs_and_waste() {
        let layers = [
            layer(&[("var/cache/apt/a.deb", 1000), ("opt/app/old", 10), ("etc/conf", 5)], &[], &[]),
            layer(&[("etc/conf", 6)], &["var/cache/apt"], &[]),
            layer(&[("opt/app/new", 7)], &[], &["opt/app"]),
        ];
        let fs = Filesystem::build(&layers);
        let paths: Vec<_> = fs.entries.keys().map(String::as_str).collect();
        assert_eq!(paths, ["etc/conf", "opt/app/new"]);
        assert_eq!(fs.entries["etc/conf"].layer, 1);
        assert_eq!(fs.wasted_bytes(), 1000 + 10 + 5);
        assert_eq!(fs.total_file_bytes, 1028);
        assert!((fs.efficiency() - (1.0 - 1015.0 / 1028.0)).abs() < 1e-9);
    }
}
