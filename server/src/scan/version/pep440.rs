//! Python (PEP 440) version order: `[N!]N(.N)*[{a|b|rc}N][.postN][.devN][+local]`, with the spellings
//! PEP 440 normalises (`alpha`, `c`, `pre`, `rev`, `-1` as a post release, a leading `v`, any case).

use std::cmp::Ordering;

/// A parsed version as the comparison key `packaging` builds.
#[derive(Debug, PartialEq, Eq)]
pub struct Pep440 {
    epoch: u64,
    /// Without trailing zeros: `1.0` and `1` are equal.
    release: Vec<u64>,
    /// `(0|1|2, n)` for a, b, rc.
    pre: Option<(u8, u64)>,
    post: Option<u64>,
    dev: Option<u64>,
    local: Vec<Local>,
}

#[derive(Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Local {
    // Declared first: letters sort before numbers in a local label.
    Text(String),
    Number(u64),
}

struct Cursor<'a> {
    s: &'a [u8],
    at: usize,
}

impl Cursor<'_> {
    fn number(&mut self) -> Option<u64> {
        let start = self.at;
        while self.s.get(self.at).is_some_and(u8::is_ascii_digit) {
            self.at += 1;
        }
        std::str::from_utf8(&self.s[start..self.at]).ok()?.parse().ok()
    }
    fn separator(&mut self) -> bool {
        if matches!(self.s.get(self.at), Some(b'.' | b'-' | b'_')) {
            self.at += 1;
            true
        } else {
            false
        }
    }
    /// The first of `words` here (longest listed first), consumed.
    fn word(&mut self, words: &[&str]) -> Option<usize> {
        let rest = &self.s[self.at..];
        let found = words.iter().position(|w| rest.starts_with(w.as_bytes()))?;
        self.at += words[found].len();
        Some(found)
    }
    /// `word` after an optional separator, or nothing consumed.
    fn tagged(&mut self, words: &[&str]) -> Option<usize> {
        let start = self.at;
        self.separator();
        match self.word(words) {
            Some(found) => Some(found),
            None => {
                self.at = start;
                None
            }
        }
    }
    /// The number after a tag (`a1`, `a.1`, `a-1`), 0 when absent.
    fn tag_number(&mut self) -> u64 {
        let start = self.at;
        self.separator();
        if self.s.get(self.at).is_some_and(u8::is_ascii_digit) {
            self.number().unwrap_or(0)
        } else {
            self.at = start;
            0
        }
    }
}

impl Pep440 {
    pub fn parse(text: &str) -> Option<Self> {
        let lower = text.trim().to_ascii_lowercase();
        let lower = lower.strip_prefix('v').unwrap_or(&lower);
        let mut c = Cursor { s: lower.as_bytes(), at: 0 };
        let mut epoch = 0;
        let first = c.number()?;
        let mut release = vec![first];
        if c.s.get(c.at) == Some(&b'!') {
            c.at += 1;
            epoch = first;
            release = vec![c.number()?];
        }
        while c.s.get(c.at) == Some(&b'.') && c.s.get(c.at + 1).is_some_and(u8::is_ascii_digit) {
            c.at += 1;
            release.push(c.number()?);
        }
        const PRE: [&str; 8] = ["alpha", "beta", "preview", "pre", "rc", "a", "b", "c"];
        let pre = c.tagged(&PRE).map(|i| {
            let kind = match PRE[i] {
                "alpha" | "a" => 0,
                "beta" | "b" => 1,
                _ => 2,
            };
            (kind, c.tag_number())
        });
        let post = if c.s.get(c.at) == Some(&b'-') && c.s.get(c.at + 1).is_some_and(u8::is_ascii_digit) {
            c.at += 1;
            Some(c.number()?)
        } else {
            c.tagged(&["post", "rev", "r"]).map(|_| c.tag_number())
        };
        let dev = c.tagged(&["dev"]).map(|_| c.tag_number());
        let mut local = Vec::new();
        if c.s.get(c.at) == Some(&b'+') {
            let label = std::str::from_utf8(&c.s[c.at + 1..]).ok()?;
            for part in label.split(['.', '-', '_']) {
                if part.is_empty() || !part.bytes().all(|b| b.is_ascii_alphanumeric()) {
                    return None;
                }
                local.push(match part.parse() {
                    Ok(n) => Local::Number(n),
                    Err(_) => Local::Text(part.to_string()),
                });
            }
            c.at = c.s.len();
        }
        if c.at != c.s.len() {
            return None;
        }
        while release.len() > 1 && release.last() == Some(&0) {
            release.pop();
        }
        Some(Self { epoch, release, pre, post, dev, local })
    }

