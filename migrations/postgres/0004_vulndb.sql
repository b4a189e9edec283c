-- Advisories in OSV JSON, kept whole; each is indexed by the (ecosystem, package) pairs it names,
-- so a scan looks up only the advisories for the packages it found.
CREATE TABLE advisories (
    id       TEXT PRIMARY KEY,
    modified TIMESTAMPTZ NOT NULL,
    source   TEXT NOT NULL,
    body     TEXT NOT NULL
);

CREATE TABLE advisory_packages (
    advisory_id TEXT NOT NULL REFERENCES advisories (id) ON DELETE CASCADE,
    -- As OSV names it, release included: 'Debian:12', 'Alpine:v3.20', 'Go'.
    ecosystem   TEXT NOT NULL,
    name        TEXT NOT NULL,
    PRIMARY KEY (advisory_id, ecosystem, name)
);
CREATE INDEX advisory_packages_by_package ON advisory_packages (ecosystem, name);

-- What each import brought: shown as "vulnerability DB as of".
CREATE TABLE vulndb_sources (
    source          TEXT PRIMARY KEY,
    records         BIGINT NOT NULL,
    newest_modified TIMESTAMPTZ,
    imported_at     TIMESTAMPTZ NOT NULL
);
