//! The accounts part of the OpenAPI description: who am I, API tokens, registry credentials, and
//! how callers authenticate (an API token as a bearer, or a signed-in browser's session cookie).

use serde_json::{Value, json};

use super::openapi::error_response;

pub(super) fn security_schemes() -> Value {
    json!({
        "bearer": {
            "type": "http", "scheme": "bearer",
            "description": "An API token (`shp_…`) made on /account/tokens or with `shipshape token create`. `read` tokens may only GET. An unknown or revoked token is answered 401 (invalid_token)."
        },
        "session": {
            "type": "apiKey", "in": "cookie", "name": "shipshape_session",
            "description": "A signed-in browser. State changes with it must come from this site (Origin or Sec-Fetch-Site), else 403 cross_site_request."
        }
    })
}

fn json_body(schema: Value) -> Value {
    json!({ "required": true, "content": { "application/json": { "schema": schema } } })
}

fn signed_in() -> Value {
    json!([{ "bearer": [] }, { "session": [] }])
}

pub(super) fn paths() -> Value {
    let string = json!({ "type": "string" });
    let unauthenticated = error_response("login_required (no token or session), invalid_token (unknown or revoked)");
    json!({
        "/api/v1/user": {
            "get": {
                "summary": "The signed-in user",
                "security": signed_in(),
                "responses": {
                    "200": { "description": "who", "content": { "application/json": { "schema": { "$ref": "#/components/schemas/User" } } } },
                    "401": unauthenticated
                }
            }
        },
        "/api/v1/tokens": {
            "get": {
                "summary": "The user's API tokens (never the tokens themselves)",
                "security": signed_in(),
                "responses": {
                    "200": { "description": "tokens", "content": { "application/json": { "schema": { "type": "array", "items": { "$ref": "#/components/schemas/ApiToken" } } } } },
                    "401": unauthenticated
                }
            },
            "post": {
                "summary": "Make an API token: the answer holds it, once",
                "security": signed_in(),
                "requestBody": json_body(json!({ "type": "object", "required": ["name"], "properties": {
                    "name": string, "scope": { "type": "string", "enum": ["read", "write"], "default": "read" } } })),
                "responses": {
                    "201": { "description": "the token; `token` is shown this once", "content": { "application/json": { "schema": { "$ref": "#/components/schemas/NewApiToken" } } } },
                    "400": error_response("invalid_token_name or invalid_request (scope)"),
                    "401": unauthenticated,
                    "403": error_response("insufficient_scope (a read token) or cross_site_request"),
                    "409": error_response("token_name_taken")
                }
            }
        },
        "/api/v1/tokens/{id}": {
            "delete": {
                "summary": "Revoke an API token",
                "security": signed_in(),
                "parameters": [{ "name": "id", "in": "path", "required": true, "schema": { "type": "integer" } }],
                "responses": {
                    "204": { "description": "revoked" },
                    "401": unauthenticated,
                    "403": error_response("insufficient_scope or cross_site_request"),
                    "404": error_response("not_found")
                }
            }
        },
        "/api/v1/registries": {
            "get": {
                "summary": "The user's saved registry credentials (never the passwords)",
                "security": signed_in(),
                "responses": {
                    "200": { "description": "saved credentials", "content": { "application/json": { "schema": { "type": "array", "items": { "$ref": "#/components/schemas/SavedRegistry" } } } } },
                    "401": unauthenticated
                }
            },
            "post": {
                "summary": "Save (or replace) credentials for a registry; the password is sealed and never returned",
                "security": signed_in(),
                "requestBody": json_body(json!({ "type": "object", "required": ["registry", "username", "password"], "properties": {
                    "registry": { "type": "string", "description": "as in a reference: docker.io, ghcr.io, registry.lan:5000" },
                    "username": string, "password": { "type": "string", "description": "a password or an access token" } } })),
                "responses": {
                    "201": { "description": "saved", "content": { "application/json": { "schema": { "$ref": "#/components/schemas/SavedRegistry" } } } },
                    "400": error_response("invalid_credentials (empty, too long, not a registry host)"),
                    "401": unauthenticated,
                    "403": error_response("destination_not_allowed (the outbound policy refuses the registry; see SHIPSHAPE_ALLOW_HOSTS), insufficient_scope or cross_site_request")
                }
            }
        },
        "/api/v1/registries/{registry}": {
            "delete": {
                "summary": "Delete the credentials (the private repositories they opened are no longer visible to the user)",
                "security": signed_in(),
                "parameters": [{ "name": "registry", "in": "path", "required": true, "schema": string }],
                "responses": {
                    "204": { "description": "deleted" },
                    "401": unauthenticated,
                    "404": error_response("not_saved")
                }
            }
        },
        "/api/v1/registries/{registry}/test": {
            "post": {
                "summary": "Read a repository's tags with the saved credentials and say exactly what failed",
                "security": signed_in(),
                "parameters": [{ "name": "registry", "in": "path", "required": true, "schema": string }],
                "requestBody": json_body(json!({ "type": "object", "required": ["repository"], "properties": { "repository": { "type": "string", "description": "e.g. team/app" } } })),
                "responses": {
                    "200": { "description": "what the test found", "content": { "application/json": { "schema": { "$ref": "#/components/schemas/CredentialTest" } } } },
                    "401": unauthenticated,
                    "404": error_response("not_saved")
                }
            }
        }
    })
}

pub(super) fn schemas() -> Value {
    let string = json!({ "type": "string" });
    let time = json!({ "type": "string", "format": "date-time" });
    let opt_time = json!({ "type": ["string", "null"], "format": "date-time" });
    json!({
        "User": { "type": "object", "required": ["username", "admin"], "properties": {
            "username": string, "admin": { "type": "boolean" } } },
        "ApiToken": { "type": "object", "required": ["id", "name", "hint", "scope", "created_at"], "properties": {
            "id": { "type": "integer" }, "name": string,
            "hint": { "type": "string", "description": "the token's first characters (shp_ab12)" },
            "scope": { "type": "string", "enum": ["read", "write"] }, "created_at": time, "last_used_at": opt_time } },
        "NewApiToken": { "allOf": [{ "$ref": "#/components/schemas/ApiToken" },
            { "type": "object", "required": ["token"], "properties": { "token": { "type": "string", "description": "shp_…, shown once" } } }] },
        "SavedRegistry": { "type": "object", "required": ["registry", "username", "created_at", "updated_at"], "properties": {
            "registry": string, "username": string, "created_at": time, "updated_at": time, "last_used_at": opt_time,
            "last_result": { "type": ["string", "null"], "description": "ok, or what failed the last time they were used or tested" } } },
        "CredentialTest": { "type": "object", "required": ["outcome", "code", "message"], "properties": {
            "outcome": { "type": "string", "enum": ["ok", "wrong_password", "no_access", "not_found", "unreachable", "refused_by_policy", "failed"] },
            "code": string, "message": string } }
    })
}
