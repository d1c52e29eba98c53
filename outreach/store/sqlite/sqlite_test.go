package sqlite_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/outreach-dev/outreach/outreach"
	"github.com/outreach-dev/outreach/outreach/store/sqlite"
	"github.com/outreach-dev/outreach/outreach/store/storetest"
)

// openTemp opens a store in a file of a fresh temporary directory.
func openTemp(tb testing.TB) *sqlite.Store {
	tb.Helper()
	s, err := sqlite.Open(tb.Context(), filepath.Join(tb.TempDir(), "outreach.db"))
	if err != nil {
		tb.Fatalf("Open: %v", err)
	}
	tb.Cleanup(func() {
		if err := s.Close(); err != nil {
			tb.Errorf("Close: %v", err)
		}
	})
	return s
}

func TestConformance(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T) outreach.Store { return openTemp(t) })
}

func TestConformanceInMemory(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T) outreach.Store {
		s, err := sqlite.Open(t.Context(), sqlite.Memory)
		if err != nil {
			t.Fatalf("Open(:memory:): %v", err)
		}
		t.Cleanup(func() { s.Close() })
		return s
	})
}

// TestReopen proves that the data and the schema version survive a close,
// and that opening an up-to-date database migrates nothing.
func TestReopen(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	tests := []struct {
		name string
		file string
	}{
		{"plain name", "outreach.db"},
		{"characters that mean something in a URI", "my archive?v=1#%20.db"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			path := filepath.Join(t.TempDir(), tt.file)
			s, err := sqlite.Open(ctx, path)
			if err != nil {
				t.Fatalf("Open: %v", err)
			}
			if _, err := s.UpsertResidents(ctx, []outreach.Resident{{ID: "r1", Name: "Ann"}}); err != nil {
				t.Fatalf("UpsertResidents: %v", err)
			}
			if err := s.Close(); err != nil {
				t.Fatalf("Close: %v", err)
			}
			s, err = sqlite.Open(ctx, path)
			if err != nil {
				t.Fatalf("reopen: %v", err)
			}
			defer s.Close()
			if r, err := s.Resident(ctx, "r1"); err != nil || r.Name != "Ann" {
				t.Errorf("after reopen, Resident(r1) = %+v, %v; want Ann", r, err)
			}
			if _, err := os.Stat(path); err != nil {
				t.Errorf("the database is not at the path given: %v", err)
			}
		})
	}
}

// TestTwoStoresOneFile writes to one file through two stores at once, as
// two daemons (or a daemon and the CLI) do: BEGIN IMMEDIATE and
// busy_timeout must make them wait for each other, not fail with
// SQLITE_BUSY.
func TestTwoStoresOneFile(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "outreach.db")
	var stores []*sqlite.Store
	for range 2 {
		s, err := sqlite.Open(t.Context(), path)
		if err != nil {
			t.Fatalf("Open: %v", err)
		}
		defer s.Close()
		stores = append(stores, s)
	}
	var wg sync.WaitGroup
	for i, s := range stores {
		wg.Go(func() {
			for c := range 20 {
				ds := make([]outreach.Delivery, 50)
				for j := range ds {
					id := fmt.Sprintf("s%d-c%d-d%d", i, c, j)
					ds[j] = outreach.Delivery{ID: id, JobID: "job", ResidentID: id, Status: outreach.StatusSent}
				}
				if err := s.Record(t.Context(), ds); err != nil {
					t.Errorf("store %d: Record: %v", i, err)
					return
				}
				if _, err := s.Search(t.Context(), outreach.Filter{JobID: "job", Limit: 10}); err != nil {
					t.Errorf("store %d: Search: %v", i, err)
					return
				}
			}
		})
	}
	wg.Wait()
	got, err := stores[0].Search(t.Context(), outreach.Filter{Limit: 5000})
	if err != nil {
		t.Fatalf("Search: %v", err)
	}
	if len(got) != 2*20*50 {
		t.Errorf("the file holds %d deliveries, want %d", len(got), 2*20*50)
	}
}

// TestOpenConcurrently opens one new file from several stores at once, as
// daemons starting together do: the schema must be created exactly once.
func TestOpenConcurrently(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "outreach.db")
	errs := make(chan error, 4)
	for range cap(errs) {
		go func() {
			s, err := sqlite.Open(t.Context(), path)
			if err == nil {
				err = s.Close()
			}
			errs <- err
		}()
	}
	for range cap(errs) {
		if err := <-errs; err != nil {
			t.Errorf("Open: %v", err)
		}
	}
}

func TestOpenErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		path func(t *testing.T) string
	}{
		{"empty path", func(*testing.T) string { return "" }},
		{"directory that does not exist", func(t *testing.T) string {
			return filepath.Join(t.TempDir(), "missing", "outreach.db")
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s, err := sqlite.Open(t.Context(), tt.path(t))
			if err == nil {
				s.Close()
				t.Fatal("Open succeeded")
			}
		})
	}
}

