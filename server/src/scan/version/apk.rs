//! Alpine version order (apk-tools' algorithm, which follows Gentoo's): `1.2.3[a][_suffix[N]]…[-rN]`.
//! Numbers compare as numbers, except a later part with a leading zero, which compares as a decimal
//! fraction; `_alpha`, `_beta`, `_pre`, `_rc` come before the release, `_cvs`, `_svn`, `_git`,
//! `_hg`, `_p` after it.

use std::cmp::Ordering;

const PRE: [&str; 4] = ["alpha", "beta", "pre", "rc"];
const POST: [&str; 5] = ["cvs", "svn", "git", "hg", "p"];

/// What comes next in a version, in the order apk ranks a longer version against a shorter one.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Kind {
    Digit,
    Letter,
    Suffix,
    SuffixNumber,
    Revision,
    End,
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum Value<'a> {
    Number(&'a str),
    /// A later numeric part with a leading zero (`1.02`): compared as a fraction.
    Fraction(&'a str),
    Letter(u8),
    Suffix(i32),
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ApkVersion<'a> {
    tokens: Vec<(Kind, Value<'a>)>,
}

impl<'a> ApkVersion<'a> {
    /// `None` when the text is not an apk version (apk calls such versions invalid).
    pub fn parse(text: &'a str) -> Option<Self> {
        let s = text.trim();
        let b = s.as_bytes();
        let mut tokens = Vec::new();
        let mut i = 0;
        let mut kind = Kind::Digit;
        let digits = |from: usize| from + b[from..].iter().take_while(|c| c.is_ascii_digit()).count();
        loop {
            match kind {
                Kind::Digit => {
                    let end = digits(i);
                    if end == i {
                        return None;
                    }
                    let part = &s[i..end];
                    let value = if !tokens.is_empty() && part.starts_with('0') {
                        Value::Fraction(part)
                    } else {
                        Value::Number(part)
                    };
                    tokens.push((Kind::Digit, value));
                    i = end;
                }
                Kind::Letter => {
                    tokens.push((Kind::Letter, Value::Letter(b[i])));
                    i += 1;
                }
                Kind::Suffix => {
                    let end = i + b[i..].iter().take_while(|c| c.is_ascii_lowercase()).count();
                    let name = &s[i..end];
                    let value = if let Some(k) = PRE.iter().position(|p| *p == name) {
                        k as i32 - PRE.len() as i32
                    } else if let Some(k) = POST.iter().position(|p| *p == name) {
                        k as i32 + 1
                    } else {
                        return None;
                    };
                    tokens.push((Kind::Suffix, Value::Suffix(value)));
                    i = end;
                    let end = digits(i);
                    if end > i {
                        tokens.push((Kind::SuffixNumber, Value::Number(&s[i..end])));
                        i = end;
                    }
                }
                Kind::Revision => {
                    let end = digits(i);
                    if end == i {
                        return None;
                    }
                    tokens.push((Kind::Revision, Value::Number(&s[i..end])));
                    i = end;
                }
                Kind::SuffixNumber | Kind::End => unreachable!("never a next kind"),
            }
            // What may follow what was just read.
            let last = tokens.last().map(|t| t.0);
            kind = match (b.get(i), last) {
                (None, _) => break,
                (Some(b'.'), Some(Kind::Digit)) => {
                    i += 1;
                    Kind::Digit
                }
                (Some(c), Some(Kind::Digit)) if c.is_ascii_lowercase() => Kind::Letter,
                (Some(b'_'), Some(Kind::Digit | Kind::Letter | Kind::Suffix | Kind::SuffixNumber)) => {
                    i += 1;
                    Kind::Suffix
                }
                (Some(b'-'), Some(k)) if k != Kind::Revision && b.get(i + 1) == Some(&b'r') => {
                    i += 2;
                    Kind::Revision
                }
                _ => return None,
            };
        }
        Some(Self { tokens })
    }
}

fn compare_values(a: &Value, b: &Value) -> Ordering {
    let number = |n: &str| {
        let n = n.trim_start_matches('0');
        (n.len(), n.to_string())
    };
    match (a, b) {
        (Value::Fraction(x), Value::Fraction(y))
        | (Value::Fraction(x), Value::Number(y))
        | (Value::Number(x), Value::Fraction(y)) => x.trim_end_matches('0').cmp(y.trim_end_matches('0')),
        (Value::Number(x), Value::Number(y)) => number(x).cmp(&number(y)),
        (Value::Letter(x), Value::Letter(y)) => x.cmp(y),
        (Value::Suffix(x), Value::Suffix(y)) => x.cmp(y),
        // Same kinds carry the same value types.
        _ => Ordering::Equal,
    }
}

impl Ord for ApkVersion<'_> {
    fn cmp(&self, other: &Self) -> Ordering {
        let (a, b) = (&self.tokens, &other.tokens);
        let mut k = 0;
        while k < a.len() && k < b.len() && a[k].0 == b[k].0 {
            match compare_values(&a[k].1, &b[k].1) {
                Ordering::Equal => k += 1,
                other => return other,
            }
        }
        let at = a.get(k).map_or(Kind::End, |t| t.0);
        let bt = b.get(k).map_or(Kind::End, |t| t.0);
        if at == bt {
            return Ordering::Equal;
        }
        // The longer version is newer unless what it goes on with is a pre-release suffix.
        let pre = |t: Option<&(Kind, Value)>| matches!(t, Some((Kind::Suffix, Value::Suffix(v))) if *v < 0);
        if pre(a.get(k)) {
            return Ordering::Less;
        }
        if pre(b.get(k)) {
            return Ordering::Greater;
        }
        // A kind further down the list ends sooner: 1.0 < 1.0.1, 1.0a < 1.0.1, 1.0-r1 < 1.0_p1.
        bt.cmp(&at)
    }
}

impl PartialOrd for ApkVersion<'_> {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ascending_versions_sort_in_order() {
        let ascending = [
            "1.0_alpha",
            "1.0_alpha2",
            "1.0_beta",
            "1.0_pre1",
            "1.0_rc1",
            "1.0",
            "1.0-r1",
            "1.0-r10",
            "1.0_p1",
            "1.0a",
            "1.0.1",
            "1.01",
            "1.1",
            "1.2_git20200101",
            "1.10",
            "2.0.0_rc1",
            "2.0.0",
        ];
        for pair in ascending.windows(2) {
            let (a, b) = (ApkVersion::parse(pair[0]).unwrap(), ApkVersion::parse(pair[1]).unwrap());
            assert_eq!(a.cmp(&b), Ordering::Less, "{} < {}", pair[0], pair[1]);
            assert_eq!(b.cmp(&a), Ordering::Greater, "{} > {}", pair[1], pair[0]);
        }
        let same = |a, b| ApkVersion::parse(a).unwrap().cmp(&ApkVersion::parse(b).unwrap());
        assert_eq!(same("1.0", "1.0"), Ordering::Equal);
        assert_eq!(same("1.010", "1.01"), Ordering::Equal, "trailing zeros of a fraction do not count");
        assert_eq!(same("1.2.3-r0", "1.2.3"), Ordering::Greater, "any revision is newer than none");
    }

    #[test]
    fn invalid_versions_are_refused() {
        for bad in ["", "a1", "1..2", "1.0_foo", "1.0-r", "1.0-rx", "1.0-r1-r2", "1.0+2"] {
            assert!(ApkVersion::parse(bad).is_none(), "{bad:?}");
        }
    }
}
