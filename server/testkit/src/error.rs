#[derive(Debug, thiserror::Error)]
pub enum HarnessError {
    #[error("{program} is not installed ({source}); `make test` installs it (apt-get install {package})")]
    Missing { program: &'static str, package: &'static str, source: std::io::Error },
    #[error("{what} failed: {detail}")]
    Command { what: String, detail: String },
    #[error("docker-registry did not start: {0}")]
    RegistryStart(String),
    #[error("I/O: {0}")]
    Io(#[from] std::io::Error),
    #[error("registry client: {0}")]
    Oci(#[from] oci_client::errors::OciDistributionError),
    #[error("bad reference: {0}")]
    Reference(#[from] oci_client::ParseError),
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
    #[error("key: {0}")]
    Key(String),
}
