-- The centre's PostgreSQL database as the landed release (17e7641) left it:
-- pg_dump --inserts of a site, an enrolled kiosk, a pre-registration and a
-- synced kiosk's mutations, without the schema prefix so a test loads it
-- into a schema of its own.
CREATE TABLE arrivals (
    site_id text NOT NULL,
    norm_name text NOT NULL,
    kiosk_id text NOT NULL,
    epoch bigint NOT NULL,
    visit_id bigint NOT NULL,
    ticket text NOT NULL,
    checked_in_at text NOT NULL
);
CREATE TABLE incidents (
    kiosk_id text NOT NULL,
    epoch bigint NOT NULL,
    incident_id bigint NOT NULL,
    site_id text NOT NULL,
    drill boolean DEFAULT false NOT NULL,
    cause text NOT NULL,
    peak text NOT NULL,
    started_at text NOT NULL,
    ended_at text NOT NULL,
    duration_ms bigint NOT NULL,
    check_ins bigint NOT NULL,
    peak_waiting bigint NOT NULL,
    longest_wait_ms bigint NOT NULL,
    drain_ms bigint NOT NULL,
    conflicts bigint NOT NULL,
    watch_hits bigint NOT NULL,
    messages bigint NOT NULL,
    steps_done bigint NOT NULL,
    steps_total bigint NOT NULL,
    feedback bigint NOT NULL,
    feedback_avg double precision NOT NULL,
    first_said_ms bigint NOT NULL,
    all_ticked_ms bigint NOT NULL,
    summary text NOT NULL,
    received_at text NOT NULL
);
CREATE TABLE kiosks (
    id text NOT NULL,
    site_id text NOT NULL,
    name text DEFAULT ''::text NOT NULL,
    token_hash text NOT NULL,
    enrolled_at text NOT NULL,
    revoked_at text,
    last_seen_at text,
    backlog bigint DEFAULT 0 NOT NULL,
    skew_ms bigint DEFAULT 0 NOT NULL
);
CREATE TABLE mutations (
    kiosk_id text NOT NULL,
    epoch bigint NOT NULL,
    seq bigint NOT NULL,
    site_id text NOT NULL,
    kind text NOT NULL,
    kiosk_at text NOT NULL,
    hlc text NOT NULL,
    received_at text NOT NULL,
    status text NOT NULL,
    reason text DEFAULT ''::text NOT NULL,
    payload text NOT NULL
);
CREATE TABLE progress (
    kiosk_id text NOT NULL,
    epoch bigint NOT NULL,
    last_seq bigint DEFAULT 0 NOT NULL
);
CREATE TABLE records (
    site_id text NOT NULL,
    entity text NOT NULL,
    key text NOT NULL,
    version bigint NOT NULL,
    deleted boolean DEFAULT false NOT NULL,
    data text NOT NULL,
    updated_at text NOT NULL
);
CREATE TABLE schema_migrations (
    name text NOT NULL,
    applied_at text NOT NULL
);
CREATE TABLE sites (
    id text NOT NULL,
    name text NOT NULL,
    version bigint DEFAULT 0 NOT NULL,
    floor bigint DEFAULT 0 NOT NULL,
    created_at text NOT NULL
);
INSERT INTO arrivals VALUES ('north', 'zoe obrien', 'lobby-1', 645427482860633, 1, 'R-001', '2026-12-01T09:00:07.000Z');
INSERT INTO arrivals VALUES ('north', 'john smith', 'lobby-1', 645427482860633, 2, 'R-002', '2026-12-01T09:00:09.000Z');
INSERT INTO arrivals VALUES ('north', 'ana perez', 'lobby-1', 645427482860633, 3, 'R-003', '2026-12-01T09:00:11.000Z');
INSERT INTO kiosks VALUES ('lobby-1', 'north', 'Lobby 1', '975142ba3816da277b2837f73a203118b4a2abb784abe70196ecd3ed983e9514', '2026-12-01T09:00:04.000Z', NULL, '2026-12-01T09:00:17.000Z', 0, 294468888);
INSERT INTO mutations VALUES ('lobby-1', 645427482860633, 1, 'north', 'check_in', '2026-12-01T09:00:07.000Z', '001796115607000.000000', '2026-12-01T09:00:17.000Z', 'applied', '', '{"kiosk":"lobby-1","epoch":645427482860633,"kind":"check_in","at":"2026-12-01T09:00:07Z","hlc":"001796115607000.000000","actor":"kiosk","visit":{"ID":1,"Ticket":"R-001","Day":"2026-12-01","Service":"registration","Name":"Zoë O''Brien","Host":"","Phone":"","Status":"waiting","Desk":"","Source":"kiosk","Invite":"","Priority":false,"Recalls":0,"CheckedInAt":"2026-12-01T09:00:07Z","CalledAt":"0001-01-01T00:00:00Z","DoneAt":"0001-01-01T00:00:00Z","LeftAt":"0001-01-01T00:00:00Z"},"data":{"ahead":0,"desks":0,"est_s":600}}');
INSERT INTO mutations VALUES ('lobby-1', 645427482860633, 2, 'north', 'check_in', '2026-12-01T09:00:09.000Z', '001796115609000.000000', '2026-12-01T09:00:17.000Z', 'applied', '', '{"kiosk":"lobby-1","epoch":645427482860633,"kind":"check_in","at":"2026-12-01T09:00:09Z","hlc":"001796115609000.000000","actor":"kiosk","visit":{"ID":2,"Ticket":"R-002","Day":"2026-12-01","Service":"registration","Name":"John Smith","Host":"","Phone":"","Status":"waiting","Desk":"","Source":"kiosk","Invite":"","Priority":false,"Recalls":0,"CheckedInAt":"2026-12-01T09:00:09Z","CalledAt":"0001-01-01T00:00:00Z","DoneAt":"0001-01-01T00:00:00Z","LeftAt":"0001-01-01T00:00:00Z"},"data":{"ahead":1,"desks":0,"est_s":600}}');
INSERT INTO mutations VALUES ('lobby-1', 645427482860633, 3, 'north', 'check_in', '2026-12-01T09:00:11.000Z', '001796115611000.000000', '2026-12-01T09:00:17.000Z', 'applied', '', '{"kiosk":"lobby-1","epoch":645427482860633,"kind":"check_in","at":"2026-12-01T09:00:11Z","hlc":"001796115611000.000000","actor":"kiosk","visit":{"ID":3,"Ticket":"R-003","Day":"2026-12-01","Service":"registration","Name":"Ana Pérez","Host":"","Phone":"","Status":"waiting","Desk":"","Source":"kiosk","Invite":"","Priority":false,"Recalls":0,"CheckedInAt":"2026-12-01T09:00:11Z","CalledAt":"0001-01-01T00:00:00Z","DoneAt":"0001-01-01T00:00:00Z","LeftAt":"0001-01-01T00:00:00Z"},"data":{"ahead":2,"desks":0,"est_s":600}}');
INSERT INTO mutations VALUES ('lobby-1', 645427482860633, 4, 'north', 'desk_open', '2026-12-01T09:00:13.000Z', '001796115613000.000000', '2026-12-01T09:00:17.000Z', 'applied', '', '{"kiosk":"lobby-1","epoch":645427482860633,"kind":"desk_open","at":"2026-12-01T09:00:13Z","hlc":"001796115613000.000000","actor":"Sam","desk":{"Desk":{"ID":"desk-1","Name":"Desk 1","Services":["registration"]},"Open":true,"Staff":"Sam","Serving":null}}');
INSERT INTO mutations VALUES ('lobby-1', 645427482860633, 5, 'north', 'call', '2026-12-01T09:00:14.000Z', '001796115614000.000000', '2026-12-01T09:00:17.000Z', 'applied', '', '{"kiosk":"lobby-1","epoch":645427482860633,"kind":"call","at":"2026-12-01T09:00:14Z","hlc":"001796115614000.000000","actor":"Sam","visit":{"ID":1,"Ticket":"R-001","Day":"2026-12-01","Service":"registration","Name":"Zoë O''Brien","Host":"","Phone":"","Status":"called","Desk":"desk-1","Source":"kiosk","Invite":"","Priority":false,"Recalls":0,"CheckedInAt":"2026-12-01T09:00:07Z","CalledAt":"2026-12-01T09:00:14Z","DoneAt":"0001-01-01T00:00:00Z","LeftAt":"0001-01-01T00:00:00Z"}}');
INSERT INTO progress VALUES ('lobby-1', 645427482860633, 5);
INSERT INTO records VALUES ('north', 'prereg', 'ABC123', 1, false, '{"code":"ABC123","name":"Ana Pérez","host":"Dr Ruiz","expected":"2026-12-01T10:00:00Z"}', '2026-12-01T09:00:05.000Z');
INSERT INTO records VALUES ('north', 'visit', 'lobby-1/645427482860633/2', 2, false, '{"kiosk":"lobby-1","hlc":"001796115609000.000000","visit":{"ID":2,"Ticket":"R-002","Day":"2026-12-01","Service":"registration","Name":"John Smith","Host":"","Phone":"","Status":"waiting","Desk":"","Source":"kiosk","Invite":"","Priority":false,"Recalls":0,"CheckedInAt":"2026-12-01T09:00:09Z","CalledAt":"0001-01-01T00:00:00Z","DoneAt":"0001-01-01T00:00:00Z","LeftAt":"0001-01-01T00:00:00Z"}}', '2026-12-01T09:00:18.000Z');
INSERT INTO records VALUES ('north', 'visit', 'lobby-1/645427482860633/3', 3, false, '{"kiosk":"lobby-1","hlc":"001796115611000.000000","visit":{"ID":3,"Ticket":"R-003","Day":"2026-12-01","Service":"registration","Name":"Ana Pérez","Host":"","Phone":"","Status":"waiting","Desk":"","Source":"kiosk","Invite":"","Priority":false,"Recalls":0,"CheckedInAt":"2026-12-01T09:00:11Z","CalledAt":"0001-01-01T00:00:00Z","DoneAt":"0001-01-01T00:00:00Z","LeftAt":"0001-01-01T00:00:00Z"}}', '2026-12-01T09:00:18.000Z');
INSERT INTO records VALUES ('north', 'visit', 'lobby-1/645427482860633/1', 4, false, '{"kiosk":"lobby-1","hlc":"001796115614000.000000","visit":{"ID":1,"Ticket":"R-001","Day":"2026-12-01","Service":"registration","Name":"Zoë O''Brien","Host":"","Phone":"","Status":"called","Desk":"desk-1","Source":"kiosk","Invite":"","Priority":false,"Recalls":0,"CheckedInAt":"2026-12-01T09:00:07Z","CalledAt":"2026-12-01T09:00:14Z","DoneAt":"0001-01-01T00:00:00Z","LeftAt":"0001-01-01T00:00:00Z"}}', '2026-12-01T09:00:18.000Z');
INSERT INTO schema_migrations VALUES ('migrations/0001_init.sql', '2026-12-01T09:00:01.000Z');
INSERT INTO schema_migrations VALUES ('migrations/0002_incidents.sql', '2026-12-01T09:00:02.000Z');
INSERT INTO sites VALUES ('north', 'North Hospital', 4, 0, '2026-12-01T09:00:03.000Z');
ALTER TABLE ONLY arrivals
    ADD CONSTRAINT arrivals_pkey PRIMARY KEY (kiosk_id, epoch, visit_id);
