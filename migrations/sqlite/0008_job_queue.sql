-- The job table grows into the one job mechanism: typed payloads (JSON), run_at for schedules and
-- retry backoff, priorities, an attempt cap, the worker holding a lease, and a dedupe key unique
-- among live (queued or running) jobs only, so recurring work can be queued again. Finished rows
-- keep finished_at so they can be pruned. SQLite cannot drop a UNIQUE column constraint: the table
-- is rebuilt, existing scan jobs kept with their subject as the payload; queued ones start their
-- attempts again (retries used to requeue without resetting them, and there was no cap).
CREATE TABLE jobs_v2 (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    kind           TEXT NOT NULL,
    payload        TEXT NOT NULL,
    dedupe_key     TEXT,
    state          TEXT NOT NULL CHECK (state IN ('queued', 'running', 'done', 'failed')),
    priority       INTEGER NOT NULL DEFAULT 0,
    run_at         TEXT NOT NULL,
    attempts       INTEGER NOT NULL DEFAULT 0,
    max_attempts   INTEGER NOT NULL DEFAULT 3,
    progress_done  INTEGER NOT NULL DEFAULT 0,
    progress_total INTEGER NOT NULL DEFAULT 0,
    worker         TEXT,
    lease_until    TEXT,
    error          TEXT,
    created_at     TEXT NOT NULL,
    updated_at     TEXT NOT NULL,
    finished_at    TEXT
);
INSERT INTO jobs_v2 (id, kind, payload, dedupe_key, state, run_at, attempts, progress_done, progress_total,
                     lease_until, error, created_at, updated_at, finished_at)
SELECT id, kind, json_object('reference', subject), dedupe_key, state, created_at,
       CASE WHEN state = 'queued' THEN 0 ELSE attempts END, progress_done,
       progress_total, lease_until, error, created_at, updated_at,
       CASE WHEN state IN ('done', 'failed') THEN updated_at END
FROM jobs;
DROP TABLE jobs;
ALTER TABLE jobs_v2 RENAME TO jobs;
CREATE UNIQUE INDEX jobs_live_key ON jobs (dedupe_key) WHERE state IN ('queued', 'running');
CREATE INDEX jobs_due ON jobs (state, run_at);
CREATE INDEX jobs_by_key ON jobs (dedupe_key, id);
