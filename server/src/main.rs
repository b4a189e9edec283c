//! The `shipshape` binary: one program for the web app and the command line.

// Leptos view types nest deeply; the tag page needs more than the default 128.
#![recursion_limit = "256"]

use std::io::IsTerminal;
use std::process::ExitCode;

use anyhow::Context;
use clap::{Parser, Subcommand};
use shipshape::config::{Config, VARIABLES};
use tracing_subscriber::EnvFilter;

#[derive(Parser)]
#[command(name = "shipshape", version, about = "Explore container images: layers, labels, lineage, findings, badges.")]
#[command(after_help = environment_help())]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the web app (default http://127.0.0.1:3000).
    Serve,
    /// Run the background jobs (scans, event reactions, base indexing, advisory syncs) without
    /// serving HTTP; `serve` runs them too unless SHIPSHAPE_WORKER=false.
    Worker,
    /// Create or upgrade the database schema, then exit.
    Migrate,
    /// Show an image's platforms, layers, labels and config, storing what was fetched.
    #[command(
        after_help = "Credentials: --creds, else Docker's config.json ($DOCKER_CONFIG or ~/.docker), `auths` entries.\n\
        Examples:\n  shipshape inspect alpine:3.20\n  shipshape inspect ghcr.io/org/app@sha256:… --json\n  \
        shipshape inspect registry.lan:5000/team/api --platform linux/arm64 --creds bot:secret"
    )]
    Inspect {
        /// Image reference as Docker writes it: alpine, library/alpine:3.20, host:5000/repo@sha256:…
        reference: String,
        /// Only this platform of a multi-platform image: os/arch[/variant], e.g. linux/arm64/v8.
        #[arg(long)]
        platform: Option<String>,
        /// Print the JSON the API returns instead of a table.
        #[arg(long)]
        json: bool,
        /// Re-resolve the tag now instead of trusting a cached digest younger than SHIPSHAPE_TAG_TTL.
        #[arg(long)]
        refresh: bool,
        /// Registry credentials as USERNAME:PASSWORD (marks the repository private if it needs them).
        #[arg(long, value_name = "USER:PASS")]
        creds: Option<String>,
    },
    /// Scan an image: its OS and packages (with the layer that added each), the advisories that
    /// apply, and the security tune-up report.
    #[command(
        after_help = "Advisories come from `shipshape vulndb import`.\nExamples:\n  shipshape scan debian:12\n  \
        shipshape scan registry.lan:5000/team/api:1.4 --format cyclonedx > sbom.json"
    )]
    Scan {
        reference: String,
        /// The platform of a multi-platform image (default linux/amd64, else the first).
        #[arg(long)]
        platform: Option<String>,
        #[arg(long, value_enum, default_value = "table")]
        format: shipshape::cli::scan::Format,
        /// Registry credentials as USERNAME:PASSWORD.
        #[arg(long, value_name = "USER:PASS")]
        creds: Option<String>,
    },
    /// The advisory database.
    Vulndb {
        #[command(subcommand)]
        command: VulndbCommand,
    },
    /// Index the known base images now (SHIPSHAPE_BASE_IMAGES; `serve` does this in the background).
    IndexBases,
    /// Print the token that shows a private repository's badges (add it as ?token= to badge URLs).
    #[command(after_help = "Examples:\n  shipshape badge-token registry.lan:5000/team/api\n  \
        shipshape badge-token registry.lan:5000/team/api --rotate")]
    BadgeToken {
        /// The repository, as inspected: registry.lan:5000/team/api, ghcr.io/org/app.
        repository: String,
        /// Replace the token: badges using the old one show "not found" from then on.
        #[arg(long)]
        rotate: bool,
    },
    /// Accounts: create (password from stdin), list, delete.
    User {
        #[command(subcommand)]
        command: UserCommand,
    },
    /// API tokens for a user (sent as `Authorization: Bearer shp_…`).
    Token {
        #[command(subcommand)]
        command: TokenCommand,
    },
    /// The key that seals users' registry credentials (SHIPSHAPE_SECRET_KEY or the key file).
    SecretKey {
        #[command(subcommand)]
        command: SecretKeyCommand,
    },
}

