//! `/badges/{kind}/{reference}.svg` and its shields.io endpoint twin `.json`.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};

use crate::badge::{BadgeRequest, Rendered};
use crate::services::Services;

pub async fn badge(
    State(services): State<Arc<Services>>,
    Path((kind, file)): Path<(String, String)>,
    uri: Uri,
    headers: HeaderMap,
) -> Response {
    let key = uri.path_and_query().map_or(uri.path(), |p| p.as_str());
    if let Some(rendered) = services.badges.cached(key) {
        return respond(&rendered, &headers);
    }
    let request = match BadgeRequest::parse(&kind, &file, uri.query().unwrap_or("")) {
        Ok(request) => request,
        Err(e) => {
            return (StatusCode::BAD_REQUEST, [(header::CONTENT_TYPE, "text/plain;charset=utf-8")], e.to_string())
                .into_response();
        }
    };
    let rendered = services.badges.answer(key.to_string(), &request).await;
    respond(&rendered, &headers)
}

fn respond(rendered: &Rendered, headers: &HeaderMap) -> Response {
    let etag = HeaderValue::from_str(&rendered.etag).unwrap_or(HeaderValue::from_static("\"\""));
    let common = [
        (header::ETAG, etag),
        (header::CACHE_CONTROL, HeaderValue::from_static(rendered.cache_control)),
        (header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff")),
    ];
    if matches_etag(headers, &rendered.etag) {
        return (StatusCode::NOT_MODIFIED, common).into_response();
    }
    (
        common,
        [
            (header::CONTENT_TYPE, HeaderValue::from_static(rendered.content_type)),
            // Opened on its own, an SVG is a document: it may draw, never run anything.
            (
                header::CONTENT_SECURITY_POLICY,
                HeaderValue::from_static("default-src 'none'; style-src 'unsafe-inline'"),
            ),
        ],
        rendered.body.clone(),
    )
        .into_response()
}

/// `If-None-Match` as RFC 9110 reads it: `*`, or a list of tags compared weakly.
fn matches_etag(headers: &HeaderMap, etag: &str) -> bool {
    headers.get_all(header::IF_NONE_MATCH).iter().filter_map(|v| v.to_str().ok()).any(|value| {
        value.split(',').map(str::trim).any(|tag| tag == "*" || tag.strip_prefix("W/").unwrap_or(tag) == etag)
    })
}
