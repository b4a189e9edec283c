//! `shipshape user create|list|delete|admin` and `shipshape token create`: accounts for operators, on
//! a closed server, and tokens for automation. Passwords come from stdin, never from arguments
//! (which `ps` and shell history show).

use std::io::{BufRead, IsTerminal};

use super::CliError;
use crate::auth::{AccountSettings, Accounts, AuthError, Scope};
use crate::config::Config;

async fn accounts(config: &Config) -> Result<Accounts, CliError> {
    let store = crate::store::open_for_command(&config.database_url).await?;
    Ok(Accounts::new(store, AccountSettings::with_signup(config.signup)))
}

/// Creates an account with a password read from stdin.
pub async fn create_user(config: &Config, username: &str, admin: bool) -> Result<String, CliError> {
    let password = read_password()?;
    let account = accounts(config).await?.create_user(username, &password, admin).await?;
    let role = if account.admin { "administrator" } else { "user" };
    Ok(format!("created {} ({role})\n", account.username))
}

/// Every account: username, administrator or not, created when.
pub async fn list_users(config: &Config) -> Result<String, CliError> {
    let store = crate::store::open_for_command(&config.database_url).await?;
    let users = store.users().await?;
    if users.is_empty() {
        return Ok("no accounts yet: shipshape user create --username NAME --admin\n".into());
    }
    let width = users.iter().map(|u| u.username.len()).max().unwrap_or(0).max("USERNAME".len());
    let mut out = format!("{:<width$}  {:<5}  CREATED\n", "USERNAME", "ADMIN");
    for user in users {
        let admin = if user.admin { "yes" } else { "no" };
        out.push_str(&format!("{:<width$}  {admin:<5}  {}\n", user.username, user.created_at.format("%Y-%m-%d %H:%M UTC")));
    }
    Ok(out)
}

/// Deletes an account with its sessions, tokens and saved registry credentials.
pub async fn delete_user(config: &Config, username: &str) -> Result<String, CliError> {
    match accounts(config).await?.delete_user(username).await {
        Ok(()) => Ok(format!("deleted {} with its sessions, API tokens and registry credentials\n", username.trim())),
        Err(AuthError::NotFound) => Err(CliError::UnknownUser(username.to_string())),
        Err(e) => Err(e.into()),
    }
}

/// Makes an account an administrator (`revoke`: an ordinary user again).
pub async fn set_admin(config: &Config, username: &str, revoke: bool) -> Result<String, CliError> {
    match accounts(config).await?.set_admin(username, !revoke).await {
        Ok(account) if account.admin => Ok(format!("{} is an administrator\n", account.username)),
        Ok(account) => Ok(format!("{} is no longer an administrator\n", account.username)),
        Err(AuthError::NotFound) => Err(CliError::UnknownUser(username.to_string())),
        Err(e) => Err(e.into()),
    }
}

/// Makes an API token for a user; the token is alone on the last line, for scripts (`| tail -n 1`).
pub async fn create_token(config: &Config, username: &str, name: &str, scope: Scope) -> Result<String, CliError> {
    let (info, token) = match accounts(config).await?.create_token_for(username, name, scope).await {
        Err(AuthError::NotFound) => return Err(CliError::UnknownUser(username.to_string())),
        other => other?,
    };
    Ok(format!(
        "created token {:?} ({}) for {}; it is shown only now:\n{token}\n",
        info.name,
        info.scope.as_str(),
        username.trim().to_lowercase()
    ))
}

/// The new password: typed twice without echo on a terminal, else the first line of stdin.
fn read_password() -> Result<String, CliError> {
    let unreadable = |e: std::io::Error| CliError::Password(format!("cannot read the password: {e}"));
    if std::io::stdin().is_terminal() {
        let first = rpassword::prompt_password("Password: ").map_err(unreadable)?;
        let again = rpassword::prompt_password("Repeat the password: ").map_err(unreadable)?;
        if first != again {
            return Err(CliError::Password("the passwords differ: run the command again".into()));
        }
        return Ok(first);
    }
    let mut line = String::new();
    std::io::stdin().lock().read_line(&mut line).map_err(unreadable)?;
    let password = line.strip_suffix('\n').map(|l| l.strip_suffix('\r').unwrap_or(l)).unwrap_or(&line);
    if password.is_empty() {
        return Err(CliError::Password(
            "no password on stdin: type it on a terminal, or pipe one line (printf '%s\\n' \"$PASSWORD\" | shipshape user create …)"
                .into(),
        ));
    }
    Ok(password.to_string())
}
