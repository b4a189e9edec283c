//! Where the web app's pages live, for every page and component that links to one.

/// The page of a reference: `/images/docker.io/library/alpine:3.20`.
pub fn image_href(reference: &str) -> String {
    format!("/images/{reference}")
}
