-- Kiosk identity, the ticket-signing secret, the sync epoch and the staff
-- PIN lock live here as small key/value rows.
CREATE TABLE meta (
  key   TEXT PRIMARY KEY,
  value TEXT NOT NULL
) STRICT;

-- Services and desks mirror the config; rows are kept (inactive) when the
-- config drops them so old visits still resolve.
CREATE TABLE services (
  id       TEXT PRIMARY KEY,
  prefix   TEXT NOT NULL,
  name     TEXT NOT NULL,
  position INTEGER NOT NULL,
  active   INTEGER NOT NULL DEFAULT 1
) STRICT;

CREATE TABLE desks (
  id       TEXT PRIMARY KEY,
  name     TEXT NOT NULL,
  position INTEGER NOT NULL,
  active   INTEGER NOT NULL DEFAULT 1,
  open     INTEGER NOT NULL DEFAULT 0,
  staff    TEXT NOT NULL DEFAULT ''
) STRICT;

CREATE TABLE desk_services (
  desk_id    TEXT NOT NULL REFERENCES desks(id) ON DELETE CASCADE,
  service_id TEXT NOT NULL REFERENCES services(id),
  PRIMARY KEY (desk_id, service_id)
) STRICT;

-- Ticket numbers: one sequence per kiosk-local day and prefix.
CREATE TABLE counters (
  day    TEXT NOT NULL,
  prefix TEXT NOT NULL,
  last   INTEGER NOT NULL,
  PRIMARY KEY (day, prefix)
) STRICT;

CREATE TABLE visits (
  id            INTEGER PRIMARY KEY,
  ticket        TEXT NOT NULL,
  day           TEXT NOT NULL,
  service_id    TEXT NOT NULL REFERENCES services(id),
  name          TEXT NOT NULL,
  host          TEXT NOT NULL DEFAULT '',
  phone         TEXT NOT NULL DEFAULT '',
  status        TEXT NOT NULL CHECK (status IN ('waiting', 'called', 'served', 'no_show', 'cancelled')),
  -- Waiting order within a service: check-in time in ms, lowered to move a
  -- visit to the front.
  rank          INTEGER NOT NULL,
  priority      INTEGER NOT NULL DEFAULT 0,
  desk_id       TEXT REFERENCES desks(id),
  source        TEXT NOT NULL,
  recalls       INTEGER NOT NULL DEFAULT 0,
  checked_in_at TEXT NOT NULL,
  called_at     TEXT,
  done_at       TEXT,
  UNIQUE (day, ticket)
) STRICT;

CREATE INDEX visits_waiting ON visits (service_id, rank) WHERE status = 'waiting';
CREATE INDEX visits_at_desk ON visits (desk_id) WHERE status = 'called';

-- The append-only log of everything that happened. It holds no personal
-- data (that is in visits and the outbox payload), so it can be kept.
CREATE TABLE events (
  id       INTEGER PRIMARY KEY,
  at       TEXT NOT NULL,
  kind     TEXT NOT NULL,
  visit_id INTEGER REFERENCES visits(id),
  desk_id  TEXT,
  service  TEXT,
  actor    TEXT NOT NULL DEFAULT '',
  data     TEXT NOT NULL DEFAULT '{}'
) STRICT;

-- The estimator replays recent history by time when the kiosk starts.
CREATE INDEX events_at ON events (at);

CREATE TRIGGER events_no_update BEFORE UPDATE ON events
BEGIN SELECT RAISE(ABORT, 'events are append-only'); END;
CREATE TRIGGER events_no_delete BEFORE DELETE ON events
BEGIN SELECT RAISE(ABORT, 'events are append-only'); END;

-- Mutations waiting for the syncer, written in the same transaction as the
-- event. (epoch, seq) identifies a mutation across the kiosk's lifetime.
CREATE TABLE outbox (
  seq        INTEGER PRIMARY KEY,
  epoch      INTEGER NOT NULL,
  event_id   INTEGER NOT NULL UNIQUE REFERENCES events(id),
  kind       TEXT NOT NULL,
  payload    TEXT NOT NULL,
  created_at TEXT NOT NULL,
  state      TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'done', 'rejected')),
  reason     TEXT NOT NULL DEFAULT ''
) STRICT;

CREATE INDEX outbox_pending ON outbox (seq) WHERE state = 'pending';
