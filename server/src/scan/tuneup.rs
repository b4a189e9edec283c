//! The security tune-up report: what the MicroBadger team's "Dockerfile security tuneup" checks and
//! scanners do not: root user, build tools left in, package caches, secrets, `ADD` from a URL,
//! wasted bytes, an end-of-life OS. Each check says why it matters and how to fix it, with the
//! layer at fault.

use app::dto::PlatformImage;

use super::filesystem::Filesystem;
use super::os::OsRelease;
use super::packages::Package;

#[derive(Clone, Debug, PartialEq)]
pub struct Check {
    pub id: &'static str,
    /// high, medium, low.
    pub severity: &'static str,
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

pub fn checks(
    image: &PlatformImage,
    packages: &[Package],
    fs: &Filesystem,
    os: Option<&OsRelease>,
    today: &str,
) -> Vec<Check> {
    let mut found = Vec::new();
    if image.runs_as_root {
        found.push(Check {
            id: "root-user",
            severity: "high",
            title: "Runs as root".into(),
            detail: if image.user.is_empty() {
                "The image sets no USER, so its processes run as root: a container escape or a bug in the app starts with every privilege.".into()
            } else {
                format!("USER is {:?}, which is root: a container escape or a bug in the app starts with every privilege.", image.user)
            },
            fix: "Add a non-root user and a USER instruction (e.g. `RUN adduser -D app` then `USER app`).",
            layer: None,
        });
    }
    // Build packages, one check per layer that installed them.
    let mut build: std::collections::BTreeMap<Option<usize>, Vec<&Package>> = std::collections::BTreeMap::new();
    for package in packages {
        let name = package.name.as_str();
        if BUILD_TOOLS.contains(&name) || name.ends_with("-dev") {
            build.entry(package.layer).or_default().push(package);
        }
    }
    for (layer, tools) in build {
        let names: Vec<&str> = tools.iter().map(|p| p.name.as_str()).collect();
        found.push(Check {
            id: "build-tools",
            severity: "medium",
            title: format!("Build packages left in the image: {}", names.join(", ")),
            detail: format!(
                "{} package(s) needed only to build ({}); in the final image they add size and attack surface.",
                tools.len(),
                tools.iter().map(|p| format!("{} {}", p.name, p.version)).collect::<Vec<_>>().join(", ")
            ),
            fix: "Build in a separate stage (multi-stage build) and copy only the results, or remove the packages in the same RUN that installed them.",
            layer,
        });
    }
    for (dir, what, always, fix) in CACHES {
        let files: Vec<_> = fs
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
        let layer = files.iter().map(|(_, p)| p.layer).max();
        found.push(Check {
            id: "package-cache",
            severity: "low",
            title: format!("{what} left in /{dir}"),
            detail: format!(
                "{} file(s), {}, that nothing at run time needs.",
                files.len(),
                app::format::human_size(bytes)
            ),
            fix,
            layer,
        });
    }
    for var in &image.env {
        let lower = var.name.to_ascii_lowercase();
        if var.masked && SECRET_WORDS.iter().any(|w| lower.contains(w)) {
            found.push(Check {
                id: "secret-env",
                severity: "high",
                title: format!("Secret-looking environment variable: {}", var.name),
                detail: "ENV values are stored in the image config: anyone who can pull the image can read them.".into(),
                fix: "Pass secrets at run time (an orchestrator secret, or `--env-file`), or use BuildKit secret mounts during the build.",
                layer: None,
            });
        }
    }
    let mut layer_index = 0;
    for entry in &image.history {
        let command = entry.created_by.as_deref().unwrap_or("");
        let lower = command.to_ascii_lowercase();
        let layer = (!entry.empty_layer).then_some(layer_index);
        if SECRET_WORDS.iter().any(|w| lower.contains(&format!("{w}="))) {
            found.push(Check {
                id: "secret-history",
                severity: "high",
                title: "A secret may be recorded in the build history".into(),
                detail: format!("The history keeps every command: {}", shorten(command)),
                fix: "Use build secrets (`RUN --mount=type=secret`) instead of arguments or inline values.",
                layer,
            });
        }
        let instruction = entry.instruction.as_deref().unwrap_or(command);
        if instruction.starts_with("ADD ") && (instruction.contains(" http://") || instruction.contains(" https://")) {
            found.push(Check {
                id: "add-url",
                severity: "medium",
                title: "ADD from a URL".into(),
                detail: format!("{}: the download is not verified and the layer cannot be cached reliably.", shorten(instruction)),
                fix: "Download with curl or wget in a RUN, checking a known checksum, or use `ADD --checksum=sha256:…`.",
                layer,
            });
        }
        if !entry.empty_layer {
            layer_index += 1;
        }
    }
    let wasted = fs.wasted_bytes();
    if wasted > 1_000_000 {
        let worst = fs.wasted.iter().max_by_key(|w| w.size);
        found.push(Check {
            id: "wasted-space",
            severity: "low",
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
        });
    }
    if let Some(os) = os
        && let Some(end) = os.end_of_life()
        && end <= today
    {
        found.push(Check {
            id: "end-of-life",
            severity: "high",
            title: format!("End-of-life OS: {} {}", os.id, os.version),
            detail: format!("Security support ended on {end}: new vulnerabilities are no longer fixed."),
            fix: "Rebuild on a supported release of the base image.",
            layer: Some(0),
        });
    }
    found
}

fn shorten(command: &str) -> String {
    let command = command.trim();
    if command.chars().count() > 120 {
        format!("{}…", command.chars().take(119).collect::<String>())
    } else {
        command.to_string()
    }
}
