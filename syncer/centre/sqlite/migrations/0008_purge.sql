-- Retention (issue 13): after the site's retention a mutation's payload
-- loses the visitor's personal fields (queue.AnonymousMutation); its name,
-- kind, times, answer and payload hash stay, so a replay is still
-- answered "duplicate". purged_at is when that happened; NULL until then.
-- A check-in's arrival loses its name after the same time.
ALTER TABLE mutations ADD COLUMN purged_at TEXT;

CREATE INDEX mutations_unpurged ON mutations (site_id, received_at) WHERE purged_at IS NULL;

CREATE INDEX arrivals_by_time ON arrivals (site_id, checked_in_at) WHERE norm_name <> '';
