pub mod home;
pub mod image;
pub mod not_found;
pub mod repository;
pub mod tag;
