-- Pruning (issue 12): a mutation's payload goes after a while, but its
-- name (the primary key), its answer and a hash of its payload stay, so a
-- kiosk replaying it is still answered "duplicate" and a different change
-- under the same name is still refused. The hash is SHA-256 of the
-- payload as compact JSON, in hex; '' for rows written before this
-- migration until a prune fills it in.
ALTER TABLE mutations ADD COLUMN payload_hash TEXT NOT NULL DEFAULT '';

CREATE INDEX mutations_unpruned ON mutations (received_at) WHERE payload <> '';
