//! Badges drawn as shields.io draws them: flat, flat-square and for-the-badge, each side as wide as
//! its text measured with the badge font's advance widths, any text escaped.

use app::badge::{BadgeFace, BadgeStyle};

use super::widths;

/// Longer labels and messages are cut with an ellipsis: a badge is a line of a README, not a page.
pub const MAX_TEXT_CHARS: usize = 200;
const LABEL_COLOR: &str = "#555";
const FONT_FAMILY: &str = "DejaVu Sans,Verdana,Geneva,sans-serif";

/// A colour as shields.io's named colours or a 3/6-digit hex (with or without `#`), as `#rrggbb`.
pub fn color(value: &str) -> Option<String> {
    let named = match value {
        "brightgreen" | "success" => Some("#4c1"),
        "green" => Some("#97ca00"),
        "yellowgreen" => Some("#a4a61d"),
        "yellow" => Some("#dfb317"),
        "orange" | "important" => Some("#fe7d37"),
        "red" | "critical" => Some("#e05d44"),
        "blue" | "informational" => Some("#007ec6"),
        "lightgrey" | "lightgray" | "inactive" => Some("#9f9f9f"),
        "grey" | "gray" => Some("#555"),
        _ => None,
    };
    if let Some(hex) = named {
        return Some(hex.to_string());
    }
    let hex = value.strip_prefix('#').unwrap_or(value);
    (matches!(hex.len(), 3 | 6) && hex.bytes().all(|b| b.is_ascii_hexdigit()))
        .then(|| format!("#{}", hex.to_ascii_lowercase()))
}

/// How a style lays text out.
struct Metrics {
    height: u32,
    font_size: f64,
    /// Space left and right of each text.
    padding: f64,
    letter_spacing: f64,
    bold_message: bool,
    uppercase: bool,
    rounded: bool,
    /// The gradient and the text shadow of the flat style.
    shaded: bool,
}

fn metrics(style: BadgeStyle) -> Metrics {
    match style {
        BadgeStyle::Flat => Metrics {
            height: 20,
            font_size: 11.0,
            padding: 6.0,
            letter_spacing: 0.0,
            bold_message: false,
            uppercase: false,
            rounded: true,
            shaded: true,
        },
        BadgeStyle::FlatSquare => Metrics { rounded: false, shaded: false, ..metrics(BadgeStyle::Flat) },
        BadgeStyle::ForTheBadge => Metrics {
            height: 28,
            font_size: 10.0,
            padding: 12.0,
            letter_spacing: 1.25,
            bold_message: true,
            uppercase: true,
            rounded: false,
            shaded: false,
        },
    }
}

/// The advance of `text` set in the badge font at `size` px, plus `spacing` after each character.
pub fn text_width(text: &str, bold: bool, size: f64, spacing: f64) -> f64 {
    let (table, fallback) = if bold {
        (&widths::BOLD[..], widths::BOLD_FALLBACK)
    } else {
        (&widths::REGULAR[..], widths::REGULAR_FALLBACK)
    };
    let units: u64 = text
        .chars()
        .map(|c| {
            let code = c as u32;
            match code.checked_sub(widths::FIRST).and_then(|i| table.get(i as usize)) {
                Some(w) => u64::from(*w),
                None if is_wide(c) => widths::UNITS_PER_EM as u64,
                None => u64::from(fallback),
            }
        })
        .sum();
    units as f64 * size / widths::UNITS_PER_EM + spacing * text.chars().count() as f64
}

/// East Asian wide characters and emoji take a full em.
fn is_wide(c: char) -> bool {
    matches!(c as u32,
        0x1100..=0x115F | 0x2E80..=0xA4CF | 0xAC00..=0xD7A3 | 0xF900..=0xFAFF | 0xFE30..=0xFE4F
        | 0xFF00..=0xFF60 | 0xFFE0..=0xFFE6 | 0x1F300..=0x1FAFF | 0x20000..=0x3FFFD)
}

