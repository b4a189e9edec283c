pub mod badge_builder;
pub mod badge_token;
pub mod error_panel;
pub mod layout;
pub mod package_list;
pub mod reference_box;
pub mod scan_panel;
pub mod secret_box;
