//! The OpenAPI 3.1 description of `/api/v1` and `/badges`, written by hand next to the handlers it describes
//! (the `api_openapi_matches_responses` test checks real responses against its required fields).

use axum::response::Json;
use serde_json::{Value, json};

use super::openapi_accounts as accounts;
use super::openapi_notify as notify;

pub async fn document() -> Json<Value> {
    Json(spec())
}
pub fn spec() -> Value {
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "Shipshape API",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "Container images as Shipshape sees them: platforms, layers, labels, config and tag history. Anonymous callers see public repositories only; with an API token (Authorization: Bearer shp_…) a user also sees the private repositories their own saved registry credentials have read."
        },
        "paths": merged([image_paths(), scan_paths(), badge_paths(), accounts::paths(), notify::paths()]),
        "components": {
            "schemas": merged([image_schemas(), report_schemas(), listing_schemas(), accounts::schemas(), notify::schemas()]),
            "securitySchemes": accounts::security_schemes()
        }
    })
}

/// One object holding every key of `parts`.
fn merged<const N: usize>(parts: [Value; N]) -> Value {
    let mut all = serde_json::Map::new();
    for part in parts {
        if let Value::Object(part) = part {
            all.extend(part);
        }
    }
    Value::Object(all)
}

/// What a route that inspects the image it names may also answer.
fn inspection_errors() -> Value {
    json!({
        "403": error_response("destination_not_allowed"),
        "422": error_response("unsupported_manifest"),
        "500": error_response("internal"),
        "502": error_response("registry_unreachable, registry_error, registry_credentials_rejected"),
        "503": error_response("registry_rate_limited"),
        "504": error_response("registry_timeout")
    })
}

pub(super) fn error_response(description: &str) -> Value {
    json!({
        "description": description,
        "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Error" } } }
    })
}

/// `/api/v1/images` and `/api/v1/repositories`.
fn image_paths() -> Value {
    let string = json!({ "type": "string" });
    json!({
        "/api/v1/images/{reference}": {
        "get": {
            "summary": "Inspect an image reference",
            "description": "Resolves the reference (a tag is re-checked with one HEAD request when its cached digest is older than SHIPSHAPE_TAG_TTL) and returns every platform image, or the one asked for.",
            "parameters": [
                { "name": "reference", "in": "path", "required": true, "schema": string,
                  "description": "As Docker writes it, slashes unescaped: alpine, library/alpine:3.20, ghcr.io/o/r@sha256:…" },
                { "name": "platform", "in": "query", "schema": string, "description": "os/arch[/variant], e.g. linux/arm64/v8" },
                { "name": "refresh", "in": "query", "schema": { "type": "boolean" }, "description": "re-resolve the tag now" }
            ],
            "responses": {
                "200": { "description": "the image", "content": { "application/json": { "schema": { "$ref": "#/components/schemas/ImageReport" } } } },
                "400": error_response("invalid_reference or invalid_platform"),
                "403": error_response("destination_not_allowed: the registry resolves to a private address; see SHIPSHAPE_ALLOW_HOSTS"),
                "404": error_response("not_found_or_private, manifest_not_found or platform_not_found"),
                "422": error_response("unsupported_manifest (Docker schema 1, artifacts)"),
                "502": error_response("registry_unreachable, registry_error, registry_credentials_rejected"),
                "503": error_response("registry_rate_limited (with Retry-After when the registry gave one)"),
                "504": error_response("registry_timeout")
            }
        }
    },
    "/api/v1/repositories/{repository}/tags": {
        "get": {
            "summary": "List a repository's tags with what is known of each",
            "description": "Tags in the registry's order, paginated like the distribution API: n and last, and a Link header for the next page.",
            "parameters": [
                { "name": "repository", "in": "path", "required": true, "schema": string, "description": "e.g. docker.io/library/alpine" },
                { "name": "n", "in": "query", "schema": { "type": "integer", "minimum": 1, "maximum": 100, "default": 50 } },
                { "name": "last", "in": "query", "schema": string, "description": "the last tag of the previous page" }
            ],
            "responses": {
                "200": { "description": "a page of tags", "content": { "application/json": { "schema": { "$ref": "#/components/schemas/RepositoryTags" } } } },
                "400": error_response("invalid_reference"),
                "403": error_response("destination_not_allowed"),
                "404": error_response("not_found_or_private"),
                "502": error_response("registry_unreachable or registry_error"),
                "503": error_response("registry_rate_limited")
            }
        }
    }
    })
}

