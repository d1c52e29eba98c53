package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/outreach-dev/outreach/outreach/store/internal/normalize"
)

// migrations are the schema versions in order: migrations[i] brings the
// schema to version i+1. Never edit a released one; append a new one.
//
// Times are INTEGER microseconds since the Unix epoch (UTC). Tags and
// channels are JSON arrays, attributes a JSON object, so that Residents can
// filter on tags with json_each. Text columns use SQLite's default BINARY
// collation: byte order, the order Go sorts strings in.
var migrations = [][]string{
	// 1: the resident directory and the communication archive. There is no
	// foreign key from deliveries to residents: the archive outlives a
	// resident's removal from the directory.
	{
		`CREATE TABLE residents (
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
		) STRICT`,
		`CREATE INDEX residents_building ON residents (building)`,
		`CREATE TABLE deliveries (
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
		) STRICT`,
		`CREATE INDEX deliveries_job_id ON deliveries (job_id)`,
		`CREATE INDEX deliveries_resident_id ON deliveries (resident_id)`,
		`CREATE INDEX deliveries_created_at ON deliveries (created_at, id)`,
		`CREATE INDEX deliveries_campaign ON deliveries (campaign)`,
	},
	// 2: the profile fields policy uses: the resident's time zone ('' is
	// the daemon's default) and opt-outs, JSON arrays kept sorted and
	// without repeats (sets).
	{
		`ALTER TABLE residents ADD COLUMN time_zone TEXT NOT NULL DEFAULT ''`,
		`ALTER TABLE residents ADD COLUMN opt_out_channels TEXT NOT NULL DEFAULT '[]'`,
		`ALTER TABLE residents ADD COLUMN opt_out_kinds TEXT NOT NULL DEFAULT '[]'`,
	},
	// 3: delivery channels in depth. SMS segments and encoding, the time a
	// message was ready to go (queued_at, against sent_at: the rate limit's
	// wait), provider status callbacks by provider id, inbound replies
	// matched by phone number.
	{
		`ALTER TABLE deliveries ADD COLUMN segments INTEGER NOT NULL DEFAULT 0`,
		`ALTER TABLE deliveries ADD COLUMN encoding TEXT NOT NULL DEFAULT ''`,
		`ALTER TABLE deliveries ADD COLUMN queued_at INTEGER`,
		`CREATE INDEX deliveries_provider_id ON deliveries (provider_id)`,
		`CREATE INDEX residents_phone ON residents (phone)`,
		`CREATE TABLE replies (
			id          TEXT NOT NULL PRIMARY KEY,
			channel     TEXT NOT NULL,
			from_addr   TEXT NOT NULL DEFAULT '',
			resident_id TEXT NOT NULL DEFAULT '',
			delivery_id TEXT NOT NULL DEFAULT '',
			job_id      TEXT NOT NULL DEFAULT '',
			body        TEXT NOT NULL DEFAULT '',
			action      TEXT NOT NULL DEFAULT '',
			received_at INTEGER NOT NULL
		) STRICT`,
		`CREATE INDEX replies_resident_id ON replies (resident_id, received_at)`,
		`CREATE INDEX replies_received_at ON replies (received_at, id)`,
	},
	// 4: campaigns, and the policy decision of each delivery. A campaign's
	// audience, data and schedule are JSON objects, its channels a JSON
	// array; next_run is NULL when no occurrence is ahead.
	{
		`ALTER TABLE deliveries ADD COLUMN policy TEXT NOT NULL DEFAULT ''`,
		`CREATE TABLE campaigns (
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
		) STRICT`,
		`CREATE INDEX campaigns_due ON campaigns (state, next_run)`,
	},
	// 5: API tokens: only the SHA-256 of each secret is kept. scopes is a
	// JSON array; names are unique, revoked tokens included.
	{
		`CREATE TABLE api_tokens (
			id           TEXT NOT NULL PRIMARY KEY,
			name         TEXT NOT NULL UNIQUE,
			scopes       TEXT NOT NULL DEFAULT '[]',
			hash         TEXT NOT NULL UNIQUE,
			created_at   INTEGER NOT NULL,
			last_used_at INTEGER,
			revoked_at   INTEGER
		) STRICT`,
	},
	// 6: the archive as a property manager keeps it: building, unit,
	// follow-up note and purge time of each delivery, and delivery_events,
	// its history. Triggers append an event whenever a delivery is
	// inserted or its status changes (Record, UpdateStatus) and drop a
	// deleted delivery's events; replies, opt-outs and notes append theirs
	// explicitly. The search indexes are PostgreSQL's (see its migration 5
	// for why these); SQLite reads a B-tree backwards as well.
	{
		`ALTER TABLE deliveries ADD COLUMN building TEXT NOT NULL DEFAULT ''`,
		`ALTER TABLE deliveries ADD COLUMN unit TEXT NOT NULL DEFAULT ''`,
		`ALTER TABLE deliveries ADD COLUMN note TEXT NOT NULL DEFAULT ''`,
		`ALTER TABLE deliveries ADD COLUMN content_purged_at INTEGER`,
		`CREATE TABLE delivery_events (
			seq         INTEGER PRIMARY KEY,
			delivery_id TEXT NOT NULL,
			job_id      TEXT NOT NULL,
			event       TEXT NOT NULL,
			at          INTEGER NOT NULL,
			detail      TEXT NOT NULL DEFAULT ''
		) STRICT`,
		`CREATE INDEX delivery_events_delivery ON delivery_events (delivery_id, seq)`,
		// What was archived before keeps one event: where it stands.
		`INSERT INTO delivery_events (delivery_id, job_id, event, at, detail)
			SELECT id, job_id, status, updated_at, ` + normalize.EventDetail("") + `
			FROM deliveries ORDER BY created_at, id`,
		`CREATE TRIGGER deliveries_log_insert AFTER INSERT ON deliveries BEGIN
			INSERT INTO delivery_events (delivery_id, job_id, event, at, detail)
			VALUES (new.id, new.job_id, new.status, new.updated_at, ` + normalize.EventDetail("new.") + `);
		END`,
		`CREATE TRIGGER deliveries_log_status AFTER UPDATE OF status ON deliveries
			WHEN new.status IS NOT old.status BEGIN
			INSERT INTO delivery_events (delivery_id, job_id, event, at, detail)
			VALUES (new.id, new.job_id, new.status, new.updated_at, ` + normalize.EventDetail("new.") + `);
		END`,
		`CREATE TRIGGER deliveries_drop_events AFTER DELETE ON deliveries BEGIN
			DELETE FROM delivery_events WHERE delivery_id = old.id;
		END`,
		`DROP INDEX deliveries_resident_id`,
		`DROP INDEX deliveries_campaign`,
		`CREATE INDEX deliveries_resident_created ON deliveries (resident_id, created_at, id)`,
		`CREATE INDEX deliveries_building_created ON deliveries (building, created_at, id)`,
		`CREATE INDEX deliveries_unit_created ON deliveries (building, unit, created_at, id)`,
		`CREATE INDEX deliveries_campaign_created ON deliveries (campaign, created_at, id)`,
		`CREATE INDEX deliveries_status_created ON deliveries (status, created_at, id)`,
		`CREATE INDEX deliveries_unpurged ON deliveries (created_at) WHERE content_purged_at IS NULL`,
	},
	// 7: walking a campaign's deliveries in id order (Walk, export by
	// campaign, outreach bench's check) reads the index in order instead of
	// sorting the whole campaign for every page (6 dropped the index on
	// campaign alone; deliveries_campaign_created serves Search, which
	// orders by time).
	{
		`CREATE INDEX deliveries_campaign_id ON deliveries (campaign, id)`,
	},
	// 8: satisfaction surveys (package survey) and their history. A
	// survey's events are also appended to its delivery's history (as
	// "survey_<event>"), in the same transaction.
	{
		`CREATE TABLE surveys (
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
		) STRICT`,
		`CREATE INDEX surveys_resident_sent ON surveys (resident_id, sent_at)`,
		`CREATE INDEX surveys_estate_sent ON surveys (estate, sent_at)`,
		`CREATE INDEX surveys_sent ON surveys (sent_at)`,
		`CREATE INDEX surveys_open_expires ON surveys (expires_at) WHERE state = 'open'`,
		`CREATE TABLE survey_events (
			seq       INTEGER PRIMARY KEY,
			survey_id TEXT NOT NULL,
			event     TEXT NOT NULL,
			at        INTEGER NOT NULL,
			detail    TEXT NOT NULL DEFAULT ''
		) STRICT`,
		`CREATE INDEX survey_events_survey ON survey_events (survey_id, seq)`,
	},
	// 9: estates (outreach.Estate). The default estate exists from the
	// start, so every resident, delivery and reply that came before
	// belongs to it. Buildings and units are within an estate; the
	// indexes serve audiences, archive filters and estate-limited tokens.
	// There is no foreign key from residents to estates: SQLite cannot add
	// a REFERENCES column with a non-NULL default; the store checks.
	{
		`CREATE TABLE estates (
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
		) STRICT`,
		`INSERT INTO estates (id, created_at, updated_at)
			VALUES ('default', CAST(unixepoch('subsec') * 1000000 AS INTEGER), CAST(unixepoch('subsec') * 1000000 AS INTEGER))`,
		`ALTER TABLE residents ADD COLUMN estate TEXT NOT NULL DEFAULT 'default'`,
		`CREATE INDEX residents_estate ON residents (estate, id)`,
		`ALTER TABLE deliveries ADD COLUMN estate TEXT NOT NULL DEFAULT 'default'`,
		`ALTER TABLE deliveries ADD COLUMN fallback TEXT NOT NULL DEFAULT ''`,
		`CREATE INDEX deliveries_estate_created ON deliveries (estate, created_at, id)`,
		`ALTER TABLE replies ADD COLUMN estate TEXT NOT NULL DEFAULT ''`,
		`UPDATE replies SET estate = 'default' WHERE resident_id <> ''`,
		`ALTER TABLE api_tokens ADD COLUMN estates TEXT NOT NULL DEFAULT '[]'`,
	},
	// 10: the web console (package console): its accounts (bcrypt hashes
	// only; estates a JSON array), server-side sessions (the SHA-256 of
	// the cookie's secret) and the audit log of what was done in it.
	{
		`CREATE TABLE console_users (
			id            TEXT NOT NULL PRIMARY KEY,
			login         TEXT NOT NULL UNIQUE,
			name          TEXT NOT NULL DEFAULT '',
			role          TEXT NOT NULL,
			estates       TEXT NOT NULL DEFAULT '[]',
			password_hash TEXT NOT NULL,
			disabled      INTEGER NOT NULL DEFAULT 0,
			created_at    INTEGER NOT NULL,
			updated_at    INTEGER NOT NULL
		) STRICT`,
		`CREATE TABLE console_sessions (
			hash         TEXT NOT NULL PRIMARY KEY,
			user_id      TEXT NOT NULL,
			csrf         TEXT NOT NULL,
			addr         TEXT NOT NULL DEFAULT '',
			created_at   INTEGER NOT NULL,
			last_seen_at INTEGER NOT NULL
		) STRICT`,
		`CREATE INDEX console_sessions_user ON console_sessions (user_id)`,
		`CREATE TABLE audit_log (
			seq    INTEGER PRIMARY KEY,
			at     INTEGER NOT NULL,
			actor  TEXT NOT NULL,
			action TEXT NOT NULL,
			target TEXT NOT NULL DEFAULT '',
			detail TEXT NOT NULL DEFAULT '',
			addr   TEXT NOT NULL DEFAULT ''
		) STRICT`,
		`CREATE INDEX audit_log_actor ON audit_log (actor, seq)`,
	},
	// 11: an estate's own survey fatigue window (Estate.SurveyFatigue);
	// empty keeps the daemon's OUTREACH_SURVEY_FATIGUE.
	{
		`ALTER TABLE estates ADD COLUMN survey_fatigue TEXT NOT NULL DEFAULT ''`,
	},
	// 12: cases (outreach.Case), the complaint loop: one row per case
	// with its timers (a JSON array: response-time limits and the
	// follow-up) and the earliest pending one (next_due, indexed for the
	// sweep); missed counts the limits missed while open (the overdue
	// filter); its history in case_events. An estate's own limits.
	{
		`CREATE TABLE cases (
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
		) STRICT`,
		`CREATE INDEX cases_opened ON cases (opened_at, id)`,
		`CREATE INDEX cases_estate_opened ON cases (estate, opened_at, id)`,
		`CREATE INDEX cases_resident ON cases (resident_id, opened_at)`,
		`CREATE INDEX cases_next_due ON cases (next_due) WHERE next_due IS NOT NULL`,
		`CREATE UNIQUE INDEX cases_idempotency_key ON cases (idempotency_key) WHERE idempotency_key <> ''`,
		`CREATE TABLE case_events (
			seq     INTEGER PRIMARY KEY,
			case_id TEXT NOT NULL,
			event   TEXT NOT NULL,
			at      INTEGER NOT NULL,
			actor   TEXT NOT NULL DEFAULT '',
			detail  TEXT NOT NULL DEFAULT ''
		) STRICT`,
		`CREATE INDEX case_events_case ON case_events (case_id, seq)`,
		`ALTER TABLE estates ADD COLUMN case_limits TEXT NOT NULL DEFAULT ''`,
	},
}

