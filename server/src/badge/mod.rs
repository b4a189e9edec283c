//! README badges: what each kind says about an image (from stored facts only), drawn as SVG or as
//! shields.io endpoint JSON, cached briefly, private repositories only with their badge token.

mod cache;
mod svg;
mod widths;

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use app::badge::{BadgeFace, BadgeKind, BadgeStyle};
use app::digest::Digest;
use app::dto::ImageReport;
use app::platform_choice;
use app::reference::ImageReference;
use base64::Engine;
use sha2::{Digest as _, Sha256};

use cache::BadgeCache;
pub use cache::Rendered;

use crate::inspect::{BackgroundInspections, InspectError, Inspector, Requested, Viewer};
use crate::scan;
use crate::store::{SharedStore, StoreError, Visibility};

/// What browsers and GitHub's image proxy may keep a badge for.
const CACHE_CONTROL: &str = "max-age=300";
/// "inspecting" turns into the real badge within seconds: nobody should keep it.
const NO_CACHE: &str = "no-cache, max-age=0";

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Svg,
    Json,
}

/// One badge request, as read from its URL.
#[derive(Clone, Debug)]
pub struct BadgeRequest {
    pub kind: BadgeKind,
    pub format: Format,
    /// The reference as written in the URL (`alpine:3.20`, `ghcr.io/o/r@sha256:…`).
    pub reference: String,
    pub style: BadgeStyle,
    pub label: Option<String>,
    /// `#rrggbb`, checked.
    pub color: Option<String>,
    pub label_color: Option<String>,
    pub platform: Option<String>,
    pub token: Option<String>,
}

/// Why a badge URL cannot be answered with a badge at all.
#[derive(Debug, thiserror::Error)]
pub enum BadgeError {
    #[error(
        "unknown badge kind {0:?}: use one of image, version, commit, license, vulnerabilities, user, base, updated"
    )]
    Kind(String),
    #[error("badge URLs end in .svg or .json")]
    Extension,
    #[error("unknown style {0:?}: use flat, flat-square or for-the-badge")]
    Style(String),
    #[error("{0:?} is not a colour: use a name (brightgreen, red, blue…) or hex (e05d44)")]
    Color(String),
}

impl BadgeRequest {
    /// `kind` and `file` are the two path parts after `/badges/`; `query` the raw query string.
    pub fn parse(kind: &str, file: &str, query: &str) -> Result<Self, BadgeError> {
        let kind = BadgeKind::parse(kind).ok_or_else(|| BadgeError::Kind(kind.to_string()))?;
        let (reference, format) = match (file.strip_suffix(".svg"), file.strip_suffix(".json")) {
            (Some(r), _) => (r, Format::Svg),
            (_, Some(r)) => (r, Format::Json),
            _ => return Err(BadgeError::Extension),
        };
        let mut request = Self {
            kind,
            format,
            reference: reference.to_string(),
            style: BadgeStyle::Flat,
            label: None,
            color: None,
            label_color: None,
            platform: None,
            token: None,
        };
        for (key, value) in url::form_urlencoded::parse(query.as_bytes()) {
            let colour = |v: &str| svg::color(v).ok_or_else(|| BadgeError::Color(v.to_string()));
            match key.as_ref() {
                "style" => {
                    request.style = BadgeStyle::parse(&value).ok_or_else(|| BadgeError::Style(value.to_string()))?
                }
                "label" => request.label = Some(value.into_owned()),
                "color" => request.color = Some(colour(&value)?),
                "labelColor" => request.label_color = Some(colour(&value)?),
                "platform" => request.platform = Some(value.into_owned()).filter(|p| !p.is_empty()),
                "token" => request.token = Some(value.into_owned()),
                _ => {}
            }
        }
        Ok(request)
    }
}

/// Where a face came from, which decides how long it may be kept.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Answer {
    Stored,
    Inspecting,
    NotFound,
}