/// Scans, their progress stream and SBOMs.
fn scan_paths() -> Value {
    let string = json!({ "type": "string" });
    json!({
        "/api/v1/scans/{reference}": {
        "get": {
            "summary": "The scan of a tag's platform image",
            "description": "Queued as a background job on first ask (public images); state, progress, counts by severity, findings and tune-up checks once done.",
            "parameters": [
                { "name": "reference", "in": "path", "required": true, "schema": string },
                { "name": "platform", "in": "query", "schema": string, "description": "os/arch[/variant]; default linux/amd64, else the first" }
            ],
            "responses": merged([json!({
                "200": { "description": "the scan", "content": { "application/json": { "schema": { "$ref": "#/components/schemas/ScanSummary" } } } },
                "400": error_response("invalid_reference or invalid_platform"),
                "404": error_response("not_found_or_private, manifest_not_found, platform_not_found")
            }), inspection_errors()])
        }
    },
    "/api/v1/scan-events/{reference}": {
        "get": {
            "summary": "The scan's progress, pushed",
            "description": "Server-sent events: each `data:` is the ScanSummary JSON, sent when it changes; the stream ends after a state that does not change by itself (done, failed, unavailable, none). Does not queue a scan.",
            "parameters": [
                { "name": "reference", "in": "path", "required": true, "schema": string },
                { "name": "platform", "in": "query", "schema": string, "description": "os/arch[/variant]; default linux/amd64, else the first" }
            ],
            "responses": merged([json!({
                "200": { "description": "the event stream", "content": { "text/event-stream": { "schema": string } } },
                "400": error_response("invalid_reference or invalid_platform"),
                "404": error_response("not_found_or_private, manifest_not_found, platform_not_found")
            }), inspection_errors(), json!({
                "429": error_response("too_many_streams: this client has 8 streams open (Retry-After: 30)"),
                "503": error_response("busy: the server has 256 streams open (Retry-After: 10), or registry_rate_limited")
            })])
        }
    },
    "/api/v1/sbom/{reference}": {
        "get": {
            "summary": "The SBOM of a scanned tag's platform image",
            "parameters": [
                { "name": "reference", "in": "path", "required": true, "schema": string },
                { "name": "platform", "in": "query", "schema": string },
                { "name": "format", "in": "query", "schema": { "type": "string", "enum": ["cyclonedx", "spdx"], "default": "cyclonedx" } }
            ],
            "responses": merged([json!({
                "200": { "description": "CycloneDX 1.6 or SPDX 2.3 JSON (as a download)" },
                "400": error_response("invalid_format, invalid_reference or invalid_platform"),
                "404": error_response("not_scanned (scan it first), not_found_or_private, manifest_not_found, platform_not_found")
            }), inspection_errors()])
        }
    }
    })
}

/// Badges, and this document.
fn badge_paths() -> Value {
    let string = json!({ "type": "string" });
    json!({
        "/badges/{kind}/{file}": {
        "get": {
            "summary": "A README badge (SVG) or its shields.io endpoint JSON",
            "description": "Answered from stored facts only. The first request for an image not yet stored starts its inspection and answers \"inspecting\" (not cacheable); unknown images, and private ones without their badge token, answer \"not found\". Cache-Control max-age=300, ETag and 304 on If-None-Match.",
            "parameters": [
                { "name": "kind", "in": "path", "required": true,
                  "schema": { "type": "string", "enum": ["image", "version", "commit", "license", "vulnerabilities", "user", "base", "updated"] } },
                { "name": "file", "in": "path", "required": true, "schema": string,
                  "description": "The reference as on the pages, then .svg or .json: alpine:3.20.svg, ghcr.io/o/r@sha256:….json" },
                { "name": "style", "in": "query", "schema": { "type": "string", "enum": ["flat", "flat-square", "for-the-badge"] } },
                { "name": "label", "in": "query", "schema": string, "description": "replaces the kind's label" },
                { "name": "color", "in": "query", "schema": string, "description": "message colour: a shields.io name or hex" },
                { "name": "labelColor", "in": "query", "schema": string },
                { "name": "platform", "in": "query", "schema": string, "description": "os/arch[/variant]; default linux/amd64, else the first" },
                { "name": "token", "in": "query", "schema": string, "description": "a private repository's badge token (shipshape badge-token)" }
            ],
            "responses": {
                "200": { "description": "the badge", "content": {
                    "image/svg+xml": { "schema": string },
                    "application/json": { "schema": { "type": "object", "required": ["schemaVersion", "label", "message", "color"],
                        "properties": { "schemaVersion": { "const": 1 }, "label": string, "message": string, "color": string,
                            "labelColor": string, "style": string, "cacheSeconds": { "type": "integer" }, "isError": { "type": "boolean" } } } } } },
                "304": { "description": "unchanged since the ETag given in If-None-Match" },
                "400": { "description": "unknown kind, style or colour, or neither .svg nor .json (text/plain)" }
            }
        }
    },
    "/api/v1/openapi.json": {
        "get": { "summary": "This document", "responses": { "200": { "description": "OpenAPI 3.1" } } }
    }
    })
}

