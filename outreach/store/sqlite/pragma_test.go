package sqlite

import (
	"path/filepath"
	"strconv"
	"testing"
)

// TestConnectionSettings checks the settings every connection gets from
// its DSN, on both pools.
func TestConnectionSettings(t *testing.T) {
	t.Parallel()
	s, err := Open(t.Context(), filepath.Join(t.TempDir(), "outreach.db"))
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	defer s.Close()
	busy := strconv.FormatInt(busyTimeout.Milliseconds(), 10)
	tests := []struct {
		pragma      string
		write, read string
	}{
		{"journal_mode", "wal", "wal"},
		{"busy_timeout", busy, busy},
		{"foreign_keys", "1", "1"},
		{"synchronous", "2", "2"}, // FULL
		{"query_only", "0", "1"},
	}
	for _, tt := range tests {
		var write, read string
		if err := s.write.QueryRowContext(t.Context(), "PRAGMA "+tt.pragma).Scan(&write); err != nil {
			t.Fatalf("PRAGMA %s on the write pool: %v", tt.pragma, err)
		}
		if err := s.read.QueryRowContext(t.Context(), "PRAGMA "+tt.pragma).Scan(&read); err != nil {
			t.Fatalf("PRAGMA %s on the read pool: %v", tt.pragma, err)
		}
		if write != tt.write || read != tt.read {
			t.Errorf("PRAGMA %s = %q (write) and %q (read), want %q and %q", tt.pragma, write, read, tt.write, tt.read)
		}
	}
	if _, err := s.read.ExecContext(t.Context(), `DELETE FROM residents`); err == nil {
		t.Error("the read pool accepted a write")
	}
	if got := s.write.Stats().MaxOpenConnections; got != 1 {
		t.Errorf("the write pool allows %d connections, want 1", got)
	}
}
