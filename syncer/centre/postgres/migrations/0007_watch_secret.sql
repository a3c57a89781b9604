-- Kiosks hold only what they need (issue 13 §2): each site's secret for
-- the watch-list as kiosks get it, hex, '' until the first entry is
-- sealed. The salt kiosks hash names with is derived from it (and is no
-- secret); so are the keys of the sealed entries, which must not be
-- derivable from a name without it. It never leaves the centre.
ALTER TABLE sites ADD COLUMN watch_secret TEXT NOT NULL DEFAULT '';
