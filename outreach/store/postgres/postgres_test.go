package postgres_test

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/outreach-dev/outreach/outreach"
	"github.com/outreach-dev/outreach/outreach/store/postgres"
	"github.com/outreach-dev/outreach/outreach/store/storetest"
)

// databaseURL is the test server: OUTREACH_TEST_DATABASE_URL or a local
// default. pool_max_conns keeps parallel tests within max_connections.
func databaseURL() string {
	if u := os.Getenv("OUTREACH_TEST_DATABASE_URL"); u != "" {
		return u
	}
	return "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"
}

// withParam adds a query parameter to url.
func withParam(url, kv string) string {
	if strings.Contains(url, "?") {
		return url + "&" + kv
	}
	return url + "?" + kv
}

// freshSchema returns a schema name no other test uses, and drops the
// schema with everything in it when the test ends.
func freshSchema(tb testing.TB) string {
	tb.Helper()
	schema := "outreach_test_" + strings.ToLower(rand.Text()[:12])
	tb.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		conn, err := pgx.Connect(ctx, databaseURL())
		if err != nil {
			tb.Errorf("drop schema %s: %v", schema, err)
			return
		}
		defer conn.Close(ctx)
		if _, err := conn.Exec(ctx, "DROP SCHEMA IF EXISTS "+pgx.Identifier{schema}.Sanitize()+" CASCADE"); err != nil {
			tb.Errorf("drop schema %s: %v", schema, err)
		}
	})
	return schema
}

// freshDatabase creates a database no other test uses and returns its
// URL; the database is dropped when the test ends. A test that needs
// VACUUM to reclaim dead rows takes one: VACUUM keeps every row that a
// transaction open anywhere in the same database could still see, and
// the shared test database has the other tests' transactions open.
func freshDatabase(tb testing.TB) string {
	tb.Helper()
	u, err := url.Parse(databaseURL())
	if err != nil {
		tb.Fatal(err)
	}
	db := "outreach_test_" + strings.ToLower(rand.Text()[:12])
	conn, err := pgx.Connect(tb.Context(), databaseURL())
	if err != nil {
		tb.Fatal(err)
	}
	defer conn.Close(context.Background())
	if _, err := conn.Exec(tb.Context(), "CREATE DATABASE "+pgx.Identifier{db}.Sanitize()); err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		c, err := pgx.Connect(ctx, databaseURL())
		if err != nil {
			tb.Errorf("drop database %s: %v", db, err)
			return
		}
		defer c.Close(ctx)
		if _, err := c.Exec(ctx, "DROP DATABASE IF EXISTS "+pgx.Identifier{db}.Sanitize()+" WITH (FORCE)"); err != nil {
			tb.Errorf("drop database %s: %v", db, err)
		}
	})
	u.Path = "/" + db
	return u.String()
}

// openFresh opens a store in a fresh schema, closed when the test ends
// (before the schema is dropped: cleanups run last-registered first).
func openFresh(tb testing.TB) *postgres.Store {
	tb.Helper()
	schema := freshSchema(tb)
	s, err := postgres.OpenSchema(tb.Context(), withParam(databaseURL(), "pool_max_conns=4"), schema)
	if err != nil {
		tb.Fatalf("OpenSchema: %v", err)
	}
	tb.Cleanup(func() { s.Close() })
	return s
}

func TestConformance(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T) outreach.Store { return openFresh(t) })
}