    /// `packaging`'s key: a dev release of a final version sorts before its pre-releases.
    fn pre_key(&self) -> (i8, u8, u64) {
        match (self.pre, self.post, self.dev) {
            (None, None, Some(_)) => (-1, 0, 0),
            (None, _, _) => (1, 0, 0),
            (Some((kind, n)), _, _) => (0, kind, n),
        }
    }
}

impl Ord for Pep440 {
    fn cmp(&self, other: &Self) -> Ordering {
        let release = |v: &Self, i: usize| v.release.get(i).copied().unwrap_or(0);
        let width = self.release.len().max(other.release.len());
        self.epoch
            .cmp(&other.epoch)
            .then_with(|| (0..width).map(|i| release(self, i).cmp(&release(other, i))).find(|o| o.is_ne()).unwrap_or(Ordering::Equal))
            .then_with(|| self.pre_key().cmp(&other.pre_key()))
            // No post release sorts first, no dev release last.
            .then_with(|| self.post.map(|p| p + 1).cmp(&other.post.map(|p| p + 1)))
            .then_with(|| self.dev.map_or(u64::MAX as u128 + 1, u128::from).cmp(&other.dev.map_or(u64::MAX as u128 + 1, u128::from)))
            .then_with(|| self.local.cmp(&other.local))
    }
}

impl PartialOrd for Pep440 {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The order from PEP 440's summary of permitted suffixes and relative ordering.
    #[test]
    fn pep_440_order() {
        let ordered = [
            "1.0.dev456",
            "1.0a1",
            "1.0a2.dev456",
            "1.0a12.dev456",
            "1.0a12",
            "1.0b1.dev456",
            "1.0b2",
            "1.0b2.post345.dev456",
            "1.0b2.post345",
            "1.0rc1.dev456",
            "1.0rc1",
            "1.0",
            "1.0+abc.5",
            "1.0+abc.7",
            "1.0+5",
            "1.0.post456.dev34",
            "1.0.post456",
            "1.0.15",
            "1.1.dev1",
            "1!0.1",
        ];
        for pair in ordered.windows(2) {
            assert_eq!(Pep440::parse(pair[0]).unwrap().cmp(&Pep440::parse(pair[1]).unwrap()), Ordering::Less, "{pair:?}");
        }
    }

    #[test]
    fn normalised_spellings_are_equal() {
        for (a, b) in [
            ("1.0", "1.0.0"),
            ("1.0ALPHA1", "1.0a1"),
            ("1.0-c1", "1.0rc1"),
            ("1.0.preview2", "1.0rc2"),
            ("1.0-1", "1.0.post1"),
            ("1.0-r2", "1.0.post2"),
            ("v2.1", "2.1"),
            ("1.0a", "1.0a0"),
            ("1.0.dev", "1.0.dev0"),
        ] {
            assert_eq!(Pep440::parse(a), Pep440::parse(b), "{a} = {b}");
        }
        for bad in ["", "abc", "1.0+", "1.0+a..b", "1.0 final", "1.0-beta-x"] {
            assert!(Pep440::parse(bad).is_none(), "{bad}");
        }
    }
}
