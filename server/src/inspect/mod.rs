//! Inspection: resolve a reference through the store's cache or the registry, and turn manifests
//! and configs into the image model (`app::dto::ImageReport`).

mod admission;
mod background;
mod content;
mod fanout;
mod history;
mod labels;
pub(crate) mod model;
mod repository_tags;
mod request;
mod service;
mod session;

use app::reference::ReferenceError;

use crate::registry::RegistryError;
use crate::store::StoreError;

pub use background::{BackgroundInspections, Requested};
pub use fanout::MAX_INDEX_PLATFORMS;
pub use history::instruction;
pub use model::{Manifest, is_index, parse_manifest, runs_as_root};
pub use request::{InspectRequest, PlatformFilter, Viewer};
pub use service::Inspector;

#[derive(Debug, thiserror::Error)]
pub enum InspectError {
    #[error(transparent)]
    Reference(#[from] ReferenceError),
    #[error(transparent)]
    Registry(#[from] RegistryError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("{what} is malformed: {detail}")]
    Malformed { what: String, detail: String },
    #[error("{reference} has no image for {wanted}; it has: {available}")]
    NoPlatform { reference: String, wanted: String, available: String },
    #[error("{0:?} is not a platform; write os/arch or os/arch/variant, e.g. linux/arm64/v8")]
    BadPlatform(String),
    /// Private repositories look exactly like missing ones to viewers who may not see them.
    #[error("{reference} was not found, or it is private: check the name and the tag")]
    Hidden { reference: String },
    /// Only from [`Inspector::stored`]: something the answer needs has not been fetched yet.
    #[error("{reference} has not been inspected yet")]
    NotStored { reference: String },
}
