package postgres

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/outreach-dev/outreach/outreach/store/internal/normalize"
)

// migrations are the schema versions in order: migrations[i] brings the
// schema to version i+1. Never edit a released one; append a new one.
//
// Ids use the "C" collation so that ORDER BY id is byte order, as in SQLite
// and Go, whatever the database's default collation.
var migrations = [][]string{
	// 1: the resident directory and the communication archive. There is no
	// foreign key from deliveries to residents: the archive outlives a
	// resident's removal from the directory.
	{
		`CREATE TABLE residents (
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
		)`,
		`CREATE INDEX residents_building ON residents (building)`,
		`CREATE INDEX residents_tags ON residents USING gin (tags)`,
		`CREATE TABLE deliveries (
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
		)`,
		`CREATE INDEX deliveries_job_id ON deliveries (job_id)`,
		`CREATE INDEX deliveries_resident_id ON deliveries (resident_id)`,
		`CREATE INDEX deliveries_created_at ON deliveries (created_at, id)`,
		`CREATE INDEX deliveries_campaign ON deliveries (campaign)`,
	},
	// 2: the profile fields policy uses: the resident's time zone ('' is
	// the daemon's default) and opt-outs, arrays kept sorted (in byte
	// order: COLLATE "C", as SQLite and Go sort) and without repeats.
	{
		`ALTER TABLE residents
			ADD COLUMN time_zone        text NOT NULL DEFAULT '',
			ADD COLUMN opt_out_channels text[] COLLATE "C" NOT NULL DEFAULT '{}',
			ADD COLUMN opt_out_kinds    text[] COLLATE "C" NOT NULL DEFAULT '{}'`,
	},
	// 3: delivery channels in depth. SMS segments and encoding, the time a
	// message was ready to go (queued_at, against sent_at: the rate limit's
	// wait), provider status callbacks by provider id, inbound replies
	// matched by phone number.
	{
		`ALTER TABLE deliveries ADD COLUMN segments integer NOT NULL DEFAULT 0`,
		`ALTER TABLE deliveries ADD COLUMN encoding text NOT NULL DEFAULT ''`,
		`ALTER TABLE deliveries ADD COLUMN queued_at timestamptz`,
		`CREATE INDEX deliveries_provider_id ON deliveries (provider_id)`,
		`CREATE INDEX residents_phone ON residents (phone)`,
		`CREATE TABLE replies (
			id          text COLLATE "C" NOT NULL PRIMARY KEY,
			channel     text NOT NULL,
			from_addr   text NOT NULL DEFAULT '',
			resident_id text NOT NULL DEFAULT '',
			delivery_id text NOT NULL DEFAULT '',
			job_id      text NOT NULL DEFAULT '',
			body        text NOT NULL DEFAULT '',
			action      text NOT NULL DEFAULT '',
			received_at timestamptz NOT NULL
		)`,
		`CREATE INDEX replies_resident_id ON replies (resident_id, received_at)`,
		`CREATE INDEX replies_received_at ON replies (received_at, id)`,
	},
	// 4: campaigns, and the policy decision of each delivery. next_run is
	// NULL when no occurrence is ahead.
	{
		`ALTER TABLE deliveries ADD COLUMN policy text NOT NULL DEFAULT ''`,
		`CREATE TABLE campaigns (
			id          text COLLATE "C" NOT NULL PRIMARY KEY,
			name        text NOT NULL,
			kind        text NOT NULL,
			template    text NOT NULL DEFAULT '',
			audience    jsonb NOT NULL DEFAULT '{}',
			channels    text[] NOT NULL DEFAULT '{}',
			data        jsonb NOT NULL DEFAULT '{}',
			priority    text NOT NULL DEFAULT '',
			schedule    jsonb NOT NULL DEFAULT '{}',
			state       text NOT NULL,
			next_run    timestamptz,
			occurrence  text NOT NULL DEFAULT '',
			cursor      text COLLATE "C" NOT NULL DEFAULT '',
			targeted    bigint NOT NULL DEFAULT 0,
			runs        integer NOT NULL DEFAULT 0,
			last_run_at timestamptz,
			created_at  timestamptz NOT NULL,
			updated_at  timestamptz NOT NULL
		)`,
		`CREATE INDEX campaigns_due ON campaigns (state, next_run)`,
	},
	// 5: API tokens: only the SHA-256 of each secret is kept; names are
	// unique, revoked tokens included.
	{
		`CREATE TABLE api_tokens (
			id           text COLLATE "C" NOT NULL PRIMARY KEY,
			name         text COLLATE "C" NOT NULL UNIQUE,
			scopes       text[] NOT NULL DEFAULT '{}',
			hash         text NOT NULL UNIQUE,
			created_at   timestamptz NOT NULL,
			last_used_at timestamptz,
			revoked_at   timestamptz
		)`,
	},
	// 6: the archive as a property manager keeps it. Each delivery gets
	// the resident's building and unit, staff's follow-up note and the
	// time retention purged its content; delivery_events holds its history.
	//
	// The table keeps its own history: statement-level triggers (one
	// INSERT ... SELECT per statement, from the transition tables, however
	// many rows Record writes at once) append an event whenever a delivery
	// is inserted or its status changes, whoever writes it (Record,
	// UpdateStatus, a bulk COPY), and drop a deleted delivery's events.
	// Replies, opt-outs and notes append theirs explicitly.
	//
	// Search indexes. Search filters on equality and orders by created_at
	// DESC, id DESC, continuing after a (created_at, id) cursor; an index
	// (x, created_at, id) answers "x = ? ORDER BY created_at DESC, id
	// DESC LIMIT n" by reading n entries backwards, on the first page and
	// the thousandth alike. Selective filters get one: resident (replaces
	// the plain resident_id index), building, building and unit (an
	// apartment's history; a unit number alone means nothing across
	// buildings, so it has no index of its own), campaign (replaces the
	// plain campaign index), status (failed and undelivered are rare and
	// the ones staff look for). Kind and channel have a handful of
	// values, each a large share of the rows: walking deliveries_created_at
	// and skipping the others finds a page quickly, so they get none
	// (every index slows every Record). job_id keeps its own index
	// (Accepted, Outcomes, notes by job). deliveries_unpurged lists only
	// the rows retention has still to purge, so each purge batch starts
	// where the last one ended instead of skipping purged rows.
	{
		`ALTER TABLE deliveries
			ADD COLUMN building text NOT NULL DEFAULT '',
			ADD COLUMN unit text NOT NULL DEFAULT '',
			ADD COLUMN note text NOT NULL DEFAULT '',
			ADD COLUMN content_purged_at timestamptz`,
		`CREATE TABLE delivery_events (
			seq         bigint GENERATED ALWAYS AS IDENTITY,
			delivery_id text COLLATE "C" NOT NULL,
			job_id      text NOT NULL,
			event       text NOT NULL,
			at          timestamptz NOT NULL,
			detail      text NOT NULL DEFAULT ''
		)`,
		// The one index history needs: a delivery's events in order. seq
		// is unique by construction and never looked up alone, so it has
		// no index of its own (each would cost every Record).
		`CREATE INDEX delivery_events_delivery ON delivery_events (delivery_id, seq)`,
		// What was archived before keeps one event: where it stands.
		`INSERT INTO delivery_events (delivery_id, job_id, event, at, detail)
			SELECT id, job_id, status, updated_at, ` + normalize.EventDetail("") + `
			FROM deliveries ORDER BY created_at, id`,
		`CREATE FUNCTION deliveries_log_inserts() RETURNS trigger LANGUAGE plpgsql
			SET search_path FROM CURRENT AS $$
		BEGIN
			INSERT INTO delivery_events (delivery_id, job_id, event, at, detail)
				SELECT n.id, n.job_id, n.status, n.updated_at, ` + normalize.EventDetail("n.") + `
				FROM new_rows n;
			RETURN NULL;
		END $$`,
		`CREATE TRIGGER deliveries_log_inserts AFTER INSERT ON deliveries
			REFERENCING NEW TABLE AS new_rows
			FOR EACH STATEMENT EXECUTE FUNCTION deliveries_log_inserts()`,
		`CREATE FUNCTION deliveries_log_status() RETURNS trigger LANGUAGE plpgsql
			SET search_path FROM CURRENT AS $$
		BEGIN
			INSERT INTO delivery_events (delivery_id, job_id, event, at, detail)
				SELECT n.id, n.job_id, n.status, n.updated_at, ` + normalize.EventDetail("n.") + `
				FROM new_rows n JOIN old_rows o ON o.id = n.id
				WHERE n.status <> o.status;
			RETURN NULL;
		END $$`,
		`CREATE TRIGGER deliveries_log_status AFTER UPDATE ON deliveries
			REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
			FOR EACH STATEMENT EXECUTE FUNCTION deliveries_log_status()`,
		`CREATE FUNCTION deliveries_drop_events() RETURNS trigger LANGUAGE plpgsql
			SET search_path FROM CURRENT AS $$
		BEGIN
			DELETE FROM delivery_events WHERE delivery_id IN (SELECT id FROM old_rows);
			RETURN NULL;
		END $$`,
		`CREATE TRIGGER deliveries_drop_events AFTER DELETE ON deliveries
			REFERENCING OLD TABLE AS old_rows
			FOR EACH STATEMENT EXECUTE FUNCTION deliveries_drop_events()`,
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
	// "survey_<event>"), in the same transaction. surveys_open_expires
	// holds only the open surveys the expiry sweep looks for.
	{
		`CREATE TABLE surveys (
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
		)`,
		`CREATE INDEX surveys_resident_sent ON surveys (resident_id, sent_at)`,
		`CREATE INDEX surveys_estate_sent ON surveys (estate, sent_at)`,
		`CREATE INDEX surveys_sent ON surveys (sent_at)`,
		`CREATE INDEX surveys_open_expires ON surveys (expires_at) WHERE state = 'open'`,
		`CREATE TABLE survey_events (
			seq       bigint GENERATED ALWAYS AS IDENTITY,
			survey_id text COLLATE "C" NOT NULL,
			event     text NOT NULL,
			at        timestamptz NOT NULL,
			detail    text NOT NULL DEFAULT ''
		)`,
		`CREATE INDEX survey_events_survey ON survey_events (survey_id, seq)`,
	},
	// 9: estates (outreach.Estate). The default estate exists from the
	// start, so every resident, delivery and reply that came before
	// belongs to it. Buildings and units are within an estate; the
	// indexes serve audiences, archive filters and estate-limited tokens.
	// residents.estate references estates: an estate with residents
	// cannot go (the archive's copies of the estate id need not).
	{
		`CREATE TABLE estates (
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
		)`,
		`INSERT INTO estates (id, created_at, updated_at) VALUES ('default', date_trunc('microseconds', now()), date_trunc('microseconds', now()))`,
		`ALTER TABLE residents ADD COLUMN estate text COLLATE "C" NOT NULL DEFAULT 'default' REFERENCES estates (id)`,
		`CREATE INDEX residents_estate ON residents (estate, id)`,
		`ALTER TABLE deliveries ADD COLUMN estate text COLLATE "C" NOT NULL DEFAULT 'default'`,
		`ALTER TABLE deliveries ADD COLUMN fallback text NOT NULL DEFAULT ''`,
		`CREATE INDEX deliveries_estate_created ON deliveries (estate, created_at, id)`,
		`ALTER TABLE replies ADD COLUMN estate text COLLATE "C" NOT NULL DEFAULT ''`,
		`UPDATE replies SET estate = 'default' WHERE resident_id <> ''`,
		`ALTER TABLE api_tokens ADD COLUMN estates text[] NOT NULL DEFAULT '{}'`,
	},
	// 10: the web console (package console): its accounts (bcrypt hashes
	// only), server-side sessions (the SHA-256 of the cookie's secret,
	// deleted with their user) and the audit log of what was done in it.
	{
		`CREATE TABLE console_users (
			id            text COLLATE "C" NOT NULL PRIMARY KEY,
			login         text COLLATE "C" NOT NULL UNIQUE,
			name          text NOT NULL DEFAULT '',
			role          text NOT NULL,
			estates       text[] COLLATE "C" NOT NULL DEFAULT '{}',
			password_hash text NOT NULL,
			disabled      boolean NOT NULL DEFAULT false,
			created_at    timestamptz NOT NULL,
			updated_at    timestamptz NOT NULL
		)`,
		`CREATE TABLE console_sessions (
			hash         text COLLATE "C" NOT NULL PRIMARY KEY,
			user_id      text COLLATE "C" NOT NULL REFERENCES console_users (id) ON DELETE CASCADE,
			csrf         text NOT NULL,
			addr         text NOT NULL DEFAULT '',
			created_at   timestamptz NOT NULL,
			last_seen_at timestamptz NOT NULL
		)`,
		`CREATE INDEX console_sessions_user ON console_sessions (user_id)`,
		`CREATE TABLE audit_log (
			seq    bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
			at     timestamptz NOT NULL,
			actor  text NOT NULL,
			action text NOT NULL,
			target text NOT NULL DEFAULT '',
			detail text NOT NULL DEFAULT '',
			addr   text NOT NULL DEFAULT ''
		)`,
		`CREATE INDEX audit_log_actor ON audit_log (actor, seq)`,
	},
	// 11: an estate's own survey fatigue window (Estate.SurveyFatigue);
	// empty keeps the daemon's OUTREACH_SURVEY_FATIGUE.
	{
		`ALTER TABLE estates ADD COLUMN survey_fatigue text NOT NULL DEFAULT ''`,
	},
	// 12: cases (outreach.Case), the complaint loop: one row per case
	// with its timers (a JSON array: response-time limits and the
	// follow-up) and the earliest pending one (next_due, indexed for the
	// sweep); missed counts the limits missed while open (the overdue
	// filter); its history in case_events. An estate's own limits.
	{
		`CREATE TABLE cases (
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
		)`,
		`CREATE INDEX cases_opened ON cases (opened_at, id)`,
		`CREATE INDEX cases_estate_opened ON cases (estate, opened_at, id)`,
		`CREATE INDEX cases_resident ON cases (resident_id, opened_at)`,
		`CREATE INDEX cases_next_due ON cases (next_due) WHERE next_due IS NOT NULL`,
		`CREATE UNIQUE INDEX cases_idempotency_key ON cases (idempotency_key) WHERE idempotency_key <> ''`,
		`CREATE TABLE case_events (
			seq     bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
			case_id text COLLATE "C" NOT NULL,
			event   text NOT NULL,
			at      timestamptz NOT NULL,
			actor   text NOT NULL DEFAULT '',
			detail  text NOT NULL DEFAULT ''
		)`,
		`CREATE INDEX case_events_case ON case_events (case_id, seq)`,
		`ALTER TABLE estates ADD COLUMN case_limits text NOT NULL DEFAULT ''`,
	},
}

// migrate applies the migrations the schema lacks, all in one transaction,
// first creating schema when it is not "" (OpenSchema). An advisory lock on
// the schema's name makes a second daemon starting at the same time wait
// instead of applying the same migration twice; it also covers CREATE
// SCHEMA IF NOT EXISTS, which can fail with a unique violation when two
// sessions run it at once.
func migrate(ctx context.Context, pool *pgxpool.Pool, schema string) error {
	return migrateTo(ctx, pool, schema, len(migrations))
}

// migrateTo is migrate up to version (tests start from an old schema).
func migrateTo(ctx context.Context, pool *pgxpool.Pool, schema string, version int) (err error) {
	tx, err := pool.Begin(ctx)
	if err != nil {
		return fmt.Errorf("migrate postgres schema: %w", err)
	}
	defer func() {
		if err != nil {
			tx.Rollback(ctx)
		}
	}()
	if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtext('outreach migrate ' || COALESCE(NULLIF($1, ''), current_schema())))`, schema); err != nil {
		return fmt.Errorf("migrate postgres schema: lock: %w", err)
	}
	if schema != "" {
		if _, err := tx.Exec(ctx, "CREATE SCHEMA IF NOT EXISTS "+pgx.Identifier{schema}.Sanitize()); err != nil {
			return fmt.Errorf("migrate postgres schema: create schema: %w", err)
		}
	}
	if _, err := tx.Exec(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version    integer NOT NULL PRIMARY KEY,
		applied_at timestamptz NOT NULL DEFAULT now()
	)`); err != nil {
		return fmt.Errorf("migrate postgres schema: create schema_migrations: %w", err)
	}
	var current int
	if err := tx.QueryRow(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_migrations`).Scan(&current); err != nil {
		return fmt.Errorf("migrate postgres schema: read version: %w", err)
	}
	if current > len(migrations) {
		return fmt.Errorf("migrate postgres schema: database is at version %d, newer than this program knows (%d)", current, len(migrations))
	}
	for v := current + 1; v <= version; v++ {
		for _, stmt := range migrations[v-1] {
			if _, err := tx.Exec(ctx, stmt); err != nil {
				return fmt.Errorf("migrate postgres schema to version %d: %w", v, err)
			}
		}
		if _, err := tx.Exec(ctx, `INSERT INTO schema_migrations (version) VALUES ($1)`, v); err != nil {
			return fmt.Errorf("migrate postgres schema to version %d: %w", v, err)
		}
	}
	if err := tx.Commit(ctx); err != nil {
		return fmt.Errorf("migrate postgres schema: commit: %w", err)
	}
	return nil
}
