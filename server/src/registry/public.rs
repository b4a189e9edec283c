//! What a web visitor may read of a registry failure. Anyone can make Shipshape talk to a
//! registry, so the registry's own error text (which an internal service reached by redirect
//! would fill with its secrets) and the addresses names resolved to (a map of the private network)
//! stay in the operator's log; the visitor learns what happened and what to do.

use super::RegistryError;

impl RegistryError {
    pub fn public_message(&self) -> String {
        match self {
            Self::Net(net) => net.public_message(),
            Self::Unreachable { registry, .. } => format!(
                "registry {registry} is unreachable; try again later, or check its name (the server's log has \
                 the details)"
            ),
            Self::Status { registry, status, .. } => {
                format!("registry {registry} answered HTTP {status}; try again later (the server's log has its answer)")
            }
            Self::Protocol { registry, .. } => format!(
                "registry {registry} sent a response Shipshape cannot read; check that it is an OCI or Docker \
                 registry (the server's log has the details)"
            ),
            Self::BadCredentials(_) => "the credentials given could not be used".to_string(),
            // The rest name only what the visitor asked for, digests, sizes and our own limits.
            _ => self.to_string(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn upstream_text_stays_out() {
        let secret = "stack trace at /srv/internal/db.py: password=hunter2";
        let failures = [
            RegistryError::Status { registry: "r.example".into(), status: 500, message: secret.into() },
            RegistryError::Protocol { registry: "r.example".into(), detail: secret.into() },
            RegistryError::Unreachable { registry: "r.example".into(), detail: secret.into() },
        ];
        for failure in failures {
            assert!(failure.to_string().contains(secret), "the operator reads it: {failure}");
            let public = failure.public_message();
            assert!(!public.contains("hunter2") && public.contains("r.example"), "{public}");
        }
    }
}