pub struct Badges {
    store: SharedStore,
    inspector: Arc<Inspector>,
    background: Arc<BackgroundInspections>,
    cache: BadgeCache,
    /// Badge tokens rotated by this process: part of the cache's generation, so an answer made
    /// with a retired token is not served again (other replicas drop it after the cache TTL).
    rotations: AtomicU64,
    tag_ttl: Duration,
}

impl Badges {
    pub fn new(store: SharedStore, inspector: Arc<Inspector>, tag_ttl: Duration) -> Self {
        let background = BackgroundInspections::new(inspector.clone());
        Self { store, inspector, background, cache: cache::new(), rotations: AtomicU64::new(0), tag_ttl }
    }

    /// The rendered badge for a request URL (path and query) answered in the last seconds.
    pub fn cached(&self, key: &str) -> Option<Arc<Rendered>> {
        self.cache.get(key, self.generation())
    }

    fn generation(&self) -> u64 {
        self.background.finished().wrapping_add(self.rotations.load(Ordering::Acquire))
    }

    /// Answers from the store (never from a registry), keeping the answer under `key`.
    pub async fn answer(&self, key: String, request: &BadgeRequest) -> Arc<Rendered> {
        let generation = self.generation();
        let (mut face, answer) = match self.face(request).await {
            Ok(found) => found,
            Err(e) => {
                tracing::error!(error = %e, "badge: store failure");
                (BadgeFace::not_found(request.kind), Answer::NotFound)
            }
        };
        if let Some(label) = &request.label {
            face.label = label.clone();
        }
        let rendered = Arc::new(render(&face, request, answer));
        if answer != Answer::Inspecting {
            self.cache.put(key, rendered.clone(), generation);
        }
        rendered
    }

    async fn face(&self, request: &BadgeRequest) -> Result<(BadgeFace, Answer), StoreError> {
        let kind = request.kind;
        let not_found = Ok((BadgeFace::not_found(kind), Answer::NotFound));
        let Ok(reference) = ImageReference::parse(&request.reference) else { return not_found };
        let viewer = self.viewer(&reference, request.token.as_deref()).await?;
        // Only the token shows a private repository; without it, it reads as one never seen.
        let private = viewer != Viewer::Anonymous;
        match self.inspector.stored(&reference, viewer).await {
            Ok(report) => {
                if !private && self.is_stale(&report) {
                    self.background.request(&reference);
                }
                let Some(image) = chosen_platform(&report, request.platform.as_deref()) else { return not_found };
                let scan = match kind {
                    BadgeKind::Vulnerabilities => {
                        // Written by inspection from a valid one; a badge never fails on it.
                        let Ok(digest) = Digest::parse(&image.digest) else { return not_found };
                        let repository = format!("{}/{}", report.registry, report.repository);
                        if !private {
                            scan::service::request(&self.store, &repository, &digest, None).await?;
                        }
                        Some(scan::service::summary(&self.store, &digest, !private).await?)
                    }
                    _ => None,
                };
                // A scan under way turns into counts soon: answered like "inspecting", never kept.
                let answer = match scan.as_ref().map(|s| s.state.as_str()) {
                    Some("queued" | "running") => Answer::Inspecting,
                    _ => Answer::Stored,
                };
                Ok((BadgeFace::of(kind, &report, image, scan.as_ref(), app::format::now_unix()), answer))
            }
            // Not stored, or private and asked without its token: "inspecting" while the registry
            // is asked, then its answer. A private image is only inspected with credentials, which
            // badge requests do not carry, so a token brings no inspection.
            Err(InspectError::NotStored { .. }) if !private => match self.background.request(&reference) {
                Requested::Running | Requested::Busy => Ok((BadgeFace::inspecting(kind), Answer::Inspecting)),
                Requested::Failed => not_found,
            },
            Err(InspectError::Store(e)) => Err(e),
            Err(_) => not_found,
        }
    }