func TestOpenCanceled(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	s, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "outreach.db"))
	if !errors.Is(err, context.Canceled) {
		if s != nil {
			s.Close()
		}
		t.Fatalf("Open with a canceled context: error = %v, want context.Canceled", err)
	}
}

// TestUpgradeFromVersion1 opens a file that the first release created and
// filled: the migration adds the profile columns, and the residents it had
// come back with the new fields empty.
func TestUpgradeFromVersion1(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "outreach.db")
	if err := sqlite.MigrateTo(ctx, path, 1); err != nil {
		t.Fatalf("migrate to version 1: %v", err)
	}
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.ExecContext(ctx, `INSERT INTO residents (id, name, email, tags, updated_at)
		VALUES ('r1', 'Ann', 'ann@example.com', '["elderly"]', 0)`); err != nil {
		t.Fatalf("insert a version 1 resident: %v", err)
	}
	s, err := sqlite.Open(ctx, path)
	if err != nil {
		t.Fatalf("Open: %v", err)
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
	if err := db.QueryRowContext(ctx, "SELECT max(version) FROM schema_migrations").Scan(&version); err != nil || version != sqlite.Versions {
		t.Errorf("schema version = %d, %v; want %d", version, err, sqlite.Versions)
	}
}

func BenchmarkRecord(b *testing.B) {
	storetest.BenchmarkRecord(b, openTemp(b))
}

// TestUpgradeKeepsArchiveHistory upgrades an archive from the schema
// before delivery history (version 4): each delivery it held gets one
// event, where it stood, and later changes append to it.
func TestUpgradeKeepsArchiveHistory(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "outreach.db")
	if err := sqlite.MigrateTo(ctx, path, 4); err != nil {
		t.Fatalf("migrate to version 4: %v", err)
	}
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	updated := time.Date(2025, 1, 1, 0, 1, 0, 0, time.UTC)
	if _, err := db.ExecContext(ctx, `INSERT INTO deliveries (id, job_id, resident_id, kind, status, error, created_at, updated_at)
		VALUES ('d1', 'j1', 'r1', 'follow_up', 'failed', 'smtp 550', 0, ?)`, updated.UnixMicro()); err != nil {
		t.Fatalf("insert a version 4 delivery: %v", err)
	}
	s, err := sqlite.Open(ctx, path)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	defer s.Close()
	if _, err := s.SetNote(ctx, outreach.Filter{JobID: "j1"}, "called back"); err != nil {
		t.Fatalf("SetNote: %v", err)
	}
	es, err := s.Events(ctx, "d1")
	if err != nil || len(es) != 2 || es[0].Event != outreach.EventFailed || es[0].Detail != "error: smtp 550" ||
		!es[0].At.Equal(updated) || es[1].Event != outreach.EventNoted {
		t.Errorf("Events after the upgrade = %+v, %v; want failed (backfilled), then noted", es, err)
	}
}

// TestUpgradeBackfillsStoredCounts migrates an archive of version 16 with
// deliveries: migration 17 counts them, and the counts then follow the
// writes.
func TestUpgradeBackfillsStoredCounts(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "outreach.db")
	if err := sqlite.MigrateTo(ctx, path, 16); err != nil {
		t.Fatalf("migrate to version 16: %v", err)
	}
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.ExecContext(ctx, `INSERT INTO deliveries (id, job_id, resident_id, kind, channel, status, campaign, estate, created_at, updated_at)
		VALUES ('d1', 'j1', 'r1', 'follow_up', 'sms', 'failed', 'spring', 'north', 0, 0),
			('d2', 'j1', 'r2', 'follow_up', 'sms', 'failed', 'spring', 'north', 3599999999, 0),
			('d3', 'j2', 'r1', 'follow_up', 'email', 'sent', '', 'south', 3600000000, 0)`); err != nil {
		t.Fatalf("insert version 16 deliveries: %v", err)
	}
	s, err := sqlite.Open(ctx, path)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	defer s.Close()
	if err := s.CheckStoredCounts(ctx); err != nil {
		t.Fatal(err)
	}
	if got, err := s.CampaignStatusCounts(ctx, "spring"); err != nil || got[outreach.StatusFailed] != 2 || len(got) != 1 {
		t.Errorf("CampaignStatusCounts after the upgrade = %v, %v; want failed 2", got, err)
	}
	if _, err := s.DeleteDeliveries(ctx, outreach.Filter{JobID: "j1"}); err != nil {
		t.Fatal(err)
	}
	if err := s.CheckStoredCounts(ctx); err != nil {
		t.Fatalf("after a delete: %v", err)
	}
}
