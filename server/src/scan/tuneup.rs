//! The security tune-up report: what the MicroBadger team's "Dockerfile security tuneup" checks and
//! scanners do not: root user, build tools left in, package caches, secrets, `ADD` from a URL,
//! wasted bytes, an end-of-life OS. Each check says why it matters and how to fix it, with the
//! layer at fault.

use std::collections::BTreeMap;

use app::dto::PlatformImage;
use app::severity::Severity;

use super::filesystem::Filesystem;
use super::os::OsRelease;
use super::packages::Package;

#[derive(Clone, Debug, PartialEq)]
pub struct Check {
    pub id: &'static str,
    /// High, medium or low.
    pub severity: Severity,
    pub title: String,
    pub detail: String,
    pub fix: &'static str,
    pub layer: Option<usize>,
}

/// Build tools by package name; any `-dev` package counts too.
const BUILD_TOOLS: [&str; 16] = [
    "gcc",
    "g++",
    "cpp",
    "make",
    "cmake",
    "build-essential",
    "build-base",
    "autoconf",
    "automake",
    "libtool",
    "clang",
    "llvm",
    "binutils",
    "pkg-config",
    "pkgconf",
    "musl-dev",
];
const APK_FIX: &str = "Install with `apk add --no-cache …` (or delete /var/cache/apk/* in the same RUN).";
const APT_FIX: &str = "Clean up in the same RUN: `apt-get install … && apt-get clean && rm -rf /var/lib/apt/lists/*`.";
/// Package-manager leftovers: (directory, what it holds, files that are always there, the fix).
const CACHES: [(&str, &str, &[&str], &str); 4] = [
    ("var/cache/apk", "apk's package cache", &[], APK_FIX),
    ("var/lib/apt/lists", "apt's package lists", &["lock"], APT_FIX),
    ("var/cache/apt/archives", "downloaded .deb files", &["lock"], APT_FIX),
    ("var/cache/apt", "apt's package caches", &[], APT_FIX),
];
const SECRET_WORDS: [&str; 8] =
    ["password", "passwd", "secret", "token", "api_key", "apikey", "private_key", "aws_secret_access_key"];

/// What the checks look at: the scanned image and what its layers hold.
pub struct Scanned<'a> {
    pub image: &'a PlatformImage,
    pub packages: &'a [Package],
    pub fs: &'a Filesystem,
    pub os: Option<&'a OsRelease>,
    /// `YYYY-MM-DD`, for end-of-life dates.
    pub today: &'a str,
}

/// Every check, in the order the report lists what they find.
const CHECKS: [fn(&Scanned) -> Vec<Check>; 7] =
    [root_user, build_tools, package_caches, secret_env, build_history, wasted_space, end_of_life];

pub fn checks(scanned: &Scanned) -> Vec<Check> {
    CHECKS.iter().flat_map(|check| check(scanned)).collect()
}

fn root_user(scanned: &Scanned) -> Vec<Check> {
    let image = scanned.image;
    if !image.runs_as_root {
        return Vec::new();
    }
    vec![Check {
        id: "root-user",
        severity: Severity::High,
        title: "Runs as root".into(),
        detail: if image.user.is_empty() {
            "The image sets no USER, so its processes run as root: a container escape or a bug in the app starts with every privilege.".into()
        } else {
            format!(
                "USER is {:?}, which is root: a container escape or a bug in the app starts with every privilege.",
                image.user
            )
        },
        fix: "Add a non-root user and a USER instruction (e.g. `RUN adduser -D app` then `USER app`).",
        layer: None,
    }]
}

/// Build packages, one check per layer that installed them.
fn build_tools(scanned: &Scanned) -> Vec<Check> {
    let mut build: BTreeMap<Option<usize>, Vec<&Package>> = BTreeMap::new();
    for package in scanned.packages {
        let name = package.name.as_str();
        if BUILD_TOOLS.contains(&name) || name.ends_with("-dev") {
            build.entry(package.layer).or_default().push(package);
        }
    }
    build
        .into_iter()
        .map(|(layer, tools)| {
            let names: Vec<&str> = tools.iter().map(|p| p.name.as_str()).collect();
            Check {
                id: "build-tools",
                severity: Severity::Medium,
                title: format!("Build packages left in the image: {}", names.join(", ")),
                detail: format!(
                    "{} package(s) needed only to build ({}); in the final image they add size and attack surface.",
                    tools.len(),
                    tools.iter().map(|p| format!("{} {}", p.name, p.version)).collect::<Vec<_>>().join(", ")
                ),
                fix: "Build in a separate stage (multi-stage build) and copy only the results, or remove the packages in the same RUN that installed them.",
                layer,
            }
        })
        .collect()
}

/// Package-manager caches and lists left in, one check per directory.
fn package_caches(scanned: &Scanned) -> Vec<Check> {
    let mut found = Vec::new();
    for (dir, what, always, fix) in CACHES {
        let files: Vec<_> = scanned
            .fs
            .files_below(dir)
            .filter(|(path, _)| {
                let rest = &path[dir.len() + 1..];
                !always.contains(&rest) && !rest.starts_with("partial/") && !rest.starts_with("archives/")
            })
            .collect();
        if files.is_empty() {
            continue;
        }
        let bytes: u64 = files.iter().map(|(_, p)| p.size).sum();
        found.push(Check {
            id: "package-cache",
            severity: Severity::Low,
            title: format!("{what} left in /{dir}"),
            detail: format!(
                "{} file(s), {}, that nothing at run time needs.",
                files.len(),
                app::format::human_size(bytes)
            ),
            fix,
            layer: files.iter().map(|(_, p)| p.layer).max(),
        });
    }
    found
}

