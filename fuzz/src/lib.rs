//! What the fuzz targets share: cutting one input into several, and the total-order properties
//! every version scheme must keep (findings are sorted and ranges matched with them).

use std::borrow::Cow;
use std::cmp::Ordering;

use shipshape::fuzzing::Scheme;

/// `data` cut at its first `N - 1` bytes `0xff` (a byte UTF-8 text never holds, so each part of a
/// seed stays readable); missing parts are empty.
pub fn parts<const N: usize>(data: &[u8]) -> [&[u8]; N] {
    let mut out = [&data[..0]; N];
    let mut rest = data;
    for (i, slot) in out.iter_mut().enumerate() {
        match rest.iter().position(|&b| b == 0xff) {
            Some(at) if i + 1 < N => {
                *slot = &rest[..at];
                rest = &rest[at + 1..];
            }
            _ => {
                *slot = rest;
                break;
            }
        }
    }
    out
}

pub fn text(data: &[u8]) -> Cow<'_, str> {
    String::from_utf8_lossy(data)
}

/// `scheme` orders the input's first three lines as a total order does: each equal to itself,
/// antisymmetric, transitive, and comparable exactly when both parse. `class` groups versions
/// between which the order is meant to be transitive (rpm's bound without a release equals every
/// release of its version, on purpose); transitivity is checked within a class.
pub fn check_total_order(scheme: Scheme, data: &[u8], class: fn(&str) -> bool) {
    let text = text(data);
    let mut lines = text.split('\n');
    let v: [&str; 3] = std::array::from_fn(|_| lines.next().unwrap_or(""));
    let cmp = |a: &str, b: &str| scheme.compare(a, b);
    for a in v {
        assert!(matches!(cmp(a, a), None | Some(Ordering::Equal)), "{a:?} is not equal to itself");
    }
    for a in v {
        for b in v {
            let (ab, ba) = (cmp(a, b), cmp(b, a));
            assert_eq!(ab, ba.map(Ordering::reverse), "{a:?} vs {b:?} is not antisymmetric");
            let parse = cmp(a, a).is_some() && cmp(b, b).is_some();
            assert_eq!(ab.is_some(), parse, "{a:?} vs {b:?}: comparable though one does not parse");
        }
    }
    if v.iter().any(|x| class(x) != class(v[0])) {
        return;
    }
    for [a, b, c] in [[0, 1, 2], [0, 2, 1], [1, 0, 2], [1, 2, 0], [2, 0, 1], [2, 1, 0]].map(|i| i.map(|i| v[i])) {
        let (Some(ab), Some(bc), Some(ac)) = (cmp(a, b), cmp(b, c), cmp(a, c)) else { continue };
        if ab != Ordering::Greater && bc != Ordering::Greater {
            let expected = if ab == Ordering::Equal && bc == Ordering::Equal { Ordering::Equal } else { Ordering::Less };
            assert_eq!(ac, expected, "{a:?} {ab:?} {b:?} {bc:?} {c:?}, but {a:?} {ac:?} {c:?}");
        }
    }
}

/// Every version of a scheme belongs to one class.
pub fn one_class(_: &str) -> bool {
    true
}
