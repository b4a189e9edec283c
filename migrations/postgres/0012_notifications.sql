-- Change notifications: a user's channels (where to tell), watches (what to watch, which events,
-- through which channels) and the delivery outbox (one row per event and channel, with every
-- attempt logged). Secrets (a webhook's signing secret, a Slack URL, a GitHub token) are sealed
-- with the instance key like registry passwords.

CREATE TABLE channels (
    id              BIGSERIAL PRIMARY KEY,
    user_id         BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name            TEXT NOT NULL,
    kind            TEXT NOT NULL CHECK (kind IN ('webhook', 'slack', 'email', 'github_dispatch')),
    -- What the owner may read back: a webhook's URL, an e-mail address, a GitHub repository.
    target          TEXT NOT NULL,
    -- Other settings as JSON (event_type, api_url, cloudevents).
    settings        TEXT NOT NULL,
    -- nonce || ciphertext, sealed for (channel, user): the webhook secret, Slack URL or GitHub token.
    sealed          BYTEA,
    created_at      TIMESTAMPTZ NOT NULL,
    -- Since when every delivery through it failed (cleared by a success); disabled past a limit.
    failing_since   TIMESTAMPTZ,
    disabled_at     TIMESTAMPTZ,
    disabled_reason TEXT,
    UNIQUE (user_id, name)
);

CREATE TABLE watches (
    id            BIGSERIAL PRIMARY KEY,
    user_id       BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    repository_id BIGINT NOT NULL REFERENCES repositories (id) ON DELETE CASCADE,
    -- One tag, or NULL for the repository's tags (filtered by the include/exclude regexes).
    tag           TEXT,
    include       TEXT NOT NULL DEFAULT '[]',
    exclude       TEXT NOT NULL DEFAULT '[]',
    -- JSON array of event types.
    events        TEXT NOT NULL,
    min_severity  TEXT,
    -- SHA-256 (hex) of the watch's refresh-hook token: a build pipeline POSTs to it after a push.
    hook_hash     TEXT NOT NULL UNIQUE,
    created_at    TIMESTAMPTZ NOT NULL
);
CREATE INDEX watches_repository ON watches (repository_id);
CREATE INDEX watches_user ON watches (user_id);

CREATE TABLE watch_channels (
    watch_id   BIGINT NOT NULL REFERENCES watches (id) ON DELETE CASCADE,
    channel_id BIGINT NOT NULL REFERENCES channels (id) ON DELETE CASCADE,
    PRIMARY KEY (watch_id, channel_id)
);
CREATE INDEX watch_channels_channel ON watch_channels (channel_id);

-- The outbox: one row per (event, channel), its message id the same on every attempt so a
-- receiver can drop repeats; a test message has no event.
CREATE TABLE deliveries (
    id          BIGSERIAL PRIMARY KEY,
    channel_id  BIGINT NOT NULL REFERENCES channels (id) ON DELETE CASCADE,
    event_id    BIGINT REFERENCES events (id) ON DELETE CASCADE,
    event_type  TEXT NOT NULL,
    message_id  TEXT NOT NULL UNIQUE,
    -- {"type","timestamp","data"}, as the webhook body carries it.
    payload     TEXT NOT NULL,
    state       TEXT NOT NULL CHECK (state IN ('pending', 'delivered', 'failed')),
    attempts    INTEGER NOT NULL DEFAULT 0,
    created_at  TIMESTAMPTZ NOT NULL,
    finished_at TIMESTAMPTZ,
    UNIQUE (event_id, channel_id)
);
CREATE INDEX deliveries_channel ON deliveries (channel_id, id);

CREATE TABLE delivery_attempts (
    id          BIGSERIAL PRIMARY KEY,
    delivery_id BIGINT NOT NULL REFERENCES deliveries (id) ON DELETE CASCADE,
    attempt     INTEGER NOT NULL,
    started_at  TIMESTAMPTZ NOT NULL,
    duration_ms INTEGER NOT NULL,
    -- The receiver's HTTP status, when it answered.
    status_code INTEGER,
    outcome     TEXT NOT NULL CHECK (outcome IN ('delivered', 'retry', 'failed')),
    -- Why (the error, or the start of the receiver's answer), at most a few hundred characters.
    detail      TEXT NOT NULL
);
CREATE INDEX delivery_attempts_delivery ON delivery_attempts (delivery_id, attempt);
