-- Outages, drills, the lobby's messages, visitors leaving (issue 4).

-- One row per outage or drill. At most one is open (ended_at IS NULL);
-- the store keeps it so.
CREATE TABLE incidents (
  id            INTEGER PRIMARY KEY,
  drill         INTEGER NOT NULL DEFAULT 0,
  cause         TEXT NOT NULL,
  severity      INTEGER NOT NULL,
  peak          INTEGER NOT NULL,
  started_at    TEXT NOT NULL,
  ended_at      TEXT,
  drained_at    TEXT,
  expected_back TEXT,
  drill_until   TEXT,
  drill_banner  INTEGER NOT NULL DEFAULT 0,
  reported_at   TEXT
) STRICT;

CREATE INDEX incidents_open ON incidents (id) WHERE ended_at IS NULL;

-- What happened during an incident, in order: severity changes, messages
-- published, runbook steps ticked, the expected time back.
CREATE TABLE incident_timeline (
  id          INTEGER PRIMARY KEY,
  incident_id INTEGER NOT NULL REFERENCES incidents(id),
  at          TEXT NOT NULL,
  kind        TEXT NOT NULL,
  actor       TEXT NOT NULL DEFAULT '',
  text        TEXT NOT NULL DEFAULT '',
  step        INTEGER NOT NULL DEFAULT -1
) STRICT;

CREATE INDEX incident_timeline_incident ON incident_timeline (incident_id, id);

-- The line and the backlog, sampled while an incident lasts and drains.
CREATE TABLE incident_samples (
  incident_id INTEGER NOT NULL REFERENCES incidents(id),
  at          TEXT NOT NULL,
  waiting     INTEGER NOT NULL,
  backlog     INTEGER NOT NULL,
  PRIMARY KEY (incident_id, at)
) STRICT;

-- Messages staff publish for the lobby. The newest one not cleared is on
-- the banner. texts is a JSON object of language code to text.
CREATE TABLE lobby_messages (
  id           INTEGER PRIMARY KEY,
  incident_id  INTEGER REFERENCES incidents(id),
  template     TEXT NOT NULL DEFAULT '',
  severity     INTEGER NOT NULL,
  texts        TEXT NOT NULL,
  published_at TEXT NOT NULL,
  published_by TEXT NOT NULL,
  cleared_at   TEXT,
  cleared_by   TEXT NOT NULL DEFAULT ''
) STRICT;

-- Visitors' answer to "How did we handle your wait today?", 1 to 5.
CREATE TABLE feedback (
  id          INTEGER PRIMARY KEY,
  incident_id INTEGER REFERENCES incidents(id),
  visit_id    INTEGER NOT NULL UNIQUE REFERENCES visits(id),
  score       INTEGER NOT NULL CHECK (score BETWEEN 1 AND 5),
  at          TEXT NOT NULL
) STRICT;

-- Who is in the building: checked in and not yet left.
ALTER TABLE visits ADD COLUMN left_at TEXT;
ALTER TABLE visits ADD COLUMN left_by TEXT NOT NULL DEFAULT '';
-- Set when the visit's personal data was removed after the retention time.
ALTER TABLE visits ADD COLUMN purged_at TEXT;

CREATE INDEX visits_on_site ON visits (checked_in_at) WHERE left_at IS NULL;
CREATE INDEX visits_checked_in ON visits (checked_in_at);

-- The roster as it was when the day was closed, kept until purged.
CREATE TABLE roster_snapshots (
  id    INTEGER PRIMARY KEY,
  day   TEXT NOT NULL,
  at    TEXT NOT NULL,
  count INTEGER NOT NULL,
  data  TEXT NOT NULL
) STRICT;
