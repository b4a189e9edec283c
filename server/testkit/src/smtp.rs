//! `SmtpServer`: Debian's `python3-aiosmtpd` on a loopback port, keeping every message it accepts
//! in a maildir; stopped when dropped.

use std::path::PathBuf;
use std::process::Stdio;
use std::time::{Duration, Instant};

use tokio::process::{Child, Command};

use crate::HarnessError;

pub struct SmtpServer {
    port: u16,
    maildir: PathBuf,
    _child: Child,
    _dir: tempfile::TempDir,
}

impl SmtpServer {
    pub async fn start() -> Result<Self, HarnessError> {
        let dir = tempfile::tempdir()?;
        let maildir = dir.path().join("mail");
        // A free port: bound, then let go for aiosmtpd (which takes no port 0).
        let port = std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
        let child = Command::new("/usr/bin/python3")
            .args(["-m", "aiosmtpd", "-n", "-l", &format!("127.0.0.1:{port}"), "-c", "aiosmtpd.handlers.Mailbox"])
            .arg(&maildir)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .map_err(|source| HarnessError::Missing { program: "python3 -m aiosmtpd", package: "python3-aiosmtpd", source })?;
        let start = Instant::now();
        while tokio::net::TcpStream::connect(("127.0.0.1", port)).await.is_err() {
            if start.elapsed() > Duration::from_secs(20) {
                return Err(std::io::Error::new(std::io::ErrorKind::TimedOut, "aiosmtpd did not start listening").into());
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        Ok(Self { port, maildir, _child: child, _dir: dir })
    }

    /// `smtp://127.0.0.1:PORT`, for SHIPSHAPE_SMTP_URL.
    pub fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}", self.port)
    }

    /// Every message received so far, as its raw text.
    pub fn messages(&self) -> Vec<String> {
        let mut found = Vec::new();
        for sub in ["new", "cur"] {
            let Ok(entries) = std::fs::read_dir(self.maildir.join(sub)) else { continue };
            for entry in entries.flatten() {
                if let Ok(text) = std::fs::read_to_string(entry.path()) {
                    found.push(text);
                }
            }
        }
        found
    }

    pub async fn wait_for(&self, count: usize, within: Duration) -> Vec<String> {
        let start = Instant::now();
        loop {
            let messages = self.messages();
            if messages.len() >= count || start.elapsed() >= within {
                return messages;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}
