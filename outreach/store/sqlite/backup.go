package sqlite

import (
	"context"
	"errors"
	"fmt"
	"os"
)

// Backup writes a consistent copy of the whole database to path while the
// store stays in use: VACUUM INTO reads one snapshot (a read transaction
// in WAL mode does not block the writer, nor is it blocked) and writes a
// compact database file with the same schema. path must not exist, so a
// backup never overwrites another. The copy is a plain SQLite file that
// Open (and `outreach archive restore`) accepts.
func (s *Store) Backup(ctx context.Context, path string) error {
	if path == "" || path == Memory {
		return errors.New("backup sqlite store: want a file path")
	}
	if _, err := os.Stat(path); err == nil {
		return fmt.Errorf("backup sqlite store to %s: the file exists (a backup never overwrites one)", path)
	} else if !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("backup sqlite store to %s: %w", path, err)
	}
	// The read pool's connections are query_only, which refuses VACUUM
	// INTO, and the write pool's one connection would hold up every
	// writer for the whole copy: a connection of its own reads a snapshot
	// beside both.
	db := s.write
	if s.uri != "" {
		var err error
		if db, err = openPool(ctx, s.uri, 1, false); err != nil {
			return fmt.Errorf("backup sqlite store to %s: %w", path, err)
		}
		defer db.Close()
	}
	if _, err := db.ExecContext(ctx, `VACUUM INTO ?`, path); err != nil {
		_ = os.Remove(path) // a partial copy is no backup
		return fmt.Errorf("backup sqlite store to %s: %w", path, err)
	}
	return nil
}