    /// Who asks: the holder of a private repository's badge token sees that repository (and no
    /// other private content); anyone else is anonymous, whatever token they pass.
    async fn viewer(&self, reference: &ImageReference, token: Option<&str>) -> Result<Viewer, StoreError> {
        let repository = self.store.repository(&reference.registry, &reference.repository).await?;
        let (Some(repo), Some(given)) = (repository.filter(|r| r.visibility == Visibility::Private), token) else {
            return Ok(Viewer::Anonymous);
        };
        Ok(match self.store.badge_token(repo.id).await? {
            Some(stored) if same_token(&stored, given) => Viewer::BadgeToken(repo.id),
            _ => Viewer::Anonymous,
        })
    }

    /// When the private repository `repository` (`registry/name` as written) got its badge token
    /// (`None`: it has none yet). Only for viewers who may see it, an administrator or a user
    /// with a grant; for anyone else, and for a public repository (whose badges need no token), it
    /// reads as a repository never seen.
    pub async fn badge_token_status(
        &self,
        viewer: Viewer,
        repository: &str,
    ) -> Result<Option<chrono::DateTime<chrono::Utc>>, BadgeTokenError> {
        let repo = self.owned(viewer, repository).await?;
        Ok(self.store.badge_token_created(repo.id).await?)
    }

    /// A new badge token for the private repository `repository`, replacing (and so retiring) the
    /// one it had. Only for viewers who may see it, as [`Badges::badge_token_status`].
    pub async fn rotate_badge_token(&self, viewer: Viewer, repository: &str) -> Result<String, BadgeTokenError> {
        let repo = self.owned(viewer, repository).await?;
        let token = new_token().map_err(|e| BadgeTokenError::Random(e.to_string()))?;
        self.store.set_badge_token(repo.id, &token).await?;
        // Badges answered with the old token must not be served again from the cache.
        self.rotations.fetch_add(1, Ordering::AcqRel);
        Ok(token)
    }

    /// The private repository whose badge token `viewer` manages: an administrator's any, a
    /// user's one their own credentials read (a grant). Refused as a missing repository.
    async fn owned(&self, viewer: Viewer, repository: &str) -> Result<crate::store::Repository, BadgeTokenError> {
        let reference =
            ImageReference::parse_repository(repository).map_err(|_| BadgeTokenError::NotFound(repository.into()))?;
        let not_found = || BadgeTokenError::NotFound(reference.repository_path());
        if !matches!(viewer, Viewer::User { .. } | Viewer::Operator) {
            return Err(not_found());
        }
        let visible = self.store.visible_repository(&reference.registry, &reference.repository, viewer.visible());
        let repo = match visible.await? {
            Some(repo) if repo.visibility == Visibility::Private => repo,
            _ => return Err(not_found()),
        };
        // A user's grant counts only while the registry confirmed it within the tag TTL: access
        // withdrawn at the registry must withdraw the token too (`Services::badge_token_status`
        // re-checks a stale grant at the registry first).
        if let Viewer::User { id, .. } = viewer
            && !viewer.sees_all()
        {
            let checked = self.store.repository_grant(id, repo.id).await?;
            // (At least a minute: with a TTL of zero the re-check just made must still count.)
            let ttl = self.tag_ttl.max(Duration::from_secs(60));
            let fresh = checked.is_some_and(|at| (chrono::Utc::now() - at).to_std().is_ok_and(|age| age < ttl));
            if !fresh {
                return Err(not_found());
            }
        }
        Ok(repo)
    }

    /// Whether the registry last confirmed the tag longer ago than the TTL.
    fn is_stale(&self, report: &ImageReport) -> bool {
        let checked = report.checked_at.as_deref().and_then(app::format::unix_seconds);
        checked.is_some_and(|at| app::format::now_unix() - at > self.tag_ttl.as_secs() as i64)
    }
}

/// `?platform=` when given (and nothing else), else the default choice, as the tag page.
fn chosen_platform<'a>(report: &'a ImageReport, wanted: Option<&str>) -> Option<&'a app::dto::PlatformImage> {
    let index = match wanted {
        Some(wanted) => platform_choice::exact(&report.platforms, wanted),
        None => platform_choice::chosen(&report.platforms, None),
    };
    index.map(|i| &report.platforms[i])
}

