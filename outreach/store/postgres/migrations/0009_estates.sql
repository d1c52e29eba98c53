-- Estates (outreach.Estate). The default estate exists from the
-- start, so every resident, delivery and reply that came before
-- belongs to it. Buildings and units are within an estate; the
-- indexes serve audiences, archive filters and estate-limited tokens.
-- residents.estate references estates: an estate with residents
-- cannot go (the archive's copies of the estate id need not).

CREATE TABLE estates (
	id              text COLLATE "C" NOT NULL PRIMARY KEY,
	name            text NOT NULL DEFAULT '',
	company         text NOT NULL DEFAULT '',
	service_phone   text NOT NULL DEFAULT '',
	office_hours    text NOT NULL DEFAULT '',
	emergency_phone text NOT NULL DEFAULT '',
	address         text NOT NULL DEFAULT '',
	sms_signature   text NOT NULL DEFAULT '',
	email_from_name text NOT NULL DEFAULT '',
	reply_to        text NOT NULL DEFAULT '',
	time_zone       text NOT NULL DEFAULT '',
	locale          text NOT NULL DEFAULT '',
	quiet_hours     text NOT NULL DEFAULT '',
	created_at      timestamptz NOT NULL,
	updated_at      timestamptz NOT NULL
);
INSERT INTO estates (id, created_at, updated_at) VALUES ('default', date_trunc('microseconds', now()), date_trunc('microseconds', now()));
ALTER TABLE residents ADD COLUMN estate text COLLATE "C" NOT NULL DEFAULT 'default' REFERENCES estates (id);
CREATE INDEX residents_estate ON residents (estate, id);
ALTER TABLE deliveries ADD COLUMN estate text COLLATE "C" NOT NULL DEFAULT 'default';
ALTER TABLE deliveries ADD COLUMN fallback text NOT NULL DEFAULT '';
CREATE INDEX deliveries_estate_created ON deliveries (estate, created_at, id);
ALTER TABLE replies ADD COLUMN estate text COLLATE "C" NOT NULL DEFAULT '';
UPDATE replies SET estate = 'default' WHERE resident_id <> '';
ALTER TABLE api_tokens ADD COLUMN estates text[] NOT NULL DEFAULT '{}';
