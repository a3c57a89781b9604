-- Restore and pruning (issue 12).

-- The epoch a visit was checked in under: the centre names a visit's
-- record by it, so a visit checked in before the database started a new
-- epoch (a restore) keeps its one record when it is called after.
ALTER TABLE visits ADD COLUMN epoch INTEGER NOT NULL DEFAULT 0;
UPDATE visits SET epoch = coalesce((SELECT CAST(value AS INTEGER) FROM meta WHERE key = 'epoch'), 0);

-- Events, the connectivity log and incident samples go once the centre
-- has them and they are older than jobs.prune_days.

-- The one sanctioned way past the append-only trigger: a prune writes its
-- cut-off here, deletes, and clears it, all in one transaction. Nothing
-- else writes this table.
CREATE TABLE prune_gate (
  id     INTEGER PRIMARY KEY CHECK (id = 1),
  cutoff TEXT NOT NULL
) STRICT;

-- An event may go only during a prune, only if older than its cut-off,
-- only once its outbox row is gone (accepted by the centre and pruned),
-- and never the newest: its id and clock are where the next ones start.
DROP TRIGGER events_no_delete;
CREATE TRIGGER events_no_delete BEFORE DELETE ON events
WHEN NOT EXISTS (SELECT 1 FROM prune_gate WHERE OLD.at < cutoff)
  OR OLD.id >= (SELECT max(id) FROM events)
  OR EXISTS (SELECT 1 FROM outbox WHERE event_id = OLD.id)
BEGIN SELECT RAISE(ABORT, 'events are append-only: only a prune removes synced events older than its cut-off'); END;

-- An outbox row may go only during a prune, only once the centre accepted
-- it, and never the newest: the next sequence number follows it, and a
-- number used again would name two changes.
CREATE TRIGGER outbox_no_delete BEFORE DELETE ON outbox
WHEN NOT EXISTS (SELECT 1 FROM prune_gate WHERE OLD.created_at < cutoff)
  OR OLD.state != 'done'
  OR OLD.seq >= (SELECT max(seq) FROM outbox)
BEGIN SELECT RAISE(ABORT, 'the outbox keeps what the centre has not accepted: only a prune removes accepted rows older than its cut-off'); END;

CREATE INDEX connectivity_log_at ON connectivity_log (at);
CREATE INDEX outbox_done ON outbox (created_at) WHERE state = 'done';
