//! RPM version order: `[epoch:]version[-release]`, each part compared with rpm's `rpmvercmp`
//! (alternating digit and letter runs; `~` sorts before anything, even the end; `^` after the end
//! but before anything else).

use std::cmp::Ordering;

use super::numeric_cmp;

/// `None` when either side is not an EVR (an empty version or a non-numeric epoch).
pub fn compare(a: &str, b: &str) -> Option<Ordering> {
    let (ea, va, ra) = split(a)?;
    let (eb, vb, rb) = split(b)?;
    Some(numeric_cmp(ea, eb).then_with(|| vercmp(va, vb)).then_with(|| match (ra, rb) {
        // A range bound without a release covers every release of that version.
        (Some(ra), Some(rb)) => vercmp(ra, rb),
        _ => Ordering::Equal,
    }))
}

fn split(evr: &str) -> Option<(&str, &str, Option<&str>)> {
    let evr = evr.trim();
    let (epoch, rest) = match evr.split_once(':') {
        Some((e, rest)) if !e.is_empty() && e.bytes().all(|b| b.is_ascii_digit()) => (e, rest),
        Some(_) => return None,
        None => ("0", evr),
    };
    let (version, release) = match rest.rsplit_once('-') {
        Some((v, r)) => (v, Some(r)),
        None => (rest, None),
    };
    (!version.is_empty() && !version.contains(char::is_whitespace)).then_some((epoch, version, release))
}

/// rpm's `rpmvercmp`.
pub fn vercmp(a: &str, b: &str) -> Ordering {
    if a == b {
        return Ordering::Equal;
    }
    let (mut one, mut two) = (a.as_bytes(), b.as_bytes());
    let separator = |c: u8| !c.is_ascii_alphanumeric() && c != b'~' && c != b'^';
    loop {
        while one.first().is_some_and(|&c| separator(c)) {
            one = &one[1..];
        }
        while two.first().is_some_and(|&c| separator(c)) {
            two = &two[1..];
        }
        if one.first() == Some(&b'~') || two.first() == Some(&b'~') {
            if one.first() != Some(&b'~') {
                return Ordering::Greater;
            }
            if two.first() != Some(&b'~') {
                return Ordering::Less;
            }
            one = &one[1..];
            two = &two[1..];
            continue;
        }
        if one.first() == Some(&b'^') || two.first() == Some(&b'^') {
            if one.is_empty() {
                return Ordering::Less;
            }
            if two.is_empty() {
                return Ordering::Greater;
            }
            if one[0] != b'^' {
                return Ordering::Greater;
            }
            if two[0] != b'^' {
                return Ordering::Less;
            }
            one = &one[1..];
            two = &two[1..];
            continue;
        }
        if one.is_empty() || two.is_empty() {
            break;
        }
        let numeric = one[0].is_ascii_digit();
        let run = |s: &[u8]| {
            s.iter().take_while(|c| if numeric { c.is_ascii_digit() } else { c.is_ascii_alphabetic() }).count()
        };
        let (n1, n2) = (run(one), run(two));
        if n2 == 0 {
            // A digit run against a letter run: the number is newer.
            return if numeric { Ordering::Greater } else { Ordering::Less };
        }
        let (s1, s2) = (&one[..n1], &two[..n2]);
        let order = if numeric {
            numeric_cmp(std::str::from_utf8(s1).unwrap_or("0"), std::str::from_utf8(s2).unwrap_or("0"))
        } else {
            s1.cmp(s2)
        };
        if order != Ordering::Equal {
            return order;
        }
        one = &one[n1..];
        two = &two[n2..];
    }
    match (one.is_empty(), two.is_empty()) {
        (true, true) => Ordering::Equal,
        (false, _) => Ordering::Greater,
        (true, false) => Ordering::Less,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Cases from rpm's own test suite (tests/rpmvercmp.at).
    #[test]
    fn rpm_test_suite() {
        let cases: &[(&str, &str, i32)] = &[
            ("1.0", "1.0", 0),
            ("1.0", "2.0", -1),
            ("2.0", "1.0", 1),
            ("2.0.1", "2.0.1", 0),
            ("2.0", "2.0.1", -1),
            ("2.0.1a", "2.0.1", 1),
            ("5.5p1", "5.5p2", -1),
            ("5.5p10", "5.5p1", 1),
            ("10xyz", "10.1xyz", -1),
            ("xyz10", "xyz10.1", -1),
            ("xyz.4", "8", -1),
            ("8", "xyz.4", 1),
            ("5.5p2", "5.6p1", -1),
            ("6.0", "6.0.rc1", -1),
            ("6.0.rc1", "6.0", 1),
            ("10b2", "10a1", 1),
            ("1.0aa", "1.0a", 1),
            ("10.0001", "10.1", 0),
            ("10.0001", "10.0039", -1),
            ("4.999.9", "5.0", -1),
            ("20101121", "20101122", -1),
            ("2_0", "2_0", 0),
            ("2.0", "2_0", 0),
            ("a", "a", 0),
            ("a+", "a_", 0),
            ("+", "_", 0),
            ("1.0~rc1", "1.0~rc1", 0),
            ("1.0~rc1", "1.0", -1),
            ("1.0", "1.0~rc1", 1),
            ("1.0~rc1", "1.0~rc2", -1),
            ("1.0~rc1~git123", "1.0~rc1", -1),
            ("1.0^", "1.0", 1),
            ("1.0^git1", "1.0", 1),
            ("1.0^git1", "1.0^git2", -1),
            ("1.0^git1", "1.01", -1),
            ("1.0^20160101", "1.0.1", -1),
            ("1.0~rc1^git1", "1.0~rc1", 1),
            ("1.0^git1~pre", "1.0^git1", -1),
        ];
        for (a, b, want) in cases {
            assert_eq!(vercmp(a, b) as i32, *want, "{a} vs {b}");
        }
    }

    #[test]
    fn epoch_version_release() {
        assert_eq!(compare("1:1.0-1", "2.0-1"), Some(Ordering::Greater));
        assert_eq!(compare("0:1.2.3-4.el9", "1.2.3-5.el9"), Some(Ordering::Less));
        assert_eq!(compare("1.2.3", "1.2.3-9.el9"), Some(Ordering::Equal));
        assert_eq!(compare("x:1.0", "1.0"), None);
        assert_eq!(compare("", "1.0"), None);
    }
}
