-- Satisfaction surveys (package survey) and their history. A
-- survey's events are also appended to its delivery's history (as
-- "survey_<event>"), in the same transaction. surveys_open_expires
-- holds only the open surveys the expiry sweep looks for.

CREATE TABLE surveys (
	id             text COLLATE "C" NOT NULL PRIMARY KEY,
	resident_id    text COLLATE "C" NOT NULL,
	estate         text COLLATE "C" NOT NULL DEFAULT '',
	building       text NOT NULL DEFAULT '',
	unit           text NOT NULL DEFAULT '',
	job_id         text NOT NULL,
	delivery_id    text NOT NULL DEFAULT '',
	work_order     text NOT NULL DEFAULT '',
	service        text NOT NULL DEFAULT '',
	channel        text NOT NULL DEFAULT '',
	locale         text NOT NULL DEFAULT '',
	state          text NOT NULL,
	score          integer NOT NULL DEFAULT 0,
	comment        text NOT NULL DEFAULT '',
	answered_via   text NOT NULL DEFAULT '',
	sent_at        timestamptz NOT NULL,
	expires_at     timestamptz NOT NULL,
	answered_at    timestamptz,
	reasked_at     timestamptz,
	clicked_at     timestamptz,
	escalated_at   timestamptz,
	escalation_job text NOT NULL DEFAULT '',
	callback_due   timestamptz,
	called_back_at timestamptz,
	callback_note  text NOT NULL DEFAULT '',
	skip_fatigue   boolean NOT NULL DEFAULT false,
	updated_at     timestamptz NOT NULL
);
CREATE INDEX surveys_resident_sent ON surveys (resident_id, sent_at);
CREATE INDEX surveys_estate_sent ON surveys (estate, sent_at);
CREATE INDEX surveys_sent ON surveys (sent_at);
CREATE INDEX surveys_open_expires ON surveys (expires_at) WHERE state = 'open';
CREATE TABLE survey_events (
	seq       bigint GENERATED ALWAYS AS IDENTITY,
	survey_id text COLLATE "C" NOT NULL,
	event     text NOT NULL,
	at        timestamptz NOT NULL,
	detail    text NOT NULL DEFAULT ''
);
CREATE INDEX survey_events_survey ON survey_events (survey_id, seq);
