-- Which repositories served a config or a layer blob (the bytes were read from that repository and
-- matched their digest). Content stored from one repository is shown or reused under another only
-- when that one served it too, or a public repository did: a digest named by someone else's
-- manifest proves nothing (it may be a private image's).
CREATE TABLE repository_configs (
    config_digest TEXT NOT NULL REFERENCES configs (digest) ON DELETE CASCADE,
    repository_id BIGINT NOT NULL REFERENCES repositories (id) ON DELETE CASCADE,
    PRIMARY KEY (config_digest, repository_id)
);

CREATE TABLE repository_layers (
    layer_digest  TEXT NOT NULL,
    repository_id BIGINT NOT NULL REFERENCES repositories (id) ON DELETE CASCADE,
    PRIMARY KEY (layer_digest, repository_id)
);

-- What was stored before is credited to the repositories whose manifests name it, except that a
-- public repository is not credited with anything a private repository's manifest also names
-- (those are read once more from the public repository when it is next asked).
INSERT INTO repository_configs (config_digest, repository_id)
SELECT DISTINCT m.config_digest, rm.repository_id
FROM repository_manifests rm
JOIN manifests m ON m.digest = rm.manifest_digest
JOIN configs c ON c.digest = m.config_digest
JOIN repositories r ON r.id = rm.repository_id
WHERE r.visibility = 'private' OR NOT EXISTS (
    SELECT 1 FROM manifests m2
    JOIN repository_manifests rm2 ON rm2.manifest_digest = m2.digest
    JOIN repositories r2 ON r2.id = rm2.repository_id
    WHERE m2.config_digest = m.config_digest AND r2.visibility = 'private');

INSERT INTO repository_layers (layer_digest, repository_id)
SELECT DISTINCT ml.layer_digest, rm.repository_id
FROM repository_manifests rm
JOIN manifest_layers ml ON ml.manifest_digest = rm.manifest_digest
JOIN repositories r ON r.id = rm.repository_id
WHERE EXISTS (SELECT 1 FROM layer_analyses la WHERE la.layer_digest = ml.layer_digest)
  AND (r.visibility = 'private' OR NOT EXISTS (
    SELECT 1 FROM manifest_layers ml2
    JOIN repository_manifests rm2 ON rm2.manifest_digest = ml2.manifest_digest
    JOIN repositories r2 ON r2.id = rm2.repository_id
    WHERE ml2.layer_digest = ml.layer_digest AND r2.visibility = 'private'));
