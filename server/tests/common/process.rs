//! The `shipshape` binary as a child process: a stand-in site to serve, and the URL it listens on.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

pub const BIN: &str = env!("CARGO_BIN_EXE_shipshape");

/// `shipshape COMMAND` with only the given settings (nothing from the developer's shell), on a
/// free port, without the periodic vulnerability-database sync.
pub fn shipshape(dir: &Path, command: &str, vars: &[(&str, String)]) -> Command {
    let mut cmd = Command::new(BIN);
    cmd.arg(command)
        .current_dir(dir)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("LEPTOS_SITE_ROOT", fake_site(dir))
        .env("SHIPSHAPE_LISTEN", "127.0.0.1:0")
        .env("SHIPSHAPE_VULNDB_INTERVAL", "0")
        .env("SHIPSHAPE_LOG", "info")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    for (name, value) in vars {
        cmd.env(name, value);
    }
    cmd
}

/// Starts `serve` and returns it with its base URL once it listens.
pub async fn serve(dir: &Path, vars: &[(&str, String)]) -> (Child, String) {
    let mut child = shipshape(dir, "serve", vars).spawn().unwrap();
    let url = listening_url(&mut child, Duration::from_secs(60)).await;
    (child, url)
}

/// A built site as small as `serve` accepts (it checks for the wasm bundle at start).
pub fn fake_site(dir: &Path) -> PathBuf {
    let site = dir.join("site");
    std::fs::create_dir_all(site.join("pkg")).unwrap();
    std::fs::write(site.join("pkg/shipshape.wasm"), b"\0asm\x01\0\0\0").unwrap();
    site
}

/// The base URL from the child's "listening on" log line (stderr piped); the rest of its log is
/// drained so it never blocks on a full pipe.
pub async fn listening_url(child: &mut Child, within: Duration) -> String {
    let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
    let url = tokio::time::timeout(within, async {
        while let Some(line) = lines.next_line().await.unwrap() {
            if let Some(url) = line.split("listening on ").nth(1) {
                return url.trim().to_string();
            }
        }
        panic!("server exited before listening");
    })
    .await
    .expect("the server listens in time");
    tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
    url
}
