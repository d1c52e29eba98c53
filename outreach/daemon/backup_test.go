package daemon_test

import (
	"context"
	"fmt"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/outreach-dev/outreach/outreach"
	"github.com/outreach-dev/outreach/outreach/store"
)

// deliveriesOf walks every delivery of the archive at databaseURL, by id.
func deliveriesOf(t *testing.T, databaseURL string) map[string]outreach.Delivery {
	t.Helper()
	s, err := store.Open(t.Context(), databaseURL)
	if err != nil {
		t.Fatalf("open %s: %v", databaseURL, err)
	}
	defer s.Close()
	all := map[string]outreach.Delivery{}
	if err := s.Walk(t.Context(), outreach.Filter{Since: time.Unix(0, 0)}, func(d outreach.Delivery) error {
		all[d.ID] = d
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return all
}

// freshTarget is where a backup of databaseURL is restored: a new SQLite
// file, or a new PostgreSQL database (dropped after the test) with the
// same search path.
func freshTarget(t *testing.T, driver, databaseURL string) string {
	t.Helper()
	if driver == "sqlite" {
		return "sqlite://" + filepath.Join(t.TempDir(), "restored.db")
	}
	u, err := url.Parse(databaseURL)
	if err != nil {
		t.Fatal(err)
	}
	db := "outreach_restore_" + randomName()
	conn, err := pgx.Connect(t.Context(), postgresURL())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	if _, err := conn.Exec(t.Context(), "CREATE DATABASE "+db); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		c, err := pgx.Connect(context.Background(), postgresURL())
		if err == nil {
			_, _ = c.Exec(context.Background(), "DROP DATABASE IF EXISTS "+db+" WITH (FORCE)")
			c.Close(context.Background())
		}
	})
	u.Path = "/" + db
	return u.String()
}

// TestBackupWhileDeliveringRestores is the operator's backup on a busy
// day, on both archive drivers: `archive backup` while the daemon
// delivers a stream of jobs, then a restore into a fresh archive. The
// restore holds every delivery archived before the backup began, each as
// the live archive has it (no half-written row), and the residents.
func TestBackupWhileDeliveringRestores(t *testing.T) {
	t.Parallel()
	for driver, databaseURL := range databaseURLs(t) {
		t.Run(driver, func(t *testing.T) {
			t.Parallel()
			h := newHarness(t, databaseURL, nil)
			h.upsert(outreach.Resident{ID: "r-backup", Name: "王秀英", Email: "wang@example.com"})
			h.start()
			var enqueued atomic.Int64
			stop := make(chan struct{})
			var wg sync.WaitGroup
			wg.Go(func() { // a producer that keeps the daemon writing
				for i := 0; ; i++ {
					select {
					case <-stop:
						return
					default:
					}
					h.xadd("job", fmt.Sprintf(rfcNotice, fmt.Sprintf("backup-%04d", i), "r-backup"))
					enqueued.Add(1)
					time.Sleep(2 * time.Millisecond)
				}
			})
			eventually(t, "the daemon writing", func() bool { return len(h.search(outreach.Filter{Limit: 30})) >= 30 })
			before := deliveriesOf(t, databaseURL)
			file := filepath.Join(t.TempDir(), "archive.backup")
			if err := store.Backup(t.Context(), databaseURL, file); err != nil {
				t.Fatal(err)
			}
			eventually(t, "more written after the backup", func() bool { return len(deliveriesOf(t, databaseURL)) > len(before)+20 })
			close(stop)
			wg.Wait()
			eventually(t, "every job delivered", func() bool { return h.settled() && int64(len(deliveriesOf(t, databaseURL))) == enqueued.Load() })
			live := deliveriesOf(t, databaseURL)

			target := freshTarget(t, driver, databaseURL)
			if err := store.Restore(t.Context(), target, file, false); err != nil {
				t.Fatal(err)
			}
			restored := deliveriesOf(t, target)
			for id := range before {
				if _, ok := restored[id]; !ok {
					t.Errorf("delivery %s, archived before the backup began, is not in the restore", id)
				}
			}
			for id, d := range restored {
				l, ok := live[id]
				if !ok || d.JobID != l.JobID || d.Status != l.Status || d.Body != l.Body || d.Subject != l.Subject || !strings.Contains(d.Body, "Building 1") {
					t.Errorf("restored delivery %s = %+v, live %+v", id, d, l)
				}
			}
			rs, err := store.Open(t.Context(), target)
			if err != nil {
				t.Fatal(err)
			}
			defer rs.Close()
			if r, err := rs.Resident(t.Context(), "r-backup"); err != nil || r.Name != "王秀英" {
				t.Errorf("restored resident = %+v, %v", r, err)
			}
			t.Logf("%s: %d deliveries before the backup, %d in the restore, %d by the end", driver, len(before), len(restored), len(live))
		})
	}
}