// migrate applies the migrations the database lacks, all in one
// transaction. BEGIN IMMEDIATE (the write pool's _txlock) makes a second
// process wait rather than apply the same migration twice.
func migrate(ctx context.Context, db *sql.DB) error {
	return migrateTo(ctx, db, len(migrations))
}

// migrateTo is migrate up to version (tests start from an old schema).
func migrateTo(ctx context.Context, db *sql.DB, version int) (err error) {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("migrate sqlite schema: %w", err)
	}
	defer func() {
		if err != nil {
			tx.Rollback()
		}
	}()
	if _, err := tx.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version    INTEGER NOT NULL PRIMARY KEY,
		applied_at INTEGER NOT NULL
	) STRICT`); err != nil {
		return fmt.Errorf("migrate sqlite schema: create schema_migrations: %w", err)
	}
	var current int
	if err := tx.QueryRowContext(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_migrations`).Scan(&current); err != nil {
		return fmt.Errorf("migrate sqlite schema: read version: %w", err)
	}
	if current > len(migrations) {
		return fmt.Errorf("migrate sqlite schema: database is at version %d, newer than this program knows (%d)", current, len(migrations))
	}
	for v := current + 1; v <= version; v++ {
		for _, stmt := range migrations[v-1] {
			if _, err := tx.ExecContext(ctx, stmt); err != nil {
				return fmt.Errorf("migrate sqlite schema to version %d: %w", v, err)
			}
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)`,
			v, micros(time.Now())); err != nil {
			return fmt.Errorf("migrate sqlite schema to version %d: %w", v, err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("migrate sqlite schema: commit: %w", err)
	}
	return nil
}
