-- Where a visit's state came from when `kiosk recover` rebuilt the
-- database (issue 15 §3): 'snapshot' (the newest sound snapshot),
-- 'damaged-file' (its row was still readable in the damaged file),
-- 'outbox' (the copy an unsent or kept change carried), 'centre' (the
-- centre's copy, when it answered). '' for a visit never restored. A
-- later recovery sets it again from what that one used.
ALTER TABLE visits ADD COLUMN origin TEXT NOT NULL DEFAULT ''
  CHECK (origin IN ('', 'snapshot', 'damaged-file', 'outbox', 'centre'));