#[derive(Subcommand)]
enum SecretKeyCommand {
    /// Re-seal every stored registry credential with a new key, in one transaction. Stop every
    /// `serve` and `worker` first. With a key file it is replaced; with SHIPSHAPE_SECRET_KEY, set it
    /// to the new key (printed alone on the last line unless --new-key-file gave it) before restarting.
    #[command(after_help = "Examples:\n  shipshape secret-key rotate\n  \
        (umask 077; head -c 32 /dev/urandom | base64 > new.key) && shipshape secret-key rotate --new-key-file new.key")]
    Rotate {
        /// A file (mode 0600) holding the new key as base64 of 32 bytes; default: a new random key.
        #[arg(long, value_name = "FILE")]
        new_key_file: Option<std::path::PathBuf>,
    },
}

#[derive(Subcommand)]
enum UserCommand {
    /// Create an account; the password is read from stdin (asked twice, without echo, on a terminal).
    #[command(after_help = "Examples:\n  shipshape user create --username alice --admin\n  \
        printf '%s\\n' \"$PASSWORD\" | shipshape user create --username ci-bot")]
    Create {
        #[arg(long)]
        username: String,
        /// Make the account an administrator (the first account always is).
        #[arg(long)]
        admin: bool,
    },
    /// List the accounts: username, administrator or not, when created.
    List,
    /// Delete an account with its sessions, API tokens and saved registry credentials.
    Delete { username: String },
    /// Make an account an administrator (it then sees every repository); --revoke takes that away.
    #[command(after_help = "Examples:\n  shipshape user admin alice\n  shipshape user admin alice --revoke")]
    Admin {
        username: String,
        #[arg(long)]
        revoke: bool,
    },
}

#[derive(Subcommand)]
enum TokenCommand {
    /// Create an API token for a user; it is printed alone on the last line of stdout, once.
    #[command(after_help = "Example:\n  shipshape token create --username ci-bot --name deploy --scope write | tail -n 1")]
    Create {
        #[arg(long)]
        username: String,
        /// A name telling the user's tokens apart (the machine or job that uses it).
        #[arg(long)]
        name: String,
        /// read: GET requests only; write: everything the user may do.
        #[arg(long, default_value = "read", value_parser = parse_scope)]
        scope: shipshape::auth::Scope,
    },
}

fn parse_scope(value: &str) -> Result<shipshape::auth::Scope, String> {
    shipshape::auth::Scope::parse(value).ok_or_else(|| format!("{value:?}: use read or write"))
}

#[derive(Subcommand)]
enum VulndbCommand {
    /// Import advisories: OSV JSON files, directories of them, OSV all.zip archives, Alpine secdb
    /// (YAML/JSON) and the Debian security tracker's JSON (withdrawn records are skipped; a record
    /// replaces the stored one only when its `modified` is newer).
    Import {
        #[arg(required = true)]
        paths: Vec<std::path::PathBuf>,
        /// The name this import is shown under (default: the first path's file name).
        #[arg(long)]
        source: Option<String>,
    },
    /// Download each ecosystem's all.zip from an osv.dev-style bucket and import it (a feed whose
    /// ETag has not changed since the last sync is not downloaded again).
    #[command(after_help = "Examples:\n  shipshape vulndb sync\n  shipshape vulndb sync --ecosystem Debian --ecosystem PyPI\n  \
        shipshape vulndb sync --url http://mirror.lan/osv")]
    Sync {
        /// Base URL (default SHIPSHAPE_VULNDB_URL, else osv.dev's bucket).
        #[arg(long)]
        url: Option<url::Url>,
        /// OSV ecosystem to sync, repeatable (default SHIPSHAPE_VULNDB_ECOSYSTEMS).
        #[arg(long = "ecosystem", value_name = "NAME")]
        ecosystems: Vec<String>,
    },
}

