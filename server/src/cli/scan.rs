//! `shipshape scan REF`: packages, findings and the tune-up report as a table, JSON, CycloneDX or
//! SPDX; a progress bar on a terminal.

use std::fmt::Write as _;
use std::io::{IsTerminal, Write as _};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};

use app::format::{human_size, short_digest};
use app::reference::ImageReference;

use super::CliError;
use crate::config::Config;
use crate::inspect::{InspectError, PlatformFilter};
use crate::scan::run::{Progress, ScanReport, scan};
use crate::scan::service::ecosystem_counts;
use crate::scan::sbom;
use crate::services::{Services, registries};
use crate::store;

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Table,
    Json,
    Cyclonedx,
    Spdx,
}

pub struct ScanArgs {
    pub reference: String,
    pub platform: Option<String>,
    pub format: Format,
    pub creds: Option<String>,
}

pub async fn run(config: &Config, args: ScanArgs) -> Result<String, CliError> {
    let reference = ImageReference::parse(&args.reference).map_err(InspectError::from)?;
    let platform = args.platform.as_deref().map(PlatformFilter::parse).transpose()?;
    let credentials = super::credentials(args.creds.as_deref(), &reference.registry)?;
    let store = store::open_for_command(&config.database_url).await?;
    let services = Services::with_registries(store, Arc::new(registries(config)), config);
    let bar = Bar::new(std::io::stderr().is_terminal());
    let progress = |p| bar.update(p);
    let report =
        scan(&services.inspector, &services.store, &reference, platform.as_ref(), credentials, &config.scan, &progress)
            .await?;
    bar.finish();
    let mut out = match args.format {
        Format::Json => serde_json::to_string_pretty(&report)?,
        Format::Cyclonedx => serde_json::to_string_pretty(&sbom::cyclonedx(&report))?,
        Format::Spdx => serde_json::to_string_pretty(&sbom::spdx(&report))?,
        Format::Table => table(&report),
    };
    if !out.ends_with('\n') {
        out.push('\n');
    }
    Ok(out)
}

/// `[#######-----] 3/5 layers  12.3 MB / 20.1 MB`, redrawn in place; nothing when not a terminal.
struct Bar {
    shown: bool,
    layers: AtomicUsize,
    done: AtomicUsize,
    total: AtomicU64,
    read: AtomicU64,
}

impl Bar {
    fn new(shown: bool) -> Self {
        Self { shown, layers: 0.into(), done: 0.into(), total: 0.into(), read: 0.into() }
    }

    fn update(&self, progress: Progress) {
        match progress {
            Progress::Resolved { layers, bytes } => {
                self.layers.store(layers, Ordering::Relaxed);
                self.total.store(bytes, Ordering::Relaxed);
            }
            Progress::LayerDone { bytes, .. } => {
                self.done.fetch_add(1, Ordering::Relaxed);
                self.read.fetch_add(bytes, Ordering::Relaxed);
            }
            Progress::Matching => {}
        }
        if !self.shown {
            return;
        }
        let (done, layers) = (self.done.load(Ordering::Relaxed), self.layers.load(Ordering::Relaxed).max(1));
        let filled = done * 24 / layers;
        let line = format!(
            "\r[{}{}] {done}/{layers} layers  {} / {}",
            "#".repeat(filled),
            "-".repeat(24 - filled),
            human_size(self.read.load(Ordering::Relaxed)),
            human_size(self.total.load(Ordering::Relaxed))
        );
        let mut stderr = std::io::stderr();
        let _ = stderr.write_all(line.as_bytes());
        let _ = stderr.flush();
    }

    fn finish(&self) {
        if self.shown {
            eprintln!();
        }
    }
}

fn table(report: &ScanReport) -> String {
    let mut out = String::new();
    let os = report.os.as_ref().map_or("unknown OS".to_string(), |o| {
        o.pretty_name.clone().unwrap_or_else(|| format!("{} {}", o.id, o.version))
    });
    let _ = writeln!(out, "{}  ({}, {})", report.reference, report.platform, report.digest.short());
    let counts = ecosystem_counts(report);
    let breakdown = if counts.len() > 1 {
        format!(" ({})", counts.iter().map(|c| format!("{} {}", c.count, c.ecosystem)).collect::<Vec<_>>().join(", "))
    } else {
        String::new()
    };
    let _ = writeln!(out, "{os}; {} packages{breakdown}; {} findings", report.packages.len(), report.findings.len());
    match report.vulndb.iter().filter_map(|s| s.newest_modified.as_deref()).max() {
        Some(newest) => {
            let _ = writeln!(out, "vulnerability DB as of {}", app::format::timestamp(newest));
        }
        None => {
            let _ = writeln!(out, "no advisories imported: run `shipshape vulndb import PATH` first");
        }
    }
    if !report.findings.is_empty() {
        let _ = writeln!(out, "\nFINDINGS");
        let mut findings: Vec<_> = report.findings.iter().collect();
        findings.sort_by_key(|f| std::cmp::Reverse(f.finding.severity));
        for f in findings {
            let _ = writeln!(
                out,
                "  {:<9} {:<18} {}{} {} → {}  (layer {})",
                f.finding.severity,
                f.finding.id,
                if f.finding.ecosystem.is_empty() { String::new() } else { format!("[{}] ", f.finding.ecosystem) },
                f.finding.package,
                f.finding.version,
                f.finding.fixed_version.as_deref().unwrap_or("no fix yet"),
                f.layer_digest.as_deref().map_or("?", short_digest)
            );
        }
    }
    if !report.checks.is_empty() {
        let _ = writeln!(out, "\nTUNE-UP");
        for c in &report.checks {
            let _ = writeln!(out, "  {:<7} {}", c.severity, c.title);
            let _ = writeln!(out, "          {}", c.detail);
            if let Some(command) = &c.layer_command {
                let _ = writeln!(out, "          layer: {command}");
            }
            let _ = writeln!(out, "          fix: {}", c.fix);
        }
    }
    let _ = writeln!(
        out,
        "\nimage efficiency {:.1}%, {} wasted",
        report.efficiency * 100.0,
        human_size(report.wasted_bytes)
    );
    out
}
