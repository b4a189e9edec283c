//! `TestRegistry`: Debian's `docker-registry` (distribution 2.8) on a free loopback port, as an
//! unprivileged user, with temporary storage; stopped when dropped.

use std::net::SocketAddr;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use oci_client::client::{ClientConfig, ClientProtocol};
use oci_client::secrets::RegistryAuth;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

use crate::HarnessError;
use crate::token_issuer::TokenIssuer;

/// How clients must authenticate.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RegistryAuthMode {
    Anonymous,
    /// htpasswd (bcrypt) basic auth.
    Basic {
        username: String,
        password: String,
    },
    /// Docker Hub's flow: 401 with a Bearer challenge, tokens from an issuer that signs ES256 JWTs.
    /// Anonymous token requests get `pull` on repositories under `public/` only, as on Docker Hub.
    Token {
        username: String,
        password: String,
    },
}

pub struct TestRegistry {
    addr: SocketAddr,
    mode: RegistryAuthMode,
    child: Child,
    requests: Arc<Mutex<Vec<String>>>,
    _issuer: Option<TokenIssuer>,
    _dir: tempfile::TempDir,
}

impl TestRegistry {
    pub async fn anonymous() -> Result<Self, HarnessError> {
        Self::start(RegistryAuthMode::Anonymous).await
    }

    pub async fn basic(username: &str, password: &str) -> Result<Self, HarnessError> {
        Self::start(RegistryAuthMode::Basic { username: username.into(), password: password.into() }).await
    }

    pub async fn token(username: &str, password: &str) -> Result<Self, HarnessError> {
        Self::start(RegistryAuthMode::Token { username: username.into(), password: password.into() }).await
    }

    pub async fn start(mode: RegistryAuthMode) -> Result<Self, HarnessError> {
        Self::start_on(mode, 0).await
    }

    /// On a fixed loopback port (0: any free one), for callers that must know it in advance.
    pub async fn start_on(mode: RegistryAuthMode, port: u16) -> Result<Self, HarnessError> {
        Self::launch(mode, port, None).await
    }

    /// With the registry's `notifications:` sending its events (pushes, pulls) to `url` with
    /// `Authorization: Bearer <bearer>`, as an operator configures a registry to tell Shipshape.
    pub async fn with_notifications(mode: RegistryAuthMode, url: &str, bearer: &str) -> Result<Self, HarnessError> {
        Self::launch(mode, 0, Some((url, bearer))).await
    }

    async fn launch(mode: RegistryAuthMode, port: u16, notify: Option<(&str, &str)>) -> Result<Self, HarnessError> {
        crate::install_crypto_provider();
        let dir = tempfile::tempdir()?;
        // The registry runs as `nobody`: it must read the config and write the storage.
        std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755))?;
        let data = dir.path().join("data");
        std::fs::create_dir(&data)?;
        std::fs::set_permissions(&data, std::fs::Permissions::from_mode(0o777))?;

        let mut config = format!(
            "version: 0.1\nlog: {{level: info, accesslog: {{disabled: false}}}}\n\
             storage: {{filesystem: {{rootdirectory: {}}}, delete: {{enabled: true}}}}\n\
             http: {{addr: 127.0.0.1:{port}, secret: shipshape-test-secret}}\n",
            data.display()
        );
        if let Some((url, bearer)) = notify {
            // Sent at once (no batching), retried quickly: tests wait seconds, not minutes.
            config.push_str(&format!(
                "notifications: {{endpoints: [{{name: shipshape, url: \"{url}\", \
                 headers: {{Authorization: [\"Bearer {bearer}\"]}}, timeout: 2s, threshold: 5, backoff: 1s}}]}}\n"
            ));
        }
        let issuer = match &mode {
            RegistryAuthMode::Anonymous => None,
            RegistryAuthMode::Basic { username, password } => {
                let htpasswd = dir.path().join("htpasswd");
                write_htpasswd(&htpasswd, username, password)?;
                config.push_str(&format!(
                    "auth: {{htpasswd: {{realm: shipshape-test, path: {}}}}}\n",
                    htpasswd.display()
                ));
                None
            }
            RegistryAuthMode::Token { username, password } => {
                let issuer = TokenIssuer::start(dir.path(), username, password).await?;
                config.push_str(&format!(
                    "auth: {{token: {{realm: \"{}\", service: {}, issuer: {}, rootcertbundle: {}}}}}\n",
                    issuer.realm(),
                    TokenIssuer::SERVICE,
                    TokenIssuer::ISSUER,
                    issuer.cert_path().display()
                ));
                Some(issuer)
            }
        };
        let config_path = dir.path().join("config.yml");
        std::fs::write(&config_path, config)?;
        for entry in std::fs::read_dir(dir.path())? {
            let path = entry?.path();
            if path.is_file() {
                std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644))?;
            }
        }

        let mut command = unprivileged("docker-registry");
        command.arg("serve").arg(&config_path).stdout(Stdio::piped()).stderr(Stdio::piped()).kill_on_drop(true);
        let mut child = command.spawn().map_err(|source| HarnessError::Missing {
            program: "docker-registry",
            package: "docker-registry",
            source,
        })?;
        let addr = wait_for_listen_line(&mut child).await?;
        let requests = record_requests(&mut child)?;
        Ok(Self { addr, mode, child, requests, _issuer: issuer, _dir: dir })
    }

    /// `127.0.0.1:PORT`, as it appears in image references.
    pub fn host(&self) -> String {
        self.addr.to_string()
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn mode(&self) -> &RegistryAuthMode {
        &self.mode
    }

    /// Every request the registry answered so far, as `METHOD /path` (from its access log), for
    /// tests that count what Shipshape asked.
    pub fn requests(&self) -> Vec<String> {
        self.requests.lock().map(|r| r.clone()).unwrap_or_default()
    }

    /// How many requests the registry answered so far.
    pub fn request_count(&self) -> usize {
        self.requests.lock().map(|r| r.len()).unwrap_or_default()
    }

    /// Deletes manifest `digest` (and with it every tag naming it) as `docker-registry` allows:
    /// by digest, anonymous registries only. Answers the HTTP status (202 when deleted).
    pub async fn delete_manifest(&self, repository: &str, digest: &str) -> Result<u16, HarnessError> {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let mut stream = tokio::net::TcpStream::connect(self.addr).await?;
        let request = format!(
            "DELETE /v2/{repository}/manifests/{digest} HTTP/1.1\r\nHost: {}\r\nConnection: close\r\n\r\n",
            self.addr
        );
        stream.write_all(request.as_bytes()).await?;
        let mut response = String::new();
        stream.read_to_string(&mut response).await?;
        let status = response.split(' ').nth(1).and_then(|s| s.parse().ok());
        status.ok_or_else(|| HarnessError::Command { what: "DELETE manifest".into(), detail: response })
    }

    /// Credentials that this registry accepts, as oci-client wants them.
    pub fn auth(&self) -> RegistryAuth {
        match &self.mode {
            RegistryAuthMode::Anonymous => RegistryAuth::Anonymous,
            RegistryAuthMode::Basic { username, password } | RegistryAuthMode::Token { username, password } => {
                RegistryAuth::Basic(username.clone(), password.clone())
            }
        }
    }

    /// A fresh oci-client speaking plain HTTP to this registry (one per credential: see TOOLCHAIN.md).
    pub fn client(&self) -> oci_client::Client {
        oci_client::Client::new(ClientConfig { protocol: ClientProtocol::Http, ..Default::default() })
    }
}

