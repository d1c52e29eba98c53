-- The resident directory and the communication archive. There is no
-- foreign key from deliveries to residents: the archive outlives a
-- resident's removal from the directory.

CREATE TABLE residents (
	id         TEXT NOT NULL PRIMARY KEY,
	name       TEXT NOT NULL DEFAULT '',
	email      TEXT NOT NULL DEFAULT '',
	phone      TEXT NOT NULL DEFAULT '',
	locale     TEXT NOT NULL DEFAULT '',
	building   TEXT NOT NULL DEFAULT '',
	unit       TEXT NOT NULL DEFAULT '',
	tags       TEXT NOT NULL DEFAULT '[]',
	channels   TEXT NOT NULL DEFAULT '[]',
	attributes TEXT NOT NULL DEFAULT '{}',
	updated_at INTEGER NOT NULL
) STRICT;
CREATE INDEX residents_building ON residents (building);
CREATE TABLE deliveries (
	id               TEXT NOT NULL PRIMARY KEY,
	job_id           TEXT NOT NULL,
	stream_id        TEXT NOT NULL DEFAULT '',
	resident_id      TEXT NOT NULL,
	kind             TEXT NOT NULL,
	channel          TEXT NOT NULL DEFAULT '',
	template         TEXT NOT NULL DEFAULT '',
	template_version TEXT NOT NULL DEFAULT '',
	locale           TEXT NOT NULL DEFAULT '',
	variant          TEXT NOT NULL DEFAULT '',
	subject          TEXT NOT NULL DEFAULT '',
	body             TEXT NOT NULL DEFAULT '',
	status           TEXT NOT NULL,
	provider_id      TEXT NOT NULL DEFAULT '',
	error            TEXT NOT NULL DEFAULT '',
	attempts         INTEGER NOT NULL DEFAULT 0,
	campaign         TEXT NOT NULL DEFAULT '',
	created_at       INTEGER NOT NULL,
	updated_at       INTEGER NOT NULL,
	sent_at          INTEGER
) STRICT;
CREATE INDEX deliveries_job_id ON deliveries (job_id);
CREATE INDEX deliveries_resident_id ON deliveries (resident_id);
CREATE INDEX deliveries_created_at ON deliveries (created_at, id);
CREATE INDEX deliveries_campaign ON deliveries (campaign);
