package store

import (
	"context"
	"crypto/rand"
	"fmt"
	"net/url"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/outreach-dev/outreach/outreach"
)

// fill records n deliveries in the store at databaseURL.
func fill(t *testing.T, databaseURL string, n int) {
	t.Helper()
	s, err := Open(t.Context(), databaseURL)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ds := make([]outreach.Delivery, n)
	for i := range ds {
		ds[i] = outreach.Delivery{ID: fmt.Sprintf("d%04d", i), JobID: "wo-1042", ResidentID: fmt.Sprintf("r%04d", i),
			Kind: outreach.KindMaintenanceNotice, Channel: outreach.ChannelSMS, Status: outreach.StatusSent, Body: "3号楼停水"}
	}
	if err := s.Record(t.Context(), ds); err != nil {
		t.Fatal(err)
	}
	if _, err := s.UpsertResidents(t.Context(), []outreach.Resident{{ID: "r0001", Name: "王秀英", Phone: "+8613800138001"}}); err != nil {
		t.Fatal(err)
	}
}

// count is how many deliveries the store at databaseURL holds, and
// whether its resident came back.
func count(t *testing.T, databaseURL string) (int, bool) {
	t.Helper()
	s, err := Open(t.Context(), databaseURL)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	n := 0
	if err := s.Walk(t.Context(), outreach.Filter{Since: time.Unix(0, 0)}, func(outreach.Delivery) error { n++; return nil }); err != nil {
		t.Fatal(err)
	}
	_, err = s.Resident(t.Context(), "r0001")
	return n, err == nil
}

func TestBackupRestoreSQLite(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	live := "sqlite://" + filepath.Join(dir, "live.db")
	fill(t, live, 300)
	backup := filepath.Join(dir, "backup.db")
	if err := Backup(t.Context(), live, backup); err != nil {
		t.Fatal(err)
	}
	if err := Backup(t.Context(), live, backup); err == nil || !strings.Contains(err.Error(), "exists") {
		t.Errorf("a second backup to the same file: %v, want refused", err)
	}
	target := "sqlite://" + filepath.Join(dir, "restored.db")
	if err := Restore(t.Context(), target, backup, false); err != nil {
		t.Fatal(err)
	}
	if n, ok := count(t, target); n != 300 || !ok {
		t.Errorf("restored %d deliveries (resident back: %v), want 300", n, ok)
	}
	if err := Restore(t.Context(), target, backup, false); err == nil || !strings.Contains(err.Error(), "--force") {
		t.Errorf("restore over a database without --force: %v", err)
	}
	fill(t, live, 10) // the same ids: no change; the live one is untouched by the restore
	if err := Restore(t.Context(), live, backup, true); err != nil {
		t.Errorf("restore --force: %v", err)
	}
	if n, _ := count(t, live); n != 300 {
		t.Errorf("after restore --force %d deliveries, want 300", n)
	}
	bogus := filepath.Join(dir, "bogus.db")
	if err := copyFile("backup_test.go", bogus); err != nil {
		t.Fatal(err)
	}
	if err := Restore(t.Context(), "sqlite://"+filepath.Join(dir, "x.db"), bogus, false); err == nil {
		t.Error("restore of a file that is not a database succeeded")
	}
}

// TestBackupRestorePostgres is the pg_dump recipe of Backup, restored with
// pg_restore into a fresh database.
func TestBackupRestorePostgres(t *testing.T) {
	t.Parallel()
	if _, err := exec.LookPath("pg_dump"); err != nil {
		t.Fatal("pg_dump is not on PATH: install postgresql-client (CI does)")
	}
	live := postgresURL(t)
	fill(t, live, 300)
	backup := filepath.Join(t.TempDir(), "archive.dump")
	if err := Backup(t.Context(), live, backup); err != nil {
		t.Fatal(err)
	}

	// A fresh database of this test's own, with the same schema name.
	u, err := url.Parse(live)
	if err != nil {
		t.Fatal(err)
	}
	db := "outreach_restore_" + strings.ToLower(rand.Text()[:10])
	admin, err := pgx.Connect(t.Context(), live)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := admin.Exec(t.Context(), "CREATE DATABASE "+db); err != nil {
		t.Fatal(err)
	}
	admin.Close(t.Context())
	t.Cleanup(func() {
		conn, err := pgx.Connect(context.Background(), live)
		if err != nil {
			return
		}
		defer conn.Close(context.Background())
		_, _ = conn.Exec(context.Background(), "DROP DATABASE IF EXISTS "+db+" WITH (FORCE)")
	})
	u.Path = "/" + db
	fresh := u.String()
	if err := Restore(t.Context(), fresh, backup, false); err != nil {
		t.Fatal(err)
	}
	if n, ok := count(t, fresh); n != 300 || !ok {
		t.Errorf("restored %d deliveries (resident back: %v), want 300", n, ok)
	}
	if err := Restore(t.Context(), fresh, backup, false); err == nil || !strings.Contains(err.Error(), "--force") {
		t.Errorf("restore over an archive without --force: %v", err)
	}
	if err := Restore(t.Context(), fresh, backup, true); err != nil {
		t.Errorf("restore --force: %v", err)
	}
	if n, _ := count(t, fresh); n != 300 {
		t.Errorf("after restore --force %d deliveries, want 300", n)
	}
}
