-- Managed configuration (issue 12 §4): the version of the site's
-- configuration each kiosk says it runs, for the fleet console; 0 until it
-- says one (its own file's, or a kiosk before this release).
ALTER TABLE kiosks ADD COLUMN config_version BIGINT NOT NULL DEFAULT 0;
