pub mod layout;
pub mod reference_box;
