-- How a visitor proved they left (issue 13 §5): 'qr' (the ticket's signed
-- QR code scanned), 'phone' (a typed ticket number and the last four
-- digits of the phone given at check-in), 'self' (a typed ticket number
-- without proof), 'staff' (checked out by staff), 'close' (the end-of-day
-- close). '' while the visit is on site, and for the visitors' own
-- check-outs before this release, which recorded no proof.
ALTER TABLE visits ADD COLUMN left_proof TEXT NOT NULL DEFAULT ''
  CHECK (left_proof IN ('', 'qr', 'phone', 'self', 'staff', 'close'));

-- Wrong last-four-digits answers at the kiosk's check-out. At
-- queue.MaxPhoneTries the visit can no longer be checked out by a typed
-- number: the visitor is sent to reception (or scans the QR code).
ALTER TABLE visits ADD COLUMN phone_tries INTEGER NOT NULL DEFAULT 0;

-- What the earlier check-outs were, where left_by tells: the close of
-- day, or a person (staff on the roster or the CLI). A visitor's own
-- check-out ('kiosk') may have been a QR scan or a typed number: unknown.
UPDATE visits SET left_proof = 'close' WHERE left_at IS NOT NULL AND left_by = 'end of day';
UPDATE visits SET left_proof = 'staff' WHERE left_at IS NOT NULL AND left_by NOT IN ('end of day', 'kiosk', '');

-- The roster lists today's check-outs with their proof.
CREATE INDEX visits_left ON visits (left_at) WHERE left_at IS NOT NULL;