ALTER TABLE ONLY incidents
    ADD CONSTRAINT incidents_pkey PRIMARY KEY (kiosk_id, epoch, incident_id);
ALTER TABLE ONLY kiosks
    ADD CONSTRAINT kiosks_pkey PRIMARY KEY (id);
ALTER TABLE ONLY kiosks
    ADD CONSTRAINT kiosks_token_hash_key UNIQUE (token_hash);
ALTER TABLE ONLY mutations
    ADD CONSTRAINT mutations_pkey PRIMARY KEY (kiosk_id, epoch, seq);
ALTER TABLE ONLY progress
    ADD CONSTRAINT progress_pkey PRIMARY KEY (kiosk_id, epoch);
ALTER TABLE ONLY records
    ADD CONSTRAINT records_pkey PRIMARY KEY (site_id, entity, key);
ALTER TABLE ONLY schema_migrations
    ADD CONSTRAINT schema_migrations_pkey PRIMARY KEY (name);
ALTER TABLE ONLY sites
    ADD CONSTRAINT sites_pkey PRIMARY KEY (id);
CREATE INDEX arrivals_by_name ON arrivals USING btree (site_id, norm_name);
CREATE INDEX incidents_by_site ON incidents USING btree (site_id, ended_at);
CREATE INDEX records_by_version ON records USING btree (site_id, version);
ALTER TABLE ONLY kiosks
    ADD CONSTRAINT kiosks_site_id_fkey FOREIGN KEY (site_id) REFERENCES sites(id);
ALTER TABLE ONLY progress
    ADD CONSTRAINT progress_kiosk_id_fkey FOREIGN KEY (kiosk_id) REFERENCES kiosks(id);
ALTER TABLE ONLY records
    ADD CONSTRAINT records_site_id_fkey FOREIGN KEY (site_id) REFERENCES sites(id);
