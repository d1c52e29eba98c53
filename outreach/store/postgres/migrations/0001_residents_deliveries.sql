-- The resident directory and the communication archive. There is no
-- foreign key from deliveries to residents: the archive outlives a
-- resident's removal from the directory.

CREATE TABLE residents (
	id         text COLLATE "C" NOT NULL PRIMARY KEY,
	name       text NOT NULL DEFAULT '',
	email      text NOT NULL DEFAULT '',
	phone      text NOT NULL DEFAULT '',
	locale     text NOT NULL DEFAULT '',
	building   text NOT NULL DEFAULT '',
	unit       text NOT NULL DEFAULT '',
	tags       text[] NOT NULL DEFAULT '{}',
	channels   text[] NOT NULL DEFAULT '{}',
	attributes jsonb NOT NULL DEFAULT '{}',
	updated_at timestamptz NOT NULL
);
CREATE INDEX residents_building ON residents (building);
CREATE INDEX residents_tags ON residents USING gin (tags);
CREATE TABLE deliveries (
	id               text COLLATE "C" NOT NULL PRIMARY KEY,
	job_id           text NOT NULL,
	stream_id        text NOT NULL DEFAULT '',
	resident_id      text NOT NULL,
	kind             text NOT NULL,
	channel          text NOT NULL DEFAULT '',
	template         text NOT NULL DEFAULT '',
	template_version text NOT NULL DEFAULT '',
	locale           text NOT NULL DEFAULT '',
	variant          text NOT NULL DEFAULT '',
	subject          text NOT NULL DEFAULT '',
	body             text NOT NULL DEFAULT '',
	status           text NOT NULL,
	provider_id      text NOT NULL DEFAULT '',
	error            text NOT NULL DEFAULT '',
	attempts         integer NOT NULL DEFAULT 0,
	campaign         text NOT NULL DEFAULT '',
	created_at       timestamptz NOT NULL,
	updated_at       timestamptz NOT NULL,
	sent_at          timestamptz
);
CREATE INDEX deliveries_job_id ON deliveries (job_id);
CREATE INDEX deliveries_resident_id ON deliveries (resident_id);
CREATE INDEX deliveries_created_at ON deliveries (created_at, id);
CREATE INDEX deliveries_campaign ON deliveries (campaign);
