-- Satisfaction surveys (package survey) and their history. A
-- survey's events are also appended to its delivery's history (as
-- "survey_<event>"), in the same transaction.

CREATE TABLE surveys (
	id             TEXT NOT NULL PRIMARY KEY,
	resident_id    TEXT NOT NULL,
	estate         TEXT NOT NULL DEFAULT '',
	building       TEXT NOT NULL DEFAULT '',
	unit           TEXT NOT NULL DEFAULT '',
	job_id         TEXT NOT NULL,
	delivery_id    TEXT NOT NULL DEFAULT '',
	work_order     TEXT NOT NULL DEFAULT '',
	service        TEXT NOT NULL DEFAULT '',
	channel        TEXT NOT NULL DEFAULT '',
	locale         TEXT NOT NULL DEFAULT '',
	state          TEXT NOT NULL,
	score          INTEGER NOT NULL DEFAULT 0,
	comment        TEXT NOT NULL DEFAULT '',
	answered_via   TEXT NOT NULL DEFAULT '',
	sent_at        INTEGER NOT NULL,
	expires_at     INTEGER NOT NULL,
	answered_at    INTEGER,
	reasked_at     INTEGER,
	clicked_at     INTEGER,
	escalated_at   INTEGER,
	escalation_job TEXT NOT NULL DEFAULT '',
	callback_due   INTEGER,
	called_back_at INTEGER,
	callback_note  TEXT NOT NULL DEFAULT '',
	skip_fatigue   INTEGER NOT NULL DEFAULT 0,
	updated_at     INTEGER NOT NULL
) STRICT;
CREATE INDEX surveys_resident_sent ON surveys (resident_id, sent_at);
CREATE INDEX surveys_estate_sent ON surveys (estate, sent_at);
CREATE INDEX surveys_sent ON surveys (sent_at);
CREATE INDEX surveys_open_expires ON surveys (expires_at) WHERE state = 'open';
CREATE TABLE survey_events (
	seq       INTEGER PRIMARY KEY,
	survey_id TEXT NOT NULL,
	event     TEXT NOT NULL,
	at        INTEGER NOT NULL,
	detail    TEXT NOT NULL DEFAULT ''
) STRICT;
CREATE INDEX survey_events_survey ON survey_events (survey_id, seq);
