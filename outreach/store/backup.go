package store

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/outreach-dev/outreach/outreach/store/sqlite"
)

// Backup writes a consistent copy of the archive and the directory at
// databaseURL to path, while daemons keep writing:
//
//   - SQLite: an online snapshot (VACUUM INTO), itself a database file
//     that OUTREACH_DATABASE_URL can name or Restore can put back;
//   - PostgreSQL: pg_dump in its custom format (one transaction, so one
//     snapshot), of the search path's first schema when the URL sets one.
//     pg_dump must be on PATH; the password goes to it in PGPASSWORD, never
//     on its command line.
//
// path must not exist: a backup never overwrites another.
func Backup(ctx context.Context, databaseURL, path string) error {
	t, err := parse(databaseURL)
	if err != nil {
		return err
	}
	if _, err := os.Stat(path); err == nil {
		return fmt.Errorf("backup to %s: the file exists (a backup never overwrites one)", path)
	}
	if t.driver == driverSQLite {
		if t.path == sqlite.Memory {
			return errors.New("backup: an in-memory database has nothing to back up")
		}
		s, err := sqlite.Open(ctx, t.path)
		if err != nil {
			return fmt.Errorf("backup: open the store of %s: %w", envVar, err)
		}
		defer s.Close()
		return s.Backup(ctx, path)
	}
	cmd, err := pgCommand(ctx, databaseURL, "pg_dump", "--format=custom", "--no-owner", "--file="+path)
	if err != nil {
		return err
	}
	if err := run(cmd); err != nil {
		_ = os.Remove(path)
		return fmt.Errorf("backup with pg_dump: %w", err)
	}
	return nil
}

// Restore puts the backup at path back as the database databaseURL names.
// Stop the daemons first: a restore replaces what they are writing to.
// A target that holds a database already is refused unless force:
//
//   - SQLite: the backup is copied beside the target, opened (which checks
//     it is an outreach database and brings its schema up to date), and
//     renamed over the target, whose write-ahead log goes with it;
//   - PostgreSQL: pg_restore into the database (and schema) of the URL;
//     force drops the objects it restores first (--clean).
func Restore(ctx context.Context, databaseURL, path string, force bool) error {
	t, err := parse(databaseURL)
	if err != nil {
		return err
	}
	if _, err := os.Stat(path); err != nil {
		return fmt.Errorf("restore: %w", err)
	}
	if t.driver == driverSQLite {
		return restoreSQLite(ctx, t.path, path, force)
	}
	args := []string{"--no-owner", "--exit-on-error", "--single-transaction"}
	if force {
		args = append(args, "--clean", "--if-exists")
	} else if exists, err := pgHasArchive(ctx, databaseURL); err != nil {
		return err
	} else if exists {
		return fmt.Errorf("restore: the database of %s holds an archive already (use --force to replace it)", envVar)
	}
	cmd, err := pgCommand(ctx, databaseURL, "pg_restore", append(args, path)...)
	if err != nil {
		return err
	}
	if err := run(cmd); err != nil {
		return fmt.Errorf("restore with pg_restore: %w", err)
	}
	return nil
}

func restoreSQLite(ctx context.Context, target, backup string, force bool) error {
	if target == sqlite.Memory {
		return errors.New("restore: cannot restore into an in-memory database")
	}
	if _, err := os.Stat(target); err == nil && !force {
		return fmt.Errorf("restore: %s exists (use --force to replace it)", target)
	}
	tmp := target + ".restoring"
	if err := copyFile(backup, tmp); err != nil {
		return fmt.Errorf("restore: %w", err)
	}
	defer os.Remove(tmp)
	s, err := sqlite.Open(ctx, tmp)
	if err != nil {
		return fmt.Errorf("restore: %s is not an outreach database: %w", backup, err)
	}
	if err := s.Ping(ctx); err != nil {
		s.Close()
		return fmt.Errorf("restore: %w", err)
	}
	if err := s.Close(); err != nil {
		return fmt.Errorf("restore: %w", err)
	}
	// The old file's log and shared memory belong to the old file: left
	// beside the new one they would be replayed into it.
	for _, suffix := range []string{"-wal", "-shm"} {
		if err := os.Remove(target + suffix); err != nil && !errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("restore: %w", err)
		}
		_ = os.Remove(tmp + suffix)
	}
	if err := os.Rename(tmp, target); err != nil {
		return fmt.Errorf("restore: %w", err)
	}
	return nil
}

func copyFile(from, to string) (err error) {
	in, err := os.Open(from)
	if err != nil {
		return err
	}
	defer in.Close()
	if err := os.MkdirAll(filepath.Dir(to), 0o750); err != nil {
		return err
	}
	out, err := os.OpenFile(to, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return err
	}
	defer func() {
		if cerr := out.Close(); err == nil {
			err = cerr
		}
	}()
	if _, err := io.Copy(out, in); err != nil {
		return err
	}
	return out.Sync()
}

// pgCommand is pg_dump or pg_restore for the database the URL names, with
// the connection in libpq's environment variables (the URL may carry pgx
// pool settings that libpq refuses, and a password that must not show in
// the process list), and the schema when the URL sets a search path.
func pgCommand(ctx context.Context, databaseURL, name string, args ...string) (*exec.Cmd, error) {
	bin, err := exec.LookPath(name)
	if err != nil {
		return nil, fmt.Errorf("%s is not on PATH (install the PostgreSQL client: apt-get install postgresql-client): %w", name, err)
	}
	cfg, err := pgx.ParseConfig(databaseURL)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", envVar, errors.New("not a PostgreSQL URL pgx accepts"))
	}
	env := append(os.Environ(),
		"PGHOST="+cfg.Host, fmt.Sprintf("PGPORT=%d", cfg.Port), "PGUSER="+cfg.User,
		"PGPASSWORD="+cfg.Password, "PGDATABASE="+cfg.Database)
	if cfg.TLSConfig == nil {
		env = append(env, "PGSSLMODE=disable")
	} else {
		env = append(env, "PGSSLMODE=require")
	}
	// The dump holds only the schema (and the schema itself), so the
	// restore needs no filter: pg_restore --schema would skip the CREATE
	// SCHEMA.
	if sp := cfg.RuntimeParams["search_path"]; sp != "" && name == "pg_dump" {
		schema := strings.Trim(strings.TrimSpace(strings.Split(sp, ",")[0]), `"`)
		args = append([]string{"--schema=" + schema}, args...)
	}
	if name == "pg_restore" {
		args = append([]string{"--dbname=" + cfg.Database}, args...)
	}
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Env = env
	return cmd, nil
}

// run runs cmd, giving its stderr in the error.
func run(cmd *exec.Cmd) error {
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("%w: %s", err, strings.TrimSpace(stderr.String()))
	}
	return nil
}

// pgHasArchive reports whether the URL's schema has a deliveries table.
func pgHasArchive(ctx context.Context, databaseURL string) (bool, error) {
	conn, err := pgx.Connect(ctx, databaseURL)
	if err != nil {
		return false, fmt.Errorf("restore: connect (%s): %w", envVar, err)
	}
	defer conn.Close(ctx)
	var exists bool
	if err := conn.QueryRow(ctx, `SELECT to_regclass('deliveries') IS NOT NULL`).Scan(&exists); err != nil {
		return false, fmt.Errorf("restore: %w", err)
	}
	return exists, nil
}
