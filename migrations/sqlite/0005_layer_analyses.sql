-- What one pass over a layer kept (package databases, OS files, every path and size, whiteouts),
-- gzip-compressed JSON, per layer digest and analyser version: tags that share layers share
-- the work, and a new analyser version reads layers again.
CREATE TABLE layer_analyses (
    layer_digest     TEXT NOT NULL,
    analyser_version INTEGER NOT NULL,
    body             BLOB NOT NULL,
    created_at       TEXT NOT NULL,
    PRIMARY KEY (layer_digest, analyser_version)
);