/// The parts of an image report.
fn image_schemas() -> Value {
    let string = json!({ "type": "string" });
    let opt_string = json!({ "type": ["string", "null"] });
    json!({
            "Error": {
            "type": "object", "required": ["error"],
            "properties": { "error": { "type": "object", "required": ["code", "message"],
                "properties": { "code": string, "message": string } } }
        },
        "Platform": {
            "type": "object", "required": ["os", "architecture"],
            "properties": { "os": string, "architecture": string, "variant": opt_string }
        },
        "Layer": {
            "type": "object", "required": ["digest", "size", "share", "media_type"],
            "properties": {
                "digest": string, "diff_id": opt_string,
                "size": { "type": "integer", "description": "compressed bytes" },
                "share": { "type": "number", "description": "of the image's compressed size, 0–1" },
                "media_type": string, "created_by": opt_string,
                "instruction": { "type": ["string", "null"], "description": "created_by as a Dockerfile instruction" },
                "created": opt_string, "comment": opt_string
            }
        },
        "HistoryEntry": {
            "type": "object", "required": ["empty_layer"],
            "properties": { "created": opt_string, "created_by": opt_string, "instruction": opt_string,
                "comment": opt_string, "empty_layer": { "type": "boolean" } }
        },
        "PlatformImage": {
            "type": "object",
            "required": ["platform", "digest", "media_type", "config_digest", "size", "user", "runs_as_root", "labels", "label_facts", "env", "layers", "history", "lineage"],
            "properties": {
                "platform": { "$ref": "#/components/schemas/Platform" },
                "digest": string, "media_type": string, "config_digest": string, "created": opt_string,
                "size": { "type": "integer", "description": "sum of compressed layer sizes" },
                "user": string, "runs_as_root": { "type": "boolean" },
                "labels": { "type": "object", "additionalProperties": string },
                "label_facts": { "type": "object", "description": "OCI and label-schema labels read as facts (version, revision, commit_url, source, license, …)",
                    "additionalProperties": opt_string },
                "env": { "type": "array", "items": { "type": "object", "required": ["name", "value", "masked"],
                    "properties": { "name": string, "value": string, "masked": { "type": "boolean" } } } },
                "entrypoint": { "type": ["array", "null"], "items": string },
                "cmd": { "type": ["array", "null"], "items": string },
                "workdir": opt_string,
                "exposed_ports": { "type": "array", "items": string },
                "volumes": { "type": "array", "items": string },
                "healthcheck": { "type": ["object", "null"] },
                "stop_signal": opt_string,
                "layers": { "type": "array", "items": { "$ref": "#/components/schemas/Layer" } },
                "history": { "type": "array", "items": { "$ref": "#/components/schemas/HistoryEntry" } },
                "lineage": { "$ref": "#/components/schemas/Lineage" }
            }
        }
    })
}

