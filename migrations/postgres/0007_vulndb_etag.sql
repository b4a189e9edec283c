-- The HTTP validator of the last downloaded feed (`vulndb sync`), so an unchanged all.zip is not
-- downloaded again.
ALTER TABLE vulndb_sources ADD COLUMN etag TEXT;
