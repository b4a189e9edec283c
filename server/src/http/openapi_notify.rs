//! The notifications part of the OpenAPI description: channels, watches, the delivery log, and
//! the endpoint a registry's push notifications call.

use serde_json::{Value, json};

use super::openapi::error_response;

fn json_body(schema: Value) -> Value {
    json!({ "required": true, "content": { "application/json": { "schema": schema } } })
}

fn json_answer(description: &str, schema: Value) -> Value {
    json!({ "description": description, "content": { "application/json": { "schema": schema } } })
}

fn schema(name: &str) -> Value {
    json!({ "$ref": format!("#/components/schemas/{name}") })
}

fn list_of(name: &str) -> Value {
    json!({ "type": "array", "items": schema(name) })
}

fn id_parameter() -> Value {
    json!([{ "name": "id", "in": "path", "required": true, "schema": { "type": "integer" } }])
}

pub(super) fn paths() -> Value {
    let signed_in = json!([{ "bearer": [] }, { "session": [] }]);
    let unauthenticated = error_response("login_required (no token or session), invalid_token (unknown or revoked)");
    let not_found = error_response("not_found: no such channel, watch or delivery of yours");
    json!({
        "/api/v1/channels": {
            "get": { "summary": "The user's notification channels (never their secrets)", "security": signed_in,
                "responses": { "200": json_answer("channels", list_of("Channel")), "401": unauthenticated } },
            "post": { "summary": "Make a channel; its URL must pass the outbound policy now and at every delivery", "security": signed_in,
                "requestBody": json_body(schema("NewChannel")),
                "responses": {
                    "201": json_answer("the channel; a webhook's `secret` (whsec_…) is in this answer only", schema("CreatedChannel")),
                    "400": error_response("invalid_notification_setting: names the field"),
                    "401": unauthenticated,
                    "403": error_response("destination_not_allowed: the URL's address is not public and not allow-listed (SHIPSHAPE_ALLOW_HOSTS)"),
                    "409": error_response("conflict: a channel of that name exists") } }
        },
        "/api/v1/channels/{id}": {
            "delete": { "summary": "Delete a channel (its deliveries and its place in watches go with it)", "security": signed_in,
                "parameters": id_parameter(), "responses": { "204": { "description": "deleted" }, "401": unauthenticated, "404": not_found } }
        },
        "/api/v1/channels/{id}/test": {
            "post": { "summary": "Send a test message now (not retried); answers with the delivery as logged", "security": signed_in,
                "parameters": id_parameter(), "responses": { "200": json_answer("how it went", schema("Delivery")), "401": unauthenticated, "404": not_found } }
        },
        "/api/v1/channels/{id}/enable": {
            "post": { "summary": "Enable a channel that was disabled after failing for days", "security": signed_in,
                "parameters": id_parameter(), "responses": { "200": json_answer("the channel", schema("Channel")), "401": unauthenticated, "404": not_found } }
        },
        "/api/v1/watches": {
            "get": { "summary": "The user's watches", "security": signed_in,
                "responses": { "200": json_answer("watches", list_of("Watch")), "401": unauthenticated } },
            "post": { "summary": "Watch a repository (all tags, or include/exclude regexes) or one tag the user may see", "security": signed_in,
                "requestBody": json_body(schema("NewWatch")),
                "responses": {
                    "201": json_answer("the watch", schema("Watch")),
                    "400": error_response("invalid_notification_setting (names the field), invalid_reference"),
                    "401": unauthenticated,
                    "404": error_response("not_found_or_private: the repository or tag does not exist or the user may not see it") } }
        },
        "/api/v1/watches/{id}": {
            "delete": { "summary": "Stop watching", "security": signed_in, "parameters": id_parameter(),
                "responses": { "204": { "description": "deleted" }, "401": unauthenticated, "404": not_found } }
        },
        "/api/v1/deliveries": {
            "get": { "summary": "A channel's delivery log, newest first (at most 100), each with its attempts", "security": signed_in,
                "parameters": [{ "name": "channel", "in": "query", "required": true, "schema": { "type": "integer" } }],
                "responses": { "200": json_answer("deliveries", list_of("Delivery")), "400": error_response("invalid_request: no channel"),
                    "401": unauthenticated, "404": not_found } }
        },
        "/api/v1/deliveries/{id}/redeliver": {
            "post": { "summary": "Send a delivery again with the same webhook-id", "security": signed_in, "parameters": id_parameter(),
                "responses": { "202": { "description": "queued" }, "401": unauthenticated, "404": not_found,
                    "409": error_response("conflict: it is still being sent") } }
        },
        "/api/v1/hooks/{token}": {
            "post": { "summary": "A watch's refresh hook: re-check its watched tags now (a build pipeline calls it after pushing)",
                "description": "The token is the credential; the URL is in the answer that made the watch, only there.",
                "parameters": [{ "name": "token", "in": "path", "required": true, "schema": { "type": "string" } }],
                "responses": { "202": { "description": "re-check queued" }, "404": error_response("not_found: no watch has this hook") } }
        },
        "/api/v1/registry-events": {
            "post": {
                "summary": "A registry's notifications endpoint (Docker/distribution `notifications:`): each push of a watched repository re-checks its watched tags at once",
                "description": "Authorization: Bearer SHIPSHAPE_REGISTRY_EVENTS_TOKEN (not an API token). Off (404) unless the operator sets it.",
                "requestBody": { "required": true, "content": { "application/vnd.docker.distribution.events.v1+json": { "schema": { "type": "object",
                    "properties": { "events": { "type": "array", "items": { "type": "object" } } } } } } },
                "responses": {
                    "202": json_answer("re-checks queued", json!({ "type": "object", "properties": { "rechecks_queued": { "type": "integer" } } })),
                    "400": error_response("invalid_envelope"),
                    "401": error_response("invalid_token"),
                    "404": error_response("not_configured"),
                    "413": error_response("too_large") } }
        }
    })
}