/// Lineage and the report itself.
fn report_schemas() -> Value {
    let string = json!({ "type": "string" });
    let opt_string = json!({ "type": ["string", "null"] });
    json!({
            "Lineage": {
            "type": "object",
            "description": "Known base images, found by layer chain IDs; base_moved when the tag of any ancestor now names another image",
            "required": ["chain", "own_layers", "base_moved"],
            "properties": {
                "base": { "type": ["object", "null"], "required": ["reference", "digest"],
                    "properties": { "reference": string, "digest": string } },
                "chain": { "type": "array", "description": "ancestors, nearest first", "items": { "$ref": "#/components/schemas/Ancestor" } },
                "own_layers": { "type": "integer" },
                "base_moved": { "type": "boolean" },
                "base_moved_at": opt_string,
                "unknown_base_layers": { "type": ["integer", "null"], "description": "no base known: layers before the history's last CMD" },
                "annotated_base": { "type": ["object", "null"],
                    "properties": { "name": opt_string, "digest": opt_string, "confirmed": { "type": "boolean" } } }
            }
        },
        "Ancestor": {
            "type": "object",
            "required": ["reference", "repository", "digest", "layers", "contributes", "official", "moved", "annotated"],
            "properties": {
                "reference": string, "repository": string, "tag": opt_string, "digest": string,
                "layers": { "type": "integer" }, "contributes": { "type": "integer" },
                "official": { "type": "boolean" }, "moved": { "type": "boolean" }, "moved_at": opt_string,
                "current_digest": opt_string, "annotated": { "type": "boolean" }
            }
        },
        "ImageReport": {
            "type": "object",
            "required": ["reference", "registry", "repository", "digest", "media_type", "private", "platforms", "platforms_not_fetched", "tag_history", "also_tagged"],
            "properties": {
                "reference": string, "registry": string, "repository": string, "tag": opt_string,
                "digest": string, "media_type": string, "private": { "type": "boolean" },
                "checked_at": opt_string,
                "platforms": { "type": "array", "items": { "$ref": "#/components/schemas/PlatformImage" } },
                "platforms_not_fetched": { "type": "integer", "minimum": 0,
                    "description": "index entries past the 256 one inspection reads, not in platforms" },
                "tag_history": { "type": "array", "items": { "type": "object", "required": ["digest", "first_seen", "last_seen"],
                    "properties": { "digest": string, "first_seen": string, "last_seen": string } } },
                "also_tagged": { "type": "array", "items": string }
            }
        }
    })
}

/// Scan summaries and tag listings.
fn listing_schemas() -> Value {
    let string = json!({ "type": "string" });
    let opt_string = json!({ "type": ["string", "null"] });
    json!({
            "ScanSummary": {
            "type": "object",
            "required": ["state", "layers_done", "layers_total", "packages", "counts", "findings", "checks", "wasted_bytes", "efficiency"],
            "properties": {
                "state": { "type": "string", "enum": ["none", "queued", "running", "done", "failed", "unavailable"] },
                "layers_done": { "type": "integer" }, "layers_total": { "type": "integer" },
                "error": opt_string, "scanned_at": opt_string, "vulndb_as_of": opt_string, "os": opt_string,
                "packages": { "type": "integer" },
                "ecosystems": { "type": "array", "items": { "type": "object", "required": ["ecosystem", "count"],
                    "properties": { "ecosystem": string, "count": { "type": "integer" } } } },
                "counts": { "type": "object", "properties": { "critical": { "type": "integer" }, "high": { "type": "integer" },
                    "medium": { "type": "integer" }, "low": { "type": "integer" }, "unknown": { "type": "integer" } } },
                "findings": { "type": "array", "items": { "type": "object", "required": ["id", "aliases", "package", "version", "severity"],
                    "properties": { "id": string, "aliases": { "type": "array", "items": string }, "ecosystem": string, "package": string, "version": string,
                        "fixed_version": opt_string, "severity": string, "summary": opt_string, "layer_digest": opt_string, "layer_command": opt_string } } },
                "checks": { "type": "array", "items": { "type": "object", "required": ["id", "severity", "title", "detail", "fix"],
                    "properties": { "id": string, "severity": string, "title": string, "detail": string, "fix": string,
                        "layer_digest": opt_string, "layer_command": opt_string } } },
                "wasted_bytes": { "type": "integer" }, "efficiency": { "type": "number" }
            }
        },
        "RepositoryTags": {
            "type": "object", "required": ["repository", "registry", "name", "private", "total", "tags"],
            "properties": {
                "repository": string, "registry": string, "name": string, "private": { "type": "boolean" },
                "total": { "type": "integer" }, "next": opt_string,
                "tags": { "type": "array", "items": { "type": "object", "required": ["name", "platforms"],
                    "properties": { "name": string, "digest": opt_string, "size": { "type": ["integer", "null"] },
                        "layers": { "type": ["integer", "null"] }, "platforms": { "type": "array", "items": string },
                        "created": opt_string, "last_changed": opt_string } } }
            }
        }
    })
}
