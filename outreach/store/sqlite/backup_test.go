package sqlite_test

import (
	"context"
	"fmt"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/outreach-dev/outreach/outreach"
	"github.com/outreach-dev/outreach/outreach/store/sqlite"
)

// TestBackupUnderLoad takes a backup while a writer records deliveries:
// the backup opens as a store, and holds every delivery committed before
// it started, each complete, and no half of a batch (one Record call is
// one transaction).
func TestBackupUnderLoad(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	st, err := sqlite.Open(t.Context(), filepath.Join(dir, "live.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()

	const batch = 50
	record := func(n int) error {
		ds := make([]outreach.Delivery, batch)
		for i := range ds {
			ds[i] = outreach.Delivery{ID: fmt.Sprintf("d%05d-%02d", n, i), JobID: fmt.Sprintf("job-%05d", n),
				ResidentID: fmt.Sprintf("r%02d", i), Kind: outreach.KindMaintenanceNotice, Channel: outreach.ChannelEmail,
				Status: outreach.StatusSent, Subject: "停水通知", Body: "3号楼明日停水", Attempts: 1}
		}
		return st.Record(context.Background(), ds)
	}
	for n := range 20 {
		if err := record(n); err != nil {
			t.Fatal(err)
		}
	}
	var committed atomic.Int64
	committed.Store(20)
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		for n := 20; ; n++ {
			select {
			case <-stop:
				return
			default:
			}
			if err := record(n); err != nil {
				t.Error(err)
				return
			}
			committed.Store(int64(n + 1))
		}
	})
	time.Sleep(20 * time.Millisecond) // let the writer get going
	before := committed.Load()
	backup := filepath.Join(dir, "backup.db")
	if err := st.Backup(t.Context(), backup); err != nil {
		t.Fatal(err)
	}
	close(stop)
	wg.Wait()
	if err := st.Backup(t.Context(), backup); err == nil {
		t.Error("a second backup overwrote the first")
	}

	copyStore, err := sqlite.Open(t.Context(), backup)
	if err != nil {
		t.Fatalf("the backup does not open: %v", err)
	}
	defer copyStore.Close()
	jobs := map[string]int{}
	err = copyStore.Walk(t.Context(), outreach.Filter{Since: time.Unix(0, 0)}, func(d outreach.Delivery) error {
		if d.Subject != "停水通知" || d.Status != outreach.StatusSent {
			t.Errorf("delivery %s incomplete in the backup: %+v", d.ID, d)
		}
		jobs[d.JobID]++
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for job, n := range jobs {
		if n != batch {
			t.Errorf("job %s has %d of its %d deliveries in the backup: half a transaction", job, n, batch)
		}
	}
	if int64(len(jobs)) < before {
		t.Errorf("the backup holds %d jobs, want at least the %d committed before it started", len(jobs), before)
	}
	t.Logf("backup of %d jobs (%d committed when it started, %d by the end)", len(jobs), before, committed.Load())
}
