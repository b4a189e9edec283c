-- Content-addressed records (manifests, configs, layers) never change once stored;
-- tags are pointers into them with a history of every digest they have named.

CREATE TABLE repositories (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    registry    TEXT NOT NULL,
    name        TEXT NOT NULL,
    -- 'public' until a read needed credentials; private rows are filtered per viewer in queries.
    visibility  TEXT NOT NULL DEFAULT 'public' CHECK (visibility IN ('public', 'private')),
    created_at  TIMESTAMPTZ NOT NULL,
    UNIQUE (registry, name)
);

CREATE TABLE manifests (
    digest        TEXT PRIMARY KEY,
    media_type    TEXT NOT NULL,
    size          BIGINT NOT NULL,
    body          BYTEA NOT NULL,
    -- NULL for an index or manifest list.
    config_digest TEXT,
    fetched_at    TIMESTAMPTZ NOT NULL
);

CREATE TABLE configs (
    digest      TEXT PRIMARY KEY,
    size        BIGINT NOT NULL,
    body        BYTEA NOT NULL,
    fetched_at  TIMESTAMPTZ NOT NULL
);

CREATE TABLE layers (
    digest      TEXT PRIMARY KEY,
    media_type  TEXT NOT NULL,
    size        BIGINT NOT NULL
);

CREATE TABLE manifest_layers (
    manifest_digest TEXT NOT NULL REFERENCES manifests (digest) ON DELETE CASCADE,
    position        INTEGER NOT NULL,
    layer_digest    TEXT NOT NULL REFERENCES layers (digest),
    PRIMARY KEY (manifest_digest, position)
);
CREATE INDEX manifest_layers_by_layer ON manifest_layers (layer_digest);

-- Which repositories a manifest was seen in: visibility follows the repository.
CREATE TABLE repository_manifests (
    repository_id   BIGINT NOT NULL REFERENCES repositories (id) ON DELETE CASCADE,
    manifest_digest TEXT NOT NULL REFERENCES manifests (digest) ON DELETE CASCADE,
    PRIMARY KEY (repository_id, manifest_digest)
);

CREATE TABLE tags (
    id            BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    repository_id BIGINT NOT NULL REFERENCES repositories (id) ON DELETE CASCADE,
    name          TEXT NOT NULL,
    digest        TEXT NOT NULL,
    first_seen    TIMESTAMPTZ NOT NULL,
    -- When the registry last confirmed this digest (drives the re-resolve TTL).
    checked_at    TIMESTAMPTZ NOT NULL,
    UNIQUE (repository_id, name)
);

-- One row per period a tag pointed at a digest; A -> B -> A gives three rows.
CREATE TABLE tag_history (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    tag_id      BIGINT NOT NULL REFERENCES tags (id) ON DELETE CASCADE,
    digest      TEXT NOT NULL,
    first_seen  TIMESTAMPTZ NOT NULL,
    last_seen   TIMESTAMPTZ NOT NULL
);
CREATE INDEX tag_history_by_tag ON tag_history (tag_id, id);
CREATE INDEX tag_history_by_digest ON tag_history (digest);
