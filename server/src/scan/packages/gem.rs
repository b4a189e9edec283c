//! Installed Ruby gems: `specifications/*.gemspec`, the Ruby files RubyGems writes for each
//! installed gem. Read for their `s.name`, `s.version` and `s.licenses` assignments, never run.

use super::{Ecosystem, Package};

pub fn wanted(path: &str) -> bool {
    path.ends_with(".gemspec") && path.rsplit('/').nth(1) == Some("specifications")
}

pub fn parse(data: &[u8]) -> Option<Package> {
    let text = String::from_utf8_lossy(data);
    let mut name = None;
    let mut version = None;
    let mut licenses = Vec::new();
    for line in text.lines() {
        let line = line.trim();
        let Some((target, value)) = line.split_once('=') else { continue };
        let field = target.trim().rsplit('.').next().unwrap_or("");
        match field {
            "name" => name = name.or_else(|| quoted(value).into_iter().next()),
            // `s.version = "1.2.3"`, also written `s.version = Gem::Version.new("1.2.3")`
            "version" => version = version.or_else(|| quoted(value).into_iter().next()),
            "licenses" | "license" => licenses.extend(quoted(value)),
            _ => {}
        }
    }
    let license = (!licenses.is_empty()).then(|| licenses.join(" AND "));
    Some(Package::language(Ecosystem::RubyGems, name?, version?, license))
}

/// The double- or single-quoted strings in a Ruby expression (`["MIT".freeze, "Ruby"]`).
fn quoted(expression: &str) -> Vec<String> {
    let mut found = Vec::new();
    let mut chars = expression.chars();
    while let Some(c) = chars.next() {
        if c == '"' || c == '\'' {
            let text: String = chars.by_ref().take_while(|&d| d != c).collect();
            if !text.is_empty() {
                found.push(text);
            }
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_gemspec_as_rubygems_writes_it() {
        let spec = r#"# -*- encoding: utf-8 -*-
# stub: rack 2.2.8 ruby lib

Gem::Specification.new do |s|
  s.name = "rack".freeze
  s.version = "2.2.8"
  s.required_rubygems_version = Gem::Requirement.new(">= 0".freeze) if s.respond_to? :required_rubygems_version=
  s.licenses = ["MIT".freeze]
end
"#;
        let package = parse(spec.as_bytes()).unwrap();
        assert_eq!((package.name.as_str(), package.version.as_str()), ("rack", "2.2.8"));
        assert_eq!(package.license.as_deref(), Some("MIT"));
        assert!(wanted("usr/local/bundle/specifications/rack-2.2.8.gemspec"));
        assert!(!wanted("app/rack.gemspec"));
    }
}