// TestSearchPathInURL opens with the schema given as ?search_path= and
// checks that the tables went there, and that reopening migrates nothing.
func TestSearchPathInURL(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	schema := freshSchema(t)
	conn, err := pgx.Connect(ctx, databaseURL())
	if err != nil {
		t.Fatalf("connect: %v", err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "CREATE SCHEMA "+pgx.Identifier{schema}.Sanitize()); err != nil {
		t.Fatalf("create schema: %v", err)
	}
	url := withParam(databaseURL(), "search_path="+schema)
	for range 2 {
		s, err := postgres.Open(ctx, url)
		if err != nil {
			t.Fatalf("Open: %v", err)
		}
		if _, err := s.UpsertResidents(ctx, []outreach.Resident{{ID: "r1"}}); err != nil {
			t.Fatalf("UpsertResidents: %v", err)
		}
		s.Close()
	}
	var residents, versions int
	if err := conn.QueryRow(ctx, "SELECT count(*) FROM "+pgx.Identifier{schema, "residents"}.Sanitize()).Scan(&residents); err != nil {
		t.Fatalf("count residents in %s: %v", schema, err)
	}
	if err := conn.QueryRow(ctx, "SELECT count(*) FROM "+pgx.Identifier{schema, "schema_migrations"}.Sanitize()).Scan(&versions); err != nil {
		t.Fatalf("count migrations in %s: %v", schema, err)
	}
	if residents != 1 || versions != postgres.Versions {
		t.Errorf("schema %s holds %d residents and %d migrations, want 1 and %d", schema, residents, versions, postgres.Versions)
	}
}

// TestOpenSchemaConcurrently starts several stores on one new schema at
// once, as several daemons do: the migration must run once.
func TestOpenSchemaConcurrently(t *testing.T) {
	t.Parallel()
	schema := freshSchema(t)
	errs := make(chan error, 4)
	for range cap(errs) {
		go func() {
			s, err := postgres.OpenSchema(t.Context(), databaseURL(), schema)
			if err == nil {
				s.Close()
			}
			errs <- err
		}()
	}
	for range cap(errs) {
		if err := <-errs; err != nil {
			t.Errorf("OpenSchema: %v", err)
		}
	}
}

func TestOpenErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		open func(ctx context.Context) (*postgres.Store, error)
	}{
		{"malformed URL", func(ctx context.Context) (*postgres.Store, error) {
			return postgres.Open(ctx, "postgres://u:s3cret-pw@host:notaport/db")
		}},
		{"bad pool setting", func(ctx context.Context) (*postgres.Store, error) {
			return postgres.Open(ctx, "postgres://u:s3cret-pw@127.0.0.1/db?pool_max_conns=zero")
		}},
		{"no server", func(ctx context.Context) (*postgres.Store, error) {
			return postgres.Open(ctx, "postgres://u:s3cret-pw@127.0.0.1:1/db?connect_timeout=5")
		}},
		{"empty schema name", func(ctx context.Context) (*postgres.Store, error) {
			return postgres.OpenSchema(ctx, databaseURL(), "")
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s, err := tt.open(t.Context())
			if err == nil {
				s.Close()
				t.Fatal("Open succeeded")
			}
			if strings.Contains(err.Error(), "s3cret-pw") {
				t.Errorf("error shows the password: %v", err)
			}
		})
	}
}

func TestOpenCanceled(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	s, err := postgres.OpenSchema(ctx, databaseURL(), freshSchema(t))
	if !errors.Is(err, context.Canceled) {
		if s != nil {
			s.Close()
		}
		t.Fatalf("Open with a canceled context: error = %v, want context.Canceled", err)
	}
}

func BenchmarkRecord(b *testing.B) {
	storetest.BenchmarkRecord(b, openFresh(b))
}

