//! RubyGems version order (`Gem::Version#<=>`): dot-separated segments, split further into digit
//! and letter runs; a letter segment marks a pre-release and sorts before any number; trailing
//! zeros before the first letter segment (and at the end) do not count.

use std::cmp::Ordering;

use super::numeric_cmp;

#[derive(Debug, PartialEq, Eq)]
enum Segment<'a> {
    Number(&'a str),
    Text(&'a str),
}

#[derive(Debug)]
pub struct GemVersion<'a> {
    segments: Vec<Segment<'a>>,
}

impl<'a> GemVersion<'a> {
    pub fn parse(text: &'a str) -> Option<Self> {
        let text = text.trim();
        let valid = text.starts_with(|c: char| c.is_ascii_digit())
            && text.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'-')
            && !text.contains("..");
        if !valid {
            return None;
        }
        let mut segments = Vec::new();
        // `1.0-pre` is `1.0.pre.pre`: RubyGems reads a dash as the start of a pre-release.
        let (main, dashed) = match text.split_once('-') {
            Some((main, rest)) => (main, Some(rest)),
            None => (text, None),
        };
        let mut push = |part: &'a str| {
            let bytes = part.as_bytes();
            let mut start = 0;
            while start < bytes.len() {
                let digit = bytes[start].is_ascii_digit();
                let len = bytes[start..].iter().take_while(|b| b.is_ascii_digit() == digit).count();
                let run = &part[start..start + len];
                segments.push(if digit { Segment::Number(run) } else { Segment::Text(run) });
                start += len;
            }
        };
        main.split('.').for_each(&mut push);
        if let Some(rest) = dashed {
            push("pre");
            rest.split(['.', '-']).for_each(&mut push);
        }
        let is_zero = |s: &Segment| matches!(s, Segment::Number(n) if n.bytes().all(|b| b == b'0'));
        let first_text = segments.iter().position(|s| matches!(s, Segment::Text(_))).unwrap_or(segments.len());
        let (mut numbers, mut texts): (Vec<_>, Vec<_>) = (segments, Vec::new());
        texts.extend(numbers.drain(first_text..));
        while numbers.last().is_some_and(is_zero) {
            numbers.pop();
        }
        while texts.last().is_some_and(is_zero) {
            texts.pop();
        }
        numbers.extend(texts);
        Some(Self { segments: numbers })
    }
}

impl Ord for GemVersion<'_> {
    fn cmp(&self, other: &Self) -> Ordering {
        let width = self.segments.len().max(other.segments.len());
        for i in 0..width {
            let a = self.segments.get(i).unwrap_or(&Segment::Number("0"));
            let b = other.segments.get(i).unwrap_or(&Segment::Number("0"));
            let order = match (a, b) {
                (Segment::Number(a), Segment::Number(b)) => numeric_cmp(a, b),
                (Segment::Text(_), Segment::Number(_)) => Ordering::Less,
                (Segment::Number(_), Segment::Text(_)) => Ordering::Greater,
                (Segment::Text(a), Segment::Text(b)) => a.cmp(b),
            };
            if order != Ordering::Equal {
                return order;
            }
        }
        Ordering::Equal
    }
}

impl PartialOrd for GemVersion<'_> {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl PartialEq for GemVersion<'_> {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for GemVersion<'_> {}

#[cfg(test)]
mod tests {
    use super::*;

    fn cmp(a: &str, b: &str) -> Ordering {
        GemVersion::parse(a).unwrap().cmp(&GemVersion::parse(b).unwrap())
    }

    /// Cases from RubyGems' own test_gem_version.rb.
    #[test]
    fn rubygems_test_suite() {
        for (a, b, want) in [
            ("1.0", "1.0.a", Ordering::Greater),
            ("1.8.2", "0.0.0", Ordering::Greater),
            ("1.8.2", "1.8.2.a", Ordering::Greater),
            ("1.8.2.b", "1.8.2.a", Ordering::Greater),
            ("1.8.2.a", "1.8.2", Ordering::Less),
            ("1.8.2.a10", "1.8.2.a9", Ordering::Greater),
            ("", "0", Ordering::Equal),
            ("0.beta.1", "0.0.beta.1", Ordering::Equal),
            ("0.0.beta", "0.0.beta.1", Ordering::Less),
            ("0.0.beta", "0.beta.1", Ordering::Less),
            ("5.a", "5.0.0.rc2", Ordering::Less),
            ("5.x", "5.0.0.rc2", Ordering::Greater),
            ("1.9.3", "1.9.3", Ordering::Equal),
            ("1.9.3", "1.9.2.99", Ordering::Greater),
            ("1.9.3", "1.9.3.1", Ordering::Less),
            ("1.0.0-rc1", "1.0.0", Ordering::Less),
            ("1.0.0-rc1", "1.0.0.pre.rc1", Ordering::Equal),
        ]
        .into_iter()
        .filter(|(a, _, _)| !a.is_empty())
        {
            assert_eq!(cmp(a, b), want, "{a} vs {b}");
        }
        for bad in ["", "junk", "1.0\n2.0", "1..2", "1.2 3.4"] {
            assert!(GemVersion::parse(bad).is_none(), "{bad:?}");
        }
    }
}
