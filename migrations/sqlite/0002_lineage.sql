-- The lineage index: every platform image's layer stack as chain IDs
-- (chain1 = diff_id1, chainN = sha256(chainN-1 + " " + diff_idN)). An image's base is the known
-- image whose top chain is the longest proper prefix of its own.
CREATE TABLE image_chains (
    manifest_digest TEXT PRIMARY KEY,
    top_chain       TEXT NOT NULL,
    layer_count     INTEGER NOT NULL,
    -- The config's `created`, for ties between images with the same layers.
    created         TEXT
);
CREATE INDEX image_chains_by_top ON image_chains (top_chain);

CREATE TABLE chain_links (
    manifest_digest TEXT NOT NULL REFERENCES image_chains (manifest_digest) ON DELETE CASCADE,
    position        INTEGER NOT NULL,
    chain_id        TEXT NOT NULL,
    PRIMARY KEY (manifest_digest, position)
);
CREATE INDEX chain_links_by_chain ON chain_links (chain_id);

-- Which platform images an index or manifest list names, so a tag on an index names them too.
CREATE TABLE index_children (
    index_digest TEXT NOT NULL,
    child_digest TEXT NOT NULL,
    PRIMARY KEY (index_digest, child_digest)
);
CREATE INDEX index_children_by_child ON index_children (child_digest);

-- Things that happened, for the notifier to deliver; `dedupe_key` makes raising idempotent.
CREATE TABLE events (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    kind          TEXT NOT NULL,
    repository_id INTEGER NOT NULL REFERENCES repositories (id) ON DELETE CASCADE,
    tag           TEXT,
    digest        TEXT,
    detail        TEXT NOT NULL,
    dedupe_key    TEXT NOT NULL UNIQUE,
    created_at    TEXT NOT NULL
);