fn environment_help() -> String {
    let mut help = String::from("Environment:\n");
    for (name, meaning) in VARIABLES {
        help.push_str(&format!("  {name:<24} {meaning}\n"));
    }
    help.push_str("  LEPTOS_SITE_ROOT         directory of the built site (default: found beside the binary)");
    help
}

/// Ends a one-shot command once its output is written. Tearing down the runtime and the pool would
/// make SQLite checkpoint its WAL (two fsyncs) on the way out; committed data is safe in the WAL and
/// the next start checkpoints it, which is how WAL mode is meant to be used.
fn finish_now() -> ! {
    use std::io::Write;
    let _ = std::io::stdout().flush();
    std::process::exit(0);
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    // The server wants every core; a one-shot command is faster on one thread, without the
    // cross-thread wake-ups between its HTTP client, egress proxy and database tasks.
    let runtime = match cli.command {
        Command::Serve | Command::Worker => tokio::runtime::Builder::new_multi_thread().enable_all().build(),
        _ => tokio::runtime::Builder::new_current_thread().enable_all().build(),
    };
    let result = match runtime {
        Ok(runtime) => runtime.block_on(run(cli)),
        Err(e) => Err(anyhow::Error::new(e).context("cannot start the async runtime")),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            // One readable line (with its causes), whatever RUST_BACKTRACE says.
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> anyhow::Result<()> {
    let config = Config::from_env()?;
    // Logs go to stderr so that command output on stdout stays machine-readable.
    tracing_subscriber::fmt()
        .with_env_filter(EnvFilter::try_new(&config.log).context("SHIPSHAPE_LOG is not a valid log filter")?)
        .with_target(false)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .init();

    use shipshape::cli;
    let output = match cli.command {
        Command::Serve => {
            let site_root = shipshape::site::locate_for_current_process()?;
            return Ok(shipshape::serve::run(config, site_root).await?);
        }
        Command::Worker => return Ok(shipshape::serve::run_worker(config).await?),
        Command::Migrate => {
            let store = shipshape::store::open_for_command(&config.database_url).await?;
            tracing::info!(database = %config.database_url, backend = store.backend_name(), "schema is current");
            return Ok(());
        }
        Command::Inspect { reference, platform, json, refresh, creds } => {
            let args = cli::inspect::InspectArgs { reference, platform, json, refresh, creds };
            cli::inspect::run(&config, args).await?
        }
        Command::IndexBases => cli::index_bases::run(&config).await?,
        Command::Scan { reference, platform, format, creds } => {
            cli::scan::run(&config, cli::scan::ScanArgs { reference, platform, format, creds }).await?
        }
        Command::Vulndb { command: VulndbCommand::Import { paths, source } } => {
            cli::vulndb::import(&config, &paths, source).await?
        }
        Command::Vulndb { command: VulndbCommand::Sync { url, ecosystems } } => {
            cli::vulndb::sync_now(&config, url, ecosystems).await?;
            String::new()
        }
        Command::BadgeToken { repository, rotate } => cli::badge_token::print(&config, &repository, rotate).await?,
        Command::User { command: UserCommand::Create { username, admin } } => {
            cli::accounts::create_user(&config, &username, admin).await?
        }
        Command::User { command: UserCommand::List } => cli::accounts::list_users(&config).await?,
        Command::User { command: UserCommand::Delete { username } } => cli::accounts::delete_user(&config, &username).await?,
        Command::User { command: UserCommand::Admin { username, revoke } } => {
            cli::accounts::set_admin(&config, &username, revoke).await?
        }
        Command::Token { command: TokenCommand::Create { username, name, scope } } => {
            cli::accounts::create_token(&config, &username, &name, scope).await?
        }
        Command::SecretKey { command: SecretKeyCommand::Rotate { new_key_file } } => {
            cli::secret_key::rotate(&config, new_key_file.as_deref()).await?
        }
    };
    print!("{output}");
    finish_now();
}
