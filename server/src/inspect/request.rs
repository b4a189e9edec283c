//! What an inspection is asked: the reference, which platform, whether to re-check the tag now,
//! with which credentials, and for whom.

use app::dto::Platform;
use app::reference::ImageReference;

use super::InspectError;
use crate::registry::Credentials;
use crate::store::{RepositoryId, UserId, VisibleTo};

/// Who is asking: the operator at the CLI sees everything stored; web visitors only public images;
/// a signed-in user also the private repositories their own registry credentials read (a grant,
/// re-checked at the registry after the tag TTL); an administrator what the operator sees.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Viewer {
    Operator,
    Anonymous,
    /// Holds one private repository's badge token: may see that repository, and what anyone may.
    /// Nothing more: not another repository's content by digest, not private bases.
    BadgeToken(RepositoryId),
    User { id: UserId, admin: bool },
}

impl Viewer {
    /// The operator and administrators: every repository, whoever's credentials read it (the
    /// CLI's `--creds` images belong to no user).
    pub fn sees_all(self) -> bool {
        matches!(self, Viewer::Operator | Viewer::User { admin: true, .. })
    }

    /// Whose registry credentials an inspection may use: the operator's and a signed-in user's own.
    pub(crate) fn uses_credentials(self) -> bool {
        matches!(self, Viewer::Operator | Viewer::User { .. })
    }

    /// The repositories store queries may return for this viewer.
    pub fn visible(self) -> VisibleTo {
        match self {
            _ if self.sees_all() => VisibleTo::All,
            Viewer::User { id, .. } => VisibleTo::User(id),
            Viewer::BadgeToken(id) => VisibleTo::Repository(id),
            _ => VisibleTo::Public,
        }
    }

    /// Whose bases may show in a lineage: a badge token opens its own repository, not its bases.
    pub(crate) fn bases_visible(self) -> VisibleTo {
        match self.visible() {
            VisibleTo::Repository(_) => VisibleTo::Public,
            visible => visible,
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
    /// Used (the operator's, or a signed-in user's own) when the repository turns out to need them.
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
