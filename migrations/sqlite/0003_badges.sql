-- A private repository's badges are served to whoever has its badge token (the token goes in the
-- badge URL of a README, so it is a read capability for badges only, kept so it can be shown again).
CREATE TABLE badge_tokens (
    repository_id INTEGER PRIMARY KEY REFERENCES repositories (id) ON DELETE CASCADE,
    token         TEXT NOT NULL,
    created_at    TEXT NOT NULL
);