// TestUpgradeFromVersion1 opens a schema that the first release created and
// filled: the migration adds the profile columns, and the residents it had
// come back with the new fields empty.
func TestUpgradeFromVersion1(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	schema := freshSchema(t)
	if err := postgres.MigrateSchemaTo(ctx, databaseURL(), schema, 1); err != nil {
		t.Fatalf("migrate to version 1: %v", err)
	}
	conn, err := pgx.Connect(ctx, withParam(databaseURL(), "search_path="+schema))
	if err != nil {
		t.Fatalf("connect: %v", err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, `INSERT INTO residents (id, name, email, tags, updated_at)
		VALUES ('r1', 'Ann', 'ann@example.com', '{elderly}', now())`); err != nil {
		t.Fatalf("insert a version 1 resident: %v", err)
	}
	s, err := postgres.OpenSchema(ctx, databaseURL(), schema)
	if err != nil {
		t.Fatalf("OpenSchema: %v", err)
	}
	defer s.Close()
	r, err := s.Resident(ctx, "r1")
	if err != nil {
		t.Fatalf("Resident: %v", err)
	}
	if r.Name != "Ann" || r.Email != "ann@example.com" || len(r.Tags) != 1 ||
		r.TimeZone != "" || r.OptOutChannels != nil || r.OptOutKinds != nil {
		t.Errorf("after the upgrade Resident = %+v, want Ann with no time zone or opt-outs", r)
	}
	if err := s.SetOptOut(ctx, "r1", outreach.ChannelSMS, "", true); err != nil {
		t.Errorf("SetOptOut on an upgraded row: %v", err)
	}
	var version int
	if err := conn.QueryRow(ctx, "SELECT max(version) FROM schema_migrations").Scan(&version); err != nil || version != postgres.Versions {
		t.Errorf("schema version = %d, %v; want %d", version, err, postgres.Versions)
	}
}

// TestUpgradeKeepsArchiveHistory upgrades an archive from the schema
// before delivery history (version 4): each delivery it held gets one
// event, where it stood, and later changes append to it.
func TestUpgradeKeepsArchiveHistory(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	schema := freshSchema(t)
	if err := postgres.MigrateSchemaTo(ctx, databaseURL(), schema, 4); err != nil {
		t.Fatalf("migrate to version 4: %v", err)
	}
	conn, err := pgx.Connect(ctx, withParam(databaseURL(), "search_path="+schema))
	if err != nil {
		t.Fatalf("connect: %v", err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, `INSERT INTO deliveries (id, job_id, resident_id, kind, status, error, created_at, updated_at)
		VALUES ('d1', 'j1', 'r1', 'follow_up', 'failed', 'smtp 550', '2025-01-01T00:00:00Z', '2025-01-01T00:01:00Z')`); err != nil {
		t.Fatalf("insert a version 4 delivery: %v", err)
	}
	s, err := postgres.OpenSchema(ctx, databaseURL(), schema)
	if err != nil {
		t.Fatalf("OpenSchema: %v", err)
	}
	defer s.Close()
	if _, err := s.SetNote(ctx, outreach.Filter{JobID: "j1"}, "called back"); err != nil {
		t.Fatalf("SetNote: %v", err)
	}
	es, err := s.Events(ctx, "d1")
	if err != nil || len(es) != 2 || es[0].Event != outreach.EventFailed || es[0].Detail != "error: smtp 550" ||
		!es[0].At.Equal(time.Date(2025, 1, 1, 0, 1, 0, 0, time.UTC)) || es[1].Event != outreach.EventNoted {
		t.Errorf("Events after the upgrade = %+v, %v; want failed (backfilled), then noted", es, err)
	}
}

// TestUpgradeBackfillsStoredCounts migrates an archive of version 16 with
// deliveries: migration 17 counts them, its triggers follow an update and
// a delete, migration 18 keeps those counts, and they then follow the
// writes as deltas, compacted or not.
func TestUpgradeBackfillsStoredCounts(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	schema := freshSchema(t)
	if err := postgres.MigrateSchemaTo(ctx, databaseURL(), schema, 16); err != nil {
		t.Fatalf("migrate to version 16: %v", err)
	}
	conn, err := pgx.Connect(ctx, withParam(databaseURL(), "search_path="+schema))
	if err != nil {
		t.Fatalf("connect: %v", err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, `INSERT INTO deliveries (id, job_id, resident_id, kind, channel, status, campaign, estate, created_at, updated_at)
		VALUES ('d1', 'j1', 'r1', 'follow_up', 'sms', 'failed', 'spring', 'north', '2025-01-01T00:00:00Z', now()),
			('d2', 'j1', 'r2', 'follow_up', 'sms', 'failed', 'spring', 'north', '2025-01-01T00:59:59.999999Z', now()),
			('d3', 'j2', 'r1', 'follow_up', 'email', 'sent', '', 'south', '2025-01-01T01:00:00Z', now()),
			('d4', 'j3', 'r3', 'follow_up', 'sms', 'queued', 'autumn', 'north', '2025-01-01T02:00:00Z', now())`); err != nil {
		t.Fatalf("insert version 16 deliveries: %v", err)
	}
	// Version 17 backfills the counts and its triggers keep them (an
	// update, a delete); version 18 starts its deltas from those counts.
	if err := postgres.MigrateSchemaTo(ctx, databaseURL(), schema, 17); err != nil {
		t.Fatalf("migrate to version 17: %v", err)
	}
	if _, err := conn.Exec(ctx, `UPDATE deliveries SET status = 'delivered' WHERE id IN ('d3', 'd4')`); err != nil {
		t.Fatalf("update at version 17: %v", err)
	}
	if _, err := conn.Exec(ctx, `DELETE FROM deliveries WHERE id = 'd4'`); err != nil {
		t.Fatalf("delete at version 17: %v", err)
	}
	s, err := postgres.OpenSchema(ctx, databaseURL(), schema)
	if err != nil {
		t.Fatalf("OpenSchema: %v", err)
	}
	defer s.Close()
	if err := s.CheckStoredCounts(ctx); err != nil {
		t.Fatal(err)
	}
	if got, err := s.CampaignStatusCounts(ctx, "spring"); err != nil || got[outreach.StatusFailed] != 2 || len(got) != 1 {
		t.Errorf("CampaignStatusCounts after the upgrade = %v, %v; want failed 2", got, err)
	}
	if got, err := s.CountDeliveries(ctx, outreach.Filter{}); err != nil || len(got) != 2 {
		t.Errorf("CountDeliveries after the upgrade = %v, %v; want sms failed 2, email delivered 1", got, err)
	}
	if _, err := s.DeleteDeliveries(ctx, outreach.Filter{JobID: "j1"}); err != nil {
		t.Fatal(err)
	}
	if err := s.CheckStoredCounts(ctx); err != nil {
		t.Fatalf("after a delete: %v", err)
	}
	if _, err := s.CompactCounts(ctx); err != nil {
		t.Fatal(err)
	}
	if err := s.CheckStoredCounts(ctx); err != nil {
		t.Fatalf("after a delete and a compaction: %v", err)
	}
	if got, err := s.CampaignStatusCounts(ctx, "spring"); err != nil || len(got) != 0 {
		t.Errorf("CampaignStatusCounts after deleting them = %v, %v; want none", got, err)
	}
}

// TestVacuumCountsReclaimsDeltas: a compaction leaves the delta tables
// full of dead rows; VacuumCounts must give their pages back (on a
// server without autovacuum nothing else would). It runs in a database of
// its own: in the shared one, a parallel test's open transaction keeps
// the dead rows visible and no VACUUM may reclaim them.
func TestVacuumCountsReclaimsDeltas(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	dbURL := freshDatabase(t)
	const schema = "outreach"
	s, err := postgres.OpenSchema(ctx, withParam(dbURL, "pool_max_conns=4"), schema)
	if err != nil {
		t.Fatalf("OpenSchema: %v", err)
	}
	defer s.Close()
	for i := range 20 {
		sent := time.Now()
		d := outreach.Delivery{
			ID: fmt.Sprintf("v-%d", i), JobID: fmt.Sprintf("vj-%d", i), ResidentID: "r-1",
			Kind: outreach.KindMaintenanceNotice, Channel: outreach.ChannelEmail, Template: "maintenance_notice",
			Locale: "en", Campaign: fmt.Sprintf("c-%d", i), Status: outreach.StatusSent, Attempts: 1, SentAt: &sent,
		}
		if err := s.Record(ctx, []outreach.Delivery{d}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := s.CompactCounts(ctx); err != nil {
		t.Fatal(err)
	}
	size := func() (n int64) {
		t.Helper()
		q := `SELECT pg_relation_size(format('%I.campaign_count_deltas', $1::text)) + pg_relation_size(format('%I.delivery_hour_count_deltas', $1::text))`
		conn, err := pgx.Connect(ctx, dbURL)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close(ctx)
		if err := conn.QueryRow(ctx, q, schema).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	if n := size(); n == 0 {
		t.Fatal("the delta tables are empty before the vacuum: the test writes no deltas")
	}
	if err := s.VacuumCounts(ctx); err != nil {
		t.Fatal(err)
	}
	if n := size(); n != 0 {
		t.Errorf("the delta tables hold %d bytes after a compaction and VacuumCounts, want 0 (dead rows not reclaimed)", n)
	}
	if err := s.CheckStoredCounts(ctx); err != nil {
		t.Fatal(err)
	}
}
