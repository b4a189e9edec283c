//! Command-line subcommands other than `serve`: output formatting lives here, work in the services.

pub mod badge_token;
pub mod inspect;
pub mod scan;
