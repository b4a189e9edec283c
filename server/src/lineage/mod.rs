//! Base-image lineage: every inspected platform image is indexed by the chain IDs of its layer
//! stack; an image's base is the known image whose whole stack is the longest proper prefix of its
//! own, and so on down to the root. When a base's tag moves on, its descendants need a rebuild.

mod boundary;
mod chain;
mod moved;
mod resolve;

pub use boundary::inherited_layers;
pub use chain::chain_ids;
pub use moved::raise_base_moved;
pub use resolve::lineage;

/// The event kind raised for each tag whose image's base moved.
pub const BASE_UPDATED: &str = "base_updated";
