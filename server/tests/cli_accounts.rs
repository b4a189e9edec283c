//! `shipshape user …` and `shipshape token …` as an operator runs them, through the real binary on
//! SQLite: passwords piped on stdin, the token alone on the last line, errors that say what to do.

use std::path::Path;
use std::process::{Output, Stdio};

use shipshape::auth::{AccountSettings, Accounts, Scope};
use shipshape::config::DatabaseUrl;
use tokio::io::AsyncWriteExt;
use tokio::process::Command;

const BIN: &str = env!("CARGO_BIN_EXE_shipshape");
const PASSWORD: &str = "piped password 1";

/// The binary on `dir`'s database, with nothing from the developer's shell.
async fn shipshape(dir: &Path, args: &[&str], stdin: &str) -> Output {
    let mut child = Command::new(BIN)
        .args(args)
        .current_dir(dir)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("SHIPSHAPE_DATABASE_URL", format!("sqlite://{}", dir.join("shipshape.db").display()))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut input = child.stdin.take().unwrap();
    input.write_all(stdin.as_bytes()).await.unwrap();
    drop(input);
    child.wait_with_output().await.unwrap()
}

fn stdout(output: &Output) -> String {
    assert!(output.status.success(), "failed: {}", String::from_utf8_lossy(&output.stderr));
    String::from_utf8(output.stdout.clone()).unwrap()
}

fn error(output: &Output) -> String {
    assert!(!output.status.success(), "succeeded: {}", String::from_utf8_lossy(&output.stdout));
    String::from_utf8(output.stderr.clone()).unwrap()
}

#[tokio::test]
async fn an_operator_makes_accounts_and_tokens_from_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();

    let made = shipshape(d, &["user", "create", "--username", "Alice"], &format!("{PASSWORD}\n")).await;
    assert_eq!(stdout(&made), "created alice (administrator)\n", "the first account is an administrator");
    let made = shipshape(d, &["user", "create", "--username", "bob"], &format!("{PASSWORD}\r\n")).await;
    assert_eq!(stdout(&made), "created bob (user)\n");
    let made = shipshape(d, &["user", "create", "--username", "carol", "--admin"], PASSWORD).await;
    assert_eq!(stdout(&made), "created carol (administrator)\n", "a last line without a newline is read too");

    let listed = stdout(&shipshape(d, &["user", "list"], "").await);
    let rows: Vec<Vec<&str>> = listed.lines().map(|l| l.split_whitespace().collect()).collect();
    assert_eq!(rows[0][..3], ["USERNAME", "ADMIN", "CREATED"]);
    let names: Vec<(&str, &str)> = rows[1..].iter().map(|r| (r[0], r[1])).collect();
    assert_eq!(names, [("alice", "yes"), ("bob", "no"), ("carol", "yes")]);

    // The token is alone on the last line; the default scope is read.
    let out = stdout(&shipshape(d, &["token", "create", "--username", "bob", "--name", "ci"], "").await);
    let token = out.lines().last().unwrap().to_string();
    assert!(token.starts_with("shp_") && token.len() == 47, "{out}");
    assert!(out.lines().next().unwrap().contains("shown only now"), "{out}");
    let out = stdout(&shipshape(d, &["token", "create", "--username", "bob", "--name", "deploy", "--scope", "write"], "").await);
    let write_token = out.lines().last().unwrap().to_string();

    // Nothing secret is in the database file as written.
    let store = shipshape::store::open_for_command(&DatabaseUrl::Sqlite(d.join("shipshape.db"))).await.unwrap();
    let accounts = Accounts::new(store.clone(), AccountSettings::default());
    assert_eq!(accounts.token(&token).await.unwrap().map(|(a, s)| (a.username, s)), Some(("bob".into(), Scope::Read)));
    assert_eq!(accounts.token(&write_token).await.unwrap().unwrap().1, Scope::Write);
    accounts.log_in("bob", PASSWORD, "127.0.0.1".parse().unwrap()).await.unwrap();
    // Read by another process: closing a descriptor of the database file here would drop this
    // process's SQLite locks on it (POSIX locks are per process), and the CLI's last connection
    // would then checkpoint and remove the WAL under this process's open connection, which goes
    // on seeing the old contents.
    let cat = std::process::Command::new("cat").args(["shipshape.db", "shipshape.db-wal"]).current_dir(d).output();
    let raw = cat.unwrap().stdout;
    for secret in [PASSWORD, &token, &write_token, &token[4..]] {
        assert!(!raw.windows(secret.len()).any(|w| w == secret.as_bytes()), "{secret} stored in plain text");
    }

    // Rights given and taken back.
    assert_eq!(stdout(&shipshape(d, &["user", "admin", "Bob"], "").await), "bob is an administrator\n");
    assert!(accounts.log_in("bob", PASSWORD, "127.0.0.1".parse().unwrap()).await.unwrap().admin);
    let revoked = stdout(&shipshape(d, &["user", "admin", "bob", "--revoke"], "").await);
    assert_eq!(revoked, "bob is no longer an administrator\n");
    assert!(!accounts.log_in("bob", PASSWORD, "127.0.0.1".parse().unwrap()).await.unwrap().admin);
    let nobody = error(&shipshape(d, &["user", "admin", "nobody"], "").await);
    assert!(nobody.starts_with("error: no user named \"nobody\""), "{nobody}");

    let deleted = stdout(&shipshape(d, &["user", "delete", "bob"], "").await);
    assert!(deleted.starts_with("deleted bob"), "{deleted}");
    assert!(accounts.token(&token).await.unwrap().is_none(), "the user's tokens went with it");
    let again = error(&shipshape(d, &["user", "delete", "bob"], "").await);
    assert_eq!(again, "error: no user named \"bob\": `shipshape user list` shows the accounts\n");
    let orphan = error(&shipshape(d, &["token", "create", "--username", "bob", "--name", "x"], "").await);
    assert!(orphan.starts_with("error: no user named \"bob\""), "{orphan}");
}

