-- Cases (outreach.Case), the complaint loop: one row per case
-- with its timers (a JSON array: response-time limits and the
-- follow-up) and the earliest pending one (next_due, indexed for the
-- sweep); missed counts the limits missed while open (the overdue
-- filter); its history in case_events. An estate's own limits.

CREATE TABLE cases (
	id              TEXT NOT NULL PRIMARY KEY,
	estate          TEXT NOT NULL,
	resident_id     TEXT NOT NULL DEFAULT '',
	building        TEXT NOT NULL DEFAULT '',
	unit            TEXT NOT NULL DEFAULT '',
	category        TEXT NOT NULL,
	urgency         TEXT NOT NULL,
	description     TEXT NOT NULL,
	received        TEXT NOT NULL,
	assignee        TEXT NOT NULL DEFAULT '',
	state           TEXT NOT NULL,
	resolution      TEXT NOT NULL DEFAULT '',
	opened_by       TEXT NOT NULL DEFAULT '',
	opened_at       INTEGER NOT NULL,
	acknowledged_at INTEGER,
	responded_at    INTEGER,
	resolved_at     INTEGER,
	followed_up_at  INTEGER,
	closed_at       INTEGER,
	survey_job      TEXT NOT NULL DEFAULT '',
	reopened        INTEGER NOT NULL DEFAULT 0,
	timers          TEXT NOT NULL DEFAULT '[]',
	next_due        INTEGER,
	missed          INTEGER NOT NULL DEFAULT 0,
	idempotency_key TEXT NOT NULL DEFAULT '',
	updated_at      INTEGER NOT NULL
) STRICT;
CREATE INDEX cases_opened ON cases (opened_at, id);
CREATE INDEX cases_estate_opened ON cases (estate, opened_at, id);
CREATE INDEX cases_resident ON cases (resident_id, opened_at);
CREATE INDEX cases_next_due ON cases (next_due) WHERE next_due IS NOT NULL;
CREATE UNIQUE INDEX cases_idempotency_key ON cases (idempotency_key) WHERE idempotency_key <> '';
CREATE TABLE case_events (
	seq     INTEGER PRIMARY KEY,
	case_id TEXT NOT NULL,
	event   TEXT NOT NULL,
	at      INTEGER NOT NULL,
	actor   TEXT NOT NULL DEFAULT '',
	detail  TEXT NOT NULL DEFAULT ''
) STRICT;
CREATE INDEX case_events_case ON case_events (case_id, seq);
ALTER TABLE estates ADD COLUMN case_limits TEXT NOT NULL DEFAULT '';
