// Package migration reads a store's schema migrations: one .sql file per
// version, embedded in the store's package (go:embed), named
// NNNN_what.sql. File NNNN brings the schema to version NNNN; the versions
// run from 1 without gaps. Never edit a released file; add the next one
// (to both stores: they keep the same numbers).
package migration

import (
	"fmt"
	"io/fs"
	"path"
	"slices"
	"strconv"
	"strings"
)

// Migration is one schema version: the statements of its file, run as one
// script (each store runs a file in one Exec, inside the transaction that
// records the version in schema_migrations).
type Migration struct {
	Version int
	Name    string // the file's name, for errors
	SQL     string
}

// Load reads the migrations in dir of fsys, in version order. A file whose
// name does not start with a four-digit version and an underscore, a
// repeated version or a gap is an error.
func Load(fsys fs.FS, dir string) ([]Migration, error) {
	entries, err := fs.ReadDir(fsys, dir)
	if err != nil {
		return nil, fmt.Errorf("read migrations: %w", err)
	}
	var ms []Migration
	for _, e := range entries {
		name := e.Name()
		if e.IsDir() || path.Ext(name) != ".sql" {
			continue
		}
		num, rest, ok := strings.Cut(name, "_")
		v, err := strconv.Atoi(num)
		if !ok || len(num) != 4 || err != nil || v < 1 || rest == ".sql" {
			return nil, fmt.Errorf("migration file %s: name is not NNNN_what.sql", name)
		}
		text, err := fs.ReadFile(fsys, path.Join(dir, name))
		if err != nil {
			return nil, fmt.Errorf("read migration %s: %w", name, err)
		}
		ms = append(ms, Migration{Version: v, Name: name, SQL: string(text)})
	}
	slices.SortFunc(ms, func(a, b Migration) int { return a.Version - b.Version })
	for i, m := range ms {
		if m.Version != i+1 {
			return nil, fmt.Errorf("migration %s: version %d, want %d (versions run from 1 without gaps or repeats)", m.Name, m.Version, i+1)
		}
		if strings.TrimSpace(m.SQL) == "" {
			return nil, fmt.Errorf("migration %s is empty", m.Name)
		}
	}
	if len(ms) == 0 {
		return nil, fmt.Errorf("no migrations in %s", dir)
	}
	return ms, nil
}
