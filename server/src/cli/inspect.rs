//! `shipshape inspect REF`: a human table by default, the API's JSON with `--json`.

use std::fmt::Write as _;

use app::dto::{ImageReport, PlatformImage};
use app::format::{human_size, short_digest};
use app::reference::ImageReference;

use std::sync::Arc;

use super::CliError;
use crate::config::Config;
use crate::inspect::Viewer;
use crate::services::{ImageQuery, Services, registries};
use crate::store;

pub struct InspectArgs {
    pub reference: String,
    pub platform: Option<String>,
    pub json: bool,
    pub refresh: bool,
    pub creds: Option<String>,
}

/// Opens the configured database, inspects, and returns what to print.
pub async fn run(config: &Config, args: InspectArgs) -> Result<String, CliError> {
    let reference = ImageReference::parse(&args.reference)?;
    let credentials = super::credentials(args.creds.as_deref(), &reference.registry)?;
    // The registry's client (outbound check, DNS, egress proxy) is set up on this thread while the
    // database opens on its own; a failure here is met again, and reported, by the inspection.
    let registries = Arc::new(registries(config));
    let (store, _) =
        tokio::join!(store::open_for_command(&config.database_url), registries.client(&reference.registry, None));
    let services = Services::with_registries(store?, registries, config);
    let query = ImageQuery { platform: args.platform.as_deref(), refresh: args.refresh, credentials, ..ImageQuery::new(&args.reference) };
    let report = services.images.inspect(Viewer::Operator, query).await?;
    if args.json {
        let mut out = serde_json::to_string_pretty(&report)?;
        out.push('\n');
        Ok(out)
    } else {
        Ok(table(&report))
    }
}

/// The report as people read it in a terminal.
pub fn table(report: &ImageReport) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "{}", report.reference);
    let kind = if report.platforms.len() > 1 || crate::inspect::is_index(&report.media_type) {
        match report.platforms_not_fetched {
            0 => format!("index of {} platform image(s)", report.platforms.len()),
            more => format!("index of {} platform image(s) read, {more} more not fetched", report.platforms.len()),
        }
    } else {
        "single-platform image".to_string()
    };
    let _ = writeln!(out, "  digest      {}  ({kind})", report.digest);
    if report.private {
        let _ = writeln!(out, "  visibility  private (read with credentials)");
    }
    if let Some(checked) = &report.checked_at {
        let _ = writeln!(out, "  checked     {checked}");
    }
    if report.tag_history.len() > 1 {
        let _ = writeln!(
            out,
            "  tag moved   {} time(s); previous digest {}",
            report.tag_history.len() - 1,
            report.tag_history[1].digest
        );
    }
    for platform in &report.platforms {
        out.push('\n');
        platform_table(&mut out, platform);
    }
    out
}

/// The base chain, nearest first, with what each ancestor contributes and whether its tag moved.
fn lineage_lines(out: &mut String, image: &PlatformImage) {
    let lineage = &image.lineage;
    if lineage.chain.is_empty() {
        let base = match lineage.unknown_base_layers {
            Some(n) => format!("unknown base, {n} layer(s); {} own", image.layers.len().saturating_sub(n)),
            None => "none known".to_string(),
        };
        let _ = writeln!(out, "  {:<11} {base}", "base");
        return;
    }
    let _ = writeln!(out, "  {:<11} this image adds {} layer(s)", "lineage", lineage.own_layers);
    for ancestor in &lineage.chain {
        let moved = match &ancestor.moved_at {
            Some(at) if ancestor.moved => format!("  ← base updated {at}: rebuild"),
            _ => String::new(),
        };
        let _ = writeln!(
            out,
            "  {:<11} ↳ {}  {}  +{} layer(s){moved}",
            "",
            ancestor.reference,
            short_digest(&ancestor.digest),
            ancestor.contributes
        );
    }
}

fn platform_table(out: &mut String, image: &PlatformImage) {
    let _ = writeln!(out, "{}  {}", image.platform, image.digest);
    let field = |out: &mut String, name: &str, value: &str| {
        let _ = writeln!(out, "  {name:<11} {value}");
    };
    field(out, "config", &image.config_digest);
    if let Some(created) = &image.created {
        field(out, "created", created);
    }
    field(out, "size", &format!("{} in {} layer(s)", human_size(image.size), image.layers.len()));
    let user = if image.user.is_empty() { "(unset)" } else { image.user.as_str() };
    let root = if image.runs_as_root { "  ← runs as root" } else { "" };
    field(out, "user", &format!("{user}{root}"));
    if let Some(entrypoint) = &image.entrypoint {
        field(out, "entrypoint", &format!("{entrypoint:?}"));
    }
    if let Some(cmd) = &image.cmd {
        field(out, "cmd", &format!("{cmd:?}"));
    }
    if let Some(workdir) = &image.workdir {
        field(out, "workdir", workdir);
    }
    if !image.exposed_ports.is_empty() {
        field(out, "ports", &image.exposed_ports.join(", "));
    }
    if !image.volumes.is_empty() {
        field(out, "volumes", &image.volumes.join(", "));
    }
    if let Some(health) = &image.healthcheck {
        field(out, "healthcheck", &health.test.join(" "));
    }
    if let Some(signal) = &image.stop_signal {
        field(out, "stopsignal", signal);
    }
    for (i, var) in image.env.iter().enumerate() {
        field(out, if i == 0 { "env" } else { "" }, &format!("{}={}", var.name, var.value));
    }
    for (i, (key, value)) in image.labels.iter().enumerate() {
        field(out, if i == 0 { "labels" } else { "" }, &format!("{key}={value}"));
    }
    if let Some(url) = &image.label_facts.commit_url {
        field(out, "commit", url);
    }
    lineage_lines(out, image);
    let _ = writeln!(out, "  layers");
    let _ = writeln!(out, "    {:>3}  {:>9}  {:>5}  {:<19}  COMMAND", "#", "SIZE", "SHARE", "DIGEST");
    for (i, layer) in image.layers.iter().enumerate() {
        let command = layer.instruction.as_deref().unwrap_or("");
        let command: String = command.chars().take(100).collect();
        let _ = writeln!(
            out,
            "    {:>3}  {:>9}  {:>4.0}%  {:<19}  {}",
            i + 1,
            human_size(layer.size),
            layer.share * 100.0,
            short_digest(&layer.digest),
            command.replace('\n', " ")
        );
    }
}
