-- Accounts: users, their server-side sessions and API tokens, their registry credentials, and which
-- private repositories each user's own credentials have read. Secrets are never stored as given:
-- session ids and API tokens as SHA-256 (hex), registry passwords sealed with the instance key.

CREATE TABLE users (
    id                  INTEGER PRIMARY KEY AUTOINCREMENT,
    -- Lower-cased when written: "Alice" and "alice" are one account.
    username            TEXT NOT NULL UNIQUE,
    -- argon2id, PHC string format.
    password_hash       TEXT NOT NULL,
    is_admin            INTEGER NOT NULL DEFAULT 0 CHECK (is_admin IN (0, 1)),
    created_at          TEXT NOT NULL,
    password_changed_at TEXT NOT NULL
);

CREATE TABLE sessions (
    id_hash      TEXT PRIMARY KEY,
    user_id      INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at   TEXT NOT NULL,
    last_seen_at TEXT NOT NULL,
    -- Absolute end; the idle end is last_seen_at plus the idle timeout.
    expires_at   TEXT NOT NULL,
    user_agent   TEXT NOT NULL DEFAULT ''
);
CREATE INDEX sessions_user ON sessions (user_id);

CREATE TABLE api_tokens (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id      INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name         TEXT NOT NULL,
    token_hash   TEXT NOT NULL UNIQUE,
    -- The first characters of the token ("shp_ab12"), so its owner can tell tokens apart.
    hint         TEXT NOT NULL,
    scope        TEXT NOT NULL CHECK (scope IN ('read', 'write')),
    created_at   TEXT NOT NULL,
    last_used_at TEXT,
    UNIQUE (user_id, name)
);

CREATE TABLE registry_credentials (
    user_id      INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    -- As in a normalised reference: docker.io, ghcr.io, host:5000.
    registry     TEXT NOT NULL,
    username     TEXT NOT NULL,
    -- nonce || ciphertext of the password, sealed with the instance key for (user_id, registry).
    sealed       BLOB NOT NULL,
    created_at   TEXT NOT NULL,
    updated_at   TEXT NOT NULL,
    last_used_at TEXT,
    -- What the last use or test found ("ok", or what failed), for the settings page.
    last_result  TEXT,
    PRIMARY KEY (user_id, registry)
);

-- A private repository is visible to a user once that user's own credentials have read it;
-- checked_at says when, so the grant is re-checked at the registry after the tag TTL.
CREATE TABLE repository_grants (
    user_id       INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    repository_id INTEGER NOT NULL REFERENCES repositories (id) ON DELETE CASCADE,
    checked_at    TEXT NOT NULL,
    PRIMARY KEY (user_id, repository_id)
);
CREATE INDEX repository_grants_repository ON repository_grants (repository_id);

-- One row: a known text sealed with the instance key, so a wrong key is found at start-up rather
-- than when a stored credential is next used.
CREATE TABLE secret_key_check (
    id     INTEGER PRIMARY KEY CHECK (id = 1),
    sealed BLOB NOT NULL
);
