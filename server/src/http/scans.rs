//! `/api/v1/scans/{reference}` (the scan of a tag's platform image, queued on first ask) and
//! `/api/v1/sbom/{reference}?format=cyclonedx|spdx` (its bill of materials once scanned); the
//! same summary as server-sent events is in `events`.

use std::sync::Arc;

use app::dto::ScanSummary;
use axum::extract::{Path, Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Json, Response};
use serde::Deserialize;

use super::ApiError;
use super::caller::Caller;
use crate::services::{ImageQuery, SbomFormat, Services};

#[derive(Deserialize)]
pub struct ScanParams {
    platform: Option<String>,
    format: Option<String>,
}

impl ScanParams {
    pub(super) fn query<'a>(&'a self, reference: &'a str) -> ImageQuery<'a> {
        ImageQuery { platform: self.platform.as_deref(), ..ImageQuery::new(reference) }
    }
}

pub async fn scan(
    State(services): State<Arc<Services>>,
    caller: Caller,
    Path(reference): Path<String>,
    Query(params): Query<ScanParams>,
) -> Result<Json<ScanSummary>, ApiError> {
    Ok(Json(services.scans.of_reference(caller.viewer(), params.query(&reference)).await?))
}

pub async fn sbom(
    State(services): State<Arc<Services>>,
    caller: Caller,
    Path(reference): Path<String>,
    Query(params): Query<ScanParams>,
) -> Result<Response, ApiError> {
    let format = SbomFormat::parse(params.format.as_deref())?;
    let sbom = services.scans.sbom(caller.viewer(), params.query(&reference), format).await?;
    let disposition = format!("attachment; filename=\"{}\"", sbom.file_name);
    Ok(([(header::CONTENT_DISPOSITION, disposition)], Json(sbom.body)).into_response())
}
