//! The names Shipshape reads settings under.

pub(super) const PREFIX: &str = "SHIPSHAPE_";

/// Every variable Shipshape reads, with what it means: the README's table is the same list.
pub const VARIABLES: &[(&str, &str)] = &[
    ("SHIPSHAPE_CONFIG", "path of an optional TOML file with the keys below in lowercase"),
    ("SHIPSHAPE_LISTEN", "address to serve on, host:port"),
    ("SHIPSHAPE_DATABASE_URL", "sqlite://PATH or postgres://USER:PASSWORD@HOST/DB"),
    (
        "SHIPSHAPE_ALLOW_HOSTS",
        "comma-separated host:port, host (ports 443 and 80 only) or CIDR (every port) reachable despite a private \
         address; only registries listed here may redirect there",
    ),
    ("SHIPSHAPE_LOG", "log filter, e.g. info or shipshape=debug"),
    ("SHIPSHAPE_TAG_TTL", "seconds a tag's resolved digest is trusted before one HEAD re-checks it (default 300)"),
    (
        "SHIPSHAPE_PAGE_CACHE",
        "seconds an anonymous image page is served again from memory; this process's writes end it sooner \
         (default 5; 0: off)",
    ),
    ("SHIPSHAPE_REGISTRY_TIMEOUT", "seconds a registry request may stall before it fails (default 30)"),
    (
        "SHIPSHAPE_INSECURE_REGISTRIES",
        "comma-separated registries (host:port) spoken to over plain HTTP; allow-listed loopback ones always are",
    ),
    (
        "SHIPSHAPE_BASE_IMAGES",
        "comma-separated repositories indexed in the background as known bases (default: Docker official images \
         people build on; empty: none)",
    ),
    ("SHIPSHAPE_BASE_TAGS", "newest version tags indexed per base repository, besides latest (default 5)"),
    ("SHIPSHAPE_BASE_PLATFORMS", "platforms indexed for base images (default linux/amd64,linux/arm64)"),
    ("SHIPSHAPE_BASE_INTERVAL", "seconds between re-checks of the base images' tags (default 21600)"),
    (
        "SHIPSHAPE_VULNDB_URL",
        "where `vulndb sync` downloads ECOSYSTEM/all.zip from, laid out like osv.dev's bucket \
         (default https://osv-vulnerabilities.storage.googleapis.com)",
    ),
    (
        "SHIPSHAPE_VULNDB_ECOSYSTEMS",
        "comma-separated OSV ecosystems `vulndb sync` downloads (default: those scans match)",
    ),
    (
        "SHIPSHAPE_WORKER",
        "true (default): `serve` also runs the background jobs; false: only `shipshape worker` processes do",
    ),
    ("SHIPSHAPE_VULNDB_INTERVAL", "seconds between the advisory syncs `serve` runs (default 86400; 0: never)"),
    (
        "SHIPSHAPE_SCAN_MEMORY",
        "MiB one scan may keep of package databases, build metadata and file lists (default 384; one layer: half)",
    ),
    ("SHIPSHAPE_SCAN_TIMEOUT", "seconds one scan may take, however slowly the registry sends (default 1800)"),
    (
        "SHIPSHAPE_SECRET_KEY",
        "base64 of 32 random bytes sealing users' registry credentials (`head -c 32 /dev/urandom | base64`); \
         unset: a key file beside the SQLite database; required with PostgreSQL",
    ),
    (
        "SHIPSHAPE_SIGNUP",
        "open (default): anyone may make an account; closed: only administrators and `shipshape user create` \
         (the first account is an administrator either way)",
    ),
    (
        "SHIPSHAPE_PUBLIC_URL",
        "the URL users reach Shipshape at (https://shipshape.example): same-origin checks accept it, and an \
         https URL makes session cookies Secure (default: the request's own Host)",
    ),
    (
        "SHIPSHAPE_TRUSTED_PROXIES",
        "peers whose X-Forwarded-For names the client, for per-client limits: local (default: any loopback or \
         private address), none, or comma-separated addresses and CIDRs",
    ),
    (
        "SHIPSHAPE_WATCH_INTERVAL",
        "seconds between two rounds of the watcher, which re-checks watched tags with one HEAD each (default 300, \
         at least 5)",
    ),
    (
        "SHIPSHAPE_DELIVERY_SCHEDULE",
        "seconds to wait before each retry of a failed notification, comma-separated \
         (default 5,300,1800,7200,18000,36000,36000; then it is failed)",
    ),
    (
        "SHIPSHAPE_REGISTRY_EVENTS_TOKEN",
        "bearer secret a registry's notifications must send to POST /api/v1/registry-events (at least 16 \
         characters; unset: the endpoint is off)",
    ),
    (
        "SHIPSHAPE_SMTP_URL",
        "mail server for e-mail channels: smtp://host:port, smtp://user:password@host:587?tls=required (STARTTLS) \
         or smtps://user:password@host:465 (unset: no e-mail channels)",
    ),
    ("SHIPSHAPE_SMTP_FROM", "sender of notification e-mail (default Shipshape <shipshape@localhost>)"),
];