#[tokio::test]
async fn bad_input_gets_a_clear_answer() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let short = error(&shipshape(d, &["user", "create", "--username", "alice"], "short\n").await);
    assert_eq!(short, "error: a password needs at least 8 characters\n");
    let none = error(&shipshape(d, &["user", "create", "--username", "alice"], "").await);
    assert!(none.starts_with("error: no password on stdin"), "{none}");
    let name = error(&shipshape(d, &["user", "create", "--username=.x"], &format!("{PASSWORD}\n")).await);
    assert_eq!(name, "error: a username starts with a letter or a digit\n");
    stdout(&shipshape(d, &["user", "create", "--username", "alice"], &format!("{PASSWORD}\n")).await);
    let taken = error(&shipshape(d, &["user", "create", "--username", "ALICE"], &format!("{PASSWORD}\n")).await);
    assert_eq!(taken, "error: the username \"alice\" is taken: choose another\n");
    let scope = error(&shipshape(d, &["token", "create", "--username", "alice", "--name", "n", "--scope", "admin"], "").await);
    assert!(scope.contains("use read or write"), "{scope}");
    let name = error(&shipshape(d, &["token", "create", "--username", "alice", "--name", "  "], "").await);
    assert!(name.starts_with("error: give the token a name"), "{name}");
    stdout(&shipshape(d, &["token", "create", "--username", "alice", "--name", "ci"], "").await);
    let dup = error(&shipshape(d, &["token", "create", "--username", "alice", "--name", "ci"], "").await);
    assert!(dup.starts_with("error: you already have a token named \"ci\""), "{dup}");

    let mut command = Command::new(BIN);
    command.args(["user", "list"]).current_dir(d).env_clear().env("SHIPSHAPE_SIGNUP", "invite-only");
    let bad = error(&command.output().await.unwrap());
    assert!(bad.starts_with("error: SHIPSHAPE_SIGNUP: \"invite-only\": use open or closed"), "{bad}");
}
