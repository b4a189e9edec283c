//! One module per page; pages link to each other by URL (`crate::links`), never by import.

pub mod account;
pub mod home;
pub mod not_found;
pub mod repository;
pub mod tag;