pub(super) fn schemas() -> Value {
    let string = json!({ "type": "string" });
    let opt_string = json!({ "type": ["string", "null"] });
    let time = json!({ "type": "string", "format": "date-time" });
    let opt_time = json!({ "type": ["string", "null"], "format": "date-time" });
    let kinds = json!({ "type": "string", "enum": crate::notify::KINDS });
    let events = json!({ "type": "array", "items": { "type": "string", "enum": crate::notify::EVENT_TYPES } });
    json!({
        "NewChannel": { "type": "object", "required": ["name", "kind"], "properties": {
            "name": string, "kind": kinds,
            "url": { "type": "string", "description": "webhook and slack: where to POST" },
            "to": { "type": "string", "description": "email: the address (needs SHIPSHAPE_SMTP_URL)" },
            "repository": { "type": "string", "description": "github_dispatch: owner/name" },
            "token": { "type": "string", "description": "github_dispatch: a token allowed to dispatch (stored sealed, never returned)" },
            "event_type": { "type": "string", "description": "github_dispatch: the event_type sent (default shipshape)" },
            "api_url": { "type": "string", "description": "github_dispatch: GitHub Enterprise's API (default https://api.github.com)" },
            "cloudevents": { "type": "boolean", "description": "webhook: CloudEvents 1.0 structured mode instead of {type,timestamp,data}" } } },
        "Channel": { "type": "object", "required": ["id", "name", "kind", "target", "created_at"], "properties": {
            "id": { "type": "integer" }, "name": string, "kind": kinds,
            "target": { "type": "string", "description": "the webhook URL, e-mail address or GitHub repository; a Slack URL's host only" },
            "event_type": string, "api_url": string, "cloudevents": { "type": "boolean" }, "created_at": time,
            "failing_since": opt_time, "disabled_at": opt_time, "disabled_reason": opt_string } },
        "CreatedChannel": { "allOf": [schema("Channel"), { "type": "object", "properties": {
            "secret": { "type": "string", "description": "webhooks: whsec_…, the Standard Webhooks signing secret, shown once" } } }] },
        "NewWatch": { "type": "object", "required": ["repository", "events", "channels"], "properties": {
            "repository": { "type": "string", "description": "as in a reference: alpine, ghcr.io/o/r" },
            "tag": { "type": "string", "description": "one tag; omitted: the repository's tags" },
            "include": { "type": "array", "items": string, "description": "regexes a tag must match one of (repository watches)" },
            "exclude": { "type": "array", "items": string, "description": "regexes no tag may match (repository watches)" },
            "events": events,
            "min_severity": { "type": "string", "enum": ["low", "medium", "high", "critical"], "description": "vulnerabilities.found: from this severity on" },
            "channels": { "type": "array", "items": { "type": "integer" } } } },
        "Watch": { "type": "object", "required": ["id", "repository", "events", "channels", "created_at"], "properties": {
            "id": { "type": "integer" }, "repository": string, "tag": opt_string,
            "include": { "type": "array", "items": string }, "exclude": { "type": "array", "items": string },
            "events": events, "min_severity": opt_string, "channels": { "type": "array", "items": { "type": "integer" } }, "created_at": time,
            "refresh_hook": { "type": "string", "description": "POST here to re-check now; in the answer that made the watch only" } } },
        "Delivery": { "type": "object", "required": ["id", "channel", "event_type", "webhook_id", "state", "created_at", "attempts"], "properties": {
            "id": { "type": "integer" }, "channel": { "type": "integer" }, "event_type": string,
            "webhook_id": { "type": "string", "description": "the webhook-id header, the same on every attempt" },
            "state": { "type": "string", "enum": ["pending", "delivered", "failed"] }, "created_at": time, "finished_at": opt_time,
            "attempts": { "type": "array", "items": { "type": "object", "properties": {
                "attempt": { "type": "integer" }, "at": time, "duration_ms": { "type": "integer" },
                "status": { "type": "string", "enum": ["delivered", "retry", "failed"] },
                "response_code": { "type": ["integer", "null"] }, "detail": string } } } } }
    })
}
