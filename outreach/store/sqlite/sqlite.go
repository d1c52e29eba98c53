// Package sqlite is the embedded store: the resident directory and the
// communication archive in one SQLite file, through modernc.org/sqlite
// (pure Go, no cgo). It implements outreach.Store.
package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"runtime"
	"strings"
	"time"

	_ "modernc.org/sqlite" // registers the "sqlite" database/sql driver

	"github.com/outreach-dev/outreach/outreach"
)

// Memory is the path of a private in-memory database, gone on Close.
const Memory = ":memory:"

// busyTimeout is how long a connection waits for another process's lock
// before it gives up with SQLITE_BUSY.
const busyTimeout = 10 * time.Second

// Store is the SQLite implementation of outreach.Store. It is safe for
// concurrent use.
//
// SQLite allows one writer at a time, so the store keeps two pools:
//   - write has exactly one connection and begins every transaction with
//     BEGIN IMMEDIATE. Writers in this process queue in database/sql for that
//     connection instead of racing for the file lock, so they never see
//     SQLITE_BUSY; taking the write lock at BEGIN (not at the first write)
//     means a transaction can never fail half-way on a lock upgrade, and
//     busy_timeout covers writers in other processes.
//   - read has several connections marked query_only: in WAL mode readers
//     see the last committed state and neither block nor are blocked by the
//     writer.
//
// An in-memory database lives and dies with its one connection (each new
// connection to ":memory:" would be a new, empty database), so there both
// pools are the same single-connection pool.
type Store struct {
	write *sql.DB
	read  *sql.DB
	now   func() time.Time
	// uri is the file's URI ("" in memory), for connections of their own
	// (Backup).
	uri string
}

var _ outreach.Store = (*Store)(nil)

// Open opens (creating if needed) the database file at path, or a private
// in-memory database when path is ":memory:", and brings its schema up to
// date.
func Open(ctx context.Context, path string) (*Store, error) {
	if path == "" {
		return nil, errors.New("open sqlite store: empty path")
	}
	if path == Memory {
		db, err := openPool(ctx, "file::memory:", 1, false)
		if err != nil {
			return nil, err
		}
		s := &Store{write: db, read: db, now: time.Now}
		if err := migrate(ctx, db); err != nil {
			db.Close()
			return nil, err
		}
		return s, nil
	}

	// The URI form lets a path hold any character ('?', '#', '%', spaces):
	// SQLite percent-decodes it.
	uri := "file:" + (&url.URL{Path: path}).EscapedPath()
	write, err := openPool(ctx, uri, 1, false)
	if err != nil {
		return nil, err
	}
	// Migrate before the readers open, so that they find WAL mode and the
	// tables already in place.
	if err := migrate(ctx, write); err != nil {
		write.Close()
		return nil, err
	}
	read, err := openPool(ctx, uri, max(4, runtime.GOMAXPROCS(0)), true)
	if err != nil {
		write.Close()
		return nil, err
	}
	return &Store{write: write, read: read, now: time.Now, uri: uri}, nil
}

// openPool opens a database/sql pool of at most conns connections to uri,
// each configured by the DSN so that a reconnect gets the same settings.
func openPool(ctx context.Context, uri string, conns int, readOnly bool) (*sql.DB, error) {
	q := url.Values{}
	q.Add("_pragma", fmt.Sprintf("busy_timeout(%d)", busyTimeout.Milliseconds()))
	q.Add("_pragma", "foreign_keys(1)")
	// synchronous stays FULL (the default): a delivery recorded as sent must
	// survive a power cut, or it would be sent again. Batched Record calls
	// pay the fsync once per batch, not once per delivery.
	if readOnly {
		q.Add("_pragma", "query_only(1)")
	} else {
		q.Add("_pragma", "journal_mode(WAL)")
		q.Set("_txlock", "immediate")
	}
	db, err := sql.Open("sqlite", uri+"?"+q.Encode())
	if err != nil {
		return nil, fmt.Errorf("open sqlite database: %w", err)
	}
	db.SetMaxOpenConns(conns)
	db.SetMaxIdleConns(conns)
	db.SetConnMaxLifetime(0) // never recycle: an in-memory database would vanish
	db.SetConnMaxIdleTime(0)
	if err := pingFirst(ctx, db); err != nil {
		db.Close()
		return nil, fmt.Errorf("open sqlite database: %w", err)
	}
	return db, nil
}

// pingFirst opens the pool's first connection. Switching a new file to WAL
// answers SQLITE_BUSY at once, without waiting for busy_timeout, while
// another process or store does the same; that race is brief, so it is
// retried for up to busyTimeout.
func pingFirst(ctx context.Context, db *sql.DB) error {
	deadline := time.Now().Add(busyTimeout)
	for wait := 5 * time.Millisecond; ; wait = min(2*wait, 200*time.Millisecond) {
		err := db.PingContext(ctx)
		if err == nil || !strings.Contains(err.Error(), "SQLITE_BUSY") || time.Now().After(deadline) {
			return err
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(wait):
		}
	}
}

// Ping checks that the database answers.
func (s *Store) Ping(ctx context.Context) error {
	if err := s.write.PingContext(ctx); err != nil {
		return fmt.Errorf("ping sqlite store: %w", err)
	}
	if err := s.read.PingContext(ctx); err != nil {
		return fmt.Errorf("ping sqlite store: %w", err)
	}
	return nil
}

// Close closes the database.
func (s *Store) Close() error {
	var errs []error
	if s.read != s.write {
		errs = append(errs, s.read.Close())
	}
	errs = append(errs, s.write.Close())
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("close sqlite store: %w", err)
	}
	return nil
}

// micros is how times are stored: integer microseconds since the Unix
// epoch, UTC. Integers compare and sort exactly, unlike time strings.
func micros(t time.Time) int64 { return t.UnixMicro() }

func fromMicros(us int64) time.Time { return time.UnixMicro(us).UTC() }
