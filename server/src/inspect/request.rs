//! What an inspection is asked: the reference, which platform, whether to re-check the tag now,
//! with which credentials, and for whom.

use app::dto::Platform;
use app::reference::ImageReference;

use super::InspectError;
use crate::registry::Credentials;
use crate::store::{Repository, RepositoryId, Visibility};

/// Who is asking: the operator at the CLI sees everything stored; web visitors only public images.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Viewer {
    Operator,
    Anonymous,
    /// Holds one private repository's badge token: may see that repository, and what anyone may.
    /// Nothing more: not another repository's content by digest, not private bases.
    BadgeToken(RepositoryId),
}

impl Viewer {
    pub fn may_see(self, repository: &Repository) -> bool {
        match self {
            Viewer::Operator => true,
            Viewer::Anonymous => repository.visibility == Visibility::Public,
            Viewer::BadgeToken(id) => id == repository.id || repository.visibility == Visibility::Public,
        }
    }
}

/// `os/arch[/variant]` as `--platform` and `?platform=` take it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PlatformFilter {
    pub os: String,
    pub architecture: String,
    pub variant: Option<String>,
}

impl PlatformFilter {
    pub fn parse(text: &str) -> Result<Self, InspectError> {
        let parts: Vec<&str> = text.trim().split('/').collect();
        let valid = |s: &&str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
        match parts.as_slice() {
            [os, arch] if valid(os) && valid(arch) => {
                Ok(Self { os: os.to_string(), architecture: arch.to_string(), variant: None })
            }
            [os, arch, variant] if valid(os) && valid(arch) && valid(variant) => {
                Ok(Self { os: os.to_string(), architecture: arch.to_string(), variant: Some(variant.to_string()) })
            }
            _ => Err(InspectError::BadPlatform(text.to_string())),
        }
    }

    pub(super) fn matches(&self, platform: &Platform) -> bool {
        self.os == platform.os
            && self.architecture == platform.architecture
            && self.variant.as_ref().is_none_or(|v| platform.variant.as_ref() == Some(v))
    }
}

impl PlatformFilter {
    /// As written: `os/arch[/variant]`.
    pub(super) fn label(&self) -> String {
        Platform { os: self.os.clone(), architecture: self.architecture.clone(), variant: self.variant.clone() }
            .to_string()
    }
}

/// One inspection: `InspectRequest::new(&reference, Viewer::Anonymous).platform(filter).refresh(true)`.
#[derive(Clone, Debug)]
pub struct InspectRequest<'a> {
    pub reference: &'a ImageReference,
    pub platform: Option<&'a PlatformFilter>,
    /// Re-resolve the tag now instead of trusting a digest younger than the tag TTL.
    pub refresh: bool,
    /// Used (by the operator only) when the repository turns out to need them.
    pub credentials: Option<Credentials>,
    pub viewer: Viewer,
}

impl<'a> InspectRequest<'a> {
    pub fn new(reference: &'a ImageReference, viewer: Viewer) -> Self {
        Self { reference, platform: None, refresh: false, credentials: None, viewer }
    }

    pub fn platform(self, platform: Option<&'a PlatformFilter>) -> Self {
        Self { platform, ..self }
    }

    pub fn refresh(self, refresh: bool) -> Self {
        Self { refresh, ..self }
    }

    pub fn credentials(self, credentials: Option<Credentials>) -> Self {
        Self { credentials, ..self }
    }
}
