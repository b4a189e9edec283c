//! A registry's push notifications (the Docker/distribution registry's `notifications:` endpoint,
//! `application/vnd.docker.distribution.events.v1+json`): each push of a watched repository queues
//! an immediate re-check of its watched tags, so watchers hear within seconds, not an interval.

use serde::Deserialize;

use crate::store::SharedStore;

use super::poll::RecheckWatched;

/// An envelope's events, as much of them as is read.
#[derive(Debug, Deserialize)]
pub struct Envelope {
    #[serde(default)]
    pub events: Vec<RegistryEvent>,
}

#[derive(Debug, Deserialize)]
pub struct RegistryEvent {
    #[serde(default)]
    pub action: String,
    #[serde(default)]
    pub target: Target,
    #[serde(default)]
    pub request: Request,
}

#[derive(Debug, Default, Deserialize)]
pub struct Target {
    #[serde(default)]
    pub repository: String,
    #[serde(default)]
    pub tag: Option<String>,
    #[serde(default)]
    pub url: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
pub struct Request {
    /// The host the pusher addressed (`registry.example:5000`), as in its image references.
    #[serde(default)]
    pub host: Option<String>,
}

/// Which registry the event is about: the host the pusher addressed, else the target URL's.
fn registry_of(event: &RegistryEvent) -> Option<String> {
    let from_url = || {
        let url = url::Url::parse(event.target.url.as_deref()?).ok()?;
        let host = url.host_str()?;
        Some(match url.port() {
            Some(port) => format!("{host}:{port}"),
            None => host.to_string(),
        })
    };
    let host = event.request.host.clone().filter(|h| !h.is_empty()).or_else(from_url)?;
    // As references name it: Docker Hub's hosts are docker.io.
    let reference = app::reference::ImageReference::parse_repository(&format!("{host}/{}", event.target.repository)).ok()?;
    Some(reference.registry)
}

/// Queues a re-check for each pushed, watched repository (by tag when the push named one); how
/// many were queued. Events about repositories nobody watches are dropped without a request.
pub async fn accept(store: &SharedStore, envelope: &Envelope) -> Result<usize, crate::store::StoreError> {
    let mut queued = 0;
    for event in envelope.events.iter().filter(|e| e.action == "push") {
        let Some(registry) = registry_of(event) else { continue };
        let Ok(repository) =
            app::reference::ImageReference::parse_repository(&format!("{registry}/{}", event.target.repository))
        else {
            continue;
        };
        let Some(repo) = store.repository(&repository.registry, &repository.repository).await? else { continue };
        if store.watches_of(repo.id).await?.is_empty() {
            continue;
        }
        let job = RecheckWatched {
            registry: repository.registry.clone(),
            repository: repository.repository.clone(),
            tag: event.target.tag.clone().filter(|t| !t.is_empty()),
        };
        if crate::jobs::enqueue(store, &job).await?.is_some() {
            queued += 1;
        }
    }
    Ok(queued)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The shape distribution's notifications send (trimmed).
    const PUSH: &str = r#"{"events":[{"id":"e1","timestamp":"2026-12-03T06:00:00Z","action":"push",
        "target":{"mediaType":"application/vnd.oci.image.manifest.v1+json","size":528,
          "digest":"sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa","length":528,
          "repository":"team/app","url":"http://127.0.0.1:5000/v2/team/app/manifests/sha256:aa","tag":"1.0"},
        "request":{"id":"r1","addr":"127.0.0.1:4711","host":"127.0.0.1:5000","method":"PUT","useragent":"skopeo"},
        "actor":{},"source":{"addr":"host:5000","instanceID":"i"}},
      {"action":"pull","target":{"repository":"team/app"},"request":{"host":"127.0.0.1:5000"}}]}"#;

    #[test]
    fn pushes_name_their_registry_as_references_do() {
        let envelope: Envelope = serde_json::from_str(PUSH).unwrap();
        assert_eq!(envelope.events.len(), 2);
        assert_eq!(registry_of(&envelope.events[0]).as_deref(), Some("127.0.0.1:5000"));
        assert_eq!(envelope.events[0].target.tag.as_deref(), Some("1.0"));
        let hub: RegistryEvent = serde_json::from_str(
            r#"{"action":"push","target":{"repository":"library/alpine"},"request":{"host":"registry-1.docker.io"}}"#,
        )
        .unwrap();
        assert_eq!(registry_of(&hub).as_deref(), Some("docker.io"));
    }
}
