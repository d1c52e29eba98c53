-- Cases (outreach.Case), the complaint loop: one row per case
-- with its timers (a JSON array: response-time limits and the
-- follow-up) and the earliest pending one (next_due, indexed for the
-- sweep); missed counts the limits missed while open (the overdue
-- filter); its history in case_events. An estate's own limits.

CREATE TABLE cases (
	id              text COLLATE "C" NOT NULL PRIMARY KEY,
	estate          text COLLATE "C" NOT NULL,
	resident_id     text NOT NULL DEFAULT '',
	building        text NOT NULL DEFAULT '',
	unit            text NOT NULL DEFAULT '',
	category        text NOT NULL,
	urgency         text NOT NULL,
	description     text NOT NULL,
	received        text NOT NULL,
	assignee        text NOT NULL DEFAULT '',
	state           text NOT NULL,
	resolution      text NOT NULL DEFAULT '',
	opened_by       text NOT NULL DEFAULT '',
	opened_at       timestamptz NOT NULL,
	acknowledged_at timestamptz,
	responded_at    timestamptz,
	resolved_at     timestamptz,
	followed_up_at  timestamptz,
	closed_at       timestamptz,
	survey_job      text NOT NULL DEFAULT '',
	reopened        integer NOT NULL DEFAULT 0,
	timers          jsonb NOT NULL DEFAULT '[]',
	next_due        timestamptz,
	missed          integer NOT NULL DEFAULT 0,
	idempotency_key text NOT NULL DEFAULT '',
	updated_at      timestamptz NOT NULL
);
CREATE INDEX cases_opened ON cases (opened_at, id);
CREATE INDEX cases_estate_opened ON cases (estate, opened_at, id);
CREATE INDEX cases_resident ON cases (resident_id, opened_at);
CREATE INDEX cases_next_due ON cases (next_due) WHERE next_due IS NOT NULL;
CREATE UNIQUE INDEX cases_idempotency_key ON cases (idempotency_key) WHERE idempotency_key <> '';
CREATE TABLE case_events (
	seq     bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	case_id text COLLATE "C" NOT NULL,
	event   text NOT NULL,
	at      timestamptz NOT NULL,
	actor   text NOT NULL DEFAULT '',
	detail  text NOT NULL DEFAULT ''
);
CREATE INDEX case_events_case ON case_events (case_id, seq);
ALTER TABLE estates ADD COLUMN case_limits text NOT NULL DEFAULT '';