impl Drop for TestRegistry {
    fn drop(&mut self) {
        let _ = self.child.start_kill();
    }
}

/// Runs `program` as `nobody` when we are root (CI is), directly otherwise.
fn unprivileged(program: &str) -> Command {
    use std::os::unix::fs::MetadataExt;
    // /proc/self belongs to the effective user.
    let root = std::fs::metadata("/proc/self").is_ok_and(|m| m.uid() == 0);
    if root {
        let mut command = Command::new("setpriv");
        command.args(["--reuid=nobody", "--regid=nogroup", "--clear-groups", program]);
        command
    } else {
        Command::new(program)
    }
}

async fn wait_for_listen_line(child: &mut Child) -> Result<SocketAddr, HarnessError> {
    let stderr = child.stderr.take().ok_or_else(|| HarnessError::RegistryStart("no stderr".into()))?;
    let mut lines = BufReader::new(stderr).lines();
    let mut seen = Vec::new();
    let found = tokio::time::timeout(Duration::from_secs(20), async {
        while let Some(line) = lines.next_line().await? {
            if let Some(addr) = line.split("listening on ").nth(1) {
                let addr = addr.split(|c: char| c.is_whitespace() || c == '"').next().unwrap_or_default();
                if let Ok(addr) = addr.parse::<SocketAddr>() {
                    return Ok::<_, std::io::Error>(Some(addr));
                }
            }
            seen.push(line);
        }
        Ok(None)
    })
    .await;
    let addr = match found {
        Ok(Ok(Some(addr))) => addr,
        Ok(Ok(None)) => return Err(HarnessError::RegistryStart(format!("exited: {}", seen.join("\n")))),
        Ok(Err(e)) => return Err(HarnessError::Io(e)),
        Err(_) => {
            return Err(HarnessError::RegistryStart(format!("no 'listening on' line in 20 s: {}", seen.join("\n"))));
        }
    };
    // Keep draining the log so the registry never blocks on a full pipe.
    tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
    Ok(addr)
}

/// Reads the access log (Apache combined format on stdout: `… "GET /v2/ HTTP/1.1" 200 …`) into a list.
fn record_requests(child: &mut Child) -> Result<Arc<Mutex<Vec<String>>>, HarnessError> {
    let stdout = child.stdout.take().ok_or_else(|| HarnessError::RegistryStart("no stdout".into()))?;
    let requests = Arc::new(Mutex::new(Vec::new()));
    let seen = requests.clone();
    tokio::spawn(async move {
        let mut lines = BufReader::new(stdout).lines();
        while let Ok(Some(line)) = lines.next_line().await {
            let Some(request) = line.split('"').nth(1) else { continue };
            let request = request.rsplit_once(' ').map_or(request, |(r, _protocol)| r).to_string();
            if let Ok(mut all) = seen.lock() {
                all.push(request);
            }
        }
    });
    Ok(requests)
}

fn write_htpasswd(path: &Path, username: &str, password: &str) -> Result<(), HarnessError> {
    let output = std::process::Command::new("htpasswd")
        .args(["-Bbn", username, password])
        .output()
        .map_err(|source| HarnessError::Missing { program: "htpasswd", package: "apache2-utils", source })?;
    if !output.status.success() {
        return Err(HarnessError::Command {
            what: "htpasswd".into(),
            detail: String::from_utf8_lossy(&output.stderr).into(),
        });
    }
    std::fs::write(path, output.stdout)?;
    Ok(())
}