fn secret_env(scanned: &Scanned) -> Vec<Check> {
    scanned
        .image
        .env
        .iter()
        .filter(|var| {
            let lower = var.name.to_ascii_lowercase();
            var.masked && SECRET_WORDS.iter().any(|w| lower.contains(w))
        })
        .map(|var| Check {
            id: "secret-env",
            severity: Severity::High,
            title: format!("Secret-looking environment variable: {}", var.name),
            detail: "ENV values are stored in the image config: anyone who can pull the image can read them.".into(),
            fix: "Pass secrets at run time (an orchestrator secret, or `--env-file`), or use BuildKit secret mounts during the build.",
            layer: None,
        })
        .collect()
}

/// What the build history shows, entry by entry: secrets in commands, `ADD` from a URL.
fn build_history(scanned: &Scanned) -> Vec<Check> {
    let mut found = Vec::new();
    let mut layer_index = 0;
    for entry in &scanned.image.history {
        let command = entry.created_by.as_deref().unwrap_or("");
        let layer = (!entry.empty_layer).then_some(layer_index);
        found.extend(secret_in_history(command, layer));
        found.extend(add_from_url(entry.instruction.as_deref().unwrap_or(command), layer));
        if !entry.empty_layer {
            layer_index += 1;
        }
    }
    found
}

fn secret_in_history(command: &str, layer: Option<usize>) -> Option<Check> {
    let lower = command.to_ascii_lowercase();
    SECRET_WORDS.iter().any(|w| lower.contains(&format!("{w}="))).then(|| Check {
        id: "secret-history",
        severity: Severity::High,
        title: "A secret may be recorded in the build history".into(),
        detail: format!("The history keeps every command: {}", shorten(command)),
        fix: "Use build secrets (`RUN --mount=type=secret`) instead of arguments or inline values.",
        layer,
    })
}

fn add_from_url(instruction: &str, layer: Option<usize>) -> Option<Check> {
    let from_url = instruction.contains(" http://") || instruction.contains(" https://");
    (instruction.starts_with("ADD ") && from_url).then(|| Check {
        id: "add-url",
        severity: Severity::Medium,
        title: "ADD from a URL".into(),
        detail: format!(
            "{}: the download is not verified and the layer cannot be cached reliably.",
            shorten(instruction)
        ),
        fix: "Download with curl or wget in a RUN, checking a known checksum, or use `ADD --checksum=sha256:…`.",
        layer,
    })
}

/// Over a megabyte in files a later layer replaces or deletes.
fn wasted_space(scanned: &Scanned) -> Vec<Check> {
    let fs = scanned.fs;
    let wasted = fs.wasted_bytes();
    if wasted <= 1_000_000 {
        return Vec::new();
    }
    let worst = fs.wasted.iter().max_by_key(|w| w.size);
    vec![Check {
        id: "wasted-space",
        severity: Severity::Low,
        title: format!("{} wasted in files a later layer replaces or deletes", app::format::human_size(wasted)),
        detail: format!(
            "Image efficiency {:.1}% (dive's measure): deleted files still ship in the layer that added them{}.",
            fs.efficiency() * 100.0,
            worst
                .map(|w| format!("; the largest is /{} ({})", w.path, app::format::human_size(w.size)))
                .unwrap_or_default()
        ),
        fix: "Create and delete temporary files in the same RUN, or build in a separate stage.",
        layer: worst.map(|w| w.added_in),
    }]
}

fn end_of_life(scanned: &Scanned) -> Vec<Check> {
    let Some(os) = scanned.os else { return Vec::new() };
    let Some(end) = os.end_of_life().filter(|end| *end <= scanned.today) else { return Vec::new() };
    vec![Check {
        id: "end-of-life",
        severity: Severity::High,
        title: format!("End-of-life OS: {} {}", os.id, os.version),
        detail: format!("Security support ended on {end}: new vulnerabilities are no longer fixed."),
        fix: "Rebuild on a supported release of the base image.",
        layer: Some(0),
    }]
}

fn shorten(command: &str) -> String {
    let command = command.trim();
    if command.chars().count() > 120 {
        format!("{}…", command.chars().take(119).collect::<String>())
    } else {
        command.to_string()
    }
}

#[cfg(test)]
mod tests {
    use app::dto::CheckRow;

    /// Checks as scans stored them when the severity was a bare string read back and are written
    /// again the same.
    #[test]
    fn stored_checks_read_back_unchanged() {
        for word in ["high", "medium", "low"] {
            let stored = format!(
                r#"{{"id":"package-cache","severity":"{word}","title":"apt's package lists left in /var/lib/apt/lists","detail":"1 file(s), 5 B, that nothing at run time needs.","fix":"Clean up in the same RUN.","layer_digest":null,"layer_command":null}}"#
            );
            let check: CheckRow = serde_json::from_str(&stored).unwrap();
            assert_eq!(check.severity.as_str(), word);
            assert_eq!(serde_json::to_string(&check).unwrap(), stored);
        }
    }
}