/// Keeps what XML 1.0 may carry (no control characters), at most [`MAX_TEXT_CHARS`] of it.
pub fn clean_text(text: &str) -> String {
    let kept: Vec<char> = text.chars().filter(|c| !c.is_control() && !matches!(*c, '\u{FFFE}' | '\u{FFFF}')).collect();
    if kept.len() <= MAX_TEXT_CHARS {
        return kept.into_iter().collect();
    }
    let mut cut: String = kept[..MAX_TEXT_CHARS - 1].iter().collect();
    cut.push('…');
    cut
}

pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Dark text on light colours, white on the rest (shields' rule of thumb for contrast).
fn is_light(hex: &str) -> bool {
    let hex = hex.trim_start_matches('#');
    let full: String = if hex.len() == 3 { hex.chars().flat_map(|c| [c, c]).collect() } else { hex.to_string() };
    let channel = |i: usize| u8::from_str_radix(&full[i..i + 2], 16).map_or(0.0, f64::from);
    (0.299 * channel(0) + 0.587 * channel(2) + 0.114 * channel(4)) / 255.0 > 0.69
}

/// The badge as an SVG document. `label_color` and the face's colour are `#rrggbb` (see [`color`]).
pub fn render(face: &BadgeFace, style: BadgeStyle, label_color: Option<&str>, message_color: &str) -> String {
    let m = metrics(style);
    let shape = |t: &str| {
        let t = clean_text(t);
        if m.uppercase { t.to_uppercase() } else { t }
    };
    let (label, message) = (shape(&face.label), shape(&face.message));
    let label_color = label_color.unwrap_or(LABEL_COLOR);
    let label_text = text_width(&label, false, m.font_size, m.letter_spacing);
    let message_text = text_width(&message, m.bold_message, m.font_size, m.letter_spacing);
    let label_width = if label.is_empty() { 0.0 } else { (label_text + 2.0 * m.padding).ceil() };
    let message_width = (message_text + 2.0 * m.padding).ceil();
    let width = label_width + message_width;
    let h = m.height;
    let accessible = escape(&if label.is_empty() { message.clone() } else { format!("{label}: {message}") });

    let mut svg = String::with_capacity(1400);
    svg.push_str(&format!(
        r#"<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" width="{width}" height="{h}" role="img" aria-label="{accessible}"><title>{accessible}</title>"#
    ));
    if let Some(link) = face.link.as_deref().filter(|l| l.starts_with("https://") || l.starts_with("http://")) {
        let link = escape(link);
        svg.push_str(&format!(r#"<a target="_blank" href="{link}" xlink:href="{link}">"#));
    }
    if m.shaded {
        svg.push_str(r##"<linearGradient id="s" x2="0" y2="100%"><stop offset="0" stop-color="#bbb" stop-opacity=".1"/><stop offset="1" stop-opacity=".1"/></linearGradient>"##);
    }
    if m.rounded {
        svg.push_str(&format!(r##"<clipPath id="r"><rect width="{width}" height="{h}" rx="3" fill="#fff"/></clipPath><g clip-path="url(#r)">"##));
    } else {
        svg.push_str("<g>");
    }
    svg.push_str(&format!(
        r#"<rect width="{label_width}" height="{h}" fill="{label_color}"/><rect x="{label_width}" width="{message_width}" height="{h}" fill="{message_color}"/>"#
    ));
    if m.shaded {
        svg.push_str(&format!(r#"<rect width="{width}" height="{h}" fill="url(#s)"/>"#));
    }
    svg.push_str(&format!(
        r##"</g><g fill="#fff" text-anchor="middle" font-family="{FONT_FAMILY}" text-rendering="geometricPrecision" font-size="{}">"##,
        m.font_size
    ));
    let baseline = if h == 20 { 14.0 } else { 17.5 };
    let mut text = |content: &str, centre: f64, length: f64, bold: bool, background: &str| {
        let length = format!("{length:.1}");
        let weight = if bold { r#" font-weight="bold""# } else { "" };
        let spacing =
            if m.letter_spacing > 0.0 { format!(r#" letter-spacing="{}""#, m.letter_spacing) } else { String::new() };
        let (fill, shadow) = if is_light(background) { ("#333", "#fff") } else { ("#fff", "#010101") };
        let content = escape(content);
        if m.shaded {
            svg.push_str(&format!(
                r#"<text aria-hidden="true" x="{centre:.1}" y="{:.1}" fill="{shadow}" fill-opacity=".3" textLength="{length}"{weight}{spacing}>{content}</text>"#,
                baseline + 1.0
            ));
        }
        svg.push_str(&format!(
            r#"<text x="{centre:.1}" y="{baseline:.1}" fill="{fill}" textLength="{length}"{weight}{spacing}>{content}</text>"#
        ));
    };
    if !label.is_empty() {
        text(&label, label_width / 2.0, label_text, false, label_color);
    }
    text(&message, label_width + message_width / 2.0, message_text, m.bold_message, message_color);
    svg.push_str("</g>");
    if face.link.as_deref().is_some_and(|l| l.starts_with("https://") || l.starts_with("http://")) {
        svg.push_str("</a>");
    }
    svg.push_str("</svg>");
    svg
}

#[cfg(test)]
mod tests {
    use super::*;

    fn face(label: &str, message: &str) -> BadgeFace {
        BadgeFace { label: label.into(), message: message.into(), color: "blue", link: None }
    }

    #[test]
    fn widths_are_per_character_not_per_count() {
        // DejaVu Sans: W is 2025 units, i is 569, at 11 px.
        assert!((text_width("W", false, 11.0, 0.0) - 2025.0 * 11.0 / 2048.0).abs() < 1e-9);
        assert!(text_width("WWWW", false, 11.0, 0.0) > 3.0 * text_width("iiii", false, 11.0, 0.0));
        assert!(text_width("ab", true, 10.0, 0.0) > text_width("ab", false, 10.0, 0.0));
        assert_eq!(text_width("漢", false, 11.0, 0.0), 11.0);
        assert_eq!(text_width("abc", false, 10.0, 1.25) - text_width("abc", false, 10.0, 0.0), 3.75);
    }

    #[test]
    fn colours_by_name_or_hex_only() {
        assert_eq!(color("brightgreen").as_deref(), Some("#4c1"));
        assert_eq!(color("FF0000").as_deref(), Some("#ff0000"));
        assert_eq!(color("#abc").as_deref(), Some("#abc"));
        assert_eq!(color("url(#x)"), None);
        assert_eq!(color("12345"), None);
        assert!(is_light("#fff") && !is_light("#555") && !is_light("#007ec6"));
    }

    #[test]
    fn text_is_escaped_and_cleaned() {
        let svg = render(&face("a<b>&\"c'", "x\u{0}y\u{1b}z"), BadgeStyle::Flat, None, "#007ec6");
        assert!(svg.contains("a&lt;b&gt;&amp;&quot;c&#39;"));
        assert!(svg.contains(">xyz</text>"));
        assert!(!svg.contains('\u{0}'));
        let long = "é".repeat(500);
        assert_eq!(clean_text(&long).chars().count(), MAX_TEXT_CHARS);
    }

    #[test]
    fn the_badge_is_as_wide_as_its_texts() {
        let svg = render(&face("image", "3.6 MB | 5 layers"), BadgeStyle::Flat, None, "#007ec6");
        let expected = (text_width("image", false, 11.0, 0.0) + 12.0).ceil()
            + (text_width("3.6 MB | 5 layers", false, 11.0, 0.0) + 12.0).ceil();
        assert!(svg.contains(&format!(r#"width="{expected}" height="20""#)), "{svg}");
        let loud = render(&face("image", "ok"), BadgeStyle::ForTheBadge, None, "#007ec6");
        assert!(loud.contains(">IMAGE</text>") && loud.contains(r#"height="28""#));
    }
}
