-- Campaigns, and the policy decision of each delivery. A campaign's
-- audience, data and schedule are JSON objects, its channels a JSON
-- array; next_run is NULL when no occurrence is ahead.

ALTER TABLE deliveries ADD COLUMN policy TEXT NOT NULL DEFAULT '';
CREATE TABLE campaigns (
	id          TEXT NOT NULL PRIMARY KEY,
	name        TEXT NOT NULL,
	kind        TEXT NOT NULL,
	template    TEXT NOT NULL DEFAULT '',
	audience    TEXT NOT NULL DEFAULT '{}',
	channels    TEXT NOT NULL DEFAULT '[]',
	data        TEXT NOT NULL DEFAULT '{}',
	priority    TEXT NOT NULL DEFAULT '',
	schedule    TEXT NOT NULL DEFAULT '{}',
	state       TEXT NOT NULL,
	next_run    INTEGER,
	occurrence  TEXT NOT NULL DEFAULT '',
	cursor      TEXT NOT NULL DEFAULT '',
	targeted    INTEGER NOT NULL DEFAULT 0,
	runs        INTEGER NOT NULL DEFAULT 0,
	last_run_at INTEGER,
	created_at  INTEGER NOT NULL,
	updated_at  INTEGER NOT NULL
) STRICT;
CREATE INDEX campaigns_due ON campaigns (state, next_run);
