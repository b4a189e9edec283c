-- Durable background work (scans first): claimed with a lease, so a job whose worker died is
-- claimed again once its lease runs out; one row per dedupe key.
CREATE TABLE jobs (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    kind           TEXT NOT NULL,
    -- What to work on, e.g. the platform image reference to scan.
    subject        TEXT NOT NULL,
    dedupe_key     TEXT NOT NULL UNIQUE,
    state          TEXT NOT NULL CHECK (state IN ('queued', 'running', 'done', 'failed')),
    attempts       INTEGER NOT NULL DEFAULT 0,
    progress_done  INTEGER NOT NULL DEFAULT 0,
    progress_total INTEGER NOT NULL DEFAULT 0,
    lease_until    TEXT,
    error          TEXT,
    created_at     TEXT NOT NULL,
    updated_at     TEXT NOT NULL
);
CREATE INDEX jobs_claimable ON jobs (kind, state);

-- A finished scan of one platform image (by manifest digest), as `shipshape scan --format json`.
CREATE TABLE scan_results (
    manifest_digest TEXT PRIMARY KEY,
    report          TEXT NOT NULL,
    scanned_at      TEXT NOT NULL
);
