-- Sync with the centre (issue 3).

-- Each event carries a hybrid logical clock: wall milliseconds and a
-- counter, so events order sensibly even when the kiosk clock jumps back.
ALTER TABLE events ADD COLUMN hlc TEXT NOT NULL DEFAULT '';
ALTER TABLE outbox ADD COLUMN hlc TEXT NOT NULL DEFAULT '';
ALTER TABLE outbox ADD COLUMN synced_at TEXT;

-- Check-ins with an invite code keep it, so the centre can match the
-- pre-registration.
ALTER TABLE visits ADD COLUMN invite TEXT NOT NULL DEFAULT '';

-- What the centre owns, as pulled: pre-registrations, watch-list, hosts,
-- services, announcements, alerts and other kiosks' visits. One row per
-- (entity, key); data is the centre's JSON.
CREATE TABLE remote (
  entity  TEXT NOT NULL,
  key     TEXT NOT NULL,
  version INTEGER NOT NULL,
  data    TEXT NOT NULL,
  PRIMARY KEY (entity, key)
) STRICT;

CREATE INDEX remote_invite ON remote (json_extract(data, '$.code')) WHERE entity = 'prereg';

-- Alerts for staff: watch-list hits, conflicts, cancelled pre-registrations.
-- Raised locally or pulled from the centre; never shown to visitors.
CREATE TABLE alerts (
  id         INTEGER PRIMARY KEY,
  key        TEXT NOT NULL UNIQUE,
  kind       TEXT NOT NULL,
  visit_id   INTEGER REFERENCES visits(id),
  message    TEXT NOT NULL,
  created_at TEXT NOT NULL,
  acked_at   TEXT,
  acked_by   TEXT NOT NULL DEFAULT ''
) STRICT;

-- Every change of connectivity, for staff and for outage reports.
CREATE TABLE connectivity_log (
  id      INTEGER PRIMARY KEY,
  at      TEXT NOT NULL,
  state   TEXT NOT NULL,
  detail  TEXT NOT NULL DEFAULT '',
  backlog INTEGER NOT NULL DEFAULT 0
) STRICT;
