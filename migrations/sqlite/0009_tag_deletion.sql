-- A tag the registry no longer has keeps its row and history; `deleted_at` says since when it is
-- gone (NULL while it exists). Pushing it again clears it and starts a new history period.
ALTER TABLE tags ADD COLUMN deleted_at TEXT;
