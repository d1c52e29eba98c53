-- Estates (outreach.Estate). The default estate exists from the
-- start, so every resident, delivery and reply that came before
-- belongs to it. Buildings and units are within an estate; the
-- indexes serve audiences, archive filters and estate-limited tokens.
-- There is no foreign key from residents to estates: SQLite cannot add
-- a REFERENCES column with a non-NULL default; the store checks.

CREATE TABLE estates (
	id              TEXT NOT NULL PRIMARY KEY,
	name            TEXT NOT NULL DEFAULT '',
	company         TEXT NOT NULL DEFAULT '',
	service_phone   TEXT NOT NULL DEFAULT '',
	office_hours    TEXT NOT NULL DEFAULT '',
	emergency_phone TEXT NOT NULL DEFAULT '',
	address         TEXT NOT NULL DEFAULT '',
	sms_signature   TEXT NOT NULL DEFAULT '',
	email_from_name TEXT NOT NULL DEFAULT '',
	reply_to        TEXT NOT NULL DEFAULT '',
	time_zone       TEXT NOT NULL DEFAULT '',
	locale          TEXT NOT NULL DEFAULT '',
	quiet_hours     TEXT NOT NULL DEFAULT '',
	created_at      INTEGER NOT NULL,
	updated_at      INTEGER NOT NULL
) STRICT;
INSERT INTO estates (id, created_at, updated_at)
	VALUES ('default', CAST(unixepoch('subsec') * 1000000 AS INTEGER), CAST(unixepoch('subsec') * 1000000 AS INTEGER));
ALTER TABLE residents ADD COLUMN estate TEXT NOT NULL DEFAULT 'default';
CREATE INDEX residents_estate ON residents (estate, id);
ALTER TABLE deliveries ADD COLUMN estate TEXT NOT NULL DEFAULT 'default';
ALTER TABLE deliveries ADD COLUMN fallback TEXT NOT NULL DEFAULT '';
CREATE INDEX deliveries_estate_created ON deliveries (estate, created_at, id);
ALTER TABLE replies ADD COLUMN estate TEXT NOT NULL DEFAULT '';
UPDATE replies SET estate = 'default' WHERE resident_id <> '';
ALTER TABLE api_tokens ADD COLUMN estates TEXT NOT NULL DEFAULT '[]';
