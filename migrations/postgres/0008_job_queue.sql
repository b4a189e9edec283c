-- The job table grows into the one job mechanism: typed payloads (JSON), run_at for schedules and
-- retry backoff, priorities, an attempt cap, the worker holding a lease, and a dedupe key unique
-- among live (queued or running) jobs only, so recurring work can be queued again. Finished rows
-- keep finished_at so they can be pruned. Existing scan jobs keep their subject as the payload.
ALTER TABLE jobs ADD COLUMN payload TEXT;
UPDATE jobs SET payload = json_build_object('reference', subject)::TEXT;
ALTER TABLE jobs ALTER COLUMN payload SET NOT NULL;
ALTER TABLE jobs DROP COLUMN subject;
ALTER TABLE jobs DROP CONSTRAINT jobs_dedupe_key_key;
ALTER TABLE jobs ALTER COLUMN dedupe_key DROP NOT NULL;
ALTER TABLE jobs ADD COLUMN priority INTEGER NOT NULL DEFAULT 0;
ALTER TABLE jobs ADD COLUMN run_at TIMESTAMPTZ;
UPDATE jobs SET run_at = created_at;
ALTER TABLE jobs ALTER COLUMN run_at SET NOT NULL;
ALTER TABLE jobs ADD COLUMN max_attempts INTEGER NOT NULL DEFAULT 3;
ALTER TABLE jobs ADD COLUMN worker TEXT;
ALTER TABLE jobs ADD COLUMN finished_at TIMESTAMPTZ;
UPDATE jobs SET finished_at = updated_at WHERE state IN ('done', 'failed');
-- Retries used to requeue without resetting attempts, and there was no cap: queued jobs start again.
UPDATE jobs SET attempts = 0 WHERE state = 'queued';
DROP INDEX jobs_claimable;
CREATE UNIQUE INDEX jobs_live_key ON jobs (dedupe_key) WHERE state IN ('queued', 'running');
CREATE INDEX jobs_due ON jobs (state, run_at);
CREATE INDEX jobs_by_key ON jobs (dedupe_key, id);