fn render(face: &BadgeFace, request: &BadgeRequest, answer: Answer) -> Rendered {
    let cache_control = if answer == Answer::Inspecting { NO_CACHE } else { CACHE_CONTROL };
    let (body, content_type) = match request.format {
        Format::Svg => {
            let message_color = request.color.clone().or_else(|| svg::color(face.color)).unwrap_or_default();
            let svg = svg::render(face, request.style, request.label_color.as_deref(), &message_color);
            (svg.into_bytes(), "image/svg+xml;charset=utf-8")
        }
        Format::Json => {
            let mut json = serde_json::json!({
                "schemaVersion": 1,
                "label": svg::clean_text(&face.label),
                "message": svg::clean_text(&face.message),
                "color": request.color.as_deref().map(|c| c.trim_start_matches('#')).unwrap_or(face.color),
                "cacheSeconds": 300,
            });
            if let Some(label_color) = &request.label_color {
                json["labelColor"] = label_color.trim_start_matches('#').into();
            }
            if request.style != BadgeStyle::Flat {
                json["style"] = request.style.as_str().into();
            }
            if answer == Answer::NotFound {
                json["isError"] = true.into();
            }
            (json.to_string().into_bytes(), "application/json")
        }
    };
    let hash = Sha256::digest(&body);
    Rendered { etag: format!("\"{}\"", hex::encode(&hash[..12])), body: body.into(), content_type, cache_control }
}

/// Why a badge token is not shown or made.
#[derive(Debug, thiserror::Error)]
pub enum BadgeTokenError {
    /// Worded as inspection words a missing or hidden repository.
    #[error("{0} was not found, or it is private: check the name and the tag")]
    NotFound(String),
    #[error("no random bytes for a token: {0}")]
    Random(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// A new badge token: 32 random bytes, URL-safe.
pub fn new_token() -> Result<String, getrandom::Error> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes)?;
    Ok(base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes))
}

/// Compares without stopping at the first difference, so timing tells nothing about the token.
fn same_token(stored: &str, given: &str) -> bool {
    stored.len() == given.len() && stored.bytes().zip(given.bytes()).fold(0u8, |acc, (a, b)| acc | (a ^ b)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn badge_urls_parse_with_their_options() {
        let r = BadgeRequest::parse(
            "image",
            "ghcr.io/o/r@sha256:ab.svg",
            "style=for-the-badge&label=size&color=ff0000&x=1",
        )
        .unwrap();
        assert_eq!((r.kind, r.format, r.reference.as_str()), (BadgeKind::Image, Format::Svg, "ghcr.io/o/r@sha256:ab"));
        assert_eq!(
            (r.style, r.label.as_deref(), r.color.as_deref()),
            (BadgeStyle::ForTheBadge, Some("size"), Some("#ff0000"))
        );
        assert_eq!(BadgeRequest::parse("user", "alpine.json", "").unwrap().format, Format::Json);
        assert!(matches!(BadgeRequest::parse("size", "alpine.svg", ""), Err(BadgeError::Kind(_))));
        assert!(matches!(BadgeRequest::parse("user", "alpine.png", ""), Err(BadgeError::Extension)));
        assert!(matches!(BadgeRequest::parse("user", "alpine.svg", "style=plastic"), Err(BadgeError::Style(_))));
        assert!(matches!(BadgeRequest::parse("user", "alpine.svg", "color=red;x"), Err(BadgeError::Color(_))));
    }

    #[test]
    fn tokens_are_random_and_compared_whole() {
        let (a, b) = (new_token().unwrap(), new_token().unwrap());
        assert_ne!(a, b);
        assert_eq!(a.len(), 43);
        assert!(same_token(&a, &a.clone()));
        assert!(!same_token(&a, &b) && !same_token(&a, &a[..42]));
    }
}
