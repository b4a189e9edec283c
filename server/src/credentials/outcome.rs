//! What a use or test of saved credentials found, in words a user can act on. Built from the
//! registry client's classification ([`RegistryError`]) and its public messages: no registry body
//! and no address a name resolved to ever reaches the user.

use crate::net::NetError;
use crate::registry::RegistryError;

#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TestOutcome {
    /// The repository's tags were read with the credentials.
    Ok,
    /// The registry (basic auth) or its token service refused the username and password.
    WrongPassword,
    /// The credentials were accepted but give no access to the repository (some registries, Docker
    /// Hub among them, answer so for a repository that does not exist, too).
    NoAccess,
    /// The registry says the repository does not exist.
    NotFound,
    /// The registry could not be resolved, connected to, or did not answer in time.
    Unreachable,
    /// The outbound policy refused the registry's address (SHIPSHAPE_ALLOW_HOSTS allows it).
    RefusedByPolicy,
    /// Anything else the registry did (rate limiting, an error status, a malformed answer).
    Failed,
}

impl TestOutcome {
    /// Stable and short, for APIs and logs.
    pub fn code(self) -> &'static str {
        match self {
            TestOutcome::Ok => "ok",
            TestOutcome::WrongPassword => "wrong_password",
            TestOutcome::NoAccess => "no_access",
            TestOutcome::NotFound => "not_found",
            TestOutcome::Unreachable => "unreachable",
            TestOutcome::RefusedByPolicy => "refused_by_policy",
            TestOutcome::Failed => "failed",
        }
    }
}

/// A test's outcome and what to tell the user about it.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct TestReport {
    pub outcome: TestOutcome,
    pub message: String,
}

impl TestReport {
    pub fn ok(registry: &str, repository: &str) -> Self {
        TestReport { outcome: TestOutcome::Ok, message: format!("the credentials read {registry}/{repository}") }
    }

    /// What `error` (met using `username`'s credentials on `registry`) tells the user.
    pub fn from_error(error: &RegistryError, registry: &str, username: &str) -> Self {
        use TestOutcome::*;
        let (outcome, message) = match error {
            RegistryError::Net(net @ (NetError::Refused { .. } | NetError::NotForRegistry { .. })) => {
                (RefusedByPolicy, net.public_message())
            }
            RegistryError::Net(net) => (Unreachable, net.public_message()),
            RegistryError::Unreachable { .. } => (
                Unreachable,
                format!("registry {registry} is unreachable: check its name and port, or try again later"),
            ),
            RegistryError::Timeout { after, .. } => (
                Unreachable,
                format!("registry {registry} did not answer within {} s; try again later", after.as_secs()),
            ),
            RegistryError::WrongCredentials { .. } | RegistryError::CredentialsRequired { .. } => (
                WrongPassword,
                format!("registry {registry} rejected the username or password for {username}; save them again"),
            ),
            RegistryError::AccessDenied { repository, .. } => (
                NoAccess,
                format!(
                    "registry {registry} accepted the credentials for {username}, but they give no access to \
                     {repository} (or it does not exist)"
                ),
            ),
            RegistryError::RepositoryNotFound { repository, .. } => {
                (NotFound, format!("repository {repository} does not exist on {registry}"))
            }
            other => (Failed, other.public_message()),
        };
        TestReport { outcome, message }
    }

    /// What the credential's row keeps as its last result: "ok", or the message.
    pub fn last_result(&self) -> &str {
        match self.outcome {
            TestOutcome::Ok => "ok",
            _ => &self.message,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_failure_has_its_own_outcome_and_no_upstream_detail() {
        let secret = "10.9.8.7 said: stack trace, password=hunter2";
        let r = || "r.example".to_string();
        let cases = [
            (RegistryError::WrongCredentials { registry: r(), username: "u".into() }, TestOutcome::WrongPassword),
            (RegistryError::AccessDenied { repository: "team/app".into(), username: "u".into() }, TestOutcome::NoAccess),
            (RegistryError::RepositoryNotFound { registry: r(), repository: "team/app".into() }, TestOutcome::NotFound),
            (RegistryError::Unreachable { registry: r(), detail: secret.into() }, TestOutcome::Unreachable),
            (
                RegistryError::Net(NetError::Connect { host: r(), port: 5000, detail: secret.into() }),
                TestOutcome::Unreachable,
            ),
            (
                RegistryError::Net(NetError::Refused {
                    host: "r.lan".into(),
                    port: 5000,
                    addr: "10.9.8.7".parse().unwrap(),
                    kind: "private",
                }),
                TestOutcome::RefusedByPolicy,
            ),
            (RegistryError::Status { registry: r(), status: 500, message: secret.into() }, TestOutcome::Failed),
        ];
        for (error, outcome) in cases {
            let report = TestReport::from_error(&error, "r.example", "u");
            assert_eq!(report.outcome, outcome, "{error}");
            assert!(!report.message.contains("hunter2") && !report.message.contains("10.9.8.7"), "{}", report.message);
        }
        let refused = RegistryError::Net(NetError::Refused {
            host: "r.lan".into(),
            port: 5000,
            addr: "10.9.8.7".parse().unwrap(),
            kind: "private",
        });
        assert!(TestReport::from_error(&refused, "r.lan:5000", "u").message.contains("SHIPSHAPE_ALLOW_HOSTS"));
    }
}
