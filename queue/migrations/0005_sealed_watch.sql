-- Kiosks hold only what they need (issue 13 §2).

-- The watch-list arrives sealed (entity sealed_watch: a keyed hash of the
-- name and the entry encrypted under a key derived from it); a check-in
-- is screened by looking its hash up here.
CREATE INDEX remote_watch_tag ON remote (json_extract(data, '$.tag')) WHERE entity = 'sealed_watch';

-- What an earlier release kept and this one does not: the watch-list in
-- plain text, the site's other kiosks' alerts, and the phone numbers,
-- hosts and invitations of their visits. The store vacuums the file once
-- after this (meta vacuum_due), so the deleted text does not linger in
-- free pages.
DELETE FROM remote WHERE entity = 'watch';
DELETE FROM remote WHERE entity = 'alert'
  AND coalesce(json_extract(data, '$.kiosk'), '') != coalesce((SELECT value FROM meta WHERE key = 'kiosk_id'), '');
UPDATE remote SET data = json_set(data, '$.visit.Phone', '', '$.visit.Host', '', '$.visit.Invite', '')
  WHERE entity = 'visit'
  AND coalesce(json_extract(data, '$.kiosk'), '') != coalesce((SELECT value FROM meta WHERE key = 'kiosk_id'), '');
INSERT INTO meta (key, value) VALUES ('vacuum_due', '1')
  ON CONFLICT (key) DO UPDATE SET value = '1';
