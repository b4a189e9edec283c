//! Shipshape's UI: pages, components, the DTOs both sides share, and the server functions.
//!
//! Compiled twice: with `ssr` into the server binary, with `hydrate` to wasm for the browser.

// Leptos view types nest deeply; the tag page needs more than the default 128.
#![recursion_limit = "256"]

pub mod app;
pub mod badge;
pub mod codec;
pub mod components;
pub mod digest;
pub mod dto;
pub mod error;
pub mod format;
pub mod links;
pub mod pages;
pub mod platform_choice;
pub mod reference;
pub mod server_fns;
pub mod severity;
pub mod tag_order;

#[cfg(feature = "ssr")]
pub mod backend;

pub use app::{App, shell};

#[cfg(feature = "hydrate")]
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    leptos::mount::hydrate_body(App);
}
